//! tracing to a log file in the data directory; never to the screen.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

/// Starts logging to `dir/shenhe.log`. Without a writable directory shenhe runs unlogged
/// rather than refusing to work (a read-only USB stick, say).
pub fn init(dir: &Path) {
    let Ok(()) = std::fs::create_dir_all(dir) else { return };
    let Ok(file) = OpenOptions::new().create(true).append(true).open(dir.join("shenhe.log")) else { return };
    let level = std::env::var("SHENHE_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt().with_writer(Mutex::new(file)).with_ansi(false).with_max_level(level).try_init();
}
