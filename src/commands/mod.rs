//! The subcommands: each turns validated arguments into library calls and prints the result.
//! Errors reach the user as one localized message and an exit code (see [`Failure`]).

use std::process::ExitCode;

use crate::cli::Command;
use crate::config::{Config, Paths};
use crate::domain::Period;
use crate::i18n::{Lang, fill};
use crate::store::Store;

mod backup;
mod check;
mod check_store;
pub mod city;
mod config_cmd;
mod decide;
mod demo;
mod dispatch;
mod drop;
mod export;
mod import;
mod incoming;
mod key;
mod list;
mod notice_in;
mod notices;
pub mod out;
mod reopen;
mod review;
mod stats;
mod verify;

/// Everything a command needs: language, settings and where things live.
pub struct Context {
    pub lang: Lang,
    pub config: Config,
    pub paths: Paths,
}

/// Exit codes: 0 done; 1 the input or the data was refused (nothing changed); 2 the command
/// line or the config is wrong.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn refused(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), code: 1 }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), code: 2 }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

pub type Outcome = Result<(), Failure>;

impl Context {
    pub fn open_store(&self) -> Result<Store, Failure> {
        Store::open(&self.paths.database).map_err(|e| Failure::refused(e.user_message(self.lang)))
    }

    /// Who is acting, for the records: the configured auditor, else the OS user.
    pub fn actor(&self) -> String {
        let name = self.config.auditor.name.trim();
        if !name.is_empty() {
            return name.to_string();
        }
        std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "?".into())
    }

    /// `--period` if given, else the newest period in the store.
    pub fn period_or_latest(&self, store: &Store, period: Option<Period>) -> Result<Period, Failure> {
        let m = self.lang.msg();
        match period {
            Some(p) if store.period_exists(p).map_err(|e| Failure::refused(e.user_message(self.lang)))? => Ok(p),
            Some(p) => Err(Failure::refused(fill(&m.no_such_period, &[("period", &p)]))),
            None => store
                .periods()
                .map_err(|e| Failure::refused(e.user_message(self.lang)))?
                .first()
                .copied()
                .ok_or_else(|| Failure::refused(m.store_empty_hint.clone())),
        }
    }
}

/// Runs one command. With none, shenhe opens the review screen on `period` (else the latest).
pub fn run(ctx: &Context, command: Option<Command>, period: Option<Period>) -> Outcome {
    match command {
        Some(Command::Import(args)) => import::run(ctx, args),
        Some(Command::List(args)) => list::run(ctx, args),
        Some(Command::Check(args)) => check::run(ctx, args),
        Some(Command::Approve(args)) => decide::approve(ctx, args),
        Some(Command::Return(args)) => decide::return_schools(ctx, args),
        Some(Command::CancelReturn(args)) => decide::cancel_return(ctx, args),
        Some(Command::Drop(args)) => drop::run(ctx, args),
        Some(Command::Flag(args)) => decide::flag(ctx, args),
        Some(Command::Stats(args)) => stats::run(ctx, args),
        Some(Command::Dispatch(args)) => dispatch::run(ctx, args),
        Some(Command::Export(args)) => export::run(ctx, args),
        Some(Command::Verify(args)) => verify::run(ctx, args),
        Some(Command::Reopen(args)) => reopen::run(ctx, args),
        Some(Command::Notices(args)) => notices::run(ctx, args),
        Some(Command::Backup(args)) => backup::backup(ctx, args),
        Some(Command::CheckStore(args)) => check_store::run(ctx, args),
        Some(Command::Restore(args)) => backup::restore(ctx, args),
        Some(Command::Config(c)) => config_cmd::run(ctx, c),
        Some(Command::Key(k)) => key::run(ctx, k),
        Some(Command::City(c)) => city::run(ctx, c),
        Some(Command::Receive(a)) => city::receive_all(ctx, a),
        Some(Command::Status(a)) => city::status(ctx, a),
        Some(Command::Report(a)) => city::report(ctx, a),
        Some(Command::SendBack(a)) => city::send_back(ctx, a),
        Some(Command::Demo) => demo::run(ctx),
        None => review::run(ctx, period),
    }
}

/// Prints `value` as one JSON document on stdout.
/// Refuses text the user typed for the record (a reason, a note) if it holds a control or
/// invisible character: it goes into bundles, notices and logs that others read and print.
/// Line breaks are kept.
pub(crate) fn typed_text(ctx: &Context, text: &str, what: &str) -> Result<(), Failure> {
    match text.chars().find(|&c| c != '\n' && crate::i18n::is_hidden(c)) {
        Some(c) => Err(Failure::usage(crate::i18n::fill(
            &ctx.lang.msg().typed_text_hidden,
            &[("what", &what), ("code", &format!("U+{:04X}", c as u32))],
        ))),
        None => Ok(()),
    }
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) {
    // JSON escapes every control character itself; `out` keeps a closed pipe quiet.
    out::line(serde_json::to_string_pretty(value).expect("plain data always serialises"));
}
