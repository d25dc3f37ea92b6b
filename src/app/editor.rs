//! A one-line text editor for the screen's prompts (search, reasons, notes). It edits by
//! characters, not bytes, and measures by display width, so Chinese typed through an input
//! method (which arrives as committed characters or a paste) edits like any other text.

use unicode_width::UnicodeWidthChar;

use super::keymap::{Key, KeyCode};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    chars: Vec<char>,
    /// Insertion point, in characters (0 ..= len).
    cursor: usize,
}

impl LineEditor {
    pub fn with_text(text: &str) -> LineEditor {
        let chars: Vec<char> = text.chars().collect();
        LineEditor { cursor: chars.len(), chars }
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn is_blank(&self) -> bool {
        self.chars.iter().all(|c| c.is_whitespace())
    }

    /// Inserts text at the cursor; line breaks and other control characters become spaces, so
    /// a pasted paragraph stays one line.
    pub fn insert(&mut self, text: &str) {
        for c in text.chars() {
            let c = if c.is_control() { ' ' } else { c };
            self.chars.insert(self.cursor, c);
            self.cursor += 1;
        }
    }

    /// Applies an editing key; false if the key is not an editing key.
    pub fn edit(&mut self, key: Key) -> bool {
        let len = self.chars.len();
        match (key.code, key.ctrl) {
            (KeyCode::Char('a'), true) | (KeyCode::Home, _) => self.cursor = 0,
            (KeyCode::Char('e'), true) | (KeyCode::End, _) => self.cursor = len,
            (KeyCode::Char('b'), true) | (KeyCode::Left, _) => self.cursor = self.cursor.saturating_sub(1),
            (KeyCode::Char('f'), true) | (KeyCode::Right, _) => self.cursor = (self.cursor + 1).min(len),
            (KeyCode::Char('u'), true) => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            (KeyCode::Char('k'), true) => self.chars.truncate(self.cursor),
            (KeyCode::Char('w'), true) => {
                let mut start = self.cursor;
                while start > 0 && self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.chars.drain(start..self.cursor);
                self.cursor = start;
            }
            (KeyCode::Char('h'), true) | (KeyCode::Backspace, _) if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
            }
            (KeyCode::Char('h'), true) | (KeyCode::Backspace, _) => {}
            (KeyCode::Char('d'), true) | (KeyCode::Delete, _) if self.cursor < len => {
                self.chars.remove(self.cursor);
            }
            (KeyCode::Char('d'), true) | (KeyCode::Delete, _) => {}
            (KeyCode::Char(c), false) => self.insert(c.encode_utf8(&mut [0; 4])),
            _ => return false,
        }
        true
    }

    /// The part of the text to show in `width` columns, keeping the cursor in view, and the
    /// cursor's column in it. A wide character is never cut in half.
    pub fn window(&self, width: usize) -> (String, usize) {
        let w = |c: &char| c.width().unwrap_or(0);
        let width = width.max(2);
        // Scroll so that the cursor (plus one column for it) fits.
        let mut start = 0;
        while self.chars[start..self.cursor].iter().map(w).sum::<usize>() + 1 > width && start < self.cursor {
            start += 1;
        }
        let mut shown = String::new();
        let mut used = 0;
        for c in &self.chars[start..] {
            if used + w(c) > width {
                break;
            }
            used += w(c);
            shown.push(*c);
        }
        (shown, self.chars[start..self.cursor].iter().map(w).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> Key {
        Key::plain(code)
    }

    #[test]
    fn edits_chinese_by_character() {
        let mut e = LineEditor::default();
        e.insert("带宽填写有误");
        e.edit(key(KeyCode::Left));
        e.edit(key(KeyCode::Left));
        e.edit(key(KeyCode::Backspace));
        assert_eq!(e.text(), "带宽填有误");
        e.insert("报");
        assert_eq!(e.text(), "带宽填报有误");
        e.edit(key(KeyCode::Home));
        e.edit(key(KeyCode::Delete));
        assert_eq!(e.text(), "宽填报有误");
        e.edit(Key { code: KeyCode::Char('k'), ctrl: true });
        assert!(e.is_blank());
    }

    #[test]
    fn a_pasted_paragraph_stays_one_line_and_ctrl_w_deletes_a_word() {
        let mut e = LineEditor::default();
        e.insert("first line\nsecond");
        assert_eq!(e.text(), "first line second");
        e.edit(Key { code: KeyCode::Char('w'), ctrl: true });
        assert_eq!(e.text(), "first line ");
    }

    #[test]
    fn the_window_keeps_the_cursor_in_view_without_cutting_a_wide_character() {
        let e = LineEditor::with_text("郑州市中原区伏牛路小学");
        let (shown, col) = e.window(9);
        // 22 columns of text, cursor at the end: the last characters that fit beside the cursor.
        assert_eq!(shown, "牛路小学");
        assert_eq!(col, 8);
        let mut e = e;
        e.edit(key(KeyCode::Home));
        let (shown, col) = e.window(9);
        assert_eq!((shown.as_str(), col), ("郑州市中", 0));
    }
}
