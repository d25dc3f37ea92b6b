//! Every line a command prints goes through here, so that nothing from outside — a school name,
//! a cell, a reason, a bundle's file name or manifest — reaches the terminal as a control
//! sequence (`ESC [2J` clearing the screen, a CR or backspaces forging a table line, a bidi
//! override reordering it). [`crate::i18n::terminal_safe`] writes each such character as an
//! escape (`\u{1b}`); line breaks of the message itself stay. A closed pipe (`shenhe list |
//! head`) ends the output quietly rather than with a panic.

use std::fmt::Display;
use std::io::Write;

/// Prints `text` and a line break on standard output.
pub fn line(text: impl Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", crate::i18n::terminal_safe(&text.to_string())).and_then(|()| out.flush());
}

/// Prints `text` (which ends its own lines) on standard output.
pub fn text(text: impl Display) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", crate::i18n::terminal_safe(&text.to_string())).and_then(|()| out.flush());
}

/// Prints `text` and a line break on standard error.
pub fn err_line(text: impl Display) {
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "{}", crate::i18n::terminal_safe(&text.to_string()));
}

/// `println!` through [`line`].
macro_rules! say {
    () => { $crate::commands::out::line("") };
    ($($arg:tt)*) => { $crate::commands::out::line(format_args!($($arg)*)) };
}

/// `print!` through [`text`].
macro_rules! say_text {
    ($($arg:tt)*) => { $crate::commands::out::text(format_args!($($arg)*)) };
}

/// `eprintln!` through [`err_line`].
macro_rules! say_err {
    ($($arg:tt)*) => { $crate::commands::out::err_line(format_args!($($arg)*)) };
}

pub(crate) use {say, say_err, say_text};

#[cfg(test)]
mod tests {
    /// No printing around this module: every `println!` and its kin in the program's own code
    /// (tests aside) would be a way past the escaping.
    #[test]
    fn nothing_prints_except_through_here() {
        let mut offenders = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if !name.ends_with(".rs") || name == "tests.rs" || path.ends_with("commands/out.rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let code = source.split("#[cfg(test)]").next().unwrap_or_default();
                for (i, l) in code.lines().enumerate() {
                    let l = l.trim_start();
                    if l.starts_with("//") {
                        continue;
                    }
                    if ["println!", "print!(", "eprintln!", "eprint!("].iter().any(|m| l.contains(m)) {
                        offenders.push(format!("{}:{}: {l}", path.display(), i + 1));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "print through commands::out:\n{}", offenders.join("\n"));
    }
}
