//! Keys → actions, in two steps kept apart (as atuin does): the config's `[keys]` table is read
//! into a [`Keymap`] once, checked for names it does not know and keys bound twice; the screen
//! then only asks the map which [`Action`] a key press means. No terminal types here: the
//! screen turns its key events into [`Key`]s.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Everything the auditor can ask of the review screen from the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Next school in the list.
    MoveDown,
    /// Previous school.
    MoveUp,
    /// One screen down.
    PageDown,
    /// One screen up.
    PageUp,
    /// First school.
    First,
    /// Last school.
    Last,
    /// Open the school's detail.
    Open,
    /// Move between the list and the detail pane.
    SwitchPane,
    /// Search by name, code prefix or pinyin initials.
    Search,
    /// Next search match.
    NextMatch,
    /// Previous search match.
    PreviousMatch,
    /// Filter by state, rule, type or dispatch list.
    Filter,
    /// Change the sort order.
    Sort,
    /// Select or unselect the school for a bulk decision.
    Select,
    /// Select every school the list shows (the filter), or clear the selection.
    SelectAll,
    /// 审核通过.
    Approve,
    /// 退回重报, with a reason.
    Return,
    /// 标记有疑问, with a note.
    Flag,
    /// Add a comment.
    Comment,
    /// 取消 the highlighted school's 退回重报 (made by mistake, its new sheet not in yet).
    CancelReturn,
    /// Undo the last decision.
    Undo,
    /// Show what would be exported, then export the bundle after a confirm.
    Export,
    /// On a receiving level's board: take the highlighted report's 月报文本 out to a file.
    ReportText,
    /// Full help.
    Help,
    /// Leave shenhe.
    Quit,
}

impl Action {
    /// Every action with its name in the config's `[keys]` table.
    pub const ALL: [(&'static str, Action); 25] = [
        ("move_down", Action::MoveDown),
        ("move_up", Action::MoveUp),
        ("page_down", Action::PageDown),
        ("page_up", Action::PageUp),
        ("first", Action::First),
        ("last", Action::Last),
        ("open", Action::Open),
        ("switch_pane", Action::SwitchPane),
        ("search", Action::Search),
        ("next_match", Action::NextMatch),
        ("previous_match", Action::PreviousMatch),
        ("filter", Action::Filter),
        ("sort", Action::Sort),
        ("select", Action::Select),
        ("select_all", Action::SelectAll),
        ("approve", Action::Approve),
        ("return", Action::Return),
        ("flag", Action::Flag),
        ("comment", Action::Comment),
        ("cancel_return", Action::CancelReturn),
        ("undo", Action::Undo),
        ("export", Action::Export),
        ("report_text", Action::ReportText),
        ("help", Action::Help),
        ("quit", Action::Quit),
    ];
}

/// A key press, as the keymap knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Enter,
    Tab,
    Esc,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
    Delete,
    F(u8),
}

impl Key {
    pub fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    /// Reads a key as the config writes it: `j`, `G`, `Space`, `Enter`, `PgDn`, `Ctrl-r`, `F1`…
    pub fn parse(text: &str) -> Option<Key> {
        let (ctrl, rest) = match text.strip_prefix("Ctrl-").or_else(|| text.strip_prefix("C-")) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCode::Char(' '),
                "enter" | "return" => KeyCode::Enter,
                "tab" => KeyCode::Tab,
                "esc" | "escape" => KeyCode::Esc,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                f => KeyCode::F(f.strip_prefix('f')?.parse().ok().filter(|n| (1..=12).contains(n))?),
            },
        };
        Some(Key { code, ctrl })
    }
}

impl fmt::Display for Key {
    /// The key as the footer and the help show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The `[keys]` table of the config: the keys of each action. The defaults are the issue's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyBindings {
    /// Not a binding: the kind of the level's signing key (`ed25519`, or `sm2` for 国密). It
    /// lives in `[keys]` because that is where the signing key's settings are looked for.
    #[serde(default)]
    pub algorithm: crate::bundle::keys::Algorithm,
    /// The SM2 user id; empty: GM/T 0009's default, `1234567812345678`.
    #[serde(default)]
    pub sm2_user_id: String,
    pub move_down: Vec<String>,
    pub move_up: Vec<String>,
    pub page_down: Vec<String>,
    pub page_up: Vec<String>,
    pub first: Vec<String>,
    pub last: Vec<String>,
    pub open: Vec<String>,
    pub switch_pane: Vec<String>,
    pub search: Vec<String>,
    pub next_match: Vec<String>,
    pub previous_match: Vec<String>,
    pub filter: Vec<String>,
    pub sort: Vec<String>,
    pub select: Vec<String>,
    pub select_all: Vec<String>,
    pub approve: Vec<String>,
    #[serde(rename = "return")]
    pub return_: Vec<String>,
    pub flag: Vec<String>,
    pub comment: Vec<String>,
    pub cancel_return: Vec<String>,
    pub undo: Vec<String>,
    pub export: Vec<String>,
    pub report_text: Vec<String>,
    pub help: Vec<String>,
    pub quit: Vec<String>,
}

impl KeyBindings {
    /// (config name, action, keys) of every action.
    fn entries(&self) -> [(&'static str, Action, &[String]); 25] {
        [
            ("move_down", Action::MoveDown, &self.move_down),
            ("move_up", Action::MoveUp, &self.move_up),
            ("page_down", Action::PageDown, &self.page_down),
            ("page_up", Action::PageUp, &self.page_up),
            ("first", Action::First, &self.first),
            ("last", Action::Last, &self.last),
            ("open", Action::Open, &self.open),
            ("switch_pane", Action::SwitchPane, &self.switch_pane),
            ("search", Action::Search, &self.search),
            ("next_match", Action::NextMatch, &self.next_match),
            ("previous_match", Action::PreviousMatch, &self.previous_match),
            ("filter", Action::Filter, &self.filter),
            ("sort", Action::Sort, &self.sort),
            ("select", Action::Select, &self.select),
            ("select_all", Action::SelectAll, &self.select_all),
            ("approve", Action::Approve, &self.approve),
            ("return", Action::Return, &self.return_),
            ("flag", Action::Flag, &self.flag),
            ("comment", Action::Comment, &self.comment),
            ("cancel_return", Action::CancelReturn, &self.cancel_return),
            ("undo", Action::Undo, &self.undo),
            ("export", Action::Export, &self.export),
            ("report_text", Action::ReportText, &self.report_text),
            ("help", Action::Help, &self.help),
            ("quit", Action::Quit, &self.quit),
        ]
    }
}

/// What is wrong with a `[keys]` table, naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("keys.{action}: {key:?} is not a key")]
    NotAKey { action: &'static str, key: String },
    #[error("keys.{action}: {key} is already bound to keys.{other}")]
    BoundTwice { action: &'static str, other: &'static str, key: String },
    #[error("keys.{action}: no key left for it")]
    Unbound { action: &'static str },
}

impl KeymapError {
    pub fn user_message(&self, lang: crate::i18n::Lang) -> String {
        let m = lang.msg();
        let fill = crate::i18n::fill;
        match self {
            KeymapError::NotAKey { action, key } => fill(&m.keys_not_a_key, &[("action", action), ("key", key)]),
            KeymapError::BoundTwice { action, other, key } => {
                fill(&m.keys_bound_twice, &[("action", action), ("other", other), ("key", key)])
            }
            KeymapError::Unbound { action } => fill(&m.keys_unbound, &[("action", action)]),
        }
    }
}

/// Which action each key means.
#[derive(Debug, Clone)]
pub struct Keymap {
    actions: HashMap<Key, Action>,
    keys: HashMap<Action, Vec<Key>>,
}

impl Keymap {
    pub fn new(bindings: &KeyBindings) -> Result<Keymap, KeymapError> {
        let mut actions = HashMap::new();
        let mut names: HashMap<Key, &'static str> = HashMap::new();
        let mut keys: HashMap<Action, Vec<Key>> = HashMap::new();
        for (name, action, texts) in bindings.entries() {
            if texts.is_empty() {
                return Err(KeymapError::Unbound { action: name });
            }
            for text in texts {
                let key = Key::parse(text).ok_or_else(|| KeymapError::NotAKey { action: name, key: text.clone() })?;
                if let Some(other) = names.insert(key, name) {
                    return Err(KeymapError::BoundTwice { action: name, other, key: key.to_string() });
                }
                actions.insert(key, action);
                keys.entry(action).or_default().push(key);
            }
        }
        Ok(Keymap { actions, keys })
    }

    /// What a key press means here, if anything.
    pub fn action(&self, key: Key) -> Option<Action> {
        self.actions.get(&key).copied()
    }

    /// The keys of an action, for the footer and the help.
    pub fn keys(&self, action: Action) -> &[Key] {
        self.keys.get(&action).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_default_keys_are_the_documented_ones() {
        let map = Keymap::new(&Config::default().keys).unwrap();
        let press = |text: &str| map.action(Key::parse(text).unwrap());
        for (key, action) in [
            ("j", Action::MoveDown),
            ("Down", Action::MoveDown),
            ("k", Action::MoveUp),
            ("PgDn", Action::PageDown),
            ("Space", Action::PageDown),
            ("g", Action::First),
            ("G", Action::Last),
            ("Enter", Action::Open),
            ("Tab", Action::SwitchPane),
            ("/", Action::Search),
            ("n", Action::NextMatch),
            ("N", Action::PreviousMatch),
            ("F", Action::Filter),
            ("a", Action::Approve),
            ("r", Action::Return),
            ("f", Action::Flag),
            ("u", Action::Undo),
            ("e", Action::Export),
            ("?", Action::Help),
            ("q", Action::Quit),
        ] {
            assert_eq!(press(key), Some(action), "{key}");
        }
        assert_eq!(press("z"), None);
        assert_eq!(map.keys(Action::PageDown).iter().map(ToString::to_string).collect::<Vec<_>>(), ["PgDn", "Space"]);
    }

    #[test]
    fn keys_parse_as_written_in_the_config() {
        assert_eq!(Key::parse("Ctrl-r"), Some(Key { code: KeyCode::Char('r'), ctrl: true }));
        assert_eq!(Key::parse("F5"), Some(Key::plain(KeyCode::F(5))));
        assert_eq!(Key::parse("pagedown"), Some(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("审"), Some(Key::plain(KeyCode::Char('审'))));
        for bad in ["", "Ctrl-", "F13", "Shift-q", "jj"] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_bad_keys_entry_is_an_error_naming_it() {
        let config = |text: &str| Config::from_user_toml(text, "c.toml", crate::i18n::Lang::En);
        let remapped = config("[keys]\napprove = [\"y\"]\n").unwrap();
        let map = Keymap::new(&remapped.keys).unwrap();
        assert_eq!(map.action(Key::parse("y").unwrap()), Some(Action::Approve));
        assert_eq!(map.action(Key::parse("a").unwrap()), None);
        for (text, named) in [
            ("[keys]\napprove = [\"j\"]\n", "keys.approve"),
            ("[keys]\nquit = [\"Hyper-q\"]\n", "keys.quit"),
            ("[keys]\nundo = []\n", "keys.undo"),
            ("[keys]\napprov = [\"y\"]\n", "keys.approv"),
        ] {
            let e = config(text).unwrap_err().to_string();
            assert!(e.contains(named) && e.contains("c.toml"), "{text}: {e}");
        }
    }
}
