//! Work that runs beside requests: imports in the background.

pub mod imports;
