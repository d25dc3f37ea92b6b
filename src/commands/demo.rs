//! `shenhe demo`: the sample county of `assets/sample/` in a throw-away database.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Context, Failure, Outcome};
use crate::cli::ListArgs;
use crate::domain::Period;
use crate::i18n::fill;
use crate::import::{ImportRequest, import_files};
use crate::store::Store;

/// The sample county's sheets, embedded so the demo works from any directory.
pub const SAMPLE: [(&str, &str, &[u8]); 2] = [
    ("2026Q2", "2026Q2_中原区.csv", include_bytes!("../../assets/sample/2026Q2_中原区.csv")),
    ("2026Q3", "2026Q3_中原区.xlsx", include_bytes!("../../assets/sample/2026Q3_中原区.xlsx")),
];

/// Removes the throw-away directory however the demo ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn run(ctx: &Context) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let failed = |e: &dyn std::fmt::Display| Failure::refused(fill(&m.demo_failed, &[("reason", e)]));
    let dir = TempDir(std::env::temp_dir().join(format!("shenhe-demo-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).map_err(|e| failed(&e))?;
    let database = dir.0.join("demo.db");
    let mut store = Store::open(&database).map_err(|e| failed(&e.user_message(lang)))?;
    for (period, name, bytes) in SAMPLE {
        let file = dir.0.join(name);
        std::fs::write(&file, bytes).map_err(|e| failed(&e))?;
        let req = ImportRequest {
            period: period.parse::<Period>().expect("sample periods are valid"),
            files: vec![file],
            sheets: Vec::new(),
            actor: "demo".into(),
            at: crate::clock::now().to_rfc3339(),
        };
        import_files(&mut store, &req, &mut |_| {}).map_err(|e| failed(&e.user_message(lang)))?;
        let period = req.period;
        super::check::run_checks(ctx, &mut store, period).map_err(|e| failed(&e.user_message(lang)))?;
    }
    drop(store);
    let mut demo_ctx = Context { lang, config: ctx.config.clone(), paths: ctx.paths.clone() };
    demo_ctx.paths.database = database;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return super::review::run(&demo_ctx, None);
    }
    // Without a terminal, the demo shows what the screen would open on.
    println!("{}", m.demo_intro);
    super::list::run(&demo_ctx, ListArgs { period: None, state: None, json: false })
}
