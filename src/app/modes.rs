//! Keys in the search line, the filter and sort menus, and the help.

use super::view::{self, SortOrder};
use super::{App, FilterItem, Key, KeyCode, LineEditor, Mode};

/// Up, or k: the menus move like the list.
fn up(key: Key) -> bool {
    matches!(key.code, KeyCode::Up | KeyCode::Char('k')) && !key.ctrl
}

fn down(key: Key) -> bool {
    matches!(key.code, KeyCode::Down | KeyCode::Char('j')) && !key.ctrl
}

impl App {
    pub(super) fn search_key(&mut self, key: Key, mut editor: LineEditor, origin: usize) {
        match key.code {
            KeyCode::Esc => {
                self.search = None;
                self.move_to(origin);
            }
            KeyCode::Enter => {
                let found = self.search.as_ref().map_or(0, |s| s.matches.len());
                if editor.is_blank() {
                    self.search = None;
                } else if found == 0 {
                    self.error(self.lang().msg().screen_no_match.clone());
                } else {
                    let m = self.lang().msg();
                    self.info(crate::i18n::fill(&m.screen_found, &[("count", &found)]));
                }
            }
            _ => {
                if editor.edit(key) {
                    let query = editor.text();
                    self.run_search(&query, Some(origin));
                }
                self.mode = Mode::Search { editor, origin };
            }
        }
    }

    pub(super) fn open_filter_menu(&mut self) {
        let items = view::filter_items(&self.index);
        let counts = items.iter().map(|i| view::count(&self.index.rows, *i)).collect();
        self.mode = Mode::Filter { items, counts, cursor: 0 };
    }

    pub(super) fn filter_key(&mut self, key: Key, items: Vec<FilterItem>, counts: Vec<usize>, mut cursor: usize) {
        let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q'))
            || self.settings.keymap.action(key) == Some(super::Action::Filter);
        if close {
            return;
        }
        if up(key) {
            cursor = cursor.saturating_sub(1);
        } else if down(key) {
            cursor = (cursor + 1).min(items.len().saturating_sub(1));
        } else if matches!(key.code, KeyCode::Enter | KeyCode::Char(' ')) {
            if let Some(item) = items.get(cursor) {
                self.filter.toggle(*item);
                self.rebuild_view();
            }
        } else if matches!(key.code, KeyCode::Backspace | KeyCode::Delete | KeyCode::Char('0')) {
            self.filter = Default::default();
            self.rebuild_view();
        }
        self.mode = Mode::Filter { items, counts, cursor };
    }

    pub(super) fn sort_key(&mut self, key: Key, mut cursor: usize) {
        if up(key) {
            cursor = cursor.saturating_sub(1);
        } else if down(key) || self.settings.keymap.action(key) == Some(super::Action::Sort) {
            cursor = (cursor + 1) % SortOrder::ALL.len();
        } else if key.code == KeyCode::Enter {
            self.sort = SortOrder::ALL[cursor];
            self.rebuild_view();
            return;
        } else if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
            return;
        }
        self.mode = Mode::Sort { cursor };
    }

    pub(super) fn help_key(&mut self, key: Key, scroll: u16) {
        let action = self.settings.keymap.action(key);
        let scroll = if down(key) {
            scroll.saturating_add(1)
        } else if up(key) {
            scroll.saturating_sub(1)
        } else if matches!(key.code, KeyCode::PageDown | KeyCode::Char(' ')) {
            scroll.saturating_add(10)
        } else if key.code == KeyCode::PageUp {
            scroll.saturating_sub(10)
        } else if key.code == KeyCode::Esc || matches!(action, Some(super::Action::Help | super::Action::Quit)) {
            return;
        } else {
            scroll
        };
        self.mode = Mode::Help { scroll };
    }
}
