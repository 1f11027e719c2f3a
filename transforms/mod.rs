//! The rules, one file each, in the order the pipeline runs them.
//!
//! Each file holds the rule's struct, its [`RuleMeta`] with docs (what, why, example, fix
//! safety, hadolint codes), its check, and its unit tests: positive and negative cases side by
//! side. Snapshot tests of whole fixtures live in `tests/rules.rs`.

use crate::engine::{Rule, RuleMeta};

mod add_to_copy;
mod apk_no_cache;
pub mod apt;
mod apt_get_no_install_recommends;
mod apt_get_update_merge;
mod apt_get_yes;
mod apt_lists_cleanup;
mod apt_to_apt_get;
pub mod common;
mod exec_form_cmd;
mod gem_no_document;
mod merge_consecutive_runs;
mod npm_ci;
mod package_cache_clean;
mod pip_no_cache_dir;
mod pin_base_image;
mod rpm_assume_yes;
mod rpm_clean;
mod rpm_weak_deps;
mod slim_base_image;
mod yarn_frozen_lockfile;

/// Every rule, in pipeline order.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &pip_no_cache_dir::PipNoCacheDir,
        &apt_to_apt_get::AptToAptGet,
        &apt_get_yes::AptGetYes,
        &apt_get_no_install_recommends::AptGetNoInstallRecommends,
        &apt_lists_cleanup::AptListsCleanup,
        &apk_no_cache::ApkNoCache,
        &npm_ci::NpmCi,
        &yarn_frozen_lockfile::YarnFrozenLockfile,
        &package_cache_clean::PackageCacheClean,
        &rpm_assume_yes::RpmAssumeYes,
        &rpm_clean::RpmClean,
        &rpm_weak_deps::RpmWeakDeps,
        &gem_no_document::GemNoDocument,
        &apt_get_update_merge::AptGetUpdateMerge,
        &merge_consecutive_runs::MergeConsecutiveRuns,
        &add_to_copy::AddToCopy,
        &exec_form_cmd::ExecFormCmd,
        &slim_base_image::SlimBaseImage,
        &pin_base_image::PinBaseImage,
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

    /// A build context directory with these files.
    pub fn context(files: &[(&str, &str)]) -> (tempdir::Dir, BuildContext) {
        let d = tempdir::Dir::new();
        for (p, t) in files {
            let f = d.0.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        let b = BuildContext::new(Some(d.0.clone()));
        (d, b)
    }

    pub mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!("dopt-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    /// The number of findings of `rule` on `text`.
    pub fn count(rule: &dyn Rule, text: &str) -> usize {
        let f = crate::syntax::parse(text).unwrap();
        engine::check(&f, &[rule], &BuildContext::default()).len()
    }
}
