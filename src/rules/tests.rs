//! One test per rule: a sheet that triggers it, one just inside its threshold, and one with
//! the values it needs left empty (the rule then says nothing rather than guessing).

use super::*;
use crate::config::Config;
use crate::domain::{SchoolStatus, SchoolType};

/// A clean 小学 of 800 pupils: no rule has anything to say about it.
fn clean(code: &str) -> SubmissionData {
    SubmissionData {
        school_code: code.into(),
        name: format!("测试小学{code}"),
        county_code: Some("410102".into()),
        school_type: Some(SchoolType::Primary),
        filled: true,
        classes: Some(20),
        teachers: Some(50),
        students: Some(800),
        connected: Some(true),
        bandwidth_mbps: Some(100.0),
        classrooms: Some(22),
        multimedia_rooms: Some(20),
        teacher_devices: Some(55),
        student_devices: Some(100),
        ..Default::default()
    }
}

fn settings() -> RuleSettings {
    Config::default().rules
}

/// The rules one sheet triggers on its own.
fn fired(s: SubmissionData) -> Vec<&'static str> {
    run(&[s], None, &settings()).iter().map(|f| f.rule.key()).collect()
}

/// The rules a school triggers against its own previous sheet.
fn fired_against(before: SubmissionData, now: SubmissionData) -> Vec<&'static str> {
    let prev = [before];
    let previous = Previous { period: "2026Q2".parse().unwrap(), sheets: &prev };
    run(&[now], Some(previous), &settings()).iter().map(|f| f.rule.key()).collect()
}

fn with(change: impl FnOnce(&mut SubmissionData)) -> SubmissionData {
    let mut s = clean("2141010201");
    change(&mut s);
    s
}

/// Asserts `rule` fires on the first sheet only.
fn fires_only_on_first(rule: &str, [hit, inside, missing]: [SubmissionData; 3]) {
    assert!(fired(hit).contains(&rule), "{rule}: should fire");
    assert!(!fired(inside).contains(&rule), "{rule}: just inside the threshold");
    assert!(!fired(missing).contains(&rule), "{rule}: values missing");
}

#[test]
fn a_clean_sheet_raises_nothing() {
    assert_eq!(fired(clean("2141010201")), Vec::<&str>::new());
    assert_eq!(fired_against(clean("2141010201"), clean("2141010201")), Vec::<&str>::new());
}

#[test]
fn bandwidth_without_connection() {
    fires_only_on_first(
        "bandwidth_without_connection",
        [
            with(|s| s.connected = Some(false)),
            with(|s| (s.connected, s.bandwidth_mbps) = (Some(false), Some(0.0))),
            with(|s| (s.connected, s.bandwidth_mbps) = (Some(false), None)),
        ],
    );
}

#[test]
fn connected_without_bandwidth() {
    fires_only_on_first(
        "connected_without_bandwidth",
        [with(|s| s.bandwidth_mbps = Some(0.0)), with(|s| s.bandwidth_mbps = Some(0.5)), with(|s| s.connected = None)],
    );
    assert!(fired(with(|s| s.bandwidth_mbps = None)).contains(&"connected_without_bandwidth"));
}

#[test]
fn multimedia_exceeds_classrooms() {
    fires_only_on_first(
        "multimedia_exceeds_classrooms",
        [
            with(|s| s.multimedia_rooms = Some(23)),
            with(|s| s.multimedia_rooms = Some(22)),
            with(|s| (s.multimedia_rooms, s.classrooms) = (Some(23), None)),
        ],
    );
}

#[test]
fn resources_without_classes() {
    fires_only_on_first(
        "resources_without_classes",
        [
            with(|s| s.classes = Some(0)),
            with(|s| {
                s.classes = Some(0);
                (s.classrooms, s.multimedia_rooms, s.teacher_devices, s.student_devices) =
                    (Some(0), Some(0), Some(0), Some(0));
            }),
            with(|s| s.classes = None),
        ],
    );
}

#[test]
fn students_without_classes_or_teachers() {
    fires_only_on_first(
        "students_without_classes_or_teachers",
        [
            with(|s| s.teachers = Some(0)),
            with(|s| (s.teachers, s.students) = (Some(0), Some(0))),
            with(|s| (s.teachers, s.students) = (Some(0), None)),
        ],
    );
}

#[test]
fn students_per_teacher() {
    // 40 per teacher is allowed, 40.02 is not.
    fires_only_on_first(
        "students_per_teacher",
        [with(|s| s.students = Some(2001)), with(|s| s.students = Some(2000)), with(|s| s.teachers = None)],
    );
}

#[test]
fn students_per_class() {
    fires_only_on_first(
        "students_per_class",
        [with(|s| s.students = Some(59)), with(|s| s.students = Some(60)), with(|s| s.classes = None)],
    );
    assert!(fired(with(|s| s.students = Some(1401))).contains(&"students_per_class"), "above 70 too");
}

#[test]
fn bandwidth_below_tier() {
    fires_only_on_first(
        "bandwidth_below_tier",
        [
            with(|s| s.bandwidth_mbps = Some(8.0)),
            with(|s| s.bandwidth_mbps = Some(10.0)),
            with(|s| (s.bandwidth_mbps, s.school_type) = (Some(8.0), None)),
        ],
    );
    let point = |bw| {
        with(|s| {
            (s.school_type, s.school_code, s.bandwidth_mbps) =
                (Some(SchoolType::TeachingPoint), "2141010299".into(), Some(bw))
        })
    };
    assert!(!fired(point(4.0)).contains(&"bandwidth_below_tier"), "教学点 needs only 4M");
}

#[test]
fn connection_lost() {
    let lost =
        |now: Option<bool>| fired_against(clean("2141010201"), with(|s| (s.connected, s.bandwidth_mbps) = (now, None)));
    assert!(lost(Some(false)).contains(&"connection_lost"));
    assert!(!fired_against(clean("2141010201"), clean("2141010201")).contains(&"connection_lost"));
    assert!(!lost(None).contains(&"connection_lost"), "an empty answer is not a lost connection");
}

#[test]
fn change_rules_fire_beyond_half_and_not_at_it() {
    for (rule, set) in [
        ("bandwidth_change", (|s, v| s.bandwidth_mbps = v.map(f64::from)) as fn(&mut SubmissionData, Option<u32>)),
        ("students_change", |s, v| s.students = v),
        ("classes_change", |s, v| s.classes = v),
    ] {
        let before = with(|s| set(s, Some(100)));
        let now = |v| {
            let mut s = clean("2141010201");
            (s.teachers, s.classrooms, s.multimedia_rooms) = (Some(5000), Some(5000), Some(1));
            set(&mut s, v);
            s
        };
        assert!(fired_against(before.clone(), now(Some(151))).contains(&rule), "{rule}");
        assert!(fired_against(before.clone(), now(Some(49))).contains(&rule), "{rule} downwards");
        assert!(!fired_against(before.clone(), now(Some(150))).contains(&rule), "{rule} at 50 %");
        assert!(!fired_against(before, now(None)).contains(&rule), "{rule} missing");
    }
}

#[test]
fn code_format_and_code_type_mismatch() {
    assert!(fired(clean("214101020")).contains(&"code_format"));
    assert!(fired(clean("2141O10201")).contains(&"code_format"));
    assert!(!fired(clean("2141010201")).contains(&"code_format"));
    assert!(fired(clean("3141010201")).contains(&"code_type_mismatch"));
    assert!(
        !fired(with(|s| (s.school_code, s.school_type) = ("3141010201".into(), None))).contains(&"code_type_mismatch")
    );
    // An unfilled or merged school still has a code to check.
    assert!(fired(with(|s| (s.school_code, s.filled) = ("ZY01".into(), false))).contains(&"code_format"));
}

#[test]
fn duplicate_names_name_each_other() {
    let a = clean("2141010201");
    let mut b = clean("2141010202");
    b.name = a.name.clone();
    let found = run(&[a, b, clean("2141010203")], None, &settings());
    let dup: Vec<&Finding> = found.iter().filter(|f| f.rule == RuleId::DuplicateName).collect();
    assert_eq!(dup.len(), 2);
    assert_eq!(dup[0].detail["others"], "2141010202");
    assert_eq!(dup[1].detail["others"], "2141010201");
}

/// A sheet of 100,000 schools of one name made each finding list the other 99,999 (24 GB):
/// ten are named, then how many more.
#[test]
fn a_name_shared_by_many_names_ten_of_the_others_and_counts_the_rest() {
    let sheets: Vec<SubmissionData> = (0..1000).map(|i| with(|s| s.school_code = format!("21410{i:05}"))).collect();
    let found = run(&sheets, None, &settings());
    let dup: Vec<&Finding> = found.iter().filter(|f| f.rule == RuleId::DuplicateName).collect();
    assert_eq!(dup.len(), 1000);
    let others = dup[0].detail["others"].as_str().unwrap();
    assert_eq!(others.split('、').count(), 11, "{others}");
    assert!(others.starts_with("2141000001、2141000002") && others.ends_with("、… (+989)"), "{others}");
}

#[test]
fn missing_school_only_for_active_ones() {
    let previous = [
        clean("2141010201"),
        clean("2141010202"),
        with(|s| (s.school_code, s.school_status) = ("2141010203".into(), Some(SchoolStatus::Revoked))),
    ];
    let found = run(
        &[clean("2141010201")],
        Some(Previous { period: "2026Q2".parse().unwrap(), sheets: &previous }),
        &settings(),
    );
    let missing: Vec<&str> =
        found.iter().filter(|f| f.rule == RuleId::MissingSchool).map(|f| f.school_code.as_str()).collect();
    assert_eq!(missing, ["2141010202"]);
}

/// Twelve ordinary 小学 with slightly different figures, and one more.
fn county_with(extra: SubmissionData) -> Vec<Finding> {
    let mut sheets: Vec<SubmissionData> = (0..12)
        .map(|i| {
            let mut s = clean(&format!("21410102{i:02}"));
            s.students = Some(700 + 20 * i);
            s.teachers = Some(45 + i % 4);
            s.student_devices = Some(90 + 3 * i);
            s
        })
        .collect();
    sheets.push(extra);
    run(&sheets, None, &settings())
}

#[test]
fn peer_outlier_catches_a_typo_no_fixed_rule_sees() {
    // 4,800 pupils (480 with a 0 too many) in 20 classes, among ~800-pupil schools: with the
    // fixed class-size rule switched off, only the comparison with its peers sees it.
    let mut settings = settings();
    settings.students_per_class.enabled = false;
    let mut typo = clean("2141010299");
    (typo.students, typo.teachers, typo.student_devices) = (Some(4800), Some(150), Some(600));
    let found = run(std::slice::from_ref(&typo), None, &settings);
    assert!(found.is_empty(), "alone it has no peers to stand out from: {found:?}");
    let found = county_with(typo);
    let outlier = found.iter().find(|f| f.rule == RuleId::PeerOutlier).expect("outlier");
    assert_eq!(outlier.school_code, "2141010299");
    assert_eq!(outlier.detail["metric"], "students_per_class");
    assert!(outlier.message(Lang::Zh).contains("班额为 240"), "{}", outlier.message(Lang::Zh));
}

#[test]
fn peer_outlier_leaves_ordinary_differences_and_missing_values_alone() {
    let small = with(|s| (s.school_code, s.students) = ("2141010299".into(), Some(400)));
    assert!(county_with(small).iter().all(|f| f.rule != RuleId::PeerOutlier), "half the median is no typo");
    let blank = with(|s| (s.school_code, s.students, s.teachers) = ("2141010299".into(), None, None));
    assert!(county_with(blank).iter().all(|f| f.rule != RuleId::PeerOutlier));
}

#[test]
fn a_disabled_rule_is_silent_and_severity_comes_from_the_config() {
    let mut settings = settings();
    settings.multimedia_exceeds_classrooms.severity = Severity::Warning;
    let hit = with(|s| s.multimedia_rooms = Some(30));
    let found = run(std::slice::from_ref(&hit), None, &settings);
    assert_eq!(found[0].severity, Severity::Warning);
    settings.multimedia_exceeds_classrooms.enabled = false;
    assert!(run(&[hit], None, &settings).is_empty());
}

#[test]
fn messages_show_the_numbers_in_both_languages() {
    let found = run(&[with(|s| s.students = Some(4800))], None, &settings());
    let per_teacher = found.iter().find(|f| f.rule == RuleId::StudentsPerTeacher).unwrap();
    assert_eq!(per_teacher.message(Lang::Zh), "生师比 96（学生 4800 人，教师 50 人），超出允许范围 ≤ 40");
    assert_eq!(
        per_teacher.message(Lang::En),
        "96 students per teacher (4800 students, 50 teachers), outside the allowed ≤ 40"
    );
    let empty = run(&[with(|s| s.bandwidth_mbps = None)], None, &settings());
    assert!(empty[0].message(Lang::Zh).contains("出口带宽为空"), "{}", empty[0].message(Lang::Zh));
}
