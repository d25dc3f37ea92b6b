//! `shenhe stats [--period P] [--by county|school_type] [--json]`: the circulars' figures
//! (PRODUCT.md §5) for the period, whole or grouped.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::cli::{StatsArgs, StatsGroup};
use crate::commands::out::{say, say_text};
use crate::config::BandwidthDenominator;
use crate::domain::stats::{self, Counts, Figures, Rate};
use crate::i18n::{Lang, fill};
use crate::ui::table::{Align, render};

pub fn run(ctx: &Context, args: StatsArgs) -> Outcome {
    let lang = ctx.lang;
    if args.by == Some(StatsGroup::City) && ctx.config.level == crate::config::Level::County {
        return Err(Failure::usage(lang.msg().stats_by_city_needs_units.clone()));
    }
    let store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let data = store.current_data(period).map_err(|e| Failure::refused(e.user_message(lang)))?;
    let denominator = ctx.config.stats.bandwidth_denominator;
    let total = data.iter().collect::<Counts>().figures(denominator);
    let rows: Vec<Row> = match args.by {
        None => Vec::new(),
        Some(StatsGroup::County) => stats::by_county(&data)
            .into_iter()
            .map(|(key, counts)| Row {
                group: Group::County { county_code: key.county_code, county: key.county },
                figures: counts.figures(denominator),
            })
            .collect(),
        Some(StatsGroup::City) => by_unit(ctx, &store, period, &data)?
            .into_iter()
            .map(|(city_code, city, counts)| Row {
                group: Group::City { city_code, city },
                figures: counts.figures(denominator),
            })
            .collect(),
        Some(StatsGroup::SchoolType) => stats::by_school_type(&data)
            .into_iter()
            .map(|(school_type, counts)| Row {
                group: Group::SchoolType { school_type: school_type.map(|t| t.label_zh()) },
                figures: counts.figures(denominator),
            })
            .collect(),
    };
    if args.json {
        match args.by {
            None => print_json(&total),
            Some(_) => print_json(&rows),
        }
        return Ok(());
    }
    let m = lang.msg();
    say!("{}", fill(&m.stats_title, &[("period", &period)]));
    say_text!("{}", table(lang, args.by, &rows, &total));
    let note = match denominator {
        BandwidthDenominator::All => &m.stats_denominator_all,
        BandwidthDenominator::Connected => &m.stats_denominator_connected,
    };
    say!("{note}");
    say!("{}", m.stats_note);
    Ok(())
}

/// One group's figures; in JSON the group's key fields come first, then the figures.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    group: Group,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Group {
    County { county_code: Option<String>, county: Option<String> },
    City { city_code: String, city: String },
    SchoolType { school_type: Option<&'static str> },
}

impl Group {
    fn label(&self, lang: Lang) -> String {
        let unknown = || lang.msg().stats_unknown.clone();
        match self {
            Group::County { county_code, county } => match (county_code, county) {
                (Some(code), Some(name)) => format!("{name}（{code}）"),
                (Some(one), None) | (None, Some(one)) => one.clone(),
                (None, None) => unknown(),
            },
            Group::City { city_code, city } if city_code.is_empty() => city.clone(),
            Group::City { city_code, city } => format!("{city}（{city_code}）"),
            Group::SchoolType { school_type } => school_type
                .and_then(crate::domain::SchoolType::parse)
                .map_or_else(unknown, |t| t.label(lang).to_string()),
        }
    }
}

/// The schools by the unit below whose current report carries them (at a province, its city),
/// in the config's order, then this level's own (直属) schools if it has any.
fn by_unit(
    ctx: &Context,
    store: &crate::store::Store,
    period: crate::domain::Period,
    data: &[crate::domain::SubmissionData],
) -> Result<Vec<(String, String, Counts)>, Failure> {
    let held = store.held_below(&period.to_string()).map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    let mut groups: Vec<(String, String, Counts)> =
        ctx.config.units_below().into_iter().map(|u| (u.code, u.name, Counts::default())).collect();
    let mut own = Counts::default();
    for school in data {
        let unit = held.get(&school.school_code).map(|c| c.county_code.as_str());
        match unit.and_then(|code| groups.iter_mut().find(|g| g.0 == code)) {
            Some(group) => group.2.add(school),
            None => own.add(school),
        }
    }
    if own != Counts::default() {
        groups.push((String::new(), crate::bundle::city_status::OWN_ROW.to_string(), own));
    }
    Ok(groups)
}

/// The human table, laid out like the circulars' 附件4: one row per group, then the total
/// (alone when not grouped).
fn table(lang: Lang, by: Option<StatsGroup>, rows: &[Row], total: &Figures) -> String {
    let m = lang.msg();
    let first = match by {
        None => &m.stats_col_area,
        Some(StatsGroup::County) => &m.col_county,
        Some(StatsGroup::City) => &m.province_col_city,
        Some(StatsGroup::SchoolType) => &m.col_school_type,
    };
    let headers = [
        first,
        &m.stats_col_schools,
        &m.stats_col_filled,
        &m.stats_col_unfilled,
        &m.stats_col_fill_rate,
        &m.stats_col_connected,
        &m.stats_col_unconnected,
        &m.stats_col_connected_rate,
        &m.stats_col_bandwidth_100m,
        &m.stats_col_bandwidth_100m_rate,
        &m.stats_col_zero_multimedia,
        &m.stats_col_multimedia_rate,
    ];
    let headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut align = vec![Align::Right; headers.len()];
    align[0] = Align::Left;
    let mut cells: Vec<Vec<String>> = rows.iter().map(|r| cells_of(r.group.label(lang), &r.figures)).collect();
    cells.push(cells_of(m.stats_total.clone(), total));
    render(&headers, &align, &cells)
}

fn cells_of(label: String, f: &Figures) -> Vec<String> {
    vec![
        label,
        f.schools.to_string(),
        f.filled.to_string(),
        f.unfilled.to_string(),
        percent(f.fill_rate),
        f.connected.to_string(),
        f.unconnected.to_string(),
        percent(f.connected_rate),
        f.bandwidth_100m.to_string(),
        percent(f.bandwidth_100m_rate),
        f.zero_multimedia.to_string(),
        percent(f.multimedia_rate),
    ]
}

/// `85.63%`, or `—` for a rate over no schools.
fn percent(rate: Option<Rate>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{r}%"))
}

#[cfg(test)]
mod tests {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

    use super::*;
    use crate::domain::{SchoolType, SubmissionData};

    fn school(code: &str, school_type: SchoolType, county: (&str, &str)) -> SubmissionData {
        SubmissionData {
            county_code: Some(county.0.into()),
            county: Some(county.1.into()),
            school_type: Some(school_type),
            ..stats::test_school(code)
        }
    }

    fn rows_by_type(data: &[SubmissionData]) -> Vec<Row> {
        stats::by_school_type(data)
            .into_iter()
            .map(|(t, c)| Row {
                group: Group::SchoolType { school_type: t.map(|t| t.label_zh()) },
                figures: c.figures(BandwidthDenominator::All),
            })
            .collect()
    }

    /// The display column just after each cell of `line` (no cell of the test holds a space).
    fn cell_ends(line: &str) -> Vec<usize> {
        let mut ends = Vec::new();
        let mut column = 0;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            column += c.width().unwrap_or(0);
            if c != ' ' && chars.peek().is_none_or(|next| *next == ' ') {
                ends.push(column);
            }
        }
        ends
    }

    #[test]
    fn grouped_table_columns_end_at_the_same_display_width_with_chinese_names() {
        let data = [
            school("1", SchoolType::TwelveYear, ("410102", "中原区")),
            school("2", SchoolType::Primary, ("410102", "中原区")),
            SubmissionData { filled: false, ..school("3", SchoolType::TeachingPoint, ("410102", "中原区")) },
        ];
        let total = data.iter().collect::<Counts>().figures(BandwidthDenominator::All);
        let text = table(Lang::Zh, Some(StatsGroup::SchoolType), &rows_by_type(&data), &total);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[1].starts_with("教学点") && lines[4].starts_with("合计"), "{text}");
        // The figures are right-aligned: each ends at the display column where its header does,
        // although the header is in double-width characters and the figures are not.
        let header = cell_ends(lines[0]);
        assert_eq!(header.len(), 12, "{text}");
        for line in &lines[1..] {
            assert_eq!(cell_ends(line)[1..], header[1..], "{text}");
        }
        assert!(lines.iter().all(|l| l.width() == lines[0].width()), "{text}");
    }

    #[test]
    fn an_empty_rate_is_a_dash() {
        assert_eq!(percent(None), "—");
        assert_eq!(percent(Rate::of(1341, 1566)), "85.63%");
    }

    #[test]
    fn groups_without_a_county_or_type_say_so() {
        let unknown = Group::SchoolType { school_type: None };
        assert_eq!(unknown.label(Lang::En), Lang::En.msg().stats_unknown);
        let county = Group::County { county_code: Some("410102".into()), county: Some("中原区".into()) };
        assert_eq!(county.label(Lang::Zh), "中原区（410102）");
        let typed = Group::SchoolType { school_type: Some("九年一贯制学校") };
        assert_eq!(typed.label(Lang::En), "nine-year");
    }
}
