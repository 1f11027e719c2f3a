//! DP2xx: layers. How instructions become layers: fewer RUNs, COPY rather than ADD, exec-form
//! commands.

pub mod add_to_copy;
pub mod archive_cleanup;
pub mod cache_mounts;
pub mod dockerignore;
pub mod exec_form_cmd;
pub mod manifests_before_sources;
pub mod merge_consecutive_runs;
pub mod python_dont_write_bytecode;
