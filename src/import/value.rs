//! Reading one cell into a typed value. Each parser says what it expected when it fails.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use unicode_normalization::UnicodeNormalization;

/// What a cell should have held; rendered through the catalogs in error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Required,
    WholeNumber,
    Bandwidth,
    YesNo,
    Wifi,
    FillStatus,
    Date,
    CountyCode,
    /// One of these words (joined for display).
    OneOf(String),
    /// A school code that Excel turned into `2.14101E+09`.
    CodeMangledByExcel,
    /// Text longer than `[limits]` allows, in characters.
    TooLong {
        limit: u32,
    },
    /// A count above `[limits] count`.
    TooLarge {
        limit: u32,
    },
    /// A bandwidth above `[limits] bandwidth_mbps`, or above 0 but below 1 kbps.
    BandwidthRange {
        max: String,
    },
    /// A control or invisible character (as `U+001B`): it could rewrite a terminal line or
    /// make two names that look the same differ.
    HiddenCharacter(String),
    /// A value in a column the header leaves without a name.
    NoHeader,
}

/// The longest school code: the national one has 10 digits, local ones a few more.
pub const CODE_CHARS: usize = 30;

/// Full-width digits and signs become ASCII; surrounding space goes. Most cells are ASCII
/// and Chinese words of unified ideographs (U+4E00–U+9FFF), none of which NFKC changes or
/// combines: they are only trimmed.
fn plain(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.chars().all(|c| c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
        std::borrow::Cow::Borrowed(cell.trim())
    } else {
        std::borrow::Cow::Owned(cell.nfkc().collect::<String>().trim().to_string())
    }
}

/// `1,234` → `1234`, only when the commas sit where thousands separators go.
fn without_thousands(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !s.contains(',') {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut groups = int.split(',');
    let first = groups.next()?;
    let ok = (1..=3).contains(&first.trim_start_matches('-').len())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| {
        let digits = int.replace(',', "");
        std::borrow::Cow::Owned(frac.map_or(digits.clone(), |f| format!("{digits}.{f}")))
    })
}

/// A count (classes, students, rooms…): a whole number ≥ 0. `12.0` from Excel is accepted.
pub fn count(cell: &str) -> Result<Option<u32>, Expected> {
    let s = plain(cell);
    if s.is_empty() {
        return Ok(None);
    }
    let s = without_thousands(&s).ok_or(Expected::WholeNumber)?;
    let s = s.strip_suffix(".0").unwrap_or(&s);
    s.parse::<u32>().map(Some).map_err(|_| Expected::WholeNumber)
}

/// Outbound bandwidth in Mbps, ≥ 0. A unit may follow: `100M`, `100Mbps`, `100兆`, `1G`.
pub fn bandwidth(cell: &str) -> Result<Option<f64>, Expected> {
    let s = plain(cell).to_ascii_lowercase();
    if s.is_empty() {
        return Ok(None);
    }
    let (number, factor) = [("gbps", 1000.0), ("g", 1000.0), ("mbps", 1.0), ("mb", 1.0), ("m", 1.0), ("兆", 1.0)]
        .iter()
        .find_map(|(unit, f)| s.strip_suffix(unit).map(|n| (n.trim(), *f)))
        .unwrap_or((s.as_str(), 1.0));
    let number = without_thousands(number).ok_or(Expected::Bandwidth)?;
    // The unit multiplies after the check: 1e308 is finite, 1e308G is not.
    // A number too small for a float (1e-400) reads as 0: only a 0 written as 0 is 0.
    let zero_by_underflow = |v: f64| {
        v == 0.0
            && number
                .split(['e', 'E'])
                .next()
                .is_some_and(|m| m.contains(['1', '2', '3', '4', '5', '6', '7', '8', '9']))
    };
    match number.parse::<f64>().map(|v| v * factor) {
        Ok(v) if v.is_finite() && v >= 0.0 && !number.starts_with(['+', '-']) && !zero_by_underflow(v) => Ok(Some(v)),
        _ => Err(Expected::Bandwidth),
    }
}

/// 是/否 and the other ways sheets say it: 1/0, Y/N, yes/no, true/false, 有/无, √/×.
pub fn yes_no(cell: &str) -> Result<Option<bool>, Expected> {
    let s = plain(cell).to_lowercase();
    match s.as_str() {
        "" => Ok(None),
        "是" | "1" | "y" | "yes" | "true" | "有" | "√" => Ok(Some(true)),
        "否" | "0" | "n" | "no" | "false" | "无" | "×" => Ok(Some(false)),
        _ => Err(Expected::YesNo),
    }
}

/// 无线网络覆盖: 是, 否 or 部分.
pub fn wifi(cell: &str) -> Result<Option<crate::domain::WifiCoverage>, Expected> {
    use crate::domain::WifiCoverage;
    if let Some(w) = WifiCoverage::parse(&plain(cell)) {
        return Ok(Some(w));
    }
    match yes_no(cell) {
        Ok(v) => Ok(v.map(|b| if b { WifiCoverage::Full } else { WifiCoverage::None })),
        Err(_) => Err(Expected::Wifi),
    }
}

/// 填报状态: 已填报 / 未填报. None when the cell is empty.
pub fn fill_status(cell: &str) -> Result<Option<bool>, Expected> {
    match &*plain(cell) {
        "" => Ok(None),
        "已填报" | "已填" | "已上报" | "filled" => Ok(Some(true)),
        "未填报" | "未填" | "unfilled" => Ok(Some(false)),
        _ => Err(Expected::FillStatus),
    }
}

/// A date or date-time in the common Chinese and ISO forms, normalised to
/// `YYYY-MM-DD HH:MM:SS`, or `YYYY-MM-DD` when the sheet gave no time.
pub fn date(cell: &str) -> Result<Option<String>, Expected> {
    let s = plain(cell);
    if s.is_empty() {
        return Ok(None);
    }
    // The form the national system exports, and the one shenhe stores: take it as it is.
    if s.len() == 19 && NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S").is_ok() {
        return Ok(Some(s.into_owned()));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(&s) {
        return Ok(Some(dt.naive_local().format("%Y-%m-%d %H:%M:%S").to_string()));
    }
    let unified: String = s
        .replace("年", "-")
        .replace("月", "-")
        .replace("日", " ")
        .replace(['/', '.'], "-")
        .replace('T', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&unified, format) {
            return Ok(Some(dt.format("%Y-%m-%d %H:%M:%S").to_string()));
        }
    }
    for format in ["%Y-%m-%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(unified.trim_end_matches('-'), format) {
            return Ok(Some(d.format("%Y-%m-%d").to_string()));
        }
    }
    Err(Expected::Date)
}

/// 行政区划代码: exactly six digits (GB/T 2260).
pub fn county_code(cell: &str) -> Result<Option<String>, Expected> {
    let s = plain(cell);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    match s.len() {
        0 => Ok(None),
        6 if s.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(s.to_string())),
        _ => Err(Expected::CountyCode),
    }
}

/// 学校标识码: required. Any non-empty code is accepted (the national format only warns),
/// except one that Excel has already turned into scientific notation and so lost digits.
pub fn school_code(cell: &str) -> Result<String, Expected> {
    let s = plain(cell);
    if s.is_empty() {
        return Err(Expected::Required);
    }
    if let Some(hidden) = first_hidden(&s) {
        return Err(hidden);
    }
    if s.chars().count() > CODE_CHARS {
        return Err(Expected::TooLong { limit: CODE_CHARS as u32 });
    }
    let upper = s.to_ascii_uppercase();
    if upper.contains("E+") && upper.replace("E+", "").replace('.', "").bytes().all(|b| b.is_ascii_digit()) {
        return Err(Expected::CodeMangledByExcel);
    }
    Ok(s.into_owned())
}

/// Free text: trimmed; None when empty. A name (`one_line`) has its tabs and line breaks made
/// spaces, as it is one line everywhere it is shown; other text keeps its line breaks (as
/// `\n`). Refused when longer than `max_chars` or when it holds any other control or
/// invisible character.
pub fn text(cell: &str, max_chars: u32, one_line: bool) -> Result<Option<String>, Expected> {
    let t = cell.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t = if t.contains(['\t', '\r', '\n']) {
        let breaks = t.replace("\r\n", "\n").replace(['\r'], "\n").replace('\t', " ");
        std::borrow::Cow::Owned(if one_line { breaks.replace('\n', " ") } else { breaks })
    } else {
        std::borrow::Cow::Borrowed(t)
    };
    // The line breaks kept are text's own: only the other hidden characters are refused.
    if let Some(c) = t.chars().find(|&c| c != '\n' && crate::i18n::is_hidden(c)) {
        return Err(hidden_character(c));
    }
    if t.len() > max_chars as usize && t.chars().count() > max_chars as usize {
        return Err(Expected::TooLong { limit: max_chars });
    }
    Ok(Some(t.into_owned()))
}

fn first_hidden(text: &str) -> Option<Expected> {
    text.chars().find(|&c| crate::i18n::is_hidden(c)).map(hidden_character)
}

fn hidden_character(c: char) -> Expected {
    Expected::HiddenCharacter(format!("U+{:04X}", c as u32))
}

/// One of an enumeration's labels.
pub fn label<T>(cell: &str, parse: fn(&str) -> Option<T>, choices: fn() -> String) -> Result<Option<T>, Expected> {
    let s = plain(cell);
    if s.is_empty() {
        return Ok(None);
    }
    parse(&s).or_else(|| parse(cell.trim())).map(Some).ok_or_else(|| Expected::OneOf(choices()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accept_separators_full_width_and_excel_floats() {
        assert_eq!(count("1,234"), Ok(Some(1234)));
        assert_eq!(count("１２３４"), Ok(Some(1234)));
        assert_eq!(count("１，２３４"), Ok(Some(1234)));
        assert_eq!(count(" 12.0 "), Ok(Some(12)));
        assert_eq!(count(""), Ok(None));
        for bad in ["abc", "-2", "12.5", "1,23", "1e3", "4294967296"] {
            assert_eq!(count(bad), Err(Expected::WholeNumber), "{bad}");
        }
    }

    #[test]
    fn bandwidth_accepts_units() {
        assert_eq!(bandwidth("100"), Ok(Some(100.0)));
        assert_eq!(bandwidth("100M"), Ok(Some(100.0)));
        assert_eq!(bandwidth("100 Mbps"), Ok(Some(100.0)));
        assert_eq!(bandwidth("１００兆"), Ok(Some(100.0)));
        assert_eq!(bandwidth("1G"), Ok(Some(1000.0)));
        assert_eq!(bandwidth("2.5"), Ok(Some(2.5)));
        assert_eq!(bandwidth("1,000"), Ok(Some(1000.0)));
        for bad in ["fast", "-10", "NaN", "inf", "+5"] {
            assert_eq!(bandwidth(bad), Err(Expected::Bandwidth), "{bad}");
        }
    }

    #[test]
    fn bandwidth_that_overflows_with_its_unit_is_refused() {
        assert_eq!(bandwidth("1e308"), Ok(Some(1e308)));
        assert_eq!(bandwidth("1e308G"), Err(Expected::Bandwidth), "1e308 × 1000 is infinite");
        assert_eq!(bandwidth("1.7976931348623157e308Gbps"), Err(Expected::Bandwidth));
    }

    #[test]
    fn a_bandwidth_too_small_for_a_float_is_not_taken_for_0() {
        assert_eq!(bandwidth("0"), Ok(Some(0.0)));
        assert_eq!(bandwidth("0.000e-5"), Ok(Some(0.0)));
        assert_eq!(bandwidth("1e-400"), Err(Expected::Bandwidth));
    }

    #[test]
    fn text_with_a_hidden_character_is_refused_whatever_it_is() {
        for hidden in ["\u{2060}", "\u{061C}", "\u{00AD}", "\u{E0041}", "\u{2028}", "\u{3164}", "\u{2062}", "\u{FFF9}"]
        {
            let cell = format!("一{hidden}小");
            assert!(matches!(text(&cell, 100, true), Err(Expected::HiddenCharacter(_))), "{hidden:?}");
            assert!(
                matches!(school_code(&format!("21410{hidden}10201")), Err(Expected::HiddenCharacter(_))),
                "{hidden:?}"
            );
        }
        // A variation selector chooses a glyph of the character before it: part of the name.
        assert_eq!(text("葛\u{E0100}店", 100, true), Ok(Some("葛\u{E0100}店".into())));
    }

    #[test]
    fn yes_no_forms() {
        for t in ["是", "1", "Y", "yes", "TRUE", "有", "√"] {
            assert_eq!(yes_no(t), Ok(Some(true)), "{t}");
        }
        for f in ["否", "0", "n", "No", "false", "无", "×"] {
            assert_eq!(yes_no(f), Ok(Some(false)), "{f}");
        }
        assert_eq!(yes_no("也许"), Err(Expected::YesNo));
    }

    #[test]
    fn dates_in_chinese_and_iso_forms() {
        let d = |s| date(s).unwrap().unwrap();
        assert_eq!(d("2026-10-01 10:23:00"), "2026-10-01 10:23:00");
        assert_eq!(d("2026/10/1"), "2026-10-01");
        assert_eq!(d("2026/9/30 8:05"), "2026-09-30 08:05:00");
        assert_eq!(d("2026年10月1日"), "2026-10-01");
        assert_eq!(d("2026年10月1日 10:23"), "2026-10-01 10:23:00");
        assert_eq!(d("2026-10-01T10:23:00+08:00"), "2026-10-01 10:23:00");
        assert_eq!(d("2026.10.01"), "2026-10-01");
        assert_eq!(d("20261001"), "2026-10-01");
        assert_eq!(date("2026-13-01"), Err(Expected::Date));
        assert_eq!(date("昨天"), Err(Expected::Date));
    }

    #[test]
    fn county_and_school_codes() {
        assert_eq!(county_code("410102"), Ok(Some("410102".into())));
        assert_eq!(county_code("４１０１０２"), Ok(Some("410102".into())));
        assert_eq!(county_code("41010"), Err(Expected::CountyCode));
        assert_eq!(school_code(" 2141010201 "), Ok("2141010201".into()));
        assert_eq!(school_code(""), Err(Expected::Required));
        assert_eq!(school_code("2.14101E+09"), Err(Expected::CodeMangledByExcel));
    }
}
