//! The circulars' statistics (PRODUCT.md §5): counts and rates over the schools of a period,
//! for the whole set, by county or by school type.
//!
//! Every rate is computed in integers and rounded half up to the hundredth of a percent, as the
//! provinces publish them: float formatting rounds an exact half to even (`{:.2}` of 85.625 is
//! 85.62) and would make the tool disagree with the circular it is checked against.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use super::{SchoolType, SubmissionData};
use crate::config::BandwidthDenominator;

/// The bandwidth the circulars count as "达到 100M 以上".
pub const BANDWIDTH_100M: f64 = 100.0;

/// A percentage, kept as hundredths of a percent (`8563` is 85.63 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u64);

impl Rate {
    /// `num / den` as a percentage rounded half up to two decimals; `None` when `den` is 0,
    /// because a rate over no schools is not 0 % (the circulars leave such a cell empty).
    pub fn of(num: u64, den: u64) -> Option<Rate> {
        // round(num / den × 10000) = ⌊(2 · num · 10000 + den) / (2 · den)⌋, all in integers.
        (den > 0).then(|| Rate((num * 20_000 + den) / (2 * den)))
    }

    pub fn hundredths(self) -> u64 {
        self.0
    }
}

/// Always two decimals and no sign: `85.63`, `100.00`, `0.05`.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A JSON number: `8563 / 100` is the double nearest to 85.63, which prints as `85.63`.
impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 100.0)
    }
}

/// The counts behind the figures. Only active schools (正常, 暂停招生) are counted at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Active schools.
    pub schools: u64,
    /// Active and 已填报.
    pub filled: u64,
    /// Filled and connected: an unfilled school counts as not connected.
    pub connected: u64,
    /// Connected with an outbound bandwidth of at least 100 Mbps.
    pub bandwidth_100m: u64,
    /// Filled, reporting 0 multimedia classrooms.
    pub zero_multimedia: u64,
    /// Filled, reporting at least one multimedia classroom.
    pub with_multimedia: u64,
}

impl Counts {
    /// Counts one school's sheet; a merged or revoked school changes nothing.
    pub fn add(&mut self, s: &SubmissionData) {
        if !s.status().is_active() {
            return;
        }
        self.schools += 1;
        if !s.filled {
            return;
        }
        self.filled += 1;
        if s.connected == Some(true) {
            self.connected += 1;
            if s.bandwidth_mbps.is_some_and(|b| b >= BANDWIDTH_100M) {
                self.bandwidth_100m += 1;
            }
        }
        match s.multimedia_rooms {
            Some(0) => self.zero_multimedia += 1,
            Some(_) => self.with_multimedia += 1,
            None => {}
        }
    }

    pub fn unfilled(&self) -> u64 {
        self.schools - self.filled
    }

    pub fn unconnected(&self) -> u64 {
        self.schools - self.connected
    }

    /// The published figures, with the province's choice of denominator for the 100M rate.
    pub fn figures(&self, denominator: BandwidthDenominator) -> Figures {
        let bandwidth_base = match denominator {
            BandwidthDenominator::All => self.schools,
            BandwidthDenominator::Connected => self.connected,
        };
        Figures {
            schools: self.schools,
            filled: self.filled,
            unfilled: self.unfilled(),
            connected: self.connected,
            unconnected: self.unconnected(),
            bandwidth_100m: self.bandwidth_100m,
            zero_multimedia: self.zero_multimedia,
            fill_rate: Rate::of(self.filled, self.schools),
            connected_rate: Rate::of(self.connected, self.schools),
            bandwidth_100m_rate: Rate::of(self.bandwidth_100m, bandwidth_base),
            multimedia_rate: Rate::of(self.with_multimedia, self.schools),
        }
    }
}

impl<'a> FromIterator<&'a SubmissionData> for Counts {
    fn from_iter<I: IntoIterator<Item = &'a SubmissionData>>(iter: I) -> Counts {
        let mut counts = Counts::default();
        iter.into_iter().for_each(|s| counts.add(s));
        counts
    }
}

/// One row of the circulars' table; also the `stats --json` object, field for field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub schools: u64,
    pub filled: u64,
    pub unfilled: u64,
    pub connected: u64,
    pub unconnected: u64,
    pub bandwidth_100m: u64,
    pub zero_multimedia: u64,
    pub fill_rate: Option<Rate>,
    pub connected_rate: Option<Rate>,
    pub bandwidth_100m_rate: Option<Rate>,
    pub multimedia_rate: Option<Rate>,
}

/// A county as the sheets name it: code and name, either possibly missing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountyKey {
    pub county_code: Option<String>,
    pub county: Option<String>,
}

/// Counts per county, ordered by county code; schools without a code come last.
pub fn by_county(data: &[SubmissionData]) -> Vec<(CountyKey, Counts)> {
    group_by(data, |s| (s.county_code.is_none(), s.county_code.clone(), s.county.clone()))
        .into_iter()
        .map(|((_, county_code, county), counts)| (CountyKey { county_code, county }, counts))
        .collect()
}

/// Counts per school type, in the order of [`SchoolType::ALL`]; schools without a type last.
pub fn by_school_type(data: &[SubmissionData]) -> Vec<(Option<SchoolType>, Counts)> {
    group_by(data, |s| (s.school_type.is_none(), s.school_type))
        .into_iter()
        .map(|((_, school_type), counts)| (school_type, counts))
        .collect()
}

/// Groups the active schools by `key`. Inactive ones are left out before grouping, so a county
/// whose schools were all merged does not show up as an empty row.
fn group_by<K: Ord>(data: &[SubmissionData], key: impl Fn(&SubmissionData) -> K) -> Vec<(K, Counts)> {
    let mut groups: BTreeMap<K, Counts> = BTreeMap::new();
    for s in data.iter().filter(|s| s.status().is_active()) {
        groups.entry(key(s)).or_default().add(s);
    }
    groups.into_iter().collect()
}

/// For tests: a filled school, connected at 100M, with one multimedia classroom; each test
/// changes what it is about.
#[cfg(test)]
pub(crate) fn test_school(code: &str) -> SubmissionData {
    SubmissionData {
        school_code: code.into(),
        name: format!("学校{code}"),
        filled: true,
        connected: Some(true),
        bandwidth_mbps: Some(100.0),
        multimedia_rooms: Some(1),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::test_school as school;
    use super::*;
    use crate::domain::SchoolStatus;

    /// `n` schools made by `make`, numbered from `start`.
    fn schools(start: usize, n: usize, make: impl Fn(SubmissionData) -> SubmissionData) -> Vec<SubmissionData> {
        (start..start + n).map(|i| make(school(&format!("{i:010}")))).collect()
    }

    #[test]
    fn rates_round_half_up_in_integers() {
        assert_eq!(Rate::of(1341, 1566).unwrap().to_string(), "85.63");
        // Exact halves of a hundredth go up: 1/32 = 3.125 %, 137/160 = 85.625 % (Rust's
        // `{:.2}` rounds such a half to even and prints 85.62).
        assert_eq!(Rate::of(1, 32).unwrap().to_string(), "3.13");
        assert_eq!(Rate::of(137, 160).unwrap().to_string(), "85.63");
        assert_eq!(Rate::of(1, 1600).unwrap().to_string(), "0.06");
        assert_eq!(Rate::of(1, 8).unwrap().to_string(), "12.50");
        assert_eq!(Rate::of(1, 3).unwrap().to_string(), "33.33");
        assert_eq!(Rate::of(2, 3).unwrap().to_string(), "66.67");
        assert_eq!(Rate::of(7, 7).unwrap().to_string(), "100.00");
        assert_eq!(Rate::of(0, 7).unwrap().to_string(), "0.00");
    }

    #[test]
    fn a_rate_over_no_schools_is_none() {
        assert_eq!(Rate::of(0, 0), None);
        let figures = Counts::default().figures(BandwidthDenominator::Connected);
        assert_eq!(figures.fill_rate, None);
        assert_eq!(figures.bandwidth_100m_rate, None);
    }

    #[test]
    fn rates_serialise_as_numbers_with_two_decimals() {
        let json = serde_json::to_string(&[Rate::of(1341, 1566), Rate::of(1, 8), None]).unwrap();
        assert_eq!(json, "[85.63,12.5,null]");
    }

    #[test]
    fn zhengzhou_example_of_product_section_5() {
        // Seed 001, 郑州市: 1566 schools, 221 unfilled, 4 filled but not connected, 1316 ≥ 100M.
        let mut data = schools(0, 1316, |s| s);
        data.extend(schools(1316, 1341 - 1316, |s| SubmissionData { bandwidth_mbps: Some(50.0), ..s }));
        data.extend(schools(1341, 4, |s| SubmissionData { connected: Some(false), bandwidth_mbps: None, ..s }));
        data.extend(schools(1345, 221, |s| SubmissionData { filled: false, connected: None, ..s }));
        let f = data.iter().collect::<Counts>().figures(BandwidthDenominator::Connected);
        assert_eq!((f.schools, f.unfilled, f.connected, f.unconnected), (1566, 221, 1341, 225));
        assert_eq!(f.connected_rate.unwrap().to_string(), "85.63");
        assert_eq!(f.bandwidth_100m_rate.unwrap().to_string(), "98.14");
        let all = data.iter().collect::<Counts>().figures(BandwidthDenominator::All);
        assert_eq!(all.bandwidth_100m_rate.unwrap().to_string(), "84.04");
    }

    #[test]
    fn merged_and_revoked_schools_are_out_of_everything() {
        let mut data = schools(0, 3, |s| s);
        data.extend(schools(3, 2, |s| SubmissionData {
            school_status: Some(SchoolStatus::Merged),
            multimedia_rooms: Some(0),
            ..s
        }));
        data.extend(schools(5, 1, |s| SubmissionData { school_status: Some(SchoolStatus::Revoked), ..s }));
        data.extend(schools(6, 1, |s| SubmissionData { school_status: Some(SchoolStatus::Suspended), ..s }));
        let c: Counts = data.iter().collect();
        assert_eq!(
            c,
            Counts { schools: 4, filled: 4, connected: 4, bandwidth_100m: 4, zero_multimedia: 0, with_multimedia: 4 }
        );
    }

    #[test]
    fn an_unfilled_school_counts_as_not_connected_even_if_its_row_says_connected() {
        let data = schools(0, 1, |s| SubmissionData { filled: false, ..s });
        let f = data.iter().collect::<Counts>().figures(BandwidthDenominator::All);
        assert_eq!((f.schools, f.filled, f.connected, f.unconnected, f.bandwidth_100m), (1, 0, 0, 1, 0));
        assert_eq!((f.zero_multimedia, f.multimedia_rate.unwrap().hundredths()), (0, 0));
    }

    #[test]
    fn bandwidth_counts_from_exactly_100_and_only_when_connected() {
        let data = [
            school("1"),
            SubmissionData { bandwidth_mbps: Some(99.9), ..school("2") },
            SubmissionData { bandwidth_mbps: None, ..school("3") },
            SubmissionData { connected: Some(false), bandwidth_mbps: Some(1000.0), ..school("4") },
            SubmissionData { connected: None, ..school("5") },
        ];
        let c: Counts = data.iter().collect();
        assert_eq!((c.connected, c.bandwidth_100m), (3, 1));
        let over_all = c.figures(BandwidthDenominator::All).bandwidth_100m_rate.unwrap();
        let over_connected = c.figures(BandwidthDenominator::Connected).bandwidth_100m_rate.unwrap();
        assert_eq!((over_all.to_string(), over_connected.to_string()), ("20.00".into(), "33.33".into()));
    }

    #[test]
    fn multimedia_zero_and_missing_are_told_apart() {
        let data = [
            SubmissionData { multimedia_rooms: Some(0), ..school("1") },
            SubmissionData { multimedia_rooms: None, ..school("2") },
            SubmissionData { multimedia_rooms: Some(3), ..school("3") },
            SubmissionData { multimedia_rooms: Some(0), filled: false, ..school("4") },
        ];
        let f = data.iter().collect::<Counts>().figures(BandwidthDenominator::All);
        assert_eq!(f.zero_multimedia, 1);
        assert_eq!(f.multimedia_rate.unwrap().to_string(), "25.00");
    }

    #[test]
    fn groups_by_county_and_type_leave_unknown_last_and_inactive_out() {
        let in_county = |code: Option<&str>, name: &str, t: Option<SchoolType>, s: SubmissionData| SubmissionData {
            county_code: code.map(String::from),
            county: Some(name.into()),
            school_type: t,
            ..s
        };
        let data = [
            in_county(None, "未知县", Some(SchoolType::Primary), school("1")),
            in_county(Some("410103"), "二七区", None, school("2")),
            in_county(Some("410102"), "中原区", Some(SchoolType::SeniorHigh), school("3")),
            in_county(Some("410102"), "中原区", Some(SchoolType::Primary), school("4")),
            SubmissionData {
                school_status: Some(SchoolStatus::Revoked),
                ..in_county(Some("410101"), "撤销县", Some(SchoolType::Special), school("5"))
            },
        ];
        let counties: Vec<(Option<String>, u64)> =
            by_county(&data).into_iter().map(|(k, c)| (k.county_code, c.schools)).collect();
        assert_eq!(counties, [(Some("410102".into()), 2), (Some("410103".into()), 1), (None, 1)]);
        let types: Vec<(Option<SchoolType>, u64)> =
            by_school_type(&data).iter().map(|(t, c)| (*t, c.schools)).collect();
        assert_eq!(types, [(Some(SchoolType::Primary), 2), (Some(SchoolType::SeniorHigh), 1), (None, 1)]);
    }
}
