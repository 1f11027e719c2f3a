//! DP4xx: builder and runtime stages. A final image that builds and runs on a toolchain image
//! is split into a builder stage (the original) and a runtime stage on a minimal base that gets
//! only what runs; `split.rs` builds the stages for all of them.

pub mod go_runtime;
pub mod java_runtime;
pub mod node_runtime;
pub mod python_runtime;
pub mod split;
