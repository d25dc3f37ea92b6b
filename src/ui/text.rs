//! Text measured in terminal columns: Chinese characters take two, and a cut never falls in
//! the middle of one.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` cut to at most `width` columns; a cut text ends in `~` so the reader knows.
/// `text` cut from the left to `width` columns, `~` first when cut: for paths, whose end
/// matters most.
pub fn truncate_left(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        kept.push(c);
        used += w;
    }
    std::iter::once('~').chain(kept.into_iter().rev()).collect()
}

pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('~');
    }
    out
}

/// `text` cut to `width` and padded with spaces to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let mut out = truncate(text, width);
    let w = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// `text` cut to `width` and right-aligned in exactly `width` columns.
pub fn pad_left(text: &str, width: usize) -> String {
    let out = truncate(text, width);
    format!("{}{out}", " ".repeat(width.saturating_sub(out.width())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_by_columns_never_inside_a_character() {
        assert_eq!(truncate("郑州市中原区伏牛路小学", 9), "郑州市中~");
        assert_eq!(truncate("郑州市中原区伏牛路小学", 8), "郑州市~");
        assert_eq!(pad("小学", 6), "小学  ");
        assert_eq!(pad("郑州市", 5), "郑州~");
        assert_eq!(pad("郑州市", 4), "郑~ ");
        assert_eq!(pad_left("12", 4), "  12");
        assert_eq!(pad("abc", 3), "abc");
    }
}
