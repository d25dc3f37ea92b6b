//! Checks against the previous period of the same kind: a connection lost, a figure that
//! jumped, a school that vanished. Seed 001 tells why: a province's connection rate fell from
//! 99.97 % to 86.1 % between two system versions, and no county noticed.

use std::collections::HashSet;

use serde_json::Value;

use super::{Change, Finding, Previous, RuleId, RuleSettings, detail, rounded};
use crate::domain::{Period, SubmissionData};

/// Compares one school with its own sheet of the previous period. Both sheets must be filled
/// by an active school: an unfilled period has nothing to compare.
pub(super) fn compare(
    before: &SubmissionData,
    now: &SubmissionData,
    period: Period,
    settings: &RuleSettings,
    out: &mut Vec<Finding>,
) {
    let comparable = |s: &SubmissionData| s.filled && s.status().is_active();
    if !comparable(before) || !comparable(now) {
        return;
    }
    let code = &now.school_code;
    let lost = &settings.connection_lost;
    if lost.enabled && before.connected == Some(true) && now.connected == Some(false) {
        out.push(Finding {
            school_code: code.clone(),
            rule: RuleId::ConnectionLost,
            severity: lost.severity,
            detail: detail([
                ("previous_period", period.to_string().into()),
                ("previous_bandwidth", before.bandwidth_mbps.map_or(Value::Null, Value::from)),
            ]),
        });
    }
    let figures = [
        (RuleId::BandwidthChange, &settings.bandwidth_change, before.bandwidth_mbps, now.bandwidth_mbps),
        (
            RuleId::StudentsChange,
            &settings.students_change,
            before.students.map(f64::from),
            now.students.map(f64::from),
        ),
        (RuleId::ClassesChange, &settings.classes_change, before.classes.map(f64::from), now.classes.map(f64::from)),
    ];
    for (rule, change, was, is) in figures {
        if let Some(finding) = changed(code, rule, change, period, was, is) {
            out.push(finding);
        }
    }
}

/// A figure that moved by more than the rule allows. From zero any change is infinite, and
/// the sheet rules already speak about zeros, so a zero before is not compared.
fn changed(
    code: &str,
    rule: RuleId,
    change: &Change,
    period: Period,
    was: Option<f64>,
    is: Option<f64>,
) -> Option<Finding> {
    let (was, is) = (was.filter(|w| *w > 0.0)?, is?);
    let percent = (is - was) / was * 100.0;
    (change.enabled && percent.abs() > change.max_change_percent).then(|| Finding {
        school_code: code.to_string(),
        rule,
        severity: change.severity,
        detail: detail([
            ("previous_period", period.to_string().into()),
            ("previous", was.into()),
            ("current", is.into()),
            ("change", format!("{:+.1}%", rounded(percent)).into()),
            ("limit", change.max_change_percent.into()),
        ]),
    })
}

/// Schools of the previous period that are not in this one. Merged and revoked schools are
/// expected to go, so only active ones are missed.
pub(super) fn missing(prev: Previous<'_>, sheets: &[SubmissionData], settings: &RuleSettings, out: &mut Vec<Finding>) {
    let rule = &settings.missing_school;
    if !rule.enabled {
        return;
    }
    let present: HashSet<&str> = sheets.iter().map(|s| s.school_code.as_str()).collect();
    for gone in prev.sheets.iter().filter(|p| p.status().is_active() && !present.contains(p.school_code.as_str())) {
        out.push(Finding {
            school_code: gone.school_code.clone(),
            rule: RuleId::MissingSchool,
            severity: rule.severity,
            detail: detail([
                ("previous_period", prev.period.to_string().into()),
                ("name", gone.name.clone().into()),
                ("school_type", gone.school_type.map_or(Value::Null, |t| t.label_zh().into())),
            ]),
        });
    }
}
