//! dopt: rewrites Dockerfiles so they build smaller, safer, faster images.
//!
//! Data flows one way: `syntax` (lossless parse) → `model` (stages, ARGs, images, shell) →
//! `transforms` (rules) → `engine` (fixes to a fixed point) → `output` (report, diff, write);
//! `cli` sets the mode. Imports only go down that list. `verify` (build, measure and smoke-test
//! the original and the rewrite with a container engine) sits beside `cli`, which calls it.

pub mod cli;
pub mod config;
pub mod discover;
pub mod engine;
pub mod model;
pub mod output;
pub mod runner;
pub mod syntax;
#[path = "../transforms/mod.rs"]
pub mod transforms;
pub mod verify;
