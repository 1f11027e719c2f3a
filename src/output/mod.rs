//! What dopt prints and writes: reports, unified diffs, the JSON of `dopt parse`, and safe
//! in-place writes. Output never re-decides what a rule decided.

pub mod diff;
pub mod parse_json;
pub mod report;
pub mod write;
