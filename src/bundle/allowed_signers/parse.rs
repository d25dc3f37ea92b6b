//! Reading the file: lines into entries, as OpenSSH's sshsig.c, sshkey_read and
//! parse_absolute_time read them.

use chrono::{DateTime, Days, Local, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use ssh_key::PublicKey;

use crate::bundle::keys::SignerKey;
use crate::bundle::keys::sm2::{KEY_TYPE as SM2_KEY_TYPE, Sm2Public};

use super::patterns::pattern_list;
use super::{AllowedSigners, Entry, ParseProblem, Skipped};

/// ssh-keygen reads lines with getline: split at `\n` only.
pub(super) fn parse_bytes(bytes: &[u8]) -> Result<AllowedSigners, (usize, ParseProblem)> {
    // Windows Notepad saves UTF-8 with a byte order mark, and a county's clerk may have nothing
    // else to edit the file with. ssh-keygen does not skip it (it is then part of the first
    // line's principal, or makes a first-line comment no comment); shenhe does, so that the
    // principal is the county code as written. README says how to keep the stock check working.
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut signers = AllowedSigners { entries: Vec::new(), skipped: Vec::new() };
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        match parse_line(raw).map_err(|problem| (line, problem))? {
            Line::Empty => {}
            Line::Entry(entry) => signers.entries.push(Entry { line, ..*entry }),
            Line::Skipped(key_type) => signers.skipped.push(Skipped { line, key_type }),
        }
    }
    Ok(signers)
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

enum Line {
    Empty,
    Entry(Box<Entry>),
    Skipped(String),
}

/// Blanks in the principals field, as OpenSSH's strdelimw sees them.
const FIELD_SPACE: [char; 4] = [' ', '\t', '\r', '\n'];
/// Blanks around the key, as sshkey_read sees them.
const KEY_SPACE: [char; 2] = [' ', '\t'];

fn parse_line(raw: &[u8]) -> Result<Line, ParseProblem> {
    // OpenSSH handles the line as a C string: it ends at a NUL.
    let raw = raw.split(|&b| b == 0).next().unwrap_or_default();
    let raw = raw.trim_ascii_end();
    let start = raw.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(raw.len());
    let raw = &raw[start..];
    if raw.is_empty() || raw[0] == b'#' {
        return Ok(Line::Empty);
    }
    let text = std::str::from_utf8(raw).map_err(|_| ParseProblem::NotUtf8)?;
    let (principals, rest) = principals_field(text)?;

    // ssh-keygen first reads the rest as a key and, failing that, as options then a key. A
    // field is the key when its type is one OpenSSH knows or the next word is key data (the
    // base64 of a key blob starts with "AAAA"): otherwise the better error is about the key.
    let (first, after_first) = split_word(rest);
    let (second, _) = split_word(after_first.trim_start_matches(KEY_SPACE));
    let key_first = key_type(first).is_some()
        || first == SM2_KEY_TYPE
        || first.ends_with("-cert-v01@openssh.com")
        || second.starts_with("AAAA");
    let (options, key_text) = if key_first || rest.is_empty() {
        ("", rest)
    } else {
        let end = options_end(rest)?;
        (&rest[..end], rest[end..].trim_start_matches(KEY_SPACE))
    };
    if key_text.is_empty() {
        return Err(ParseProblem::MissingKey);
    }
    let key = parse_key(key_text)?;
    let options = parse_options(options)?;
    Ok(match key {
        ParsedKey::Skipped(key_type) => Line::Skipped(key_type),
        ParsedKey::Key(key) => Line::Entry(Box::new(Entry {
            line: 0,
            principals: pattern_list(&principals),
            namespaces: options.namespaces.as_deref().map(pattern_list),
            cert_authority: options.cert_authority,
            valid_after: options.valid_after,
            valid_before: options.valid_before,
            key,
        })),
    })
}

/// The principals field as strdelimw cuts it: up to a blank, or, at the first double quote,
/// up to the next one (the quotes dropped); whatever follows a closing quote starts the next
/// field even without a blank. Returns the field and the rest, blanks skipped.
fn principals_field(text: &str) -> Result<(String, &str), ParseProblem> {
    let Some(at) = text.find(|c| FIELD_SPACE.contains(&c) || c == '"') else {
        return Err(ParseProblem::MissingKey);
    };
    if text[at..].starts_with('"') {
        let quoted = &text[at + 1..];
        let close = quoted.find('"').ok_or(ParseProblem::UnterminatedQuote)?;
        let field = format!("{}{}", &text[..at], &quoted[..close]);
        Ok((field, quoted[close + 1..].trim_start_matches(FIELD_SPACE)))
    } else {
        Ok((text[..at].to_owned(), text[at + 1..].trim_start_matches(FIELD_SPACE)))
    }
}

/// The first word and what follows it (not trimmed).
fn split_word(s: &str) -> (&str, &str) {
    s.split_once(KEY_SPACE).unwrap_or((s, ""))
}

/// Where the options field ends: at the first blank outside double quotes (`\"` escapes one).
fn options_end(s: &str) -> Result<usize, ParseProblem> {
    let bytes = s.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() && (quoted || (bytes[i] != b' ' && bytes[i] != b'\t')) {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'"') {
            i += 1;
        } else if bytes[i] == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    if quoted { Err(ParseProblem::UnterminatedQuote) } else { Ok(i) }
}

/// A key type name OpenSSH accepts in a key line.
struct KeyType {
    /// The type inside the key data; the signature-only names stand for their key type.
    blob: &'static str,
    /// Whether `ssh_key::PublicKey` can hold it in this build (no ECDSA, no certificates).
    usable: bool,
}

/// Type names OpenSSH's sshkey_read accepts: (name, type in the key data, usable here).
const KEY_TYPES: [(&str, &str, bool); 21] = [
    ("ssh-ed25519", "ssh-ed25519", true),
    ("sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519@openssh.com", true),
    ("ssh-rsa", "ssh-rsa", true),
    ("rsa-sha2-256", "ssh-rsa", true),
    ("rsa-sha2-512", "ssh-rsa", true),
    ("ssh-dss", "ssh-dss", true),
    ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", false),
    ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", false),
    ("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", false),
    ("sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", false),
    ("webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", false),
    ("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", false),
    ("sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", false),
    ("ssh-rsa-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", false),
    ("rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", false),
    ("rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", false),
    ("ssh-dss-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", false),
    ("ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", false),
    ("ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com", false),
    ("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com", false),
    ("sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", false),
];

fn key_type(name: &str) -> Option<KeyType> {
    KEY_TYPES.iter().find(|(n, _, _)| *n == name).map(|&(_, blob, usable)| KeyType { blob, usable })
}

enum ParsedKey {
    Key(SignerKey),
    Skipped(String),
}

/// `type base64 [comment]`, checked the way sshkey_read checks it: a known type, base64 that
/// decodes, and data of the type the text names.
fn parse_key(text: &str) -> Result<ParsedKey, ParseProblem> {
    let (name, rest) = split_word(text);
    if name == SM2_KEY_TYPE {
        // shenhe's own line for an SM2 key (ssh-keygen passes over it): its SPKI DER.
        let (base64, _comment) = split_word(rest.trim_start_matches(KEY_SPACE));
        if base64.is_empty() {
            return Err(ParseProblem::MissingKey);
        }
        let der = base64_decode(base64).ok_or(ParseProblem::BadKeyBase64)?;
        let key = Sm2Public::from_der(&der).ok_or(ParseProblem::BadKeyData)?;
        return Ok(ParsedKey::Key(SignerKey::Sm2(key)));
    }
    let kind = key_type(name).ok_or_else(|| ParseProblem::UnsupportedKeyType { found: shown(name) })?;
    let (base64, comment) = split_word(rest.trim_start_matches(KEY_SPACE));
    if base64.is_empty() {
        return Err(ParseProblem::MissingKey);
    }
    let blob = base64_decode(base64).ok_or(ParseProblem::BadKeyBase64)?;
    let actual = leading_string(&blob).ok_or(ParseProblem::BadKeyData)?;
    if actual != kind.blob.as_bytes() {
        return Err(ParseProblem::KeyTypeMismatch {
            stated: shown(name),
            actual: shown(&String::from_utf8_lossy(actual)),
        });
    }
    if !kind.usable {
        return Ok(ParsedKey::Skipped(name.to_owned()));
    }
    let mut key = PublicKey::from_openssh(&format!("{} {base64}", kind.blob)).map_err(|_| ParseProblem::BadKeyData)?;
    // ssh-key reads past a wrong length inside the data (e.g. of the Ed25519 point) that
    // OpenSSH refuses; only data that reads back byte for byte is the key it seems to be.
    if key.to_bytes().ok().as_deref() != Some(&blob[..]) {
        return Err(ParseProblem::BadKeyData);
    }
    key.set_comment(comment.trim_matches(FIELD_SPACE));
    Ok(ParsedKey::Key(SignerKey::Ssh(key)))
}

/// Standard base64 with padding, as OpenSSH's b64_pton wants it; strict, so that two texts
/// never mean one key.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64ct::Encoding;
    base64ct::Base64::decode_vec(text).ok()
}

/// The first SSH string of a key blob: its type name.
fn leading_string(blob: &[u8]) -> Option<&[u8]> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?);
    blob.get(4..4usize.checked_add(usize::try_from(len).ok()?)?)
}

#[derive(Default)]
struct Options {
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<DateTime<Utc>>,
    valid_before: Option<DateTime<Utc>>,
}

/// Comma-separated `name` or `name="value"`, names in any case, as sshsigopt_parse reads them:
/// empty items are passed over but a trailing comma is refused.
fn parse_options(text: &str) -> Result<Options, ParseProblem> {
    let mut options = Options::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let name_end = bytes[i..].iter().position(|&b| b == b'=' || b == b',').map_or(bytes.len(), |n| i + n);
        let name = &text[i..name_end];
        if bytes.get(name_end) == Some(&b'=') {
            let option = match name.to_ascii_lowercase().as_str() {
                "namespaces" => "namespaces",
                "valid-after" => "valid-after",
                "valid-before" => "valid-before",
                _ => return Err(ParseProblem::UnknownOption { name: shown(name) }),
            };
            let (value, next) = dequote(text, name_end + 1, option)?;
            i = next;
            match option {
                "namespaces" if options.namespaces.is_some() => {
                    return Err(ParseProblem::DuplicateOption { option });
                }
                "namespaces" => options.namespaces = Some(value),
                _ => {
                    let slot =
                        if option == "valid-after" { &mut options.valid_after } else { &mut options.valid_before };
                    if slot.is_some() {
                        return Err(ParseProblem::DuplicateOption { option });
                    }
                    let time =
                        parse_time(&value).ok_or_else(|| ParseProblem::BadTime { option, value: shown(&value) })?;
                    *slot = Some(time);
                }
            }
        } else if name.eq_ignore_ascii_case("cert-authority") {
            options.cert_authority = true;
            i = name_end;
        } else if !name.is_empty() {
            return Err(ParseProblem::UnknownOption { name: shown(name) });
        }
        if i == bytes.len() {
            break;
        }
        if bytes[i] != b',' {
            // Text glued to a quoted value: OpenSSH reads it as an option without a comma.
            let junk_end = bytes[i..].iter().position(|&b| b == b',').map_or(bytes.len(), |n| i + n);
            return Err(ParseProblem::UnknownOption { name: shown(&text[i..junk_end]) });
        }
        i += 1;
        if i == bytes.len() {
            return Err(ParseProblem::TrailingComma);
        }
    }
    if let (Some(after), Some(before)) = (options.valid_after, options.valid_before)
        && before.timestamp() <= after.timestamp()
    {
        return Err(ParseProblem::ValidityReversed);
    }
    Ok(options)
}

/// The double-quoted value starting at `at` (`\"` stands for a quote) and where it ends.
fn dequote(text: &str, at: usize, option: &'static str) -> Result<(String, usize), ParseProblem> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return Err(ParseProblem::ValueNotQuoted { option });
    }
    let mut value = Vec::new();
    let mut i = at + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return Ok((String::from_utf8_lossy(&value).into_owned(), i + 1)),
            b'\\' if bytes.get(i + 1) == Some(&b'"') => {
                value.push(b'"');
                i += 2;
            }
            _ => {
                value.push(b);
                i += 1;
            }
        }
    }
    Err(ParseProblem::UnterminatedQuote)
}

/// `YYYYMMDD[HHMM[SS]]` with an optional `Z` or `UTC` (any case) for UTC, else local time, as
/// OpenSSH's parse_absolute_time reads it with glibc's strptime: a two-digit field may be one
/// digit after a blank, fields are in strptime's ranges (so a 31st of February or a 61st
/// second is allowed and rolls over, as timegm rolls it), and the epoch or earlier is refused.
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let b = value.as_bytes();
    let (digits, utc) = if b.len() > 1 && b[b.len() - 1].eq_ignore_ascii_case(&b'z') {
        (&b[..b.len() - 1], true)
    } else if b.len() > 3 && b[b.len() - 3..].eq_ignore_ascii_case(b"utc") {
        (&b[..b.len() - 3], true)
    } else {
        (b, false)
    };
    if !matches!(digits.len(), 8 | 12 | 14) {
        return None;
    }
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let two = |at: usize| match *digits.get(at..at + 2)? {
        [tens, ones] if tens.is_ascii_digit() => Some(digit(tens)? * 10 + digit(ones)?),
        [blank, ones] if b" \t\n\x0b\x0c\r".contains(&blank) => digit(ones),
        _ => None,
    };
    // A year with a blank in it has at most three digits: before 1970, refused below anyway.
    let year = digits[..4].iter().try_fold(0u32, |n, &c| Some(n * 10 + digit(c)?))?;
    let (month, day) = (two(4)?, two(6)?);
    let hour = if digits.len() > 8 { two(8)? } else { 0 };
    let minute = if digits.len() > 8 { two(10)? } else { 0 };
    let second = if digits.len() > 12 { two(12)? } else { 0 };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 61 {
        return None;
    }
    let naive: NaiveDateTime = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 1)?
        .checked_add_days(Days::new(u64::from(day - 1)))?
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::seconds(i64::from(hour * 3600 + minute * 60 + second)))?;
    let time = if utc {
        naive.and_utc()
    } else {
        match Local.from_local_datetime(&naive).earliest() {
            Some(t) => t.with_timezone(&Utc),
            // A wall-clock time skipped by a daylight-saving change: read it with the offset
            // in force a day earlier, as mktime reads it with standard time.
            None => {
                let before = naive.checked_sub_days(Days::new(1))?;
                let offset = Local.offset_from_utc_datetime(&before);
                naive.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?.and_utc()
            }
        }
    };
    (time.timestamp() > 0).then_some(time)
}

/// File text as an error quotes it: at most 40 characters, control characters as `?`.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(40).map(|c| if c.is_control() { '?' } else { c }).collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}
