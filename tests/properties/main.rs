//! Property tests (issue 7, item 5): the importers, the bundle verifier and the trusted keys
//! parser, fed arbitrary and mutated inputs, never panic and never hang; each either succeeds
//! or refuses with a message that names the problem, and a refused import leaves the store as
//! it was.
//!
//! Each target — CSV import, XLSX import, bundle verification, allowed_signers — runs
//! `SHENHE_PROPTEST_CASES` cases in all (10,000 unless set), split among its properties. The
//! seeds are fixed, so CI runs the same cases every time and a failure reproduces by running
//! again; `SHENHE_PROPTEST_SEED=N` draws another set. A longer run, by hand:
//!
//! ```sh
//! SHENHE_PROPTEST_CASES=100000 SHENHE_PROPTEST_SEED=7 cargo test --test properties -- --nocapture
//! ```
//!
//! A failing case is shrunk, printed, and its file written to `target/tmp/proptest-failures/`.

mod bundle_verify;
mod csv_import;
mod harness;
mod importer;
mod mutate;
mod signers;
mod xlsx_import;
mod zips;
