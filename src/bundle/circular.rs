//! The circular's text, drafted (seed 000's paragraphs): which places are at 100 % and which
//! below the config's thresholds for the fill rate, the auditors' 主动上报率, 互联网接入率, the
//! 100M share and 多媒体教室, and the province's totals. Every number is one the workbook of
//! [`units_workbook`](super::city_report::units_workbook) holds in a cell, printed as
//! the circulars print rates (`75%`, `86.53%`).

use super::city_report::{CountyLine, k12, short_of_100m};
use crate::config::{BandwidthDenominator, Config};
use crate::domain::SubmissionData;
use crate::domain::stats::{Counts, Rate};
use crate::i18n::fill;

/// A rate as the circulars write it: two decimals, none when they are zero.
pub fn rate_text(rate: Rate) -> String {
    let text = rate.to_string();
    text.strip_suffix(".00").map(str::to_string).unwrap_or(text)
}

/// The paragraphs, one a line, in Chinese (a document that leaves the tool).
pub fn draft(
    config: &Config,
    lines: &[CountyLine],
    of: &[Vec<&SubmissionData>],
    data: &[SubmissionData],
    denominator: BandwidthDenominator,
) -> String {
    let c = &config.circular;
    // The fill rate is over every school (附件1's last column); the network figures over the
    // 中小学（含教学点） as 附件4 counts them.
    let figures: Vec<_> = of.iter().map(|s| s.iter().copied().collect::<Counts>().figures(denominator)).collect();
    let network: Vec<_> = of.iter().map(|s| k12(s).figures(denominator)).collect();
    let everyone: Vec<&SubmissionData> = data.iter().collect();
    let all_counts = k12(&everyone);
    let all = all_counts.figures(denominator);
    let threshold = |percent: f64| (percent * 100.0).round() as u64;
    // The places at 100 %, and those under `low` (hundredths), each with its rate.
    let split = |rates: &[Option<Rate>], low: u64| -> (String, String) {
        let full: Vec<&str> = lines
            .iter()
            .zip(rates)
            .filter(|(_, r)| r.is_some_and(|r| r.hundredths() == 10_000))
            .map(|(l, _)| l.name.as_str())
            .collect();
        let below: Vec<String> = lines
            .iter()
            .zip(rates)
            .filter_map(|(l, r)| r.filter(|r| r.hundredths() < low).map(|r| format!("{}（{}%）", l.name, rate_text(r))))
            .collect();
        let list = |items: Vec<String>| if items.is_empty() { c.none.clone() } else { items.join("、") };
        (list(full.into_iter().map(str::to_string).collect()), list(below))
    };
    let fill_rates: Vec<_> = figures.iter().map(|f| f.fill_rate).collect();
    let (full, below) = split(&fill_rates, 10_000);
    let mut text = vec![fill(&c.fill, &[("full", &full), ("below", &below)])];

    let active: Vec<_> = lines.iter().map(|l| Rate::of(l.active, l.auditors)).collect();
    let (full, below) = split(&active, threshold(c.active_low));
    text.push(fill(&c.active, &[("full", &full), ("below", &below), ("low", &c.active_low)]));

    let rate = |r: Option<Rate>| r.map_or_else(|| "—".to_string(), rate_text);
    let pick = |f: fn(&crate::domain::stats::Figures) -> Option<Rate>| network.iter().map(f).collect::<Vec<_>>();
    let (connected_full, connected_below) = split(&pick(|f| f.connected_rate), threshold(c.connected_low));
    let (_, bandwidth_below) = split(&pick(|f| f.bandwidth_100m_rate), threshold(c.bandwidth_low));
    let (multimedia_full, multimedia_below) = split(&pick(|f| f.multimedia_rate), threshold(c.multimedia_low));
    let with_multimedia = all_counts.with_multimedia;
    text.push(fill(
        &c.network,
        &[
            ("connected_rate", &rate(all.connected_rate)),
            ("unconnected", &all.unconnected),
            ("connected_full", &connected_full),
            ("connected_low", &c.connected_low),
            ("connected_below", &connected_below),
            ("bandwidth_rate", &rate(all.bandwidth_100m_rate)),
            ("bandwidth_short", &short_of_100m(&all_counts, denominator)),
            ("bandwidth_low", &c.bandwidth_low),
            ("bandwidth_below", &bandwidth_below),
            ("multimedia_rate", &rate(all.multimedia_rate)),
            ("no_multimedia", &(all.schools - with_multimedia)),
            ("multimedia_full", &multimedia_full),
            ("multimedia_low", &c.multimedia_low),
            ("multimedia_below", &multimedia_below),
        ],
    ));
    text.join("\n") + "\n"
}
