//! The review screen's search: a school code prefix, a piece of the name, or the pinyin
//! initials of consecutive characters of the name, so `zyq` finds 郑州市**中原区**伏牛路小学
//! without switching the input method. A character with several readings (长 cháng/zhǎng, 重)
//! matches by any of their initials.

use pinyin::ToPinyinMulti;

/// One school, prepared for searching many times.
#[derive(Debug, Clone)]
pub struct Searchable {
    code: String,
    name: String,
    /// Per character of the name, the set of its possible initials as a bit mask (a = bit 0);
    /// an ASCII letter or digit stands for itself, anything else matches nothing.
    initials: Vec<u64>,
}

impl Searchable {
    pub fn new(code: &str, name: &str) -> Searchable {
        Searchable {
            code: code.to_ascii_lowercase(),
            name: name.to_string(),
            initials: name.chars().map(initials_of).collect(),
        }
    }

    /// Whether `query` finds this school. An empty query finds nothing.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim();
        if query.is_empty() {
            return false;
        }
        let lower = query.to_ascii_lowercase();
        if self.code.starts_with(&lower) || self.name.contains(query) {
            return true;
        }
        let wanted: Option<Vec<u64>> = lower.chars().map(bit).collect();
        let Some(wanted) = wanted else { return false };
        self.initials.windows(wanted.len()).any(|w| w.iter().zip(&wanted).all(|(have, want)| have & want != 0))
    }
}

/// The bit of an ASCII letter or digit: letters a–z are bits 0–25, digits 26–35.
fn bit(c: char) -> Option<u64> {
    match c.to_ascii_lowercase() {
        c @ 'a'..='z' => Some(1 << (c as u8 - b'a')),
        c @ '0'..='9' => Some(1 << (26 + c as u8 - b'0')),
        _ => None,
    }
}

fn initials_of(c: char) -> u64 {
    if let Some(b) = bit(c) {
        return b;
    }
    let Some(readings) = c.to_pinyin_multi() else { return 0 };
    (0..readings.count())
        .filter_map(|i| readings.get_opt(i))
        .filter_map(|p| p.first_letter().chars().next().and_then(bit))
        .fold(0, |mask, b| mask | b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(query: &str, name: &str) -> bool {
        Searchable::new("2141010201", name).matches(query)
    }

    #[test]
    fn pinyin_initials_find_consecutive_characters() {
        assert!(finds("zyq", "郑州市中原区伏牛路小学"));
        assert!(finds("ZYQ", "郑州市中原区伏牛路小学"), "any case");
        assert!(finds("fnlxx", "郑州市中原区伏牛路小学"));
        assert!(!finds("zyx", "郑州市中原区伏牛路小学"), "not consecutive");
        assert!(finds("cj", "长江路小学") && finds("zj", "长江路小学"), "长 reads cháng and zhǎng");
    }

    #[test]
    fn code_prefix_and_name_piece() {
        assert!(finds("214101", "伏牛路小学"));
        assert!(!finds("41010", "伏牛路小学"), "a code matches from its start only");
        assert!(finds("伏牛", "郑州市中原区伏牛路小学"));
        assert!(Searchable::new("ZY41012203", "第七小学").matches("zy4"));
        assert!(!finds("  ", "伏牛路小学"));
        assert!(!finds("z-y", "中原区"));
    }
}
