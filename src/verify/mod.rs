//! `dopt verify`: build each Dockerfile before and after dopt's rewrite, measure both images,
//! smoke-test both, and report; `dopt measure`: measure images that exist already.
//!
//! - `tar`, `measure`: reading a saved image (layers, history, wasted bytes).

pub mod measure;
pub mod tar;
