//! The rules, one file each, in the order the pipeline runs them.
//!
//! Rules live in a room per checklist area, and a rule's code names its room:
//! DP1xx `packages/` (package managers), DP2xx `layers/` (RUN, COPY/ADD, CMD form),
//! DP3xx `images/` (base images), DP4xx `stages/` (builder and runtime stages),
//! DP5xx `security/` (users, secrets, downloads). `common.rs` is the vocabulary they share.
//!
//! Each file holds the rule's struct, its [`RuleMeta`] with docs (what, why, example, fix
//! safety, hadolint codes), its check, and its unit tests: positive and negative cases side by
//! side. Snapshot tests of whole fixtures live in `tests/rules.rs`.

use crate::engine::{Rule, RuleMeta};

pub mod common;
pub mod images;
pub mod installs;
pub mod layers;
pub mod packages;
pub mod programs;
pub mod security;
pub mod stages;

/// Every rule, in pipeline order.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &packages::pip_no_cache_dir::PipNoCacheDir,
        &packages::apt_to_apt_get::AptToAptGet,
        &packages::apt_get_yes::AptGetYes,
        &packages::apt_get_no_install_recommends::AptGetNoInstallRecommends,
        &packages::apt_lists_cleanup::AptListsCleanup,
        &packages::apk_no_cache::ApkNoCache,
        &packages::npm_ci::NpmCi,
        &packages::yarn_frozen_lockfile::YarnFrozenLockfile,
        &packages::package_cache_clean::PackageCacheClean,
        &packages::rpm_assume_yes::RpmAssumeYes,
        &packages::rpm_clean::RpmClean,
        &packages::rpm_cache_dir::RpmCacheDir,
        &packages::rpm_weak_deps::RpmWeakDeps,
        &packages::gem_no_document::GemNoDocument,
        &packages::gem_spec_cache::GemSpecCache,
        &packages::configure_build::ConfigureBuild,
        &packages::production_install::ProductionInstall,
        &packages::apt_get_update_merge::AptGetUpdateMerge,
        &layers::merge_consecutive_runs::MergeConsecutiveRuns,
        &layers::archive_cleanup::ArchiveCleanup,
        &layers::add_to_copy::AddToCopy,
        &layers::exec_form_cmd::ExecFormCmd,
        &layers::manifests_before_sources::ManifestsBeforeSources,
        &layers::dockerignore::Dockerignore,
        &layers::python_dont_write_bytecode::PythonDontWriteBytecode,
        &layers::cache_mounts::CacheMounts,
        &stages::go_runtime::GoScratchRuntime,
        &stages::java_runtime::JavaJreRuntime,
        &stages::python_runtime::PythonVenvRuntime,
        &stages::node_runtime::NodeProductionRuntime,
        &images::slim_base_image::SlimBaseImage,
        &images::pin_base_image::PinBaseImage,
        &security::non_root_user::NonRootUser,
        &security::build_secrets::BuildSecrets,
        &security::missing_healthcheck::MissingHealthcheck,
        &security::curl_fail::CurlFail,
        &security::download_https::DownloadHttps,
        &security::gpg_batch::GpgBatch,
        &security::gpg_keyserver::GpgKeyserver,
        &security::checksum_format::ChecksumFormat,
    ]
}

/// Rules that `ALL` and code prefixes do not select: only their exact code or name does (the
/// `ci` preset selects them). Their fixes suit some builds and not others.
pub const OPT_IN: &[&str] = &["DP207"];

/// Whether a rule is opt-in (see [`OPT_IN`]).
pub fn is_opt_in(meta: &RuleMeta) -> bool {
    OPT_IN.contains(&meta.code)
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

    /// The text after `rule`'s fixes, unsafe ones included, under preset `preset` with a build
    /// context holding `files`; a second run must change nothing.
    pub fn fix_in_preset(rule: &dyn Rule, text: &str, files: &[(&str, &str)], preset: &str) -> String {
        let (_d, ctx) = context(files);
        let config = std::sync::Arc::new(crate::config::Config::preset(preset).expect("a known preset"));
        let opts = Options { unsafe_fixes: true, config, ..Options::default() };
        let out = engine::run(text, &[rule], &ctx, &opts).expect("parses");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let again = engine::run(&out.output, &[rule], &ctx, &opts).unwrap();
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
