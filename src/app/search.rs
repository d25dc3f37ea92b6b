//! The review screen's search: a school code prefix, a piece of the name, or the pinyin
//! initials of consecutive characters of the name, so `zyq` finds 郑州市**中原区**伏牛路小学
//! without switching the input method. A character with several readings (长 cháng/zhǎng, 重)
//! matches by any of their initials.

use std::collections::HashMap;

use pinyin::ToPinyinMulti;

/// The pinyin initials of every school's name, in one array (a school's are
/// `codes[starts[i]..starts[i + 1]]`), a byte per character: the code of the set of its possible
/// initials, whose bit mask (a = bit 0) is in `masks`; an ASCII letter or digit stands for
/// itself (see [`bit`]), anything else matches nothing. A byte rather than the mask keeps the
/// 100,000 names of a county in about a megabyte, read in order by every search.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    codes: Vec<u8>,
    starts: Vec<u32>,
    /// The mask of each code: the sets of initials the names' characters have. Past the 255th
    /// distinct set a character gets [`ASK`].
    masks: Vec<u32>,
}

/// The code of a character whose set of initials has no code of its own: worked out from the
/// name when a search meets it.
const ASK: u8 = u8::MAX;

const IDEOGRAPHS: std::ops::RangeInclusive<u32> = 0x4E00..=0x9FFF;

/// A search as typed, prepared once for every school it is tried on.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    lower: String,
    /// The initials to find, when every character of the query can be one.
    bits: Option<Vec<u32>>,
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
    pub fn new<'a>(names: impl Iterator<Item = &'a str> + Clone) -> SearchIndex {
        // Sized first: grown by doubling, the array would for a moment take three times its
        // size, the screen's peak memory.
        let (schools, chars) = names.clone().fold((0, 0), |(n, c), name| (n + 1, c + name.chars().count()));
        let mut index = SearchIndex {
            codes: Vec::with_capacity(chars),
            starts: Vec::with_capacity(schools + 1),
            masks: Vec::new(),
        };
        index.starts.push(0);
        // Each character's code, worked out once: the unified ideographs (every name's) in a
        // table, the few others in a map.
        let mut ideographs: Vec<Option<u8>> = vec![None; IDEOGRAPHS.clone().count()];
        let mut others: HashMap<char, u8> = HashMap::new();
        let mut code_of: HashMap<u32, u8> = HashMap::new();
        let mut masks = Vec::new();
        let mut code = |c: char| code_for(initials_of(c), &mut code_of, &mut masks);
        for name in names {
            for c in name.chars() {
                let known = match ideographs.get_mut(ideograph(c)) {
                    Some(slot) => *slot.get_or_insert_with(|| code(c)),
                    None => *others.entry(c).or_insert_with(|| code(c)),
                };
                index.codes.push(known);
            }
            index.starts.push(u32::try_from(index.codes.len()).unwrap_or(u32::MAX));
        }
        index.masks = masks;
        index
    }

    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `query` finds school `i` (whose code and name these are, as the index was made
    /// from); a search over many schools prepares the query once with [`SearchIndex::searcher`].
    pub fn matches(&self, i: usize, code: &str, name: &str, query: &Query) -> bool {
        self.searcher(query).matches(i, code, name)
    }

    /// `query` ready to be tried on every school of this index.
    pub fn searcher<'a>(&'a self, query: &'a Query) -> Searcher<'a> {
        let meeting = query
            .bits
            .iter()
            .flatten()
            .map(|wanted| {
                let mut row = [false; 256];
                for (code, mask) in self.masks.iter().enumerate() {
                    row[code] = meets(*mask, *wanted);
                }
                // Decided from the name's own character.
                row[usize::from(ASK)] = true;
                row
            })
            .collect();
        Searcher { index: self, query, meeting }
    }
}

/// A query prepared for one index: for each of its characters, which codes meet it.
pub struct Searcher<'a> {
    index: &'a SearchIndex,
    query: &'a Query,
    meeting: Vec<[bool; 256]>,
}

impl Searcher<'_> {
    /// Whether the query finds school `i` (whose code and name these are): a code prefix (any
    /// case), a piece of the name, or the initials of consecutive characters of the name.
    pub fn matches(&self, i: usize, code: &str, name: &str) -> bool {
        let query = self.query;
        if code.get(..query.lower.len()).is_some_and(|p| p.eq_ignore_ascii_case(&query.lower))
            || name.contains(query.text.as_str())
        {
            return true;
        }
        let (Some(wanted), Some(&from), Some(&to)) =
            (&query.bits, self.index.starts.get(i), self.index.starts.get(i + 1))
        else {
            return false;
        };
        let have = &self.index.codes[from as usize..to as usize];
        have.windows(wanted.len()).enumerate().any(|(start, run)| {
            self.meeting.iter().zip(run).all(|(row, &c)| row[usize::from(c)])
                && (!run.contains(&ASK) || name.chars().skip(start).zip(wanted).all(|(c, w)| meets(initials_of(c), *w)))
        })
    }
}

/// The code of a set of initials: its own while there are codes left, else [`ASK`].
fn code_for(mask: u32, code_of: &mut HashMap<u32, u8>, masks: &mut Vec<u32>) -> u8 {
    *code_of.entry(mask).or_insert_with(|| match u8::try_from(masks.len()) {
        Ok(next) if next < ASK => {
            masks.push(mask);
            next
        }
        _ => ASK,
    })
}

/// Marks a digit, whose value is in the bits below: 32 bits hold the 26 letters as a set, and
/// a digit (which is never one of several readings) as a value, so the array takes half the
/// memory of a bit per letter and digit.
const DIGIT: u32 = 1 << 31;

/// The bit of an ASCII letter (a–z are bits 0–25), or an ASCII digit as [`DIGIT`] and its value.
fn bit(c: char) -> Option<u32> {
    match c.to_ascii_lowercase() {
        c @ 'a'..='z' => Some(1 << (c as u8 - b'a')),
        c @ '0'..='9' => Some(DIGIT | u32::from(c as u8 - b'0')),
        _ => None,
    }
}

/// Whether a name's character (`have`) can be the query's (`wanted`): a digit only itself, a
/// letter any of the character's initials.
fn meets(have: u32, wanted: u32) -> bool {
    if (have | wanted) & DIGIT != 0 { have == wanted } else { have & wanted != 0 }
}

/// `c`'s place in [`SearchIndex::ideographs`], out of range for any other character.
fn ideograph(c: char) -> usize {
    (c as u32).wrapping_sub(*IDEOGRAPHS.start()) as usize
}

fn initials_of(c: char) -> u32 {
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
    fn a_digit_in_the_name_is_found_by_itself_only() {
        assert!(finds("d1xx", "第1小学") && finds("d0zx", "第0中学"));
        assert!(!finds("d2xx", "第1小学"), "another digit");
        assert!(!finds("daxx", "第0小学") && !finds("dbxx", "第1小学"), "the letter of the digit's bit");
        assert!(!finds("d0xx", "第a小学") && !finds("d1xx", "第b小学"), "the digit of the letter's bit");
    }

    #[test]
    fn schools_keep_their_own_initials_in_the_shared_array() {
        let names = ["伏牛路小学", "长江路小学", "A校"];
        let index = SearchIndex::new(names.into_iter());
        assert_eq!(index.len(), 3);
        let q = Query::new("cjl").unwrap();
        let found: Vec<usize> = (0..index.len()).filter(|&i| index.matches(i, "x", names[i], &q)).collect();
        assert_eq!(found, vec![1]);
        assert!(Query::new("zyqf").unwrap().narrows(&Query::new("zyq").unwrap()));
        assert!(!Query::new("zy").unwrap().narrows(&Query::new("zyq").unwrap()));
    }

    #[test]
    fn sets_of_initials_past_the_last_code_are_looked_up_in_the_name() {
        let (mut code_of, mut masks) = (HashMap::new(), Vec::new());
        let codes: Vec<u8> = (1..=300).map(|m| code_for(m, &mut code_of, &mut masks)).collect();
        assert_eq!(codes[..255], (0..=254).collect::<Vec<u8>>()[..], "one code per set, in order");
        assert!(codes[255..].iter().all(|&c| c == ASK), "then ASK");
        assert_eq!(code_for(7, &mut code_of, &mut masks), 6, "a set seen before keeps its code");
        assert_eq!(masks.len(), 255);
        // A character coded ASK answers from the name itself.
        let mut full = SearchIndex::new(["长江"].into_iter());
        full.codes.iter_mut().for_each(|c| *c = ASK);
        assert!(full.matches(0, "x", "长江", &Query::new("cj").unwrap()));
        assert!(full.matches(0, "x", "长江", &Query::new("zj").unwrap()));
        assert!(!full.matches(0, "x", "长江", &Query::new("cx").unwrap()));
    }
}
