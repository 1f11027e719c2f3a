//! DP1xx: package managers. Flags that keep caches, prompts and recommended packages out of
//! the image (apt, apk, pip, npm, yarn, yum/dnf/zypper, gem), and lockfile-exact installs.

pub mod apk_no_cache;
pub mod apt;
pub mod apt_get_no_install_recommends;
pub mod apt_get_update_merge;
pub mod apt_get_yes;
pub mod apt_lists_cleanup;
pub mod apt_to_apt_get;
pub mod configure_build;
pub mod gem_no_document;
pub mod gem_spec_cache;
pub mod npm_ci;
pub mod package_cache_clean;
pub mod pip_no_cache_dir;
pub mod production_install;
pub mod rpm_assume_yes;
pub mod rpm_cache_dir;
pub mod rpm_clean;
pub mod rpm_weak_deps;
pub mod yarn_frozen_lockfile;
