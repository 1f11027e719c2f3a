//! DP115 rpm-cache-dir
use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::transforms::common::{append_blocker, append_command, base_image, has_cache_mount, per_run, run_commands_incl, sudo_prefix, InnerScripts, RunCommand};
use crate::transforms::packages::rpm_assume_yes::{rpm_cmd, Rpm};
use crate::transforms::packages::rpm_clean::fills_cache;

pub struct RpmCacheDir;

static META: RuleMeta = RuleMeta {
    code: "DP115",
    name: "rpm-cache-dir",
    summary: "`yum clean all` leaves parts of `/var/cache/yum` behind: remove the directory in the same RUN",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
In a RUN that installs with yum or dnf and then cleans (`yum clean all`, as DP112 rpm-clean
adds it), appends `rm -rf /var/cache/yum` right after the clean, under `sudo` when the clean
uses it. For dnf the directory is `/var/cache/dnf` (`/var/cache/libdnf5` for dnf5). `yum` on
a base where it is dnf under another name (CentOS 8 and Stream, Rocky, Alma, UBI 8 and later,
Fedora) caches in `/var/cache/dnf`; where dopt cannot tell the base, both directories go.

## Why
`yum clean all` cleans the repositories that are enabled when it runs. What the install
left for repositories enabled only for the install (`--enablerepo`, a release package such
as `epel-release` or `centos-release-scl` installed in the same RUN and disabled later), the
repository directories themselves, and the plugin caches stay in `/var/cache/yum` and in the
layer. Removing the directory leaves nothing behind.

## Example
```dockerfile
RUN yum install -y httpd && yum clean all
```
becomes
```dockerfile
RUN yum install -y httpd && yum clean all && rm -rf /var/cache/yum
```

## Not flagged
- the RUN already removes the cache directory after its last install;
- a RUN that installs without a clean after it: DP112 rpm-clean adds the clean first, and this
  rule then adds the removal (with DP112 off, nothing is added);
- microdnf and zypper, whose clean empties their cache;
- the RUN has a BuildKit cache mount on the cache directory, whose contents are meant to
  stay; installs into another root (`--installroot`).

## Fix safety
Safe: the directory only holds caches, and yum and dnf create it again when they next need
it. After a clean dopt cannot chain a command to (piped, followed by `||`, in a `for` loop
or `$(...)`) there is no fix.
"#,
};

impl Rule for RpmCacheDir {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let all = run_commands_incl(cx, &inner);
        for cmds in per_run(&all) {
            for tool in [Rpm::Yum, Rpm::Dnf] {
                check_run(cx, cmds, tool, out);
            }
        }
    }
}

fn check_run(cx: &Context, cmds: &[RunCommand], tool: Rpm, out: &mut Vec<Diagnostic>) {
    let Some(install) = cmds.iter().filter(|rc| Rpm::of(rc.cmd) == Some(tool) && fills_cache(rc.cmd, tool)).max_by_key(|rc| rc.cmd.range.start) else {
        return;
    };
    let after: Vec<&RunCommand> = cmds.iter().filter(|rc| rc.cmd.range.start > install.cmd.range.start).collect();
    let Some(clean) = after.iter().copied().rfind(|rc| Rpm::of(rc.cmd) == Some(tool) && rpm_cmd(rc.cmd).is_some_and(|r| r.sub.text == "clean")) else {
        return;
    };
    let prog = install.cmd.program().unwrap_or(tool.name());
    let dirs = cache_dirs(prog, base_image(cx, install.ins).as_deref());
    let node = cx.file.instructions[install.ins].effective();
    if has_cache_mount(node, &dirs) || after.iter().any(|rc| removes_any(rc.cmd, &dirs)) {
        return;
    }
    if [install, clean].iter().any(|rc| rc.cmd.argv().iter().any(|w| w.text == "--installroot" || w.text.starts_with("--installroot="))) {
        return;
    }
    let clean_text = clean.cmd.argv().iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let msg = format!("`{clean_text}` leaves parts of {} in the layer", dirs.join(" and "));
    match append_blocker(clean) {
        Some(w) => out.push(cx.diag(&META, clean.cmd.range.clone(), format!("{msg} (no fix: {w})"), None)),
        None => {
            let e = append_command(cx, clean, &format!("{}rm -rf {}", sudo_prefix(cx, clean.cmd), dirs.join(" ")));
            out.push(cx.diag(&META, clean.cmd.range.clone(), msg, Some(Fix::safe(vec![e]))));
        }
    }
}

/// The cache directories of `prog` on a base image.
fn cache_dirs(prog: &str, base: Option<&str>) -> Vec<&'static str> {
    match prog {
        "dnf5" => vec!["/var/cache/libdnf5"],
        "yum" => match base.map(yum_is_yum) {
            Some(Some(true)) => vec!["/var/cache/yum"],
            Some(Some(false)) => vec!["/var/cache/dnf"],
            _ => vec!["/var/cache/yum", "/var/cache/dnf"],
        },
        _ => vec!["/var/cache/dnf"],
    }
}

/// Whether `yum` on a base image is yum itself (true) or dnf under that name (false); None
/// when the base does not say.
fn yum_is_yum(base: &str) -> Option<bool> {
    let old = ["centos:5", "centos:6", "centos:7", "centos:centos5", "centos:centos6", "centos:centos7", "amazonlinux:1", "amazonlinux:2", "oraclelinux:6", "oraclelinux:7", "rhel6", "rhel7", "ubi7", "scientificlinux"];
    let new = ["centos:8", "centos:centos8", "stream", "rockylinux", "almalinux", "fedora", "ubi8", "ubi9", "ubi10", "oraclelinux:8", "oraclelinux:9", "amazonlinux:2023"];
    if base.starts_with("amazonlinux:2023") {
        return Some(false);
    }
    if old.iter().any(|o| base.contains(o)) {
        return Some(true);
    }
    if new.iter().any(|n| base.contains(n)) {
        return Some(false);
    }
    None
}

/// Whether the command removes one of the directories (or a directory above it, or what is
/// inside it).
fn removes_any(c: &Command, dirs: &[&str]) -> bool {
    c.program() == Some("rm") && c.argv()[1..].iter().any(|w| dirs.iter().any(|d| w.text.trim_end_matches(['*', '/']) == *d || w.text.starts_with(&format!("{d}/")) || w.text == "/var/cache" || w.text == "/var/cache/*"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn removes_the_directory_after_the_clean() {
        let f = |s: &str| fix(&RpmCacheDir, s);
        assert_eq!(f("FROM centos:7\nRUN yum install -y x && yum clean all\n"), "FROM centos:7\nRUN yum install -y x && yum clean all && rm -rf /var/cache/yum\n");
        assert_eq!(f("FROM centos:7\nRUN yum install -y x && yum clean all -y && make\n"), "FROM centos:7\nRUN yum install -y x && yum clean all -y && rm -rf /var/cache/yum && make\n");
        assert_eq!(f("FROM rockylinux:9\nRUN yum install -y x && yum clean all\n"), "FROM rockylinux:9\nRUN yum install -y x && yum clean all && rm -rf /var/cache/dnf\n");
        assert_eq!(f("FROM myorg/base\nRUN yum install -y x && yum clean all\n"), "FROM myorg/base\nRUN yum install -y x && yum clean all && rm -rf /var/cache/yum /var/cache/dnf\n");
        assert_eq!(f("FROM fedora:40\nRUN dnf install -y x && dnf clean all\n"), "FROM fedora:40\nRUN dnf install -y x && dnf clean all && rm -rf /var/cache/dnf\n");
        assert_eq!(f("FROM centos:7\nRUN sudo -E yum install -y x && sudo -E yum clean all\n"), "FROM centos:7\nRUN sudo -E yum install -y x && sudo -E yum clean all && sudo -E rm -rf /var/cache/yum\n");
        assert_eq!(
            f("FROM centos:7\nRUN yum -y install x \\\n    && yum clean all\n"),
            "FROM centos:7\nRUN yum -y install x \\\n    && yum clean all \\\n    && rm -rf /var/cache/yum\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM centos:7\nRUN yum install -y x\n",
            "FROM centos:7\nRUN yum install -y x && yum clean all && rm -rf /var/cache/yum\n",
            "FROM centos:7\nRUN yum install -y x && rm -rf /var/cache/yum/* && yum clean all\n",
            "FROM centos:7\nRUN yum clean all && yum install -y x\n",
            "FROM centos:7\nRUN --mount=type=cache,target=/var/cache/yum yum install -y x && yum clean all\n",
            "FROM ubi9\nRUN microdnf install -y x && microdnf clean all\n",
            "FROM centos:7\nRUN yum --installroot=/r install -y x && yum --installroot=/r clean all\n",
        ] {
            assert_eq!(count(&RpmCacheDir, s), 0, "{s}");
        }
        let s = "FROM centos:7\nRUN yum install -y x && yum clean all || true\n";
        assert_eq!(count(&RpmCacheDir, s), 1);
        assert_eq!(fix(&RpmCacheDir, s), s);
    }
}
