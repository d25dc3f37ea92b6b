//! `shenhe dispatch [--period P] [--json]`: the 半月调度表 (seed 000, 附件5), the schools not
//! connected, under 100M and without a multimedia classroom, laid out as the province asks.

use super::{Context, Failure, Outcome, print_json};
use crate::cli::DispatchArgs;
use crate::commands::out::{say, say_err, say_text};
use crate::domain::dispatch::{DispatchEntry, DispatchLists};
use crate::i18n::{Lang, fill};
use crate::ui::table::{Align, render};

pub fn run(ctx: &Context, args: DispatchArgs) -> Outcome {
    let lang = ctx.lang;
    let store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let data = store.current_data(period).map_err(|e| Failure::refused(e.user_message(lang)))?;
    let lists = DispatchLists::of(&data);
    if args.json {
        print_json(&lists);
        return Ok(());
    }
    let m = lang.msg();
    let county = &ctx.config.county;
    let area = format!("{}{}", county.city.trim(), county.name.trim());
    say!("{}", fill(&m.dispatch_title, &[("area", &area), ("period", &period)]).trim_start());
    let auditor = &ctx.config.auditor;
    let or_missing = |s: &str| if s.trim().is_empty() { m.dispatch_not_set.clone() } else { s.trim().to_string() };
    let date = crate::clock::now().format("%Y-%m-%d").to_string();
    say!(
        "{}",
        fill(
            &m.dispatch_header,
            &[("name", &or_missing(&auditor.name)), ("phone", &or_missing(&auditor.phone)), ("date", &date)]
        )
    );
    if auditor.name.trim().is_empty() || auditor.phone.trim().is_empty() {
        // On stderr: the table is often redirected into the file sent to the city.
        say_err!("{}", fill(&m.dispatch_not_set_hint, &[("config", &ctx.paths.config.display())]));
    }
    say!();
    say_text!("{}", table(lang, &lists));
    say!(
        "{}",
        fill(
            &m.dispatch_footer,
            &[
                ("not_connected", &lists.not_connected.len()),
                ("under_100m", &lists.under_100m.len()),
                ("no_multimedia", &lists.no_multimedia.len()),
            ]
        )
    );
    Ok(())
}

/// The three lists in one table, as in 附件5: the category named on its first row only (the
/// circular merges those cells), numbered from 1 within each list.
fn table(lang: Lang, lists: &DispatchLists) -> String {
    let m = lang.msg();
    let headers = [
        &m.dispatch_col_category,
        &m.dispatch_col_number,
        &m.dispatch_col_city,
        &m.dispatch_col_county,
        &m.col_name,
        &m.dispatch_col_school_type,
    ];
    let headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let align = [Align::Left, Align::Right, Align::Left, Align::Left, Align::Left, Align::Left];
    let mut rows = Vec::new();
    for (category, list) in [
        (&m.dispatch_not_connected, &lists.not_connected),
        (&m.dispatch_under_100m, &lists.under_100m),
        (&m.dispatch_no_multimedia, &lists.no_multimedia),
    ] {
        if list.is_empty() {
            let none = vec![category.clone(), String::new(), String::new(), String::new(), m.dispatch_none.clone()];
            rows.push(none);
        }
        for (i, entry) in list.iter().enumerate() {
            let shown = if i == 0 { category.clone() } else { String::new() };
            rows.push(row(lang, shown, i + 1, entry));
        }
    }
    render(&headers, &align, &rows)
}

fn row(lang: Lang, category: String, number: usize, e: &DispatchEntry) -> Vec<String> {
    vec![
        category,
        number.to_string(),
        e.city.clone().unwrap_or_default(),
        e.county.clone().unwrap_or_default(),
        e.name.clone(),
        e.school_type.map_or(String::new(), |t| t.label(lang).to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SchoolType, SubmissionData};

    #[test]
    fn categories_head_their_lists_and_an_empty_list_says_none() {
        let school = SubmissionData {
            school_code: "2141010304".into(),
            name: "郑州市中原区石佛镇前庄教学点".into(),
            city: Some("郑州市".into()),
            county: Some("中原区".into()),
            school_type: Some(SchoolType::TeachingPoint),
            filled: true,
            connected: Some(false),
            multimedia_rooms: Some(0),
            ..Default::default()
        };
        let other = SubmissionData { school_code: "2141010305".into(), ..school.clone() };
        let text = table(Lang::Zh, &DispatchLists::of(&[school, other]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines[0].starts_with("类别"), "{text}");
        assert!(lines[1].starts_with("未联网学校") && lines[1].contains("郑州市中原区石佛镇前庄教学点"), "{text}");
        assert!(lines[2].trim_start().starts_with("2  郑州市"), "{text}");
        assert!(lines[3].starts_with("带宽不足 100M 学校") && lines[3].ends_with("（无）"), "{text}");
        assert!(lines[4].starts_with("无多媒体教室学校") && lines[4].ends_with("教学点"), "{text}");
    }
}
