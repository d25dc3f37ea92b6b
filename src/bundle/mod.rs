//! The signed bundle that goes to the city (PRODUCT.md §6). So far: the county's signing key.

pub mod keys;
