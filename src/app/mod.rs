//! The review screen's state and behaviour, without the terminal: actions, the keymap, and
//! (with issue 4) `update(Action) -> effect`. `ui/` draws it; nothing here does IO.

pub mod keymap;
pub mod search;

pub use keymap::{Action, Key, KeyBindings, KeyCode, Keymap, KeymapError};
pub use search::Searchable;
