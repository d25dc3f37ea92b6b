//! Reporting periods: a quarter (`2026Q3`) or a month (`2026-09`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How often a province collects the sheets (config `[period] kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Quarter,
    Month,
}

impl PeriodKind {
    pub fn key(self) -> &'static str {
        match self {
            PeriodKind::Quarter => "quarter",
            PeriodKind::Month => "month",
        }
    }
}

/// One reporting period. Ordered by time within a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Quarter { year: u16, quarter: u8 },
    Month { year: u16, month: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a period like 2026Q3 or 2026-09")]
pub struct PeriodParseError(pub String);

impl Period {
    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::Month { .. } => PeriodKind::Month,
        }
    }

    /// The period before this one, of the same kind (the comparison base for §4's change checks).
    pub fn previous(self) -> Period {
        match self {
            Period::Quarter { year, quarter: 1 } => Period::Quarter { year: year - 1, quarter: 4 },
            Period::Quarter { year, quarter } => Period::Quarter { year, quarter: quarter - 1 },
            Period::Month { year, month: 1 } => Period::Month { year: year - 1, month: 12 },
            Period::Month { year, month } => Period::Month { year, month: month - 1 },
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Quarter { year, quarter } => write!(f, "{year}Q{quarter}"),
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
        }
    }
}

impl Period {
    /// The period of a document shenhe wrote (a signed manifest or notice): exactly as shenhe
    /// spells it (`2026Q3`, `2026-09`), not any spelling a person may type.
    pub fn canonical(s: &str) -> Result<Period, PeriodParseError> {
        let period: Period = s.parse()?;
        if period.to_string() == s { Ok(period) } else { Err(PeriodParseError(s.to_string())) }
    }
}

impl FromStr for Period {
    type Err = PeriodParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodParseError(s.to_string());
        let t = s.trim();
        let year_of = |y: &str| -> Option<u16> {
            (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
                .then(|| y.parse().ok())
                .flatten()
                .filter(|y| (2000..=2099).contains(y))
        };
        if let Some((y, q)) = t.split_once(['Q', 'q']) {
            let year = year_of(y).ok_or_else(err)?;
            let quarter: u8 = match q {
                "1" | "2" | "3" | "4" => q.parse().map_err(|_| err())?,
                _ => return Err(err()),
            };
            return Ok(Period::Quarter { year, quarter });
        }
        if let Some((y, m)) = t.split_once('-') {
            let year = year_of(y).ok_or_else(err)?;
            if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let month: u8 = m.parse().map_err(|_| err())?;
            if (1..=12).contains(&month) {
                return Ok(Period::Month { year, month });
            }
        }
        Err(err())
    }
}

/// The days of the month after a period in which the county must report (config
/// `[period] window`, PRODUCT.md §1: days 1–5 for a county).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportingWindow {
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
}

/// Whether a report counts as made on time (主动上报) at the level that receives it. The
/// receiver decides, from its own config, never from what the sender's manifest claims: the
/// report's signed creation time must fall inside the sender's window `sender_window` (by the
/// receiver's calendar: the time is read in the receiver's offset), and the receiver must have
/// received it by the last day of that window or of its own window `own_window`, whichever is
/// later. A manifest dated inside the window but received after both have closed is late,
/// whatever its date says.
pub fn reported_on_time(
    period: Period,
    created_at: &str,
    received: chrono::DateTime<chrono::FixedOffset>,
    sender_window: [u8; 2],
    own_window: [u8; 2],
) -> bool {
    let Ok(created) = chrono::DateTime::parse_from_rfc3339(created_at) else { return false };
    let created = created.with_timezone(received.offset()).date_naive();
    let sender = ReportingWindow::of(period, sender_window);
    let deadline = sender.last.max(ReportingWindow::of(period, own_window).last);
    sender.first <= created && created <= sender.last && received.date_naive() <= deadline
}

/// Where today stands against the reporting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStatus {
    /// The window opens in this many days.
    Before(i64),
    /// Inside the window, with this many days left counting today (1 on the last day).
    Open(i64),
    /// The window closed this many days ago.
    Closed(i64),
}

impl ReportingWindow {
    /// The window `[from, to]` (days of the month) of the month after `period` ends.
    pub fn of(period: Period, [from, to]: [u8; 2]) -> ReportingWindow {
        let (year, month) = match period {
            Period::Quarter { year, quarter } => (year, quarter * 3),
            Period::Month { year, month } => (year, month),
        };
        let (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        let day = |d: u8| {
            chrono::NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(d))
                .expect("window days are 1..=28 (config check)")
        };
        ReportingWindow { first: day(from), last: day(to) }
    }

    pub fn status(&self, today: chrono::NaiveDate) -> WindowStatus {
        if today < self.first {
            WindowStatus::Before((self.first - today).num_days())
        } else if today <= self.last {
            WindowStatus::Open((self.last - today).num_days() + 1)
        } else {
            WindowStatus::Closed((today - self.last).num_days())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_is_judged_by_the_receivers_windows_and_its_own_receipt_time() {
        let q3: Period = "2026Q3".parse().unwrap();
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
        let judge = |created: &str, received: &str| reported_on_time(q3, created, at(received), [1, 5], [6, 10]);
        assert!(judge("2026-10-03T10:00:00+08:00", "2026-10-04T09:00:00+08:00"));
        assert!(judge("2026-10-05T23:30:00+08:00", "2026-10-10T18:00:00+08:00"), "received on the city's last day");
        assert!(!judge("2026-10-03T10:00:00+08:00", "2026-10-11T09:00:00+08:00"), "received after both windows");
        assert!(!judge("2026-10-20T10:00:00+08:00", "2026-10-25T09:00:00+08:00"), "made after the window");
        assert!(!judge("2026-09-28T10:00:00+08:00", "2026-10-02T09:00:00+08:00"), "made before it opened");
        // 10-06 01:00 in China is 10-05 in UTC-5: the receiver's calendar decides.
        assert!(!judge("2026-10-05T12:00:00-05:00", "2026-10-07T09:00:00+08:00"));
        assert!(!judge("not a time", "2026-10-04T09:00:00+08:00"));
    }

    #[test]
    fn the_window_is_in_the_month_after_the_period() {
        let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let q3 = ReportingWindow::of("2026Q3".parse().unwrap(), [1, 5]);
        assert_eq!((q3.first, q3.last), (date(2026, 10, 1), date(2026, 10, 5)));
        let q4 = ReportingWindow::of("2026Q4".parse().unwrap(), [6, 10]);
        assert_eq!((q4.first, q4.last), (date(2027, 1, 6), date(2027, 1, 10)));
        let dec = ReportingWindow::of("2026-12".parse().unwrap(), [1, 5]);
        assert_eq!(dec.first, date(2027, 1, 1));
        assert_eq!(q3.status(date(2026, 9, 28)), WindowStatus::Before(3));
        assert_eq!(q3.status(date(2026, 10, 1)), WindowStatus::Open(5));
        assert_eq!(q3.status(date(2026, 10, 5)), WindowStatus::Open(1));
        assert_eq!(q3.status(date(2026, 10, 7)), WindowStatus::Closed(2));
    }

    #[test]
    fn quarters_and_months_round_trip() {
        for s in ["2020Q1", "2026Q4", "2020-03", "2026-12"] {
            assert_eq!(s.parse::<Period>().unwrap().to_string(), s);
        }
        assert_eq!("2026q3".parse::<Period>().unwrap().to_string(), "2026Q3");
    }

    #[test]
    fn rejects_malformed_periods() {
        for s in ["", "2020", "2020Q5", "2020Q0", "20Q1", "2020-13", "2020-3", "2020-00", "abcdQ1"] {
            assert!(s.parse::<Period>().is_err(), "{s} should be refused");
        }
    }

    #[test]
    fn previous_wraps_across_years() {
        let p = |s: &str| s.parse::<Period>().unwrap();
        assert_eq!(p("2026Q1").previous(), p("2025Q4"));
        assert_eq!(p("2026Q3").previous(), p("2026Q2"));
        assert_eq!(p("2026-01").previous(), p("2025-12"));
    }
}
