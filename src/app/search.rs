//! The review screen's search: a school code prefix, a piece of the name, or the pinyin
//! initials of consecutive characters of the name, so `zyq` finds 郑州市**中原区**伏牛路小学
//! without switching the input method. A character with several readings (长 cháng/zhǎng, 重)
//! matches by any of their initials.

use pinyin::ToPinyinMulti;

/// The pinyin initials of every school's name, in one array (a school's are
/// `initials[starts[i]..starts[i + 1]]`): per character, the set of its possible initials as a
/// bit mask (a = bit 0); an ASCII letter or digit stands for itself, anything else matches
/// nothing. One allocation for the whole county keeps a search over 100,000 schools in cache
/// and in a few megabytes.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    initials: Vec<u64>,
    starts: Vec<u32>,
}

/// A search as typed, prepared once for every school it is tried on.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    lower: String,
    /// The initials to find, when every character of the query can be one.
    bits: Option<Vec<u64>>,
}

impl Query {
    /// `None` for a blank query, which finds nothing.
    pub fn new(text: &str) -> Option<Query> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let lower = text.to_ascii_lowercase();
        let bits = lower.chars().map(bit).collect();
        Some(Query { text: text.to_string(), lower, bits })
    }

    /// Whether every school this query finds is also found by `shorter`: true when it extends
    /// it, since a longer code prefix, name piece or run of initials only narrows the matches.
    pub fn narrows(&self, shorter: &Query) -> bool {
        self.text.starts_with(&shorter.text)
    }
}

impl SearchIndex {
    pub fn new<'a>(names: impl Iterator<Item = &'a str>) -> SearchIndex {
        let mut index = SearchIndex { initials: Vec::new(), starts: vec![0] };
        for name in names {
            index.initials.extend(name.chars().map(initials_of));
            index.starts.push(index.initials.len() as u32);
        }
        index.initials.shrink_to_fit();
        index
    }

    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `query` finds school `i` (whose code and name these are): a code prefix (any
    /// case), a piece of the name, or the initials of consecutive characters of the name.
    pub fn matches(&self, i: usize, code: &str, name: &str, query: &Query) -> bool {
        if code.get(..query.lower.len()).is_some_and(|p| p.eq_ignore_ascii_case(&query.lower))
            || name.contains(query.text.as_str())
        {
            return true;
        }
        let Some(wanted) = &query.bits else { return false };
        let have = &self.initials[self.starts[i] as usize..self.starts[i + 1] as usize];
        have.windows(wanted.len()).any(|w| w.iter().zip(wanted).all(|(h, w)| h & w != 0))
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
        finds_code(query, "2141010201", name)
    }

    fn finds_code(query: &str, code: &str, name: &str) -> bool {
        let index = SearchIndex::new([name].into_iter());
        Query::new(query).is_some_and(|q| index.matches(0, code, name, &q))
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
        assert!(finds_code("zy4", "ZY41012203", "第七小学"));
        assert!(!finds("  ", "伏牛路小学"));
        assert!(!finds("z-y", "中原区"));
    }

    #[test]
    fn schools_keep_their_own_initials_in_the_shared_array() {
        let names = ["伏牛路小学", "长江路小学", "A校"];
        let index = SearchIndex::new(names.into_iter());
        let q = Query::new("cjl").unwrap();
        let found: Vec<usize> = (0..index.len()).filter(|&i| index.matches(i, "x", names[i], &q)).collect();
        assert_eq!(found, vec![1]);
        assert!(Query::new("zyqf").unwrap().narrows(&Query::new("zyq").unwrap()));
        assert!(!Query::new("zy").unwrap().narrows(&Query::new("zyq").unwrap()));
    }
}
