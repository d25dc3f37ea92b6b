//! Checks within one school's sheet: do its own figures agree with each other? A figure the
//! sheet left empty is never guessed: a rule that needs it says nothing.

use serde_json::Value;

use super::{Finding, RatioRange, RuleId, RuleSettings, Severity, detail, rounded};
use crate::domain::SubmissionData;

/// Every within-sheet rule, for a filled sheet of an active school.
pub(super) fn check(s: &SubmissionData, settings: &RuleSettings, out: &mut Vec<Finding>) {
    let mut add = |rule: RuleId, severity: Severity, detail| {
        out.push(Finding { school_code: s.school_code.clone(), rule, severity, detail });
    };
    connection(s, settings, &mut add);
    rooms_and_devices(s, settings, &mut add);
    ratios(s, settings, &mut add);
}

type Add<'a> = dyn FnMut(RuleId, Severity, serde_json::Map<String, Value>) + 'a;

fn connection(s: &SubmissionData, settings: &RuleSettings, add: &mut Add<'_>) {
    let bandwidth = s.bandwidth_mbps;
    match s.connected {
        Some(false) => {
            let rule = &settings.bandwidth_without_connection;
            if let Some(bw) = bandwidth.filter(|bw| *bw > 0.0)
                && rule.enabled
            {
                add(RuleId::BandwidthWithoutConnection, rule.severity, detail([("bandwidth", bw.into())]));
            }
        }
        Some(true) => {
            let none = &settings.connected_without_bandwidth;
            match bandwidth {
                None | Some(0.0) => {
                    if none.enabled {
                        let shown = bandwidth.map_or(Value::Null, Value::from);
                        add(RuleId::ConnectedWithoutBandwidth, none.severity, detail([("bandwidth", shown)]));
                    }
                }
                Some(bw) => {
                    let tiers = &settings.bandwidth_below_tier;
                    let tier = s.school_type.and_then(|t| settings.tier(t));
                    if let (Some(tier), Some(school_type)) = (tier, s.school_type)
                        && tiers.enabled
                        && bw < tier
                    {
                        add(
                            RuleId::BandwidthBelowTier,
                            tiers.severity,
                            detail([
                                ("school_type", school_type.label_zh().into()),
                                ("bandwidth", bw.into()),
                                ("tier", tier.into()),
                            ]),
                        );
                    }
                }
            }
        }
        None => {}
    }
}

fn rooms_and_devices(s: &SubmissionData, settings: &RuleSettings, add: &mut Add<'_>) {
    let rule = &settings.multimedia_exceeds_classrooms;
    if let (Some(multimedia), Some(classrooms)) = (s.multimedia_rooms, s.classrooms)
        && rule.enabled
        && multimedia > classrooms
    {
        add(
            RuleId::MultimediaExceedsClassrooms,
            rule.severity,
            detail([("multimedia", multimedia.into()), ("classrooms", classrooms.into())]),
        );
    }

    let rule = &settings.resources_without_classes;
    let resources = [s.classrooms, s.multimedia_rooms, s.teacher_devices, s.student_devices];
    if s.classes == Some(0) && rule.enabled && resources.iter().flatten().any(|n| *n > 0) {
        let shown = |n: Option<u32>| n.map_or(Value::Null, Value::from);
        add(
            RuleId::ResourcesWithoutClasses,
            rule.severity,
            detail([
                ("classrooms", shown(s.classrooms)),
                ("multimedia", shown(s.multimedia_rooms)),
                ("teacher_devices", shown(s.teacher_devices)),
                ("student_devices", shown(s.student_devices)),
            ]),
        );
    }

    let rule = &settings.students_without_classes_or_teachers;
    if let (Some(students), Some(classes), Some(teachers)) = (s.students, s.classes, s.teachers)
        && rule.enabled
        && students > 0
        && (classes == 0 || teachers == 0)
    {
        add(
            RuleId::StudentsWithoutClassesOrTeachers,
            rule.severity,
            detail([("students", students.into()), ("classes", classes.into()), ("teachers", teachers.into())]),
        );
    }
}

fn ratios(s: &SubmissionData, settings: &RuleSettings, add: &mut Add<'_>) {
    let Some(students) = s.students.filter(|n| *n > 0) else { return };
    let pairs = [
        (RuleId::StudentsPerTeacher, &settings.students_per_teacher, s.teachers, "teachers"),
        (RuleId::StudentsPerClass, &settings.students_per_class, s.classes, "classes"),
    ];
    for (rule, range, divisor, name) in pairs {
        // A zero divisor is students_without_classes_or_teachers' business.
        let Some(divisor) = divisor.filter(|d| *d > 0) else { continue };
        let ratio = f64::from(students) / f64::from(divisor);
        if range.enabled && outside(ratio, range) {
            add(
                rule,
                range.severity,
                detail([
                    ("ratio", rounded(ratio).into()),
                    ("students", students.into()),
                    (name, divisor.into()),
                    ("limit", limit_text(range).into()),
                ]),
            );
        }
    }
}

fn outside(ratio: f64, range: &RatioRange) -> bool {
    (range.min > 0.0 && ratio < range.min) || (range.max > 0.0 && ratio > range.max)
}

/// The allowed range as the message shows it: `3–70`, `≤ 40`, `≥ 3`.
fn limit_text(range: &RatioRange) -> String {
    let n = super::number_text;
    match (range.min > 0.0, range.max > 0.0) {
        (true, true) => format!("{}–{}", n(range.min), n(range.max)),
        (false, true) => format!("≤ {}", n(range.max)),
        _ => format!("≥ {}", n(range.min)),
    }
}
