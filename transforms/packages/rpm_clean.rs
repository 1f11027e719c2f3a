//! DP112 rpm-clean
use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::transforms::common::{append_blocker, append_command, has_cache_mount, per_run, run_commands_incl, sudo_prefix, InnerScripts, RunCommand};
use crate::transforms::packages::rpm_assume_yes::{rpm_cmd, Rpm};

pub struct RpmClean;

static META: RuleMeta = RuleMeta {
    code: "DP112",
    name: "rpm-clean",
    summary: "yum, dnf, microdnf and zypper leave their caches in the image: clean them in the same RUN",
    fix: FixKind::Safe,
    hadolint: &["DL3032", "DL3040", "DL3036"],
    docs: r#"## What it does
After the last yum, dnf or microdnf command of a RUN that installs or upgrades packages
(`install`, `reinstall`, `groupinstall`, `localinstall`, `update`, `upgrade`,
`upgrade-minimal`, `downgrade`, `distro-sync`, `group install`, `module install`) with no
clean of that tool after it, appends `yum clean all` / `dnf clean all` /
`microdnf clean all` to the same RUN; after zypper (`install`/`in`, `update`/`up`, `patch`,
`dist-upgrade`/`dup`, `source-install`/`si`) it appends `zypper clean -a`. The command goes
after the tool's last command in the RUN, chained with `&&` in the RUN's own style (heredoc
scripts get a line of their own), under `sudo` when the install uses it.

## Why
The package managers keep repository metadata (often 100 MB and more) and sometimes the
downloaded packages in `/var/cache/yum`, `/var/cache/dnf` or `/var/cache/zypp`. Deleted in
a later RUN, they still weigh in the earlier layer.

## Example
```dockerfile
RUN dnf install -y httpd
```
becomes
```dockerfile
RUN dnf install -y httpd && dnf clean all
```

## Not flagged
- a clean of the same tool (`yum clean all`, `dnf clean packages`, `zypper cc`, ...) or an
  `rm` of its cache directory comes after the last install in the RUN;
- the RUN has a BuildKit cache mount on `/var/cache/yum`, `/var/cache/dnf`,
  `/var/cache/libdnf5` or `/var/cache/zypp` (cleaning would empty the cache the mount keeps;
  hadolint only accepts `/var/cache/libdnf5`);
- exec-form RUN.

## Fix safety
Safe: only caches go; later RUNs download the metadata again when they need it. Commands dopt
cannot safely chain after (piped, in the background, followed by `||`, in a `for` loop or
`$(...)`), and installs into another root (`--installroot`, zypper `--root`), whose cache a
plain clean would not reach, are reported without a fix.
"#,
};

impl Rule for RpmClean {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let all = run_commands_incl(cx, &inner);
        for cmds in per_run(&all) {
            let node = cx.file.instructions[cmds[0].ins].effective();
            let mounted = has_cache_mount(node, &["/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/zypp"]);
            if !mounted {
                for tool in [Rpm::Yum, Rpm::Dnf, Rpm::Microdnf, Rpm::Zypper] {
                    check_run(cx, cmds, tool, out);
                }
            }
        }
    }
}

fn check_run(cx: &Context, cmds: &[RunCommand], tool: Rpm, out: &mut Vec<Diagnostic>) {
    let Some(last_install) = cmds.iter().filter(|rc| Rpm::of(rc.cmd) == Some(tool) && fills_cache(rc.cmd, tool)).max_by_key(|rc| rc.cmd.range.start) else {
        return;
    };
    let after: Vec<&RunCommand> = cmds.iter().filter(|rc| rc.cmd.range.start > last_install.cmd.range.start).collect();
    if after.iter().any(|rc| cleans(rc.cmd, tool)) {
        return;
    }
    // after the tool's last command, which may read the metadata again
    let last = after.iter().copied().rfind(|rc| Rpm::of(rc.cmd) == Some(tool)).unwrap_or(last_install);
    // the program as the install names it (`dnf5`, `dnf-3`)
    let prog = last_install.cmd.program().unwrap_or(tool.name());
    let clean = match tool {
        Rpm::Zypper => "zypper clean -a".to_string(),
        _ => format!("{prog} clean all"),
    };
    let verb = rpm_cmd(last_install.cmd).map(|r| r.verb()).unwrap_or_default();
    let msg = format!("`{prog} {verb}` without `{clean}` in the same RUN");
    let other_root = [last_install, last].iter().any(|rc| rc.cmd.argv().iter().any(|w| ["--installroot", "--root", "-R"].iter().any(|f| w.text == *f || w.text.starts_with(&format!("{f}=")))));
    let why_not = append_blocker(last)
        .map(str::to_string)
        .or_else(|| other_root.then(|| "it installs into another root, whose cache a plain clean does not reach".to_string()));
    match why_not {
        Some(w) => out.push(cx.diag(&META, last_install.cmd.range.clone(), format!("{msg} (no fix: {w})"), None)),
        None => {
            let e = append_command(cx, last, &format!("{}{clean}", sudo_prefix(cx, last_install.cmd)));
            out.push(cx.diag(&META, last_install.cmd.range.clone(), msg, Some(Fix::safe(vec![e]))));
        }
    }
}

/// A command that fills the tool's cache: hadolint's triggers (any argument `install`; for
/// dnf/microdnf also `reinstall`, `upgrade`, `upgrade-minimal`) and the other installs and
/// upgrades.
pub(crate) fn fills_cache(c: &Command, tool: Rpm) -> bool {
    let args: Vec<&str> = c.argv()[1..].iter().map(|w| w.text.as_str()).collect();
    let hadolint = match tool {
        Rpm::Yum => args.contains(&"install"),
        Rpm::Dnf | Rpm::Microdnf => args.iter().any(|a| matches!(*a, "install" | "reinstall" | "upgrade" | "upgrade-minimal")),
        Rpm::Zypper => args.iter().any(|a| matches!(*a, "install" | "in")),
    };
    if hadolint {
        return true;
    }
    let Some(r) = rpm_cmd(c) else { return false };
    let v = r.verb();
    match tool {
        Rpm::Zypper => matches!(v.as_str(), "update" | "up" | "patch" | "dist-upgrade" | "dup" | "source-install" | "si" | "install-new-recommends" | "inr"),
        _ => matches!(
            v.as_str(),
            "groupinstall" | "localinstall" | "update" | "upgrade" | "update-minimal" | "downgrade" | "distro-sync" | "group install" | "groups install" | "module install"
        ),
    }
}

/// A clean of the tool, or an `rm` of an RPM package manager cache.
pub(crate) fn cleans(c: &Command, tool: Rpm) -> bool {
    if c.program() == Some("rm") {
        return c.argv()[1..].iter().any(|w| ["/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/zypp"].iter().any(|d| w.text.starts_with(d)));
    }
    Rpm::of(c) == Some(tool) && rpm_cmd(c).is_some_and(|r| matches!(r.sub.text.as_str(), "clean" | "cc"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn appends_the_clean() {
        let f = |s: &str| fix(&RpmClean, s);
        assert_eq!(f("FROM centos:7\nRUN yum install -y httpd\n"), "FROM centos:7\nRUN yum install -y httpd && yum clean all\n");
        assert_eq!(f("FROM fedora\nRUN dnf -y upgrade && dnf install -y x && echo ok\n"), "FROM fedora\nRUN dnf -y upgrade && dnf install -y x && dnf clean all && echo ok\n");
        assert_eq!(f("FROM ubi9\nRUN microdnf install -y x\n"), "FROM ubi9\nRUN microdnf install -y x && microdnf clean all\n");
        assert_eq!(f("FROM fedora\nRUN dnf5 install -y x\n"), "FROM fedora\nRUN dnf5 install -y x && dnf5 clean all\n");
        assert_eq!(f("FROM opensuse/leap\nRUN zypper -n in curl\n"), "FROM opensuse/leap\nRUN zypper -n in curl && zypper clean -a\n");
        assert_eq!(f("FROM centos:7\nRUN sudo yum install -y x\n"), "FROM centos:7\nRUN sudo yum install -y x && sudo yum clean all\n");
        // after the tool's last command
        assert_eq!(f("FROM centos:7\nRUN yum install -y a && yum remove -y b && make\n"), "FROM centos:7\nRUN yum install -y a && yum remove -y b && yum clean all && make\n");
        // a clean before the install does not count
        assert_eq!(f("FROM centos:7\nRUN yum clean all && yum install -y a\n"), "FROM centos:7\nRUN yum clean all && yum install -y a && yum clean all\n");
        assert_eq!(f("FROM centos:7\nONBUILD RUN yum install -y a\n"), "FROM centos:7\nONBUILD RUN yum install -y a && yum clean all\n");
        assert_eq!(
            f("FROM centos:7\nRUN yum -y update \\\n    # tools\n    && yum -y install git \\\n    && git --version\n"),
            "FROM centos:7\nRUN yum -y update \\\n    # tools\n    && yum -y install git \\\n    && yum clean all \\\n    && git --version\n"
        );
        assert_eq!(f("FROM centos:7\nRUN <<EOF\nyum install -y a\nEOF\n"), "FROM centos:7\nRUN <<EOF\nyum install -y a\nyum clean all\nEOF\n");
        assert_eq!(
            f("# escape=`\r\nFROM centos:7\r\nRUN yum install -y a && `\r\n    make\r\n"),
            "# escape=`\r\nFROM centos:7\r\nRUN yum install -y a && yum clean all && `\r\n    make\r\n"
        );
        assert_eq!(
            f("# escape=`\r\nFROM centos:7\r\nRUN make && `\r\n    yum install -y a\r\n"),
            "# escape=`\r\nFROM centos:7\r\nRUN make && `\r\n    yum install -y a && `\r\n    yum clean all\r\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM centos:7\nRUN yum install -y a && yum clean all\n",
            "FROM centos:7\nRUN yum install -y a && rm -rf /var/cache/yum\n",
            "FROM fedora\nRUN dnf install -y a && dnf clean packages\n",
            "FROM opensuse/leap\nRUN zypper -n in a && zypper cc -a\n",
            "FROM fedora\nRUN --mount=type=cache,target=/var/cache/dnf dnf install -y a\n",
            "FROM centos:7\nRUN yum -y remove a && yum makecache\n",
            "FROM centos:7\nRUN [\"yum\", \"install\", \"-y\", \"a\"]\n",
        ] {
            assert_eq!(count(&RpmClean, s), 0, "{s}");
        }
        for s in ["FROM centos:7\nRUN yum install -y a | tee log\n", "FROM fedora\nRUN dnf --installroot=/out --releasever=39 install -y a\n", "FROM centos:7\nRUN yum install -y a || true\n"] {
            assert_eq!(count(&RpmClean, s), 1, "{s}");
            assert_eq!(fix(&RpmClean, s), s);
        }
    }
}
