//! The zh / en message catalogs. Every user-facing sentence lives in `assets/i18n/*.toml`,
//! embedded in the binary; a key missing from either catalog fails the catalog test.

use std::fmt::Display;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod catalog;
pub use catalog::Messages;

/// The language of every screen and message. Simplified Chinese unless asked otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" => Some(Lang::Zh),
            "en" | "en-us" | "en_us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// This language's catalog.
    pub fn msg(self) -> &'static Messages {
        static ZH: OnceLock<Messages> = OnceLock::new();
        static EN: OnceLock<Messages> = OnceLock::new();
        match self {
            Lang::Zh => ZH.get_or_init(|| catalog::load(include_str!("../../assets/i18n/zh.toml"))),
            Lang::En => EN.get_or_init(|| catalog::load(include_str!("../../assets/i18n/en.toml"))),
        }
    }
}

/// Fills `{name}` placeholders of a catalog template.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// Text from outside (a cell, a sheet name, a bundle's signature) as a message shows it: control
/// characters, and the invisible ones that reorder or hide text (bidi controls, zero-width
/// spaces, a BOM), written as escapes such as `\u{1b}`. A hostile or damaged file can then
/// neither garble the clerk's console nor hide what is wrong with it.
pub fn printable(text: &str) -> String {
    escaped(text, is_hidden).into_owned()
}

/// What a command prints, as the terminal gets it: [`printable`], but the line breaks of the
/// message itself stay (a line of outside text has its own breaks escaped by `printable`
/// where it is put into the message, or refused at import).
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, |c| c != '\n' && is_hidden(c))
}

/// Control characters (C0, DEL, C1), and the invisible ones that reorder, join or hide text:
/// the format characters of Unicode (category Cf: bidi controls and marks, zero-width spaces
/// and joiners, the soft hyphen, invisible operators, tags, a BOM), the line and paragraph
/// separators, and the fillers that draw nothing (so two names that look alike are alike).
/// Variation selectors stay: they choose a glyph (异体字), and are part of the name.
pub fn is_hidden(c: char) -> bool {
    // Printable ASCII and the unified ideographs, nearly every character a sheet holds, fall
    // between the ranges: answered without the search.
    if (' '..='~').contains(&c) || ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return false;
    }
    c.is_control() || HIDDEN.binary_search_by(|&(from, to)| range_order(from, to, c)).is_ok()
}

fn range_order(from: char, to: char, c: char) -> std::cmp::Ordering {
    if to < c {
        std::cmp::Ordering::Less
    } else if from > c {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// The ranges of [`is_hidden`] besides the control characters, in order.
const HIDDEN: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2028}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E007F}'),
];

fn escaped(text: &str, escape: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !text.contains(&escape) {
        return text.into();
    }
    let out = text.chars().fold(String::with_capacity(text.len() + 8), |mut out, c| {
        if escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        out
    });
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path of `is_hidden` answers as the full test would for every character.
    #[test]
    fn hidden_characters_are_the_same_with_and_without_the_fast_path() {
        for c in (' '..='~').chain('\u{4E00}'..='\u{9FFF}') {
            let full = c.is_control() || HIDDEN.binary_search_by(|&(from, to)| range_order(from, to, c)).is_ok();
            assert_eq!(is_hidden(c), full, "U+{:04X}", c as u32);
        }
        assert!(HIDDEN.windows(2).all(|w| w[0].1 < w[1].0), "ranges in order, apart");
    }

    #[test]
    fn both_catalogs_load_with_every_key() {
        // `load` panics on a missing or unknown key; touching both proves they are complete.
        assert!(!Lang::Zh.msg().import_done.is_empty());
        assert!(!Lang::En.msg().import_done.is_empty());
    }

    #[test]
    fn catalogs_use_the_same_placeholders() {
        let zh = toml::from_str::<toml::Table>(include_str!("../../assets/i18n/zh.toml")).unwrap();
        let en = toml::from_str::<toml::Table>(include_str!("../../assets/i18n/en.toml")).unwrap();
        let holes = |s: &str| {
            let mut v: Vec<String> =
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(h, _)| h.to_string())).collect();
            v.sort();
            v
        };
        for (key, value) in &zh {
            let (Some(z), Some(e)) = (value.as_str(), en.get(key).and_then(|v| v.as_str())) else {
                panic!("{key} must be a string in both catalogs");
            };
            assert_eq!(holes(z), holes(e), "placeholders differ for {key}");
        }
    }

    #[test]
    fn nothing_that_moves_the_cursor_or_reorders_text_reaches_the_terminal() {
        let hostile = "\r\u{1b}[2KVALID\u{8}\u{7f}\u{9b}2J\u{202e}evil\u{2066}\ttab\nnext line";
        let shown = terminal_safe(hostile);
        assert!(!shown.chars().any(|c| c != '\n' && is_hidden(c)), "{shown:?}");
        assert_eq!(shown.lines().count(), 2, "the message's own line break stays");
        assert!(shown.starts_with("\\r\\u{1b}[2KVALID"), "{shown}");
        assert!(!printable(hostile).contains('\n'), "outside text keeps to one line");
    }

    #[test]
    fn fill_replaces_named_holes() {
        assert_eq!(fill("{a} 和 {b}", &[("a", &1), ("b", &"二")]), "1 和 二");
    }
}
