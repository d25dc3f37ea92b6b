//! The sample county of `assets/sample/` (中原区, two quarters), embedded so that `shenhe demo`,
//! the screen tests and the benchmarks all start from the same data, from any directory.

use std::path::Path;

use crate::domain::Period;
use crate::import::{ImportError, ImportRequest, import_files};
use crate::rules::{RuleSettings, check_period};
use crate::store::{Store, StoreError};

/// The sample county: (code, name, city).
pub const COUNTY: (&str, &str, &str) = ("410102", "中原区", "郑州市");

/// (period, file name, bytes) of each sheet, oldest period first.
pub const SHEETS: [(&str, &str, &[u8]); 2] = [
    ("2026Q2", "2026Q2_中原区.csv", include_bytes!("../assets/sample/2026Q2_中原区.csv")),
    ("2026Q3", "2026Q3_中原区.xlsx", include_bytes!("../assets/sample/2026Q3_中原区.xlsx")),
];

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Import(#[from] ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl SampleError {
    pub fn user_message(&self, lang: crate::i18n::Lang) -> String {
        match self {
            SampleError::Io(e) => e.to_string(),
            SampleError::Import(e) => e.user_message(lang),
            SampleError::Store(e) => e.user_message(lang),
        }
    }
}

/// Writes the sheets into `dir`, imports them into `store` period by period and runs the
/// checks after each, as `actor` at `at`.
pub fn load(store: &mut Store, dir: &Path, rules: &RuleSettings, actor: &str, at: &str) -> Result<(), SampleError> {
    for (period, name, bytes) in SHEETS {
        let file = dir.join(name);
        std::fs::write(&file, bytes)?;
        let period: Period = period.parse().expect("sample periods are valid");
        let request = ImportRequest::new(period, vec![file], actor, at);
        import_files(store, &request, &mut |_| {})?;
        check_period(store, period, rules, at, actor)?;
    }
    Ok(())
}
