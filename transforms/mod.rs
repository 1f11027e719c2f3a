//! The rules, one file each, in the order the pipeline runs them.
//!
//! Each file holds the rule's struct, its [`RuleMeta`] with docs (what, why, example, fix
//! safety, hadolint codes), its check, and its unit tests: positive and negative cases side by
//! side. Snapshot tests of whole fixtures live in `tests/rules.rs`.

use crate::engine::{Rule, RuleMeta};

mod add_to_copy;
mod apt_get_update_merge;
pub mod common;
mod exec_form_cmd;
mod merge_consecutive_runs;
mod pip_no_cache_dir;

/// Every rule, in pipeline order.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &pip_no_cache_dir::PipNoCacheDir,
        &apt_get_update_merge::AptGetUpdateMerge,
        &merge_consecutive_runs::MergeConsecutiveRuns,
        &add_to_copy::AddToCopy,
        &exec_form_cmd::ExecFormCmd,
    ]
}

/// A rule by code (`DP101`) or name (`pip-no-cache-dir`), case-insensitive for codes.
pub fn find(key: &str) -> Option<&'static dyn Rule> {
    all().into_iter().find(|r| r.meta().code.eq_ignore_ascii_case(key) || r.meta().name == key)
}

/// Rule metadata, in pipeline order.
pub fn metas() -> Vec<&'static RuleMeta> {
    all().into_iter().map(|r| r.meta()).collect()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for rule unit tests: run one rule on a text and look at what it did.
    use crate::engine::{self, Options, Rule};
    use crate::model::context::BuildContext;

    /// The text after applying `rule`'s fixes (unsafe ones included when `unsafe_fixes`).
    pub fn fix_with(rule: &dyn Rule, text: &str, unsafe_fixes: bool, ctx: &BuildContext) -> String {
        let opts = Options { unsafe_fixes, ..Options::default() };
        let out = engine::run(text, &[rule], ctx, &opts).expect("parses");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        // a second run changes nothing
        let again = engine::run(&out.output, &[rule], ctx, &opts).unwrap();
        assert_eq!(again.output, out.output, "not idempotent");
        out.output
    }

    pub fn fix(rule: &dyn Rule, text: &str) -> String {
        fix_with(rule, text, false, &BuildContext::default())
    }

    /// The number of findings of `rule` on `text`.
    pub fn count(rule: &dyn Rule, text: &str) -> usize {
        let f = crate::syntax::parse(text).unwrap();
        engine::check(&f, &[rule], &BuildContext::default()).len()
    }
}
