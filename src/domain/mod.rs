//! Pure types of the audit: periods, schools' sheets, review states, statistics and dispatch
//! lists. No IO here.

pub mod dispatch;
pub mod fields;
mod labels;
pub mod period;
pub mod review;
pub mod school;
pub mod stats;

pub use fields::Field;
pub use period::{Period, PeriodKind, ReportingWindow, WindowStatus, reported_on_time};
pub use review::{DecisionKind, ReviewState};
pub use school::{AccessType, SchoolStatus, SchoolType, SubmissionData, UrbanRural, WifiCoverage};
