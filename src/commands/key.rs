//! `shenhe key init | show [--allowed-signers] [--json]`: the county's signing key.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::bundle::keys::{self, SigningKey};
use crate::cli::KeyCommand;
use crate::commands::out::say;
use crate::i18n::fill;

/// `key show --json`.
#[derive(Debug, Serialize)]
struct ShownKey {
    public_key: String,
    fingerprint: String,
    /// The line for the city's allowed_signers file, when the county code is configured.
    allowed_signers: Option<String>,
    path: String,
}

pub fn run(ctx: &Context, command: KeyCommand) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let dir = &ctx.paths.keys_dir;
    let refused = |e: keys::KeyError| Failure::refused(e.user_message(lang));
    match command {
        KeyCommand::Init => {
            let key = keys::init(dir, &keys::comment_for(&ctx.config)).map_err(refused)?;
            say!(
                "{}",
                fill(
                    &m.key_init_done,
                    &[
                        ("path", &dir.join(keys::PRIVATE_FILE).display()),
                        ("fingerprint", &keys::fingerprint(key.public()))
                    ]
                )
            );
            Ok(())
        }
        KeyCommand::Show { allowed_signers, json } => {
            let key = keys::load(dir).map_err(refused)?;
            // The principal it signs reports as: the county's code, or at a city the city's.
            let code = crate::bundle::upward::Reporter::of(&ctx.config).map(|r| r.code).unwrap_or_default();
            let code = code.as_str();
            if allowed_signers && code.is_empty() {
                return Err(Failure::usage(fill(&m.key_needs_county_code, &[("config", &ctx.paths.config.display())])));
            }
            let line = (!code.is_empty()).then(|| keys::allowed_signers_line(code, key.public()));
            if json {
                print_json(&shown(&key, line, &dir.join(keys::PUBLIC_FILE)));
            } else if allowed_signers {
                say!("{}", line.unwrap_or_default());
            } else {
                say!("{}", key.public().to_openssh().unwrap_or_default());
                say!("{}", keys::fingerprint(key.public()));
            }
            Ok(())
        }
    }
}

fn shown(key: &SigningKey, line: Option<String>, path: &std::path::Path) -> ShownKey {
    ShownKey {
        public_key: key.public().to_openssh().unwrap_or_default(),
        fingerprint: keys::fingerprint(key.public()),
        allowed_signers: line,
        path: path.display().to_string(),
    }
}
