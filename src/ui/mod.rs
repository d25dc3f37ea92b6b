//! Rendering only. The review screen arrives here; for now, the CLI's aligned tables.

pub mod table;
