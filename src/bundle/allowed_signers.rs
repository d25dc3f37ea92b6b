//! The city's OpenSSH `allowed_signers` file (PRODUCT.md §6): which key may sign bundles as
//! which principal. It is read the way `ssh-keygen -Y verify` reads it (`man ssh-keygen`,
//! ALLOWED SIGNERS; OpenSSH's sshsig.c and match.c), so that shenhe's verdict and the stock
//! tool's agree and a clerk can check either way. Two deliberate differences: a line that
//! ssh-keygen would log and skip is an error here, naming the line, because a clerk should fix
//! a broken trust file rather than have it half-read; and lines whose key shenhe cannot hold
//! (ECDSA, certificates) are set aside as [`Skipped`], which changes no verdict about the
//! county's Ed25519 key.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Days, Local, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use ssh_key::PublicKey;

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based, as editors and ssh-keygen count.
    pub line: usize,
    /// Principal patterns (`*`, `?`, leading `!`), as written.
    pub principals: Vec<String>,
    /// Namespace patterns; `None` allows every namespace.
    pub namespaces: Option<Vec<String>>,
    /// The key certifies other keys; it never vouches for a plain signature.
    pub cert_authority: bool,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
    /// The key with the line's trailing text as its comment.
    pub key: PublicKey,
}

/// A well-formed line whose key type this build of shenhe cannot hold (ECDSA, certificates).
/// ssh-keygen reads it, but it can never vouch for a plain Ed25519 signature, so leaving it
/// out changes no verdict; it is kept so a caller can say which lines it did not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub key_type: String,
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigners {
    entries: Vec<Entry>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, thiserror::Error)]
pub enum SignersError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{}line {line}: {reason}", file_prefix(.path))]
    Parse { path: Option<PathBuf>, line: usize, reason: ParseProblem },
}

/// What is wrong with a line. Text quoted from the file is shortened and stripped of control
/// characters, so a hostile file cannot garble the clerk's terminal through an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseProblem {
    #[error("the line is not UTF-8 text")]
    NotUtf8,
    #[error("a double quote is not closed")]
    UnterminatedQuote,
    #[error("no key after the principals and options")]
    MissingKey,
    #[error("unknown option \"{name}\"")]
    UnknownOption { name: String },
    #[error("the value of {option} must be in double quotes")]
    ValueNotQuoted { option: &'static str },
    #[error("{option} is given twice")]
    DuplicateOption { option: &'static str },
    #[error("the options end with a comma")]
    TrailingComma,
    #[error("{option}=\"{value}\" is not a time (YYYYMMDD[HHMM[SS]][Z])")]
    BadTime { option: &'static str, value: String },
    #[error("valid-before is not later than valid-after")]
    ValidityReversed,
    #[error("\"{found}\" is not a supported key type")]
    UnsupportedKeyType { found: String },
    #[error("the key's base64 text is damaged")]
    BadKeyBase64,
    #[error("the key says \"{stated}\" but its data is \"{actual}\"")]
    KeyTypeMismatch { stated: String, actual: String },
    #[error("the key's data is damaged")]
    BadKeyData,
}

/// What the file says about a key signing as a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    Trusted {
        line: usize,
    },
    /// No line lists the key (cert-authority lines do not count: they are about certificates).
    UnknownKey,
    /// The key is listed, but not for this principal: these are the principal patterns it is
    /// listed for.
    NotForPrincipal {
        principals: Vec<String>,
    },
    NamespaceNotAllowed {
        line: usize,
    },
    NotYetValid {
        line: usize,
        from: DateTime<Utc>,
    },
    Expired {
        line: usize,
        until: DateTime<Utc>,
    },
}

impl AllowedSigners {
    /// The text of a file; errors give the line but no file name.
    pub fn parse(text: &str) -> Result<AllowedSigners, SignersError> {
        parse_bytes(text.as_bytes()).map_err(|(line, reason)| SignersError::Parse { path: None, line, reason })
    }

    /// Reads bytes rather than a string so that a stray non-UTF-8 comment line does not make
    /// the whole file unreadable; errors name the file and line.
    pub fn load(path: &Path) -> Result<AllowedSigners, SignersError> {
        let bytes = std::fs::read(path).map_err(|source| SignersError::Read { path: path.to_path_buf(), source })?;
        parse_bytes(&bytes).map_err(|(line, reason)| SignersError::Parse {
            path: Some(path.to_path_buf()),
            line,
            reason,
        })
    }

    /// The key lines shenhe can use, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The well-formed lines set aside (see [`Skipped`]), in file order.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// What the file says about `key` signing as `principal` in `namespace` at time `at`.
    /// `Trusted` exactly when `ssh-keygen -Y verify` would accept the key (as of `at`, whole
    /// seconds, both window ends inclusive). Otherwise the most helpful refusal: a line that
    /// names the principal but is out of its time window, then one that excludes the
    /// namespace, then the principals the key is listed for.
    pub fn judge(&self, principal: &str, key: &PublicKey, namespace: &str, at: DateTime<Utc>) -> Trust {
        let now = at.timestamp();
        let mut listed = false;
        let mut listed_for: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        // (closeness to trust, verdict): time beats namespace, the first line wins a tie.
        let mut nearest: Option<(u8, Trust)> = None;
        for e in self.entries.iter().filter(|e| !e.cert_authority && e.key.key_data() == key.key_data()) {
            listed = true;
            if !matches_list(principal, &e.principals) {
                for p in &e.principals {
                    if seen.insert(p) {
                        listed_for.push(p.clone());
                    }
                }
                continue;
            }
            let refusal = if let Some(ns) = &e.namespaces
                && !matches_list(namespace, ns)
            {
                (1, Trust::NamespaceNotAllowed { line: e.line })
            } else if let Some(from) = e.valid_after
                && now < from.timestamp()
            {
                (2, Trust::NotYetValid { line: e.line, from })
            } else if let Some(until) = e.valid_before
                && now > until.timestamp()
            {
                (2, Trust::Expired { line: e.line, until })
            } else {
                return Trust::Trusted { line: e.line };
            };
            if nearest.as_ref().is_none_or(|(rank, _)| refusal.0 > *rank) {
                nearest = Some(refusal);
            }
        }
        match nearest {
            Some((_, verdict)) => verdict,
            None if listed => Trust::NotForPrincipal { principals: listed_for },
            None => Trust::UnknownKey,
        }
    }
}

fn file_prefix(path: &Option<PathBuf>) -> String {
    path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default()
}

/// ssh-keygen reads lines with getline: split at `\n` only.
fn parse_bytes(bytes: &[u8]) -> Result<AllowedSigners, (usize, ParseProblem)> {
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
    let key_first = key_type(first).is_some() || first.ends_with("-cert-v01@openssh.com") || second.starts_with("AAAA");
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
    Key(PublicKey),
    Skipped(String),
}

/// `type base64 [comment]`, checked the way sshkey_read checks it: a known type, base64 that
/// decodes, and data of the type the text names.
fn parse_key(text: &str) -> Result<ParsedKey, ParseProblem> {
    let (name, rest) = split_word(text);
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
    Ok(ParsedKey::Key(key))
}

/// Standard base64 with padding, as OpenSSH's b64_pton wants it.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let pad = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in &bytes[..bytes.len() - pad] {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from(acc >> bits).ok()?);
            acc &= (1 << bits) - 1;
        }
    }
    // The bits the padding leaves over must be zero, or two texts would mean one key.
    (acc == 0).then_some(out)
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

/// A comma-separated pattern list as match_pattern_list walks it: a trailing comma adds no
/// empty pattern, an inner or leading one does.
fn pattern_list(text: &str) -> Vec<String> {
    let mut items: Vec<String> = text.split(',').map(str::to_owned).collect();
    if text.is_empty() || text.ends_with(',') {
        items.pop();
    }
    items
}

/// OpenSSH's match_pattern_list: a matching `!pattern` refuses, otherwise any matching
/// pattern accepts. Patterns of 1023 bytes or more make the whole list fail, as in OpenSSH.
fn matches_list(text: &str, patterns: &[String]) -> bool {
    let mut positive = false;
    for item in patterns {
        let (negated, pattern) = match item.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, item.as_str()),
        };
        if pattern.len() >= 1023 {
            return false;
        }
        if matches_pattern(text.as_bytes(), pattern.as_bytes()) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// `*` and `?` over bytes, as OpenSSH matches (so `?` is one byte, not one character of a
/// Chinese name). Iterative, so a hostile pattern cannot make it take exponential time.
fn matches_pattern(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    // After the last `*`: where the pattern resumes and where the text retries from.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, t));
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((resume, from)) => {
                    p = resume;
                    t = from + 1;
                    star = Some((resume, from + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// File text as an error quotes it: at most 40 characters, control characters as `?`.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(40).map(|c| if c.is_control() { '?' } else { c }).collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::keys;
    use ssh_key::private::Ed25519Keypair;

    /// A fixed Ed25519 public key per seed byte, so failures are reproducible.
    fn key(seed: u8) -> PublicKey {
        let mut key = PublicKey::from(Ed25519Keypair::from_seed(&[seed; 32]).public);
        key.set_comment(format!("county {seed}"));
        key
    }

    fn openssh(key: &PublicKey) -> String {
        key.to_openssh().unwrap()
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn problem(text: &str) -> (usize, ParseProblem) {
        match AllowedSigners::parse(text) {
            Err(SignersError::Parse { path: None, line, reason }) => (line, reason),
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDX2G6fPay182csXhc7aopYLlAaJbLk99UfrVSGSd+Q3AqQ3oH+WWocoXrQ1mKheMI7n+G4TToRsOFtNTPtHX8A= ecdsa";
    const NOW: &str = "2026-05-01T08:00:00Z";

    #[test]
    fn parses_quoted_principals_options_in_any_case_comments_and_crlf() {
        let (k1, k2) = (openssh(&key(1)), openssh(&key(2)));
        let text = format!(
            "# county keys\r\n\
             \t \r\n\
             \"410102,4101 02\" NAMESPACES=\"shenhe-bundle,file\",Cert-Authority,valid-AFTER=\"20240101Z\",Valid-Before=\"20250101120000utc\" {k1} 中原区 # not a comment\r\n\
             \x20 410103 {k2}\r\n\
             410104 namespaces=\"a \\\"b\\\" c\" {k2}"
        );
        let signers = AllowedSigners::parse(&text).unwrap();
        let [first, second, third] = signers.entries() else { panic!("{signers:?}") };
        assert_eq!(first.line, 3);
        assert_eq!(first.principals, ["410102", "4101 02"]);
        assert_eq!(first.namespaces.as_deref(), Some(&["shenhe-bundle".to_owned(), "file".to_owned()][..]));
        assert!(first.cert_authority);
        assert_eq!(first.valid_after, Some(utc(2024, 1, 1, 0, 0, 0)));
        assert_eq!(first.valid_before, Some(utc(2025, 1, 1, 12, 0, 0)));
        assert_eq!(first.key.key_data(), key(1).key_data());
        assert_eq!(first.key.comment(), "county 1 中原区 # not a comment");
        assert_eq!((second.line, &second.principals[..]), (4, &["410103".to_owned()][..]));
        assert_eq!((second.namespaces.as_ref(), second.cert_authority), (None, false));
        assert_eq!((second.valid_after, second.valid_before), (None, None));
        assert_eq!(second.key.comment(), "county 2");
        assert_eq!(third.namespaces, Some(vec!["a \"b\" c".to_owned()]));
    }

    #[test]
    fn accepts_the_oddities_ssh_keygen_accepts() {
        let k = openssh(&key(1));
        let rsa = PublicKey::from(ssh_key::public::RsaPublicKey {
            e: ssh_key::Mpint::from_positive_bytes(&[1, 0, 1]).unwrap(),
            n: ssh_key::Mpint::from_positive_bytes(&[0xC5; 256]).unwrap(),
        });
        let rsa_data = openssh(&rsa).split(' ').nth(1).unwrap().to_owned();
        let text = [
            format!("4101\"02\" ,cert-authority,,namespaces=\"x\" {k}"), // quote mid-field, empty options
            format!("p valid-after=\"20240231Z\" {k}"),                  // 31 February rolls over
            format!("p valid-after=\"20240101000061z\" {k}"),            // a 61st second, lower-case z
            format!("p valid-after=\"2024\t1 1 2 3 4\" {k}"),            // strptime skips blanks
            format!("p rsa-sha2-512 {rsa_data}"),                        // a signature name for RSA
            format!("p {ECDSA}"),                                        // kept aside, not an error
            format!("\"\" {k}"),                                         // an empty principal
            "# \u{fffd} comment".to_owned(),
        ]
        .join("\n");
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"\n# GBK \xd6\xd0\xd4\xad\n");
        let signers = parse_bytes(&bytes).unwrap();
        let e = signers.entries();
        assert_eq!(e.len(), 6);
        assert_eq!((e[0].principals.clone(), e[0].cert_authority), (vec!["410102".to_owned()], true));
        assert_eq!(e[1].valid_after, Some(utc(2024, 3, 2, 0, 0, 0)));
        assert_eq!(e[2].valid_after, Some(utc(2024, 1, 1, 0, 1, 1)));
        let local = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(2, 3, 4).unwrap();
        assert_eq!(e[3].valid_after, Local.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)));
        assert_eq!(e[4].key.key_data(), rsa.key_data());
        assert_eq!((e[5].line, e[5].principals.clone()), (7, Vec::<String>::new()));
        assert_eq!(signers.skipped(), [Skipped { line: 6, key_type: "ecdsa-sha2-nistp256".to_owned() }]);
    }

    #[test]
    fn errors_name_the_problem_and_the_line() {
        let k = openssh(&key(1));
        let data = k.split(' ').nth(1).unwrap();
        let cases = [
            (format!("410102 namespaces=\"shenhe-bundle {k}"), ParseProblem::UnterminatedQuote),
            (format!("\"410102 {k}"), ParseProblem::UnterminatedQuote),
            (format!("410102 valid-after=\"20240101 {k}"), ParseProblem::UnterminatedQuote),
            (format!("410102 nosuch=\"x\" {k}"), ParseProblem::UnknownOption { name: "nosuch".into() }),
            (format!("410102 cert-authorityX {k}"), ParseProblem::UnknownOption { name: "cert-authorityX".into() }),
            (format!("410102 namespaces {k}"), ParseProblem::UnknownOption { name: "namespaces".into() }),
            (format!("\"410102\"x {k}"), ParseProblem::UnknownOption { name: "x".into() }),
            (format!("410102 namespaces=\"a\"b {k}"), ParseProblem::UnknownOption { name: "b".into() }),
            ("410102".to_owned(), ParseProblem::MissingKey),
            ("410102   ".to_owned(), ParseProblem::MissingKey),
            ("410102 namespaces=\"x\"".to_owned(), ParseProblem::MissingKey),
            ("410102 ssh-ed25519".to_owned(), ParseProblem::MissingKey),
            ("410102 ssh-ed25519 AAAA!!!!".to_owned(), ParseProblem::BadKeyBase64),
            (format!("410102 ssh-ed25519 {}", &data[..data.len() - 1]), ParseProblem::BadKeyBase64),
            (format!("410102 ssh-ed25519 {}", &data[..data.len() - 4]), ParseProblem::BadKeyData),
            // A wrong length before the Ed25519 point: ssh-key alone would take it, OpenSSH not.
            (format!("410102 ssh-ed25519 {}", data.replacen("NTE5AAAAI", "NTE5AAAAi", 1)), ParseProblem::BadKeyData),
            (format!("410102 ssh-ed2551 {data}"), ParseProblem::UnsupportedKeyType { found: "ssh-ed2551".into() }),
            (format!("410102 ED25519 {data}"), ParseProblem::UnsupportedKeyType { found: "ED25519".into() }),
            (
                format!("410102 namespaces=\"x\" ssh-foo {data}"),
                ParseProblem::UnsupportedKeyType { found: "ssh-foo".into() },
            ),
            (
                format!("410102 ssh-rsa {data}"),
                ParseProblem::KeyTypeMismatch { stated: "ssh-rsa".into(), actual: "ssh-ed25519".into() },
            ),
            (format!("410102 namespaces=shenhe-bundle {k}"), ParseProblem::ValueNotQuoted { option: "namespaces" }),
            (
                format!("410102 namespaces=\"a\",NameSpaces=\"b\" {k}"),
                ParseProblem::DuplicateOption { option: "namespaces" },
            ),
            (format!("410102 cert-authority, {k}"), ParseProblem::TrailingComma),
            (
                format!("410102 valid-after=\"2024-1-1\" {k}"),
                ParseProblem::BadTime { option: "valid-after", value: "2024-1-1".into() },
            ),
            (
                format!("410102 valid-before=\"19700101Z\" {k}"),
                ParseProblem::BadTime { option: "valid-before", value: "19700101Z".into() },
            ),
            (
                format!("410102 valid-before=\"20240101250000Z\" {k}"),
                ParseProblem::BadTime { option: "valid-before", value: "20240101250000Z".into() },
            ),
            (
                format!("410102 valid-before=\"20240 11Z\" {k}"),
                ParseProblem::BadTime { option: "valid-before", value: "20240 11Z".into() },
            ),
            (
                format!("410102 valid-after=\"20250101Z\",valid-before=\"20250101Z\" {k}"),
                ParseProblem::ValidityReversed,
            ),
        ];
        for (bad, expected) in cases {
            let text = format!("# ok\n410101 {k}\r\n{bad}\n410103 {k}\n");
            assert_eq!(problem(&text), (3, expected), "{bad}");
        }
        let e = AllowedSigners::parse(&format!("\n\n410102 nosuch {k}")).unwrap_err();
        assert_eq!(e.to_string(), "line 3: unknown option \"nosuch\"");
        // Quoted file text is cut short and cannot carry control characters to a terminal.
        let (_, hostile) = problem(&format!("p \x1b[31m{}\x07 {data}", "x".repeat(100)));
        let shown = hostile.to_string();
        assert!(!shown.contains('\x1b') && !shown.contains('\x07') && shown.chars().count() < 80, "{shown}");
    }

    #[test]
    fn load_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("allowed_signers");
        let mut bytes = format!("410101 {}\n", openssh(&key(1))).into_bytes();
        bytes.extend_from_slice(b"\xd6\xd0\xd4\xad ");
        bytes.extend_from_slice(openssh(&key(2)).as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let e = AllowedSigners::load(&path).unwrap_err();
        assert!(matches!(e, SignersError::Parse { line: 2, reason: ParseProblem::NotUtf8, .. }), "{e:?}");
        assert_eq!(e.to_string(), format!("{}: line 2: the line is not UTF-8 text", path.display()));
        std::fs::write(&path, &bytes[..bytes.len() - 10 - openssh(&key(2)).len()]).unwrap();
        assert_eq!(AllowedSigners::load(&path).unwrap().entries().len(), 1);
        let missing = AllowedSigners::load(&dir.path().join("nowhere")).unwrap_err();
        assert!(matches!(&missing, SignersError::Read { path, .. } if path.ends_with("nowhere")), "{missing:?}");
    }

    #[test]
    fn local_times_are_read_in_the_local_zone() {
        let signers = AllowedSigners::parse(&format!(
            "p valid-after=\"203001021530\",valid-before=\"20300103Z\" {}",
            openssh(&key(1))
        ))
        .unwrap();
        let local = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap().and_hms_opt(15, 30, 0).unwrap();
        let expected = Local.from_local_datetime(&local).earliest().unwrap().with_timezone(&Utc);
        assert_eq!(signers.entries()[0].valid_after, Some(expected));
        assert_eq!(signers.entries()[0].valid_before, Some(utc(2030, 1, 3, 0, 0, 0)));
    }

    fn judge(text: &str, principal: &str, signer: &PublicKey, namespace: &str, when: &str) -> Trust {
        AllowedSigners::parse(text).unwrap().judge(principal, signer, namespace, at(when))
    }

    #[test]
    fn principals_match_exactly_by_wildcard_and_by_negation() {
        let signer = key(1);
        let k = openssh(&signer);
        let trusted = |patterns: &str, principal: &str| {
            judge(&format!("{patterns} {k}"), principal, &signer, keys::NAMESPACE, NOW) == Trust::Trusted { line: 1 }
        };
        assert!(trusted("410102", "410102"));
        assert!(!trusted("410102", "4101020") && !trusted("410102", "41010") && !trusted("410102", "410102 "));
        assert!(trusted("410101,410102", "410102") && trusted("\"410101,410102\"", "410102"));
        assert!(trusted("4101*", "410102") && trusted("4101*", "4101") && !trusted("4101*", "420102"));
        assert!(trusted("4101??", "410102") && !trusted("4101??", "4101023") && !trusted("4101??", "41010"));
        assert!(trusted("*0*2", "410102") && trusted("**", "") && !trusted("*3", "410102"));
        assert!(trusted("*,!410103", "410102") && !trusted("*,!410103", "410103"));
        assert!(!trusted("!410103,*", "410103"), "a negation refuses wherever it stands");
        assert!(!trusted("!410103", "410102"), "a negation alone accepts nobody");
        assert!(trusted("!!x,410102", "410102") && !trusted("!!x,*", "!x"));
        assert!(trusted("中原区", "中原区") && trusted("中原*", "中原区"));
        assert!(!trusted("中原?", "中原区"), "`?` is one byte, as in OpenSSH");
        assert!(trusted("中原???", "中原区"));
        assert!(!trusted("Zhongyuan", "zhongyuan"), "case counts");
        assert!(trusted("410102,", "410102") && !trusted("410102,", "") && trusted(",410102", ""));
        let long = "x".repeat(1023);
        assert!(trusted(&"x".repeat(1022), &"x".repeat(1022)));
        assert!(!trusted(&format!("410102,{long}"), "410102"), "OpenSSH gives up on a 1023-byte pattern");
    }

    #[test]
    fn hostile_patterns_do_not_take_exponential_time() {
        let pattern = format!("{}b", "*a".repeat(400));
        let k = openssh(&key(1));
        let verdict = judge(&format!("{pattern} {k}"), &"a".repeat(5000), &key(1), keys::NAMESPACE, NOW);
        assert!(matches!(verdict, Trust::NotForPrincipal { .. }), "{verdict:?}");
    }

    #[test]
    fn namespaces_are_a_pattern_list() {
        let k = openssh(&key(1));
        let verdict = |namespaces: &str, namespace: &str| {
            judge(&format!("p namespaces=\"{namespaces}\" {k}"), "p", &key(1), namespace, NOW)
        };
        assert_eq!(verdict("shenhe-bundle", "shenhe-bundle"), Trust::Trusted { line: 1 });
        assert_eq!(verdict("file,shenhe-bundle", "shenhe-bundle"), Trust::Trusted { line: 1 });
        assert_eq!(verdict("shenhe-*", "shenhe-bundle"), Trust::Trusted { line: 1 });
        assert_eq!(verdict("file", "shenhe-bundle"), Trust::NamespaceNotAllowed { line: 1 });
        assert_eq!(verdict("*,!shenhe-bundle", "shenhe-bundle"), Trust::NamespaceNotAllowed { line: 1 });
        assert_eq!(verdict("", "shenhe-bundle"), Trust::NamespaceNotAllowed { line: 1 });
        assert_eq!(judge(&format!("p {k}"), "p", &key(1), "anything", NOW), Trust::Trusted { line: 1 });
    }

    #[test]
    fn cert_authority_never_trusts_a_plain_key() {
        let k = openssh(&key(1));
        for options in ["cert-authority", "CERT-AUTHORITY,namespaces=\"shenhe-bundle\""] {
            let text = format!("410102 {options} {k}");
            assert_eq!(judge(&text, "410102", &key(1), keys::NAMESPACE, NOW), Trust::UnknownKey);
        }
        let text = format!("410102 cert-authority {k}\n410102 {k}");
        assert_eq!(judge(&text, "410102", &key(1), keys::NAMESPACE, NOW), Trust::Trusted { line: 2 });
    }

    #[test]
    fn validity_windows_are_inclusive_whole_seconds() {
        let k = openssh(&key(1));
        let text = format!("p valid-after=\"20260101Z\",valid-before=\"202612311200Z\" {k}");
        let verdict = |when: &str| judge(&text, "p", &key(1), keys::NAMESPACE, when);
        let (from, until) = (utc(2026, 1, 1, 0, 0, 0), utc(2026, 12, 31, 12, 0, 0));
        assert_eq!(verdict("2025-12-31T23:59:59.999Z"), Trust::NotYetValid { line: 1, from });
        assert_eq!(verdict("2026-01-01T00:00:00Z"), Trust::Trusted { line: 1 });
        assert_eq!(verdict("2026-01-01T08:00:00+08:00"), Trust::Trusted { line: 1 });
        assert_eq!(verdict("2026-12-31T12:00:00.999Z"), Trust::Trusted { line: 1 });
        assert_eq!(verdict("2026-12-31T12:00:01Z"), Trust::Expired { line: 1, until });
        assert_eq!(verdict("2026-12-31T20:00:01+08:00"), Trust::Expired { line: 1, until });
        // Without Z the times are the machine's local time.
        let local = format!("p valid-before=\"20261231\" {k}");
        let end = Local
            .from_local_datetime(&NaiveDate::from_ymd_opt(2026, 12, 31).unwrap().and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        let signers = AllowedSigners::parse(&local).unwrap();
        assert_eq!(signers.judge("p", &key(1), keys::NAMESPACE, end), Trust::Trusted { line: 1 });
        let later = end + TimeDelta::seconds(1);
        assert_eq!(signers.judge("p", &key(1), keys::NAMESPACE, later), Trust::Expired { line: 1, until: end });
    }

    #[test]
    fn several_lines_for_one_key_give_the_most_helpful_verdict() {
        let (k1, k2) = (openssh(&key(1)), openssh(&key(2)));
        let ns = keys::NAMESPACE;
        let text = [
            format!("410101,4102* {k1}"),
            format!("410102 namespaces=\"file\" {k1}"),
            format!("410102 valid-before=\"20200101Z\" {k1}"),
            format!("410103 {k2}"),
            format!("410104 namespaces=\"file\" {k1}"),
            format!("410105 {k1}"),
            format!("410104 namespaces=\"shenhe-bundle\" {k1}"),
        ]
        .join("\n");
        let verdict = |principal: &str, signer: &PublicKey| judge(&text, principal, signer, ns, NOW);
        assert_eq!(verdict("410102", &key(1)), Trust::Expired { line: 3, until: utc(2020, 1, 1, 0, 0, 0) });
        assert_eq!(verdict("410104", &key(1)), Trust::Trusted { line: 7 });
        assert_eq!(verdict("410105", &key(1)), Trust::Trusted { line: 6 });
        assert_eq!(verdict("410103", &key(2)), Trust::Trusted { line: 4 });
        let principals = ["410101", "4102*", "410102", "410104", "410105"].map(String::from).to_vec();
        assert_eq!(verdict("410103", &key(1)), Trust::NotForPrincipal { principals });
        assert_eq!(verdict("410102", &key(2)), Trust::NotForPrincipal { principals: vec!["410103".into()] });
        assert_eq!(verdict("410102", &key(3)), Trust::UnknownKey);
        // The comment is not part of the key.
        let mut renamed = key(1);
        renamed.set_comment("someone else");
        assert_eq!(verdict("410105", &renamed), Trust::Trusted { line: 6 });
        let only_namespace = format!("410102 namespaces=\"file\" {k1}\n410102 valid-after=\"20990101Z\" {k1}");
        let from = utc(2099, 1, 1, 0, 0, 0);
        assert_eq!(judge(&only_namespace, "410102", &key(1), ns, NOW), Trust::NotYetValid { line: 2, from });
    }

    /// A county key, a signed manifest and the stock `ssh-keygen -Y verify` to judge it, or
    /// None without ssh-keygen (`.ci/run` installs openssh-client; the tests then say so and
    /// check nothing).
    struct Stock {
        dir: tempfile::TempDir,
        county: keys::SigningKey,
    }

    impl Stock {
        fn new() -> Option<Stock> {
            if std::process::Command::new("ssh-keygen").arg("-?").output().is_err() {
                eprintln!("ssh-keygen not installed: the interoperability check did not run");
                return None;
            }
            let dir = tempfile::tempdir().unwrap();
            let county = keys::init(&dir.path().join("county"), "410102").unwrap();
            let message = b"{\"county_code\":\"410102\"}\n";
            std::fs::write(dir.path().join("manifest.json"), message).unwrap();
            std::fs::write(dir.path().join("manifest.json.sig"), county.sign(message).unwrap()).unwrap();
            Some(Stock { dir, county })
        }

        /// Whether ssh-keygen accepts the signature as `principal` with `text` as the file,
        /// and what it said.
        fn verifies(&self, text: &str, principal: &str) -> (bool, String) {
            std::fs::write(self.dir.path().join("allowed_signers"), text).unwrap();
            let input = std::fs::File::open(self.dir.path().join("manifest.json")).unwrap();
            let out = std::process::Command::new("ssh-keygen")
                .current_dir(self.dir.path())
                .args(["-Y", "verify", "-f", "allowed_signers", "-I", principal, "-n", keys::NAMESPACE])
                .args(["-s", "manifest.json.sig"])
                .stdin(input)
                .output()
                .unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// For each file and principal, shenhe says Trusted exactly when the stock tool verifies a
    /// real bundle signature.
    #[test]
    fn judge_agrees_with_ssh_keygen() {
        let Some(stock) = Stock::new() else { return };
        let other = keys::init(&stock.dir.path().join("other"), "410103").unwrap();
        let (k, o) = (openssh(stock.county.public()), openssh(other.public()));
        let files = [
            format!("410102 {k}"),
            format!("410102 namespaces=\"shenhe-bundle\" {k}"),
            format!("410102 namespaces=\"file\" {k}"),
            format!("410102 NAMESPACES=\"file,shenhe-*\" {k}"),
            format!("410102 namespaces=\"*,!shenhe-bundle\" {k}"),
            format!("4101* {k}"),
            format!("4101??,!410103 {k}"),
            format!("*,!410103 {k}"),
            format!("!410103 {k}"),
            format!("\"410102,4101 02\" {k}"),
            format!("中原* {k}"),
            format!("中原? {k}"),
            format!("410102 valid-before=\"20200101Z\" {k}"),
            format!("410102 valid-before=\"20200101\" {k}"),
            format!("410102 valid-after=\"20990101\" {k}"),
            format!("410102 valid-after=\"20000101Z\",valid-before=\"20990101120000Z\" {k}"),
            format!("410102 cert-authority {k}"),
            format!("410102 cert-authority,namespaces=\"shenhe-bundle\" {k}"),
            format!("410102 ,Valid-After=\"20000101\" {k}"),
            format!("410102 {o}"),
            format!("410102 namespaces=\"file\" {k}\n410102 {k}"),
            format!("410102 {o}\n* {k}"),
            format!("410102,410103 valid-before=\"20200101Z\" {k}\n410103 {k}"),
            format!("# the city's list\r\n\r\n  410102 {k} trailing comment # here\r\n"),
            format!("410102 {ECDSA}\n4101* namespaces=\"shenhe-bundle\" {k}"),
        ];
        let now = crate::clock::now().with_timezone(&Utc);
        let mut agreed = [0; 2];
        for text in &files {
            let text = format!("{text}\n");
            let signers = AllowedSigners::parse(&text).unwrap();
            for principal in ["410102", "410103", "4101021", "420102", "4101 02", "中原区"] {
                let (accepted, said) = stock.verifies(&text, principal);
                let ours = signers.judge(principal, stock.county.public(), keys::NAMESPACE, now);
                assert_eq!(
                    matches!(ours, Trust::Trusted { .. }),
                    accepted,
                    "{text:?} as {principal:?}: shenhe {ours:?}, ssh-keygen {said}"
                );
                agreed[usize::from(accepted)] += 1;
            }
        }
        assert!(agreed[0] > 50 && agreed[1] > 20, "{agreed:?}");
    }

    /// Damaged lines: whatever ssh-keygen accepts, shenhe reads and trusts; whatever shenhe
    /// reads, it trusts exactly when ssh-keygen does. (shenhe may refuse more: a damaged line
    /// is an error here, a skipped line there.)
    #[test]
    fn mutated_lines_agree_with_ssh_keygen() {
        let Some(stock) = Stock::new() else { return };
        let k = openssh(stock.county.public());
        let seeds = [
            format!("410102 {k}"),
            format!("\"410102,4101*\" NAMESPACES=\"shenhe-bundle,file\",cert-authority {k}"),
            format!("!410103,* valid-after=\"20240101Z\",valid-before=\"203001011200\" {k}"),
            format!("4101?? namespaces=\"shenhe-*\",valid-before=\"20990231235961\" {k}"),
            format!("\"4101 02\",p ,valid-after=\"20200101Z\",,namespaces=\"a \\\"b\\\",*\" {k}"),
        ];
        let specials = b"\"\\,=! \t#*?Z019ab";
        let mut rng = Rng(0x5eed_0000_0000_0002);
        let now = crate::clock::now().with_timezone(&Utc);
        for _ in 0..120 {
            let mut bytes = seeds[rng.below(seeds.len())].clone().into_bytes();
            for _ in 0..=rng.below(3) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] = specials[rng.below(specials.len())],
                    1 => bytes.insert(at, specials[rng.below(specials.len())]),
                    _ => drop(bytes.remove(at)),
                }
            }
            let text = format!("{}\n", String::from_utf8(bytes).unwrap());
            let ours = AllowedSigners::parse(&text);
            for principal in ["410102", "p", "4101 02"] {
                let (accepted, said) = stock.verifies(&text, principal);
                let verdict = ours.as_ref().map(|s| s.judge(principal, stock.county.public(), keys::NAMESPACE, now));
                match &verdict {
                    Ok(v) => assert_eq!(
                        matches!(v, Trust::Trusted { .. }),
                        accepted,
                        "{text:?} as {principal}: {v:?}, {said}"
                    ),
                    Err(e) => assert!(!accepted, "{text:?} as {principal}: shenhe {e}, ssh-keygen accepts"),
                }
            }
        }
    }

    /// xorshift64*: a fixed sequence, so a failing input can be found again.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
        }
    }

    #[test]
    fn mutated_lines_give_an_error_or_a_verdict_never_a_panic() {
        let signer = key(1);
        let k = openssh(&signer);
        let seeds = [
            format!("410102 {k}"),
            format!("\"410102,4101*\" NAMESPACES=\"shenhe-bundle,file\",cert-authority {k} 中原区"),
            format!("!410103,* valid-after=\"20240101Z\",valid-before=\"203001011200\" {k}\r"),
            format!("p namespaces=\"a \\\"b\\\"\" {ECDSA}"),
            "# comment".to_owned(),
        ];
        let specials = b"\"\\,=! \t\r\n#*?Z\x00\xff";
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut verdicts = 0;
        for _ in 0..4000 {
            let mut bytes = seeds[rng.below(seeds.len())].clone().into_bytes();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(5) {
                    0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
                    1 => bytes.truncate(at),
                    2 => bytes.insert(at, specials[rng.below(specials.len())]),
                    3 if at < bytes.len() => {
                        let end = (at + rng.below(16)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    _ => {
                        let end = (at + rng.below(24)).min(bytes.len());
                        let copy = bytes[at..end].to_vec();
                        bytes.splice(at..at, copy);
                    }
                }
            }
            let lines = bytes.split(|&b| b == b'\n').count();
            for parsed in [parse_bytes(&bytes).map_err(|(line, _)| line), {
                let text = String::from_utf8_lossy(&bytes);
                AllowedSigners::parse(&text).map_err(|e| match e {
                    SignersError::Parse { line, .. } => line,
                    SignersError::Read { .. } => 0,
                })
            }] {
                match parsed {
                    Ok(signers) => {
                        for principal in ["410102", "p", "", "中原区"] {
                            let _ = signers.judge(principal, &signer, keys::NAMESPACE, at(NOW));
                        }
                        verdicts += 1;
                    }
                    Err(line) => assert!((1..=lines).contains(&line), "line {line} of {lines}"),
                }
            }
        }
        assert!(verdicts > 100, "the mutations should leave some files readable");
    }
}
