//! shenhe (审核): the offline workbench of a county education-data auditor.
//!
//! Data flows one way: file → [`import`] → [`store`] → review → bundle → verify/merge.
//! See ARCHITECTURE.md for the module map and the rules between modules.

pub mod app;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod csv_text;
pub mod domain;
pub mod file_names;
pub mod files;
pub mod i18n;
pub mod import;
pub mod logging;
pub mod rules;
pub mod sample;
pub mod store;
pub mod ui;
