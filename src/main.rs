//! The `shenhe` binary: parse the command line, load the config, run, map errors to exit codes
//! (0 done, 1 refused, 2 usage or config error; see `commands::Failure`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::FromArgMatches;
use shenhe::cli::{Cli, localized_command};
use shenhe::commands::{self, Context};
use shenhe::config::{Config, Paths};
use shenhe::i18n::Lang;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let lang = early_lang(&args);
    let matches = match localized_command(lang).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let cli = Cli::from_arg_matches(&matches).expect("matches come from the same definition");
    match run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                shenhe::commands::out::err_line(&f.message);
            }
            f.exit_code()
        }
    }
}

fn run(cli: Cli, lang: Lang) -> Result<(), commands::Failure> {
    let home = std::env::var_os("SHENHE_HOME").map(PathBuf::from);
    let paths = Paths::resolve(home, cli.config.clone(), cli.db.clone())
        .map_err(|e| commands::Failure::usage(e.to_string()))?;
    let config = Config::load(&paths.config, lang).map_err(|e| commands::Failure::usage(e.to_string()))?;
    let lang = cli.lang.unwrap_or(config.lang);
    shenhe::logging::init(&paths.log_dir);
    commands::run(&Context { lang, config, paths }, cli.command, cli.period)
}

/// The language for help and early errors, before the config is read: `--lang`, else the
/// config file's `lang` (best effort), else Chinese.
fn early_lang(args: &[String]) -> Lang {
    let flag = |name: &str| {
        args.iter().enumerate().find_map(|(i, a)| {
            a.strip_prefix(&format!("{name}="))
                .map(str::to_string)
                .or_else(|| (a == name).then(|| args.get(i + 1).cloned()).flatten())
        })
    };
    if let Some(lang) = flag("--lang").as_deref().and_then(Lang::parse) {
        return lang;
    }
    let home = std::env::var_os("SHENHE_HOME").map(PathBuf::from);
    Paths::resolve(home, flag("--config").map(PathBuf::from), None)
        .ok()
        .and_then(|p| Config::load(&p.config, Lang::Zh).ok())
        .map_or(Lang::Zh, |c| c.lang)
}
