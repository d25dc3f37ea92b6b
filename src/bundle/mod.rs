//! The signed bundle that goes to the city (PRODUCT.md §6): the county's signing key, the
//! county's tables and data as CSV and XLSX, the manifest and the canonical zip container,
//! export and verification, and the notice sent back to a returned school.

pub mod allowed_signers;
pub mod archive;
pub mod circular;
pub mod city_report;
pub mod city_return;
pub mod city_status;
pub mod export;
mod forms;
pub mod keys;
pub mod load;
pub mod manifest;
pub mod notice;
mod readme;
pub mod report_text;
pub mod sealed;
pub mod tables;
pub mod upward;
pub mod verify;
pub mod verify_city;
mod workbook;
