//! The checks of PRODUCT.md §4: each a small named unit with a stable id, a severity, on/off and
//! thresholds from `[rules.<id>]`, and a message in both languages that shows the values.
//!
//! Pure: [`run`] takes a period's sheets (and the previous period's) and returns findings. The
//! store keeps them and their resolution (see `store::findings`); [`check_period`] ties the two.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::{Period, SchoolType, SubmissionData};
use crate::i18n::{Lang, fill};

mod county;
mod history;
mod run_check;
mod settings;
mod sheet;

pub use run_check::{CheckOutcome, check_period, check_period_with};
pub use settings::{Categories, Change, PeerOutlier, RatioRange, RuleSettings, Tiers, Toggle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    pub fn from_key(key: &str) -> Option<Severity> {
        [Severity::Error, Severity::Warning].into_iter().find(|s| s.key() == key)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let m = lang.msg();
        match self {
            Severity::Error => &m.severity_error,
            Severity::Warning => &m.severity_warning,
        }
    }
}

macro_rules! rule_ids {
    ($($variant:ident = $key:literal,)+) => {
        /// A rule's stable id: the `[rules.<id>]` table, the store's `findings.rule`, `--json`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId { $($variant,)+ }

        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)+];

            pub fn key(self) -> &'static str {
                match self { $(RuleId::$variant => $key,)+ }
            }
        }
    };
}

rule_ids! {
    BandwidthWithoutConnection = "bandwidth_without_connection",
    ConnectedWithoutBandwidth = "connected_without_bandwidth",
    MultimediaExceedsClassrooms = "multimedia_exceeds_classrooms",
    ResourcesWithoutClasses = "resources_without_classes",
    StudentsWithoutClassesOrTeachers = "students_without_classes_or_teachers",
    StudentsPerTeacher = "students_per_teacher",
    StudentsPerClass = "students_per_class",
    BandwidthBelowTier = "bandwidth_below_tier",
    ConnectionLost = "connection_lost",
    BandwidthChange = "bandwidth_change",
    StudentsChange = "students_change",
    ClassesChange = "classes_change",
    CodeFormat = "code_format",
    CodeTypeMismatch = "code_type_mismatch",
    DuplicateName = "duplicate_name",
    MissingSchool = "missing_school",
    PeerOutlier = "peer_outlier",
}

impl RuleId {
    pub fn from_key(key: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.key() == key)
    }

    /// The rule's short name, for lists and filters.
    pub fn title(self, lang: Lang) -> String {
        self.template(lang).0.to_string()
    }

    /// (short name, message template) from the catalog.
    fn template(self, lang: Lang) -> (&'static str, &'static str) {
        let m = lang.msg();
        let pair = |t: &'static String, s: &'static String| (t.as_str(), s.as_str());
        match self {
            RuleId::BandwidthWithoutConnection => {
                pair(&m.rule_bandwidth_without_connection, &m.rule_bandwidth_without_connection_says)
            }
            RuleId::ConnectedWithoutBandwidth => {
                pair(&m.rule_connected_without_bandwidth, &m.rule_connected_without_bandwidth_says)
            }
            RuleId::MultimediaExceedsClassrooms => {
                pair(&m.rule_multimedia_exceeds_classrooms, &m.rule_multimedia_exceeds_classrooms_says)
            }
            RuleId::ResourcesWithoutClasses => {
                pair(&m.rule_resources_without_classes, &m.rule_resources_without_classes_says)
            }
            RuleId::StudentsWithoutClassesOrTeachers => {
                pair(&m.rule_students_without_classes_or_teachers, &m.rule_students_without_classes_or_teachers_says)
            }
            RuleId::StudentsPerTeacher => pair(&m.rule_students_per_teacher, &m.rule_students_per_teacher_says),
            RuleId::StudentsPerClass => pair(&m.rule_students_per_class, &m.rule_students_per_class_says),
            RuleId::BandwidthBelowTier => pair(&m.rule_bandwidth_below_tier, &m.rule_bandwidth_below_tier_says),
            RuleId::ConnectionLost => pair(&m.rule_connection_lost, &m.rule_connection_lost_says),
            RuleId::BandwidthChange => pair(&m.rule_bandwidth_change, &m.rule_change_says),
            RuleId::StudentsChange => pair(&m.rule_students_change, &m.rule_change_says),
            RuleId::ClassesChange => pair(&m.rule_classes_change, &m.rule_change_says),
            RuleId::CodeFormat => pair(&m.rule_code_format, &m.rule_code_format_says),
            RuleId::CodeTypeMismatch => pair(&m.rule_code_type_mismatch, &m.rule_code_type_mismatch_says),
            RuleId::DuplicateName => pair(&m.rule_duplicate_name, &m.rule_duplicate_name_says),
            RuleId::MissingSchool => pair(&m.rule_missing_school, &m.rule_missing_school_says),
            RuleId::PeerOutlier => pair(&m.rule_peer_outlier, &m.rule_peer_outlier_says),
        }
    }
}

/// One problem with one school's sheet, with the values that show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub school_code: String,
    pub rule: RuleId,
    pub severity: Severity,
    /// The values the message shows, by placeholder name. Kept as JSON in the store, so a
    /// finding can be shown in either language long after the rule ran.
    pub detail: Map<String, Value>,
}

impl Finding {
    /// The finding in one plain sentence, with its numbers.
    pub fn message(&self, lang: Lang) -> String {
        render(self.rule, &self.detail, lang)
    }
}

/// A stored finding's sentence: its rule's template filled with its values.
pub fn render(rule: RuleId, detail: &Map<String, Value>, lang: Lang) -> String {
    let m = lang.msg();
    let shown: Vec<(&str, String)> = detail
        .iter()
        .map(|(key, value)| {
            let text = match (key.as_str(), value) {
                (_, Value::Null) => m.value_empty.clone(),
                ("school_type", Value::String(t)) => SchoolType::parse(t).map_or(t.clone(), |t| t.label(lang).into()),
                ("metric", Value::String(metric)) => metric_label(metric, lang),
                (_, Value::String(s)) => s.clone(),
                (_, Value::Number(n)) => number_text(n.as_f64().unwrap_or_default()),
                (_, other) => other.to_string(),
            };
            (key.as_str(), text)
        })
        .collect();
    let args: Vec<(&str, &dyn std::fmt::Display)> = shown.iter().map(|(k, v)| (*k, v as _)).collect();
    fill(rule.template(lang).1, &args)
}

fn metric_label(metric: &str, lang: Lang) -> String {
    let m = lang.msg();
    match metric {
        "students_per_teacher" => m.metric_students_per_teacher.clone(),
        "students_per_class" => m.metric_students_per_class.clone(),
        "devices_per_student" => m.metric_devices_per_student.clone(),
        other => other.to_string(),
    }
}

pub use crate::domain::fields::number_text;

/// A stored finding's sentence; a finding of no built-in rule (the auditor's own) is its note.
pub fn message(f: &crate::store::StoredFinding, lang: Lang) -> String {
    let detail: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&f.detail).unwrap_or_default();
    match RuleId::from_key(&f.rule) {
        Some(rule) => render(rule, &detail, lang),
        None => f.note.clone().unwrap_or_default(),
    }
}

/// A stored finding's rule as the auditor reads it.
pub fn rule_title(rule: &str, lang: Lang) -> String {
    match RuleId::from_key(rule) {
        Some(rule) => rule.title(lang),
        None if rule == crate::store::AUDITOR_FLAG => lang.msg().rule_auditor_flag.clone(),
        None => rule.to_string(),
    }
}

/// A ratio rounded to one decimal, as the messages show it.
fn rounded(n: f64) -> f64 {
    (n * 10.0).round() / 10.0
}

/// Builds a finding's detail from `(placeholder, value)` pairs.
fn detail<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// What the checks compare a period with.
pub struct Previous<'a> {
    pub period: Period,
    pub sheets: &'a [SubmissionData],
}

/// Every enabled rule over one period's sheets. `previous` is the previous period of the same
/// kind in the store, when there is one. Findings come sorted by school code, then rule.
pub fn run(sheets: &[SubmissionData], previous: Option<Previous<'_>>, settings: &RuleSettings) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in sheets {
        county::code(s, settings, &mut out);
        // Unfilled, merged and revoked schools have no indicators to check.
        if s.filled && s.status().is_active() {
            sheet::check(s, settings, &mut out);
        }
    }
    county::duplicate_names(sheets, settings, &mut out);
    county::peer_outliers(sheets, settings, &mut out);
    if let Some(prev) = previous {
        let before: HashMap<&str, &SubmissionData> = prev.sheets.iter().map(|s| (s.school_code.as_str(), s)).collect();
        for s in sheets {
            if let Some(p) = before.get(s.school_code.as_str()) {
                history::compare(p, s, prev.period, settings, &mut out);
            }
        }
        history::missing(prev, sheets, settings, &mut out);
    }
    out.sort_by(|a, b| (&a.school_code, a.rule).cmp(&(&b.school_code, b.rule)));
    out
}

#[cfg(test)]
mod tests;
