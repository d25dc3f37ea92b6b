//! Colours and symbols. State is always shown by a symbol and a word as well as a colour, so
//! the screen reads the same with `NO_COLOR` set or on a monochrome console. Every symbol and
//! border is plain ASCII: box-drawing characters and arrows are "ambiguous width" and take two
//! columns on many Chinese consoles, which would break the alignment of every table.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::domain::ReviewState;

/// Borders of dialogs, in ASCII (see the module note).
pub const BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    pub fn state(self, s: ReviewState) -> Style {
        match s {
            ReviewState::Unfilled => self.fg(Color::DarkGray),
            ReviewState::Submitted => Style::new(),
            ReviewState::Flagged => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ReviewState::Returned => self.fg(Color::Red),
            ReviewState::Approved => self.fg(Color::Green),
        }
    }

    /// The highlighted row: reversed, which needs no colour.
    pub fn cursor(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn header(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new() }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn changed(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn matched(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
}

/// One ASCII character per state, shown before its word.
pub fn symbol(s: ReviewState) -> &'static str {
    match s {
        ReviewState::Unfilled => "-",
        ReviewState::Submitted => "?",
        ReviewState::Flagged => "!",
        ReviewState::Returned => "<",
        ReviewState::Approved => "+",
    }
}
