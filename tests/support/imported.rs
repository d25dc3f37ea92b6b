//! One import into a fresh in-memory store, for tests that are about what the data gives.
#![allow(dead_code)]

use std::path::Path;

use shenhe::domain::{Period, SubmissionData};
use shenhe::import::{ImportRequest, import_files};
use shenhe::store::Store;

/// Imports `file` as `period` (e.g. "2026Q3") and returns the current data of the period;
/// panics with the import's own message if the file is refused.
pub fn imported(file: &Path, period: &str) -> Vec<SubmissionData> {
    let period: Period = period.parse().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let request = ImportRequest {
        period,
        files: vec![file.to_path_buf()],
        sheets: Vec::new(),
        actor: "测试".into(),
        at: "2026-10-02T09:00:00+08:00".into(),
        limits: Default::default(),
        held_below: Default::default(),
    };
    import_files(&mut store, &request, &mut |_| {})
        .unwrap_or_else(|e| panic!("{}", e.user_message(Default::default())));
    store.current_data(period).unwrap()
}
