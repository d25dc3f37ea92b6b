//! Plain-text tables whose columns line up with double-width (CJK) characters.

use unicode_width::UnicodeWidthStr;

/// How a column's cells sit in their width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Lays out `rows` under `headers`, two spaces between columns, padded by display width. Cells
/// are outside text (names, reasons, counties): each is shown printable, on one line, so that
/// no cell can move the cursor or start a line of its own.
pub fn render(headers: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| crate::i18n::printable(c)).collect()).collect();
    let rows = rows.as_slice();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| rows.iter().map(|r| r.get(i).map_or(0, |c| c.width())).chain([headers[i].width()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.width());
            let last = i + 1 == cells.len();
            match align.get(i).copied().unwrap_or(Align::Left) {
                Align::Right => {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                }
                Align::Left => {
                    out.push_str(cell);
                    if !last {
                        out.push_str(&" ".repeat(pad));
                    }
                }
            }
            if !last {
                out.push_str("  ");
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_cannot_clear_the_screen_or_forge_a_line() {
        let rows = vec![vec!["1".into(), "\u{1b}[2J\r\n2141010299  伪造".into()], vec!["2".into(), "二小".into()]];
        let text = render(&["码", "名"], &[Align::Left; 2], &rows);
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    }

    #[test]
    fn chinese_columns_line_up_by_display_width() {
        let rows = vec![
            vec!["2141010201".into(), "郑州市中原区须水镇第一小学".into(), "小学".into()],
            vec!["2141010202".into(), "A School".into(), "初级中学".into()],
        ];
        let text = render(&["学校标识码", "学校名称", "办学类型"], &[Align::Left; 3], &rows);
        let lines: Vec<&str> = text.lines().collect();
        // The third column starts at the same display column on every line.
        let start = |l: &str, needle: &str| l[..l.rfind(needle).unwrap()].width();
        assert_eq!(start(lines[0], "办学类型"), start(lines[1], "小学"));
        assert_eq!(start(lines[1], "小学"), start(lines[2], "初级中学"));
    }

    #[test]
    fn right_aligned_numbers() {
        let text = render(
            &["n", "问题"],
            &[Align::Left, Align::Right],
            &[vec!["a".into(), "3".into()], vec!["b".into(), "12".into()]],
        );
        assert_eq!(text, "n  问题\na     3\nb    12\n");
    }
}
