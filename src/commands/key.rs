//! `shenhe key init | show [--allowed-signers] [--json] | rotate [--json]`: the level's signing
//! key, of the kind `[keys] algorithm` names.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::bundle::city_return;
use crate::bundle::keys::{self, Algorithm, KeySpec, NAMESPACE, RETURN_NAMESPACE, SigningKey};
use crate::cli::KeyCommand;
use crate::commands::out::say;
use crate::config::Level;
use crate::i18n::fill;

/// `key show --json`.
#[derive(Debug, Serialize)]
struct ShownKey {
    algorithm: &'static str,
    public_key: String,
    fingerprint: String,
    /// The line for the receiver's allowed_signers file, when the level's code is configured.
    allowed_signers: Option<String>,
    /// The public key file: OpenSSH, or PEM for an SM2 key (what `openssl -pubin` takes).
    path: String,
    /// The key files sealed to this level are encrypted to (`export --to`), if there is one.
    recipient: Option<String>,
}

/// `key rotate --json`.
#[derive(Debug, Serialize)]
struct RotatedKey {
    algorithm: &'static str,
    old_fingerprint: String,
    new_fingerprint: String,
    retired: String,
    /// The lines that replace the old key's line in the receivers' trust files.
    lines: Vec<String>,
}

pub fn run(ctx: &Context, command: KeyCommand) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let dir = &ctx.paths.keys_dir;
    let spec = KeySpec::of(&ctx.config);
    let refused = |e: keys::KeyError| Failure::refused(e.user_message(lang));
    // The principal it signs reports as: the county's code, or at a city the city's.
    let code = crate::bundle::upward::Reporter::of(&ctx.config).map(|r| r.code).unwrap_or_default();
    match command {
        KeyCommand::Init => {
            let key = keys::init(dir, &spec).map_err(refused)?;
            let path = dir.join(spec.algorithm.files()[0]);
            say!("{}", fill(&m.key_init_done, &[("path", &path.display()), ("fingerprint", &key.fingerprint())]));
            // Files sealed to this level are opened with an Ed25519 key (age has no SM2): an
            // SM2 level has one too, for that only.
            if spec.algorithm == Algorithm::Sm2 && !dir.join(keys::PRIVATE_FILE).exists() {
                let opener =
                    keys::init(dir, &KeySpec { algorithm: Algorithm::Ed25519, ..spec.clone() }).map_err(refused)?;
                let path = dir.join(keys::PRIVATE_FILE);
                say!("{}", fill(&m.key_init_recipient, &[("path", &path.display()), ("key", &opener.public_line())]));
            }
            Ok(())
        }
        KeyCommand::Show { allowed_signers, json } => {
            let key = keys::load(dir, &spec).map_err(refused)?;
            if allowed_signers && code.is_empty() {
                return Err(Failure::usage(fill(&m.key_needs_county_code, &[("config", &ctx.paths.config.display())])));
            }
            let line = (!code.is_empty()).then(|| keys::allowed_signers_line(&code, &key));
            let recipient = recipient(ctx, &key);
            if json {
                print_json(&ShownKey {
                    algorithm: key.algorithm().name(),
                    public_key: key.public_line(),
                    fingerprint: key.fingerprint(),
                    allowed_signers: line,
                    path: dir.join(spec.algorithm.files()[1]).display().to_string(),
                    recipient,
                });
            } else if allowed_signers {
                say!("{}", line.unwrap_or_default());
            } else {
                // `#` lines, so that what is printed is still a recipients file as it is.
                let about = match key.algorithm() {
                    Algorithm::Ed25519 => m.key_show_ed25519.clone(),
                    Algorithm::Sm2 => fill(&m.key_show_sm2, &[("path", &dir.join(keys::sm2::PUBLIC_FILE).display())]),
                };
                say!("# {about}");
                say!("{}", key.public_line());
                say!("{}", key.fingerprint());
                if let (Algorithm::Sm2, Some(recipient)) = (key.algorithm(), recipient) {
                    say!("# {}", m.key_show_recipient);
                    say!("{recipient}");
                }
            }
            Ok(())
        }
        KeyCommand::Rotate { json } => {
            let at = crate::clock::now().to_utc();
            let rotated = keys::rotate(dir, &spec, at).map_err(refused)?;
            // (for whose trust file, its two lines)
            let mut pairs: Vec<(&str, [String; 2])> = Vec::new();
            // Up: the level above trusts the reports it signs as its code.
            if !code.is_empty() {
                let old = keys::trust_line(&code, NAMESPACE, &rotated.old.public_line(), Some(at));
                pairs.push((&m.key_rotated_for_above, [old, keys::allowed_signers_line(&code, &rotated.new)]));
            }
            // Down: a city's or province's counties or cities trust its return notices.
            if ctx.config.level != Level::County {
                let sender = ctx.config.sender_name();
                let old = keys::trust_line(&sender, RETURN_NAMESPACE, &rotated.old.public_line(), Some(at));
                pairs.push((&m.key_rotated_for_below, [old, city_return::allowed_signers_line(&sender, &rotated.new)]));
            }
            let lines: Vec<String> = pairs.iter().flat_map(|(_, pair)| pair.iter().cloned()).collect();
            if json {
                print_json(&RotatedKey {
                    algorithm: rotated.new.algorithm().name(),
                    old_fingerprint: rotated.old.fingerprint(),
                    new_fingerprint: rotated.new.fingerprint(),
                    retired: rotated.retired.display().to_string(),
                    lines,
                });
            } else {
                let time = at.with_timezone(crate::clock::now().offset()).format("%Y-%m-%d %H:%M:%S").to_string();
                say!(
                    "{}",
                    fill(
                        &m.key_rotated,
                        &[
                            ("new", &rotated.new.fingerprint()),
                            ("old", &rotated.old.fingerprint()),
                            ("retired", &rotated.retired.display()),
                            ("time", &time),
                        ]
                    )
                );
                for (whose, pair) in &pairs {
                    // Only where there are two kinds of receiver: a `#` line, so the output
                    // can go into a trust file as it is.
                    if pairs.len() > 1 {
                        say!("# {whose}");
                    }
                    for line in pair {
                        say!("{line}");
                    }
                }
            }
            Ok(())
        }
    }
}

/// The Ed25519 public key files sealed to this level are encrypted to: the signing key itself,
/// or beside an SM2 key the one kept for that.
fn recipient(ctx: &Context, key: &SigningKey) -> Option<String> {
    if key.algorithm() == Algorithm::Ed25519 {
        return Some(key.public_line());
    }
    let opener =
        keys::load(&ctx.paths.keys_dir, &KeySpec { algorithm: Algorithm::Ed25519, ..KeySpec::of(&ctx.config) });
    opener.ok().map(|k| k.public_line())
}
