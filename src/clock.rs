//! The one place that reads the wall clock (clippy.toml bans it elsewhere), so that every
//! time-dependent behaviour can be tested with a fixed time.

use chrono::{DateTime, FixedOffset};

/// Set `SHENHE_NOW` to an RFC 3339 time to make shenhe believe it is then (tests, demos).
pub const NOW_VAR: &str = "SHENHE_NOW";

/// Now, in the machine's local offset (China Standard Time on the auditors' PCs).
#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<FixedOffset> {
    std::env::var(NOW_VAR)
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .unwrap_or_else(|| chrono::Local::now().fixed_offset())
}
