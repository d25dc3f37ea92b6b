//! `shenhe list` and the overview shown when shenhe runs without a command.

use super::{Context, Failure, Outcome, print_json};
use crate::cli::ListArgs;
use crate::commands::out::{say, say_text};
use crate::domain::ReviewState;
use crate::i18n::fill;
use crate::ui::table::{Align, render};

pub fn run(ctx: &Context, args: ListArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let state =
        match args.state.as_deref() {
            None => None,
            Some(s) => Some(ReviewState::from_key(s).or_else(|| ReviewState::parse(s)).ok_or_else(|| {
                Failure::usage(fill(&m.list_bad_state, &[("state", &s), ("states", &state_choices())]))
            })?),
        };
    let rows = store.list(period, state).map_err(|e| Failure::refused(e.user_message(lang)))?;
    if args.json {
        print_json(&rows);
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.school_code.clone(),
                r.name.clone(),
                r.school_type.as_deref().map_or(String::new(), |t| label_of_type(t, lang)),
                r.county.clone().unwrap_or_default(),
                r.state.label(lang).to_string(),
                r.findings.to_string(),
            ]
        })
        .collect();
    let headers = [&m.col_school_code, &m.col_name, &m.col_school_type, &m.col_county, &m.col_state, &m.col_findings];
    let headers: Vec<&str> = headers.iter().map(|s| s.as_str()).collect();
    let align = [Align::Left, Align::Left, Align::Left, Align::Left, Align::Left, Align::Right];
    say_text!("{}", render(&headers, &align, &table));
    say!("{}", fill(&m.list_footer, &[("period", &period), ("count", &rows.len())]));
    Ok(())
}

fn label_of_type(stored: &str, lang: crate::i18n::Lang) -> String {
    crate::domain::SchoolType::parse(stored).map_or_else(|| stored.to_string(), |t| t.label(lang).to_string())
}

fn state_choices() -> String {
    ReviewState::ALL.iter().map(|s| format!("{} ({})", s.key(), s.label_zh())).collect::<Vec<_>>().join(", ")
}

/// What shenhe shows with no command when there is no terminal for the screen: the store's
/// periods and the next step.
pub fn overview(ctx: &Context) -> Outcome {
    let m = ctx.lang.msg();
    let store = ctx.open_store()?;
    let periods = store.periods().map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    if periods.is_empty() {
        say!("{}", fill(&m.overview_empty, &[("db", &ctx.paths.database.display())]));
        return Ok(());
    }
    let list: Vec<String> = periods.iter().map(ToString::to_string).collect();
    say!(
        "{}",
        fill(
            &m.overview,
            &[("db", &ctx.paths.database.display()), ("periods", &list.join("、")), ("latest", &periods[0])]
        )
    );
    Ok(())
}
