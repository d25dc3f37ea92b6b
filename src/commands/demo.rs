//! `shenhe demo`: the sample county of `assets/sample/` in a throw-away database.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Context, Failure, Outcome};
use crate::cli::ListArgs;
use crate::commands::out::say;
use crate::i18n::fill;
use crate::store::Store;

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
    let at = crate::clock::now().to_rfc3339();
    crate::sample::load(&mut store, &dir.0, &ctx.config.rules, &ctx.actor(), &at)
        .map_err(|e| failed(&e.user_message(lang)))?;
    drop(store);
    let mut demo_ctx = Context { lang, config: ctx.config.clone(), paths: ctx.paths.clone() };
    demo_ctx.paths.database = database;
    // The demo's key and bundles are throw-away too: a real key is never made by a demo.
    demo_ctx.paths.keys_dir = dir.0.join("keys");
    demo_ctx.paths.data_dir = dir.0.clone();
    demo_ctx.config.export.dir = String::new();
    // The demo's store is thrown away on quitting: there is nothing to back up.
    demo_ctx.config.backup.remind_after_days = 0;
    if demo_ctx.config.county.code.trim().is_empty() {
        let (code, name, city) = crate::sample::COUNTY;
        demo_ctx.config.county = crate::config::County { code: code.into(), name: name.into(), city: city.into() };
    }
    // The sample county's auditor, so that the demo's export has the 填表人 附件5 requires.
    if demo_ctx.config.auditor.name.trim().is_empty() || demo_ctx.config.auditor.phone.trim().is_empty() {
        demo_ctx.config.auditor =
            crate::config::Auditor { name: "示例审核员".into(), phone: "0371-00000000".into() };
    }
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return super::review::run(&demo_ctx, None);
    }
    // Without a terminal, the demo shows what the screen would open on.
    say!("{}", m.demo_intro);
    super::list::run(&demo_ctx, ListArgs { period: None, state: None, json: false })
}
