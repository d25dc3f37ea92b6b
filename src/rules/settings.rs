//! The `[rules.<id>]` tables of the config: each rule on or off, its severity and thresholds.
//! The defaults live in `config.example.toml` like every other key, so a county that changes
//! nothing gets rules it would accept out of the box.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Severity;
use crate::domain::SchoolType;

/// A rule with nothing to tune but whether it runs and how serious it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
    pub severity: Severity,
}

/// A ratio that must stay inside `[min, max]`; 0 switches a bound off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatioRange {
    pub enabled: bool,
    pub severity: Severity,
    pub min: f64,
    pub max: f64,
}

/// A figure that may not move by more than `max_change_percent` against the previous period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub enabled: bool,
    pub severity: Severity,
    pub max_change_percent: f64,
}

/// The lowest acceptable bandwidth (Mbps) for each 办学类型.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    pub enabled: bool,
    pub severity: Severity,
    /// Keyed by the Chinese type label, as the sheets write it.
    pub tiers: BTreeMap<String, f64>,
}

/// The category digits (the first two of a national code) each 办学类型 may carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Categories {
    pub enabled: bool,
    pub severity: Severity,
    pub categories: BTreeMap<String, Vec<String>>,
}

/// Comparison of each school with the county's schools of the same type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerOutlier {
    pub enabled: bool,
    pub severity: Severity,
    /// |modified z-score| above this is an outlier (3.5 is Iglewicz and Hoaglin's advice).
    pub threshold: f64,
    /// Fewer schools of a type than this in the county: no comparison (too few to judge).
    pub min_peers: usize,
    /// And the ratio must be at least this many times above or below the type's median: where
    /// the county's schools are much alike, a z-score alone would flag ordinary differences.
    pub min_factor: f64,
}

/// Every rule's settings, one field per rule id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    pub bandwidth_without_connection: Toggle,
    pub connected_without_bandwidth: Toggle,
    pub multimedia_exceeds_classrooms: Toggle,
    pub resources_without_classes: Toggle,
    pub students_without_classes_or_teachers: Toggle,
    pub students_per_teacher: RatioRange,
    pub students_per_class: RatioRange,
    pub bandwidth_below_tier: Tiers,
    pub connection_lost: Toggle,
    pub bandwidth_change: Change,
    pub students_change: Change,
    pub classes_change: Change,
    pub code_format: Toggle,
    pub code_type_mismatch: Categories,
    pub duplicate_name: Toggle,
    pub missing_school: Toggle,
    pub peer_outlier: PeerOutlier,
}

impl RuleSettings {
    /// The settings' own consistency, beyond what serde checks: the type names used as keys,
    /// and thresholds that make sense. Returns `(key, value, expected)` of the first problem.
    pub fn problem(&self) -> Option<(String, String, &'static str)> {
        let type_keys = self
            .bandwidth_below_tier
            .tiers
            .keys()
            .map(|k| ("rules.bandwidth_below_tier.tiers", k))
            .chain(self.code_type_mismatch.categories.keys().map(|k| ("rules.code_type_mismatch.categories", k)));
        for (table, key) in type_keys {
            if SchoolType::parse(key).is_none() {
                return Some((format!("{table}.{key}"), key.clone(), "school_type"));
            }
        }
        for (id, range) in
            [("students_per_teacher", &self.students_per_teacher), ("students_per_class", &self.students_per_class)]
        {
            if range.min < 0.0 || range.max < 0.0 || (range.max > 0.0 && range.min > range.max) {
                return Some((format!("rules.{id}"), format!("[{}, {}]", range.min, range.max), "range"));
            }
        }
        for (id, change) in [
            ("bandwidth_change", &self.bandwidth_change),
            ("students_change", &self.students_change),
            ("classes_change", &self.classes_change),
        ] {
            if change.max_change_percent <= 0.0 {
                return Some((
                    format!("rules.{id}.max_change_percent"),
                    change.max_change_percent.to_string(),
                    "positive",
                ));
            }
        }
        if self.peer_outlier.threshold <= 0.0 {
            return Some(("rules.peer_outlier.threshold".into(), self.peer_outlier.threshold.to_string(), "positive"));
        }
        if self.peer_outlier.min_factor < 1.0 {
            return Some(("rules.peer_outlier.min_factor".into(), self.peer_outlier.min_factor.to_string(), "factor"));
        }
        None
    }

    /// The bandwidth tier of a school type, when one is set.
    pub fn tier(&self, school_type: SchoolType) -> Option<f64> {
        self.bandwidth_below_tier.tiers.get(school_type.label_zh()).copied().filter(|t| *t > 0.0)
    }

    /// The category digits allowed for a school type; empty when none are set.
    pub fn categories(&self, school_type: SchoolType) -> &[String] {
        self.code_type_mismatch.categories.get(school_type.label_zh()).map_or(&[], Vec::as_slice)
    }
}
