//! `shenhe notices [--period P] --out DIR`: the 退回重报 notices to send back to the returned
//! schools — one XLSX and one plain-text file per school, with the reason and the open findings,
//! under names that are each a file of their own on any system (see [`FolderNames`]).

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::bundle::notice::{self, Notice};
use crate::cli::NoticesArgs;
use crate::commands::out::say;
use crate::file_names::FolderNames;
use crate::i18n::{Lang, fill, printable};

#[derive(Debug, Serialize)]
struct Written {
    school_code: String,
    xlsx: String,
    text: String,
}

pub fn run(ctx: &Context, args: NoticesArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let stored = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let returned = store.returned_schools(period).map_err(stored)?;
    if returned.is_empty() && !args.json {
        say!("{}", fill(&m.notices_none, &[("period", &period)]));
        return Ok(());
    }
    let now = crate::clock::now();
    let (county, auditor) = (&ctx.config.county, &ctx.config.auditor);
    let io = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        Failure::refused(fill(&m.notices_io, &[("path", &printable(&path.display().to_string())), ("reason", e)]))
    };
    // Two schools' stems can be one file name (codes `2141/01` and `2141:01` both become
    // `2141_01`; `AB01` and `ab01` are one file on Windows and macOS): each gets its own.
    let mut names = FolderNames::in_dir(&args.out).map_err(|e| io(&args.out, &e))?;
    let mut written = Vec::new();
    for school in returned {
        let findings = store
            .findings_of_school(period, &school.school_code)
            .map_err(stored)?
            .iter()
            .filter(|f| f.resolution == "open")
            .map(|f| crate::rules::message(f, Lang::Zh))
            .collect();
        let n = Notice {
            school_code: school.school_code.clone(),
            school_name: school.name.clone(),
            city: county.city.trim().to_string(),
            county: county.name.trim().to_string(),
            period,
            reasons: vec![(school.at.clone(), school.reason.clone())],
            findings,
            auditor_name: auditor.name.trim().to_string(),
            auditor_phone: auditor.phone.trim().to_string(),
            date: now.date_naive(),
        };
        let stem = names.claim(&notice::file_stem(&n), &["xlsx", "txt"]);
        let xlsx_path = args.out.join(format!("{stem}.xlsx"));
        let text_path = args.out.join(format!("{stem}.txt"));
        let xlsx = notice::notice_workbook(&n, now.naive_utc()).map_err(|e| io(&xlsx_path, &e))?;
        for (path, bytes) in [(&xlsx_path, xlsx), (&text_path, notice::notice_text(&n).into_bytes())] {
            crate::files::write_atomically(path, &bytes).map_err(|e| io(path, &e))?;
        }
        written.push(Written {
            school_code: school.school_code,
            xlsx: xlsx_path.display().to_string(),
            text: text_path.display().to_string(),
        });
    }
    if args.json {
        print_json(&written);
    } else {
        let dir = printable(&args.out.display().to_string());
        say!("{}", fill(&m.notices_done, &[("count", &written.len()), ("dir", &dir)]));
        // The names carry the schools' names and codes, from the imported sheet.
        for w in &written {
            say!("  {}", printable(&w.xlsx));
            say!("  {}", printable(&w.text));
        }
    }
    Ok(())
}
