//! The three dispatch lists of the 半月调度表 (seed 000, 附件5): schools not connected, under
//! 100M, and without a multimedia classroom, which the province follows up twice a month until
//! each is "销号".

use serde::{Serialize, Serializer};

use super::stats::BANDWIDTH_100M;
use super::{SchoolType, SubmissionData};

/// One school on a list: the columns of 附件5, with the code to find it by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DispatchEntry {
    pub school_code: String,
    pub name: String,
    pub city: Option<String>,
    pub county: Option<String>,
    /// The Chinese label, as the sheets and the province write it.
    #[serde(serialize_with = "type_label")]
    pub school_type: Option<SchoolType>,
}

fn type_label<S: Serializer>(t: &Option<SchoolType>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(t.label_zh()),
        None => s.serialize_none(),
    }
}

/// The three lists, each sorted by school code; also the `dispatch --json` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DispatchLists {
    /// 未联网: filled, and the sheet says not connected.
    pub not_connected: Vec<DispatchEntry>,
    /// 带宽不足 100M: connected, with a bandwidth under 100 or none given (an empty bandwidth
    /// is not proof of 100M, so the school stays on the list until it says).
    pub under_100m: Vec<DispatchEntry>,
    /// 无多媒体教室: filled, reporting 0 multimedia classrooms.
    pub no_multimedia: Vec<DispatchEntry>,
}

impl DispatchLists {
    /// Only active schools that filled in their sheet: an unfilled one has said nothing that
    /// could put it on a list, and a merged or revoked one is no longer followed up.
    pub fn of(data: &[SubmissionData]) -> DispatchLists {
        let mut lists = DispatchLists::default();
        for s in data {
            let [not_connected, under_100m, no_multimedia] = lists_of(s);
            for (on, list) in [
                (not_connected, &mut lists.not_connected),
                (under_100m, &mut lists.under_100m),
                (no_multimedia, &mut lists.no_multimedia),
            ] {
                if on {
                    list.push(entry(s));
                }
            }
        }
        for list in [&mut lists.not_connected, &mut lists.under_100m, &mut lists.no_multimedia] {
            list.sort_by(|a, b| a.school_code.cmp(&b.school_code));
        }
        lists
    }
}

/// Which of the three lists (未联网, 不足 100M, 无多媒体教室) one school is on.
pub fn lists_of(s: &SubmissionData) -> [bool; 3] {
    if !(s.filled && s.status().is_active()) {
        return [false; 3];
    }
    [
        s.connected == Some(false),
        s.connected == Some(true) && !s.bandwidth_mbps.is_some_and(|b| b >= BANDWIDTH_100M),
        s.multimedia_rooms == Some(0),
    ]
}

fn entry(s: &SubmissionData) -> DispatchEntry {
    DispatchEntry {
        school_code: s.school_code.clone(),
        name: s.name.clone(),
        city: s.city.clone(),
        county: s.county.clone(),
        school_type: s.school_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SchoolStatus;

    fn school(code: &str) -> SubmissionData {
        SubmissionData {
            city: Some("郑州市".into()),
            county: Some("中原区".into()),
            school_type: Some(SchoolType::Primary),
            ..crate::domain::stats::test_school(code)
        }
    }

    fn codes(list: &[DispatchEntry]) -> Vec<&str> {
        list.iter().map(|e| e.school_code.as_str()).collect()
    }

    #[test]
    fn each_list_takes_its_schools_sorted_by_code() {
        let data = [
            SubmissionData { connected: Some(false), bandwidth_mbps: None, ..school("3") },
            SubmissionData { bandwidth_mbps: Some(99.5), ..school("2") },
            SubmissionData { bandwidth_mbps: None, ..school("1") },
            SubmissionData { bandwidth_mbps: Some(0.0), multimedia_rooms: Some(0), ..school("0") },
            school("4"),
        ];
        let lists = DispatchLists::of(&data);
        assert_eq!(codes(&lists.not_connected), ["3"]);
        assert_eq!(codes(&lists.under_100m), ["0", "1", "2"]);
        assert_eq!(codes(&lists.no_multimedia), ["0"]);
    }

    #[test]
    fn unfilled_inactive_and_unknown_schools_are_on_no_list() {
        let bad = SubmissionData { connected: Some(false), multimedia_rooms: Some(0), ..school("1") };
        let data = [
            SubmissionData { filled: false, ..bad.clone() },
            SubmissionData { school_status: Some(SchoolStatus::Merged), ..bad.clone() },
            SubmissionData { school_status: Some(SchoolStatus::Revoked), ..bad.clone() },
            // Connection not given: not on the not-connected list, nor on the 100M one.
            SubmissionData { connected: None, bandwidth_mbps: None, multimedia_rooms: None, ..school("2") },
        ];
        assert_eq!(DispatchLists::of(&data), DispatchLists::default());
        let suspended = [SubmissionData { school_status: Some(SchoolStatus::Suspended), ..bad }];
        assert_eq!(DispatchLists::of(&suspended).not_connected.len(), 1);
    }

    #[test]
    fn json_has_the_three_lists_and_chinese_type_labels() {
        let lists = DispatchLists::of(&[SubmissionData { multimedia_rooms: Some(0), ..school("2141010201") }]);
        let json = serde_json::to_value(&lists).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "not_connected": [],
                "under_100m": [],
                "no_multimedia": [{
                    "school_code": "2141010201",
                    "name": "学校2141010201",
                    "city": "郑州市",
                    "county": "中原区",
                    "school_type": "小学",
                }],
            })
        );
    }
}
