//! Pure types of the audit: periods, schools' sheets, review states. No IO here.

mod labels;
pub mod period;
pub mod review;
pub mod school;

pub use period::{Period, PeriodKind};
pub use review::ReviewState;
pub use school::{AccessType, SchoolStatus, SchoolType, SubmissionData, UrbanRural, WifiCoverage};
