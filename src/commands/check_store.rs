//! `shenhe check-store`: every page and index of the database checked, whenever the auditor
//! wants to be sure (the open path checks the whole file only when damage is likely; see
//! `store::integrity`).

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::cli::CheckStoreArgs;
use crate::commands::out::say;
use crate::i18n::{Lang, fill};

#[derive(Debug, Serialize)]
struct Checked {
    store: String,
    bytes: u64,
    ok: bool,
    previous: Option<crate::store::LastCheck>,
}

pub fn run(ctx: &Context, args: CheckStoreArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let failed = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let previous = store.last_check().map_err(failed)?;
    store.check_whole().map_err(failed)?;
    let bytes = std::fs::metadata(&ctx.paths.database).map(|m| m.len()).unwrap_or(0);
    if args.json {
        print_json(&Checked { store: ctx.paths.database.display().to_string(), bytes, ok: true, previous });
        return Ok(());
    }
    say!(
        "{}",
        fill(&m.check_store_ok, &[("path", &ctx.paths.database.display()), ("size", &super::backup::size_text(bytes))])
    );
    if let Some(last) = previous {
        say!("{}", fill(&m.check_store_last, &[("at", &last.at), ("why", &why_label(lang, &last.why))]));
    }
    Ok(())
}

fn why_label(lang: Lang, why: &str) -> String {
    let m = lang.msg();
    match why {
        "created" => m.check_why_created.clone(),
        "unclean_shutdown" => m.check_why_unclean_shutdown.clone(),
        "before_migration" => m.check_why_before_migration.clone(),
        "due" => m.check_why_due.clone(),
        "asked" => m.check_why_asked.clone(),
        other => crate::i18n::printable(other),
    }
}
