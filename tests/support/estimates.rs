//! Criterion's own estimates of a bench function, read back so a bench can print its figures
//! (median and 95% confidence interval) beside the targets.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::SystemTime;

/// Where criterion keeps one function's `new/estimates.json`, and when it was last written.
/// Criterion looks in `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`, then the target
/// directory that holds this executable; so do we.
pub struct EstimatesFile {
    candidates: Vec<(PathBuf, Option<SystemTime>)>,
}

impl EstimatesFile {
    /// The estimates of function `name` in criterion group `group`.
    pub fn look(group: &str, name: &str) -> EstimatesFile {
        let exe = std::env::current_exe().unwrap_or_default();
        let roots = std::env::var_os("CRITERION_HOME")
            .map(PathBuf::from)
            .into_iter()
            .chain(std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion")))
            .chain(exe.ancestors().skip(1).map(|a| a.join("criterion")))
            .chain([PathBuf::from("target/criterion")]);
        let candidates = roots
            .map(|r| r.join(group).join(name).join("new/estimates.json"))
            .map(|f| {
                let modified = f.metadata().and_then(|m| m.modified()).ok();
                (f, modified)
            })
            .collect();
        EstimatesFile { candidates }
    }

    /// Criterion's median estimate (seconds) and its confidence bounds, from the estimates
    /// file this run wrote; None when no file changed since [`EstimatesFile::look`].
    pub fn median_if_rewritten(&self) -> Option<(f64, f64, f64)> {
        let (file, _) = self.candidates.iter().find(|(f, then)| {
            let now = f.metadata().and_then(|m| m.modified()).ok();
            now.is_some() && now != *then
        })?;
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
        let median = &json["median"];
        let ns = |v: &serde_json::Value| v.as_f64().map(|n| n / 1e9);
        Some((
            ns(&median["point_estimate"])?,
            ns(&median["confidence_interval"]["lower_bound"])?,
            ns(&median["confidence_interval"]["upper_bound"])?,
        ))
    }
}

/// Seconds as a bench prints them: "2.614 s", "92.3 ms".
pub fn secs(s: f64) -> String {
    if s >= 1.0 { format!("{s:.3} s") } else { format!("{:.1} ms", s * 1e3) }
}

/// A function's line of figures: its median and 95% confidence interval (with the interval's
/// half-width in percent), and whether it meets `target_s` when it has one.
pub fn median_line(name: &str, width: usize, estimate: Option<(f64, f64, f64)>, target_s: Option<f64>) -> String {
    let Some((median, lo, hi)) = estimate else {
        return format!("  {name:<width$} not measured in this run (or criterion's estimates not found)");
    };
    let mut line = format!(
        "  {name:<width$} median {:>9}  95% CI [{} .. {}] (±{:.1}%)",
        secs(median),
        secs(lo),
        secs(hi),
        (hi - lo) / median * 100.0 / 2.0
    );
    if let Some(target) = target_s {
        let met = if median <= target { "met" } else { "MISSED" };
        line.push_str(&format!("  target ≤ {target} s: {met}"));
    }
    line
}
