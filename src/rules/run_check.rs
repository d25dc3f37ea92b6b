//! A check run against the store: read the period (and the one before), run every rule, and
//! reconcile the stored findings, all in one transaction.

use super::{Previous, RuleId, RuleSettings, run};
use crate::domain::Period;
use crate::store::{CheckCounts, NewFinding, PeriodSheets, Store, StoreError};

/// What a check run found and changed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub previous: Option<Period>,
    pub findings: usize,
    pub changes: CheckCounts,
}

/// Runs every rule over `period` and stores the result. Run after every import and decision;
/// it is idempotent, so running it again changes nothing.
pub fn check_period(
    store: &mut Store,
    period: Period,
    settings: &RuleSettings,
    at: &str,
    actor: &str,
) -> Result<CheckOutcome, StoreError> {
    check_period_with(store, period, settings, at, actor, None)
}

/// [`check_period`] on the period's sheets as the caller holds them (the import that has just
/// written them), read from the store only if it has changed since.
pub fn check_period_with(
    store: &mut Store,
    period: Period,
    settings: &RuleSettings,
    at: &str,
    actor: &str,
    sheets: Option<PeriodSheets>,
) -> Result<CheckOutcome, StoreError> {
    let batch = store.begin_check(period, at, actor)?;
    let sheets = batch.sheets_or(sheets)?;
    let previous = batch.previous()?;
    let found = run(&sheets, previous.as_ref().map(|(period, sheets)| Previous { period: *period, sheets }), settings);
    let new: Vec<NewFinding<'_>> = found
        .iter()
        .map(|f| NewFinding {
            school_code: &f.school_code,
            rule: f.rule.key(),
            severity: f.severity.key(),
            detail: serde_json::Value::Object(f.detail.clone()).to_string(),
        })
        .collect();
    let rules: Vec<&str> = RuleId::ALL.iter().map(|r| r.key()).collect();
    let changes = batch.apply(&new, &rules)?;
    Ok(CheckOutcome { previous: previous.map(|(p, _)| p), findings: found.len(), changes })
}
