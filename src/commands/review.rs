//! The review screen in a terminal: raw mode, the alternate screen and bracketed paste (so text
//! from an input method or the clipboard arrives whole); keys in, frames out. The terminal is
//! restored however the screen ends, a panic included (`ratatui::init` installs the hook).
//! Without a terminal (a pipe, a script) shenhe says what the store holds instead.

use std::io::IsTerminal;

use ratatui::crossterm::event::{self, Event, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{event as ct, execute};

use super::{Context, Failure, Outcome};
use crate::app::{App, Key, KeyCode, Settings};
use crate::commands::out::say_err;
use crate::domain::Period;
use crate::i18n::fill;

/// SQLite's page cache while the screen is open (SQLite's own default).
const SCREEN_CACHE_KIB: u32 = 2048;

/// Set in a test build's environment, the screen panics once it is open.
const TEST_PANIC: &str = "SHENHE_TEST_PANIC";

pub fn run(ctx: &Context, period: Option<Period>) -> Outcome {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        super::list::overview(ctx)?;
        say_err!("{}", ctx.lang.msg().screen_needs_terminal);
        return Ok(());
    }
    let store = ctx.open_store()?;
    store.set_cache_kib(SCREEN_CACHE_KIB).map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    if let Some(p) = period {
        ctx.period_or_latest(&store, Some(p))?;
    }
    // The first frame is drawn from the first page of the list; the rest of the index is read
    // right after it, before the first key.
    let app =
        App::open_first_frame(store, period, settings(ctx)).map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    let failed = |e: &dyn std::fmt::Display| Failure::refused(fill(&ctx.lang.msg().screen_failed, &[("reason", e)]));
    let mut terminal = ratatui::init();
    let _ = execute!(std::io::stdout(), ct::EnableBracketedPaste);
    // ratatui's hook leaves raw mode and the alternate screen; bracketed paste is ours to end,
    // or a paste into the shell after a panic would arrive wrapped in escape codes.
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), ct::DisableBracketedPaste);
        restore(info);
    }));
    let result = event_loop(&mut terminal, app);
    let _ = execute!(std::io::stdout(), ct::DisableBracketedPaste);
    ratatui::restore();
    result.map_err(|e| failed(&e))
}

/// The screen's settings from the config and the environment.
pub fn settings(ctx: &Context) -> Settings {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut settings =
        Settings::new(&ctx.config, ctx.lang, ctx.actor(), ctx.paths.database.display().to_string(), color);
    if settings.city {
        // Its units' 月报文本 are taken out beside the bundles.
        settings.report_texts_dir = Some(crate::commands::city::report_texts_dir(ctx));
    }
    if settings.province {
        // A province reports to no one: its circular is `shenhe report`.
        return settings;
    }
    settings
        .with_export(&ctx.config, ctx.paths.keys_dir.clone(), ctx.paths.bundles_dir(&ctx.config))
        .sealing_to(ctx.paths.encrypt_to(&ctx.config))
}

#[derive(Debug, thiserror::Error)]
enum ScreenError {
    #[error("{0}")]
    Terminal(#[from] std::io::Error),
    #[error("{0}")]
    Store(String),
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, mut app: App) -> Result<(), ScreenError> {
    let lang = app.lang();
    loop {
        let size = terminal.size()?;
        app.resize(crate::ui::list_height(size), crate::ui::is_wide(size.width));
        app.refresh().map_err(|e| ScreenError::Store(e.user_message(lang)))?;
        terminal.draw(|frame| crate::ui::draw(frame, &app))?;
        if app.should_quit() {
            return Ok(());
        }
        app.finish_opening().map_err(|e| ScreenError::Store(e.user_message(lang)))?;
        // Test builds only: a panic on the open screen, so that a test sees the panic hook
        // restore the terminal (`tests/screen.rs`).
        if crate::clock::OVERRIDE_HONOURED && std::env::var_os(TEST_PANIC).is_some() {
            panic!("{TEST_PANIC} is set");
        }
        match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                if let Some(key) = key_of(k) {
                    app.on_key(key);
                }
            }
            Event::Paste(text) => app.on_paste(&text),
            _ => {}
        }
    }
}

/// A terminal key event as the keymap knows keys.
fn key_of(k: ct::KeyEvent) -> Option<Key> {
    let code = match k.code {
        ct::KeyCode::Char(c) => KeyCode::Char(c),
        ct::KeyCode::Enter => KeyCode::Enter,
        ct::KeyCode::Tab => KeyCode::Tab,
        ct::KeyCode::Esc => KeyCode::Esc,
        ct::KeyCode::Up => KeyCode::Up,
        ct::KeyCode::Down => KeyCode::Down,
        ct::KeyCode::Left => KeyCode::Left,
        ct::KeyCode::Right => KeyCode::Right,
        ct::KeyCode::PageUp => KeyCode::PageUp,
        ct::KeyCode::PageDown => KeyCode::PageDown,
        ct::KeyCode::Home => KeyCode::Home,
        ct::KeyCode::End => KeyCode::End,
        ct::KeyCode::Backspace => KeyCode::Backspace,
        ct::KeyCode::Delete => KeyCode::Delete,
        ct::KeyCode::F(n) => KeyCode::F(n),
        _ => return None,
    };
    Some(Key { code, ctrl: k.modifiers.contains(KeyModifiers::CONTROL) })
}
