//! The one place that reads the wall clock (clippy.toml bans it elsewhere), so that every
//! time-dependent behaviour can be tested with a fixed time.

use chrono::{DateTime, FixedOffset};

/// Set `SHENHE_NOW` to an RFC 3339 time to make a test build of shenhe believe it is then.
pub const NOW_VAR: &str = "SHENHE_NOW";

/// Whether this build reads `SHENHE_NOW`: test (debug) builds only. Every signed document
/// carries a time a receiver judges 按时 by; a release build that let the environment set it
/// would sign a late report as made on time.
pub const OVERRIDE_HONOURED: bool = cfg!(debug_assertions);

/// Now, in the machine's local offset (China Standard Time on the auditors' PCs).
#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<FixedOffset> {
    let overridden = if OVERRIDE_HONOURED { std::env::var(NOW_VAR).ok() } else { None };
    overridden
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .unwrap_or_else(|| chrono::Local::now().fixed_offset())
}
