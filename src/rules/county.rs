//! Checks that look at a school among the county's others: its code, its name, and how far its
//! ratios sit from the schools of the same type, so a typo like 4,800 students in a 12-class
//! school stands out even where no fixed threshold catches it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Finding, RuleId, RuleSettings, detail, rounded};
use crate::domain::school::is_national_code;
use crate::domain::{SchoolType, SubmissionData};

/// The code's shape, then whether its category digits fit the school's type.
pub(super) fn code(s: &SubmissionData, settings: &RuleSettings, out: &mut Vec<Finding>) {
    let code = &s.school_code;
    if !is_national_code(code) {
        let rule = &settings.code_format;
        if rule.enabled {
            out.push(Finding {
                school_code: code.clone(),
                rule: RuleId::CodeFormat,
                severity: rule.severity,
                detail: detail([("code", code.clone().into())]),
            });
        }
        return;
    }
    let rule = &settings.code_type_mismatch;
    let Some(school_type) = s.school_type else { return };
    let allowed = settings.categories(school_type);
    let category = &code[..2];
    if rule.enabled && !allowed.is_empty() && !allowed.iter().any(|c| c == category) {
        out.push(Finding {
            school_code: code.clone(),
            rule: RuleId::CodeTypeMismatch,
            severity: rule.severity,
            detail: detail([
                ("category", category.into()),
                ("school_type", school_type.label_zh().into()),
                ("expected", allowed.join("/").into()),
            ]),
        });
    }
}

/// Two schools of the period under one name: registered twice, or renamed into another's name.
/// How many of the other schools of the same name a duplicate-name finding lists.
const DUPLICATES_NAMED: usize = 10;

pub(super) fn duplicate_names(sheets: &[SubmissionData], settings: &RuleSettings, out: &mut Vec<Finding>) {
    let rule = &settings.duplicate_name;
    if !rule.enabled {
        return;
    }
    // Counted in a hash map first (nearly every name is unique, and ordering 100,000 Chinese
    // names was most of this rule's time); only the names held twice are then kept in order.
    let mut count: HashMap<&str, u32> = HashMap::with_capacity(sheets.len());
    for s in sheets {
        *count.entry(s.name.trim()).or_default() += 1;
    }
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in sheets.iter().filter(|s| count[s.name.trim()] > 1) {
        by_name.entry(s.name.trim()).or_default().push(&s.school_code);
    }
    for (name, codes) in by_name.into_iter().filter(|(_, codes)| codes.len() > 1) {
        for code in &codes {
            // At most a few others named, and how many more: a sheet of 100,000 schools of one
            // name would otherwise make each finding list the other 99,999.
            let others = codes.iter().copied().filter(|c| c != code);
            let mut shown: Vec<&str> = others.clone().take(DUPLICATES_NAMED).collect();
            let more = format!("… (+{})", codes.len() - 1 - shown.len());
            if codes.len() - 1 > shown.len() {
                shown.push(&more);
            }
            out.push(Finding {
                school_code: code.to_string(),
                rule: RuleId::DuplicateName,
                severity: rule.severity,
                detail: detail([("name", name.into()), ("others", shown.join("、").into())]),
            });
        }
    }
}

/// How a compared ratio is computed from a sheet; None when the sheet lacks a figure.
type Metric = fn(&SubmissionData) -> Option<f64>;

/// The ratios compared across peers.
const METRICS: [(&str, Metric); 3] = [
    ("students_per_teacher", |s| ratio(s.students, s.teachers)),
    ("students_per_class", |s| ratio(s.students, s.classes)),
    ("devices_per_student", |s| ratio(s.student_devices, s.students)),
];

fn ratio(numerator: Option<u32>, denominator: Option<u32>) -> Option<f64> {
    let d = denominator.filter(|d| *d > 0)?;
    Some(f64::from(numerator?) / f64::from(d))
}

/// Modified z-scores (Iglewicz and Hoaglin): distance from the median in median absolute
/// deviations, robust to the very outliers it looks for. Ratios are compared on a log scale:
/// they spread multiplicatively (a village school's classes are half a town school's, a typo
/// makes them ten times), so a plain scale would flag every small school. Peers are the filled,
/// active schools of the same county and type. Each school gets at most one finding: its most
/// extreme ratio.
pub(super) fn peer_outliers(sheets: &[SubmissionData], settings: &RuleSettings, out: &mut Vec<Finding>) {
    let rule = &settings.peer_outlier;
    if !rule.enabled {
        return;
    }
    let mut groups: HashMap<PeerGroup<'_>, Vec<&SubmissionData>> = HashMap::new();
    for s in sheets.iter().filter(|s| s.filled && s.status().is_active()) {
        if let Some(t) = s.school_type {
            groups.entry((s.county_code.as_deref(), t)).or_default().push(s);
        }
    }
    let mut worst: HashMap<&str, Outlier> = HashMap::new();
    for ((_, school_type), peers) in &groups {
        for (metric, of) in METRICS {
            // Zeros are the sheet rules' business, and have no logarithm.
            let values: Vec<(&str, f64)> =
                peers.iter().filter_map(|s| of(s).filter(|v| *v > 0.0).map(|v| (s.school_code.as_str(), v))).collect();
            if values.len() < rule.min_peers {
                continue;
            }
            let Some(spread) = Spread::of(values.iter().map(|(_, v)| v.ln()).collect()) else { continue };
            for (code, value) in values {
                let score = spread.score(value.ln());
                let far = (value.ln() - spread.median).abs() >= rule.min_factor.ln();
                let beaten = worst.get(code).is_none_or(|w| score.abs() > w.score.abs());
                if score.abs() > rule.threshold && far && beaten {
                    let (median, peers, school_type) = (spread.median.exp(), spread.count, *school_type);
                    worst.insert(code, Outlier { metric, value, median, score, peers, school_type });
                }
            }
        }
    }
    for (code, Outlier { metric, value, median, score, peers, school_type }) in worst {
        out.push(Finding {
            school_code: code.to_string(),
            rule: RuleId::PeerOutlier,
            severity: rule.severity,
            detail: detail([
                ("metric", metric.into()),
                ("value", rounded_to(value).into()),
                ("median", rounded_to(median).into()),
                ("school_type", school_type.label_zh().into()),
                ("peers", Value::from(peers)),
                ("score", rounded(score).into()),
                ("threshold", rule.threshold.into()),
            ]),
        });
    }
}

/// The schools one is compared with: same county (by code), same type.
type PeerGroup<'a> = (Option<&'a str>, SchoolType);

/// A school's most extreme ratio among its peers.
struct Outlier {
    metric: &'static str,
    value: f64,
    median: f64,
    score: f64,
    peers: usize,
    school_type: SchoolType,
}

/// Devices per student are fractions (0.12), the other ratios tens: keep two decimals for
/// small values so a message never shows 0.0 for a real figure.
fn rounded_to(v: f64) -> f64 {
    if v.abs() < 10.0 { (v * 100.0).round() / 100.0 } else { rounded(v) }
}

/// Median and the scale a modified z-score divides by.
struct Spread {
    median: f64,
    /// 0.6745 / MAD, or 1 / (1.253314 × mean absolute deviation) when MAD is 0.
    scale: f64,
    count: usize,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Option<Spread> {
        let count = values.len();
        let median = median_of(&mut values);
        let mut deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
        let mad = median_of(&mut deviations);
        let scale = if mad > 0.0 {
            0.6745 / mad
        } else {
            let mean_ad = deviations.iter().sum::<f64>() / count as f64;
            if mean_ad == 0.0 {
                return None; // every peer alike: nothing stands out
            }
            1.0 / (1.253_314 * mean_ad)
        };
        Some(Spread { median, scale, count })
    }

    fn score(&self, value: f64) -> f64 {
        (value - self.median) * self.scale
    }
}

fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}
