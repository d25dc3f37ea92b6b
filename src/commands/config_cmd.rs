//! `shenhe config path | init`

use super::{Context, Failure, Outcome, print_json};
use crate::cli::ConfigCommand;
use crate::commands::out::say;
use crate::config::DEFAULT_TOML;
use crate::i18n::fill;

pub fn run(ctx: &Context, command: ConfigCommand) -> Outcome {
    let m = ctx.lang.msg();
    let p = &ctx.paths;
    match command {
        ConfigCommand::Path { json: true } => print_json(p),
        ConfigCommand::Path { json: false } => {
            let exists = |path: &std::path::Path| if path.exists() { "" } else { m.path_missing.as_str() };
            for (label, path) in [
                (&m.path_config, &p.config),
                (&m.path_database, &p.database),
                (&m.path_keys, &p.keys_dir),
                (&m.path_logs, &p.log_dir),
            ] {
                say!("{label}  {}{}", path.display(), exists(path));
            }
        }
        ConfigCommand::Init => {
            if p.config.exists() {
                return Err(Failure::refused(fill(&m.config_init_exists, &[("file", &p.config.display())])));
            }
            let write = || -> std::io::Result<()> {
                if let Some(dir) = p.config.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                // create_new: never overwrite, even if the file appeared since the check above.
                use std::io::Write;
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&p.config)?
                    .write_all(DEFAULT_TOML.as_bytes())
            };
            write().map_err(|e| {
                Failure::refused(fill(&m.config_init_failed, &[("file", &p.config.display()), ("reason", &e)]))
            })?;
            say!("{}", fill(&m.config_init_done, &[("file", &p.config.display())]));
        }
    }
    Ok(())
}
