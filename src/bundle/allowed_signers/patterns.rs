//! OpenSSH's pattern lists (match.c): principals and namespaces.

/// A comma-separated pattern list as match_pattern_list walks it: a trailing comma adds no
/// empty pattern, an inner or leading one does.
pub(super) fn pattern_list(text: &str) -> Vec<String> {
    let mut items: Vec<String> = text.split(',').map(str::to_owned).collect();
    if text.is_empty() || text.ends_with(',') {
        items.pop();
    }
    items
}

/// OpenSSH's match_pattern_list: a matching `!pattern` refuses, otherwise any matching
/// pattern accepts. Patterns of 1023 bytes or more make the whole list fail, as in OpenSSH.
pub(super) fn matches_list(text: &str, patterns: &[String]) -> bool {
    let mut positive = false;
    for item in patterns {
        let (negated, pattern) = match item.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, item.as_str()),
        };
        if pattern.len() >= 1023 {
            return false;
        }
        if matches_pattern(text.as_bytes(), pattern.as_bytes()) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// `*` and `?` over bytes, as OpenSSH matches (so `?` is one byte, not one character of a
/// Chinese name). Iterative, so a hostile pattern cannot make it take exponential time.
fn matches_pattern(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    // After the last `*`: where the pattern resumes and where the text retries from.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, t));
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((resume, from)) => {
                    p = resume;
                    t = from + 1;
                    star = Some((resume, from + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}
