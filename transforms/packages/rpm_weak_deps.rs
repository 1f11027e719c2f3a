//! DP113 rpm-weak-deps
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::transforms::common::{base_image, earlier_text_memo, run_commands_incl, InnerScripts};
use crate::transforms::packages::rpm_assume_yes::{rpm_cmd, Rpm};

pub struct RpmWeakDeps;

static META: RuleMeta = RuleMeta {
    code: "DP113",
    name: "rpm-weak-deps",
    summary: "dnf and zypper install recommended packages too: add `--setopt=install_weak_deps=False` / `--no-recommends`",
    fix: FixKind::Unsafe,
    hadolint: &[],
    docs: r#"## What it does
Adds `--setopt=install_weak_deps=False` after `install` in `dnf install` and `yum install`
(yum is dnf on RHEL/CentOS 8 and later), and `--no-recommends` after `install`/`in` in
`zypper install`. RUN instructions, heredoc scripts, ONBUILD RUN and `sh -c '...'` strings
are searched.

## Why
By default dnf installs weak dependencies (`Recommends:`) and zypper recommended packages:
documentation tools, language packs, optional backends the image rarely uses, often tens of
megabytes. This is the RPM counterpart of apt's `--no-install-recommends`.

## Example
```dockerfile
RUN dnf install -y httpd
```
becomes
```dockerfile
RUN dnf install --setopt=install_weak_deps=False -y httpd
```

## Not flagged
- `install_weak_deps` set on the command line or written to the configuration earlier in the
  Dockerfile; zypper `--no-recommends`/`--recommends`, or `solver.onlyRequires` set earlier;
- `yum install` on bases whose yum predates weak dependencies (CentOS/RHEL/Oracle Linux 5 to 7,
  Amazon Linux 1 and 2);
- microdnf (older versions do not take `--setopt`).

## Fix safety
Unsafe: packages that were only recommended are no longer installed; something in the image
may have relied on one (a plugin, a locale, a helper program). Review, then apply with
`--unsafe-fixes`. Commands in `for` loops or `$(...)` are reported without a fix.
"#,
};

impl Rule for RpmWeakDeps {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let Some(r) = rpm_cmd(rc.cmd) else { continue };
            let (flag, skip): (&str, &'static [&'static str]) = match (r.tool, r.verb().as_str()) {
                (Rpm::Dnf | Rpm::Yum, "install" | "in") => ("--setopt=install_weak_deps=False", &["install_weak_deps"]),
                (Rpm::Zypper, "install" | "in") => ("--no-recommends", &["--no-recommends", "--recommends", "solver.onlyRequires"]),
                _ => continue,
            };
            if mentions(rc.cmd, skip) || earlier_config(cx, rc.ins, skip) {
                continue;
            }
            if r.tool == Rpm::Yum && base_image(cx, rc.ins).is_some_and(|b| old_yum(&b)) {
                continue;
            }
            let what = if r.tool == Rpm::Zypper { "recommended packages" } else { "weak dependencies" };
            let base = format!("`{} {}` installs {what} too: add `{flag}`", r.tool.name(), r.verb());
            let (msg, fix) = match rc.opaque() {
                Some(w) => (format!("{base} (no fix: {w})"), None),
                None => (
                    format!("{base} (unsafe: packages that were only recommended are no longer installed)"),
                    Some(Fix::unsafe_(vec![Edit::insert(r.verb_word().range.end, format!(" {flag}"))])),
                ),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, fix));
        }
    }
}

fn mentions(c: &Command, what: &[&str]) -> bool {
    c.argv().iter().any(|w| what.iter().any(|x| w.text.contains(x)))
}

/// `what`'s first entry names its memo (each list starts with its own).
fn earlier_config(cx: &Context, i: usize, what: &'static [&'static str]) -> bool {
    earlier_text_memo(cx, i, what[0], |t| what.iter().filter(|x| !x.starts_with("--")).any(|x| t.contains(x)))
}

/// Bases whose yum (3.x, RPM 4.11) knows no weak dependencies.
fn old_yum(base: &str) -> bool {
    let old = ["centos:5", "centos:6", "centos:7", "centos:centos6", "centos:centos7", "amazonlinux:1", "amazonlinux:2", "oraclelinux:6", "oraclelinux:7", "rhel7", "ubi7", "sl:7", "scientificlinux"];
    old.iter().any(|o| base.contains(o)) || base == "centos" || base == "amazonlinux"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    fn u(s: &str) -> String {
        fix_with(&RpmWeakDeps, s, true, &BuildContext::default())
    }

    #[test]
    fn adds_the_flag_as_unsafe() {
        let s = "FROM fedora:39\nRUN dnf install -y httpd\n";
        assert_eq!(fix(&RpmWeakDeps, s), s);
        assert_eq!(u(s), "FROM fedora:39\nRUN dnf install --setopt=install_weak_deps=False -y httpd\n");
        assert_eq!(u("FROM rockylinux:9\nRUN yum -y install git\n"), "FROM rockylinux:9\nRUN yum -y install --setopt=install_weak_deps=False git\n");
        assert_eq!(u("FROM opensuse/leap\nRUN zypper -n in curl\n"), "FROM opensuse/leap\nRUN zypper -n in --no-recommends curl\n");
        assert_eq!(u("FROM fedora\nRUN <<EOF\ndnf install -y x\nEOF\n"), "FROM fedora\nRUN <<EOF\ndnf install --setopt=install_weak_deps=False -y x\nEOF\n");
        assert_eq!(
            u("# escape=`\r\nFROM fedora\r\nRUN dnf install -y `\r\n    # tools\r\n    git\r\n"),
            "# escape=`\r\nFROM fedora\r\nRUN dnf install --setopt=install_weak_deps=False -y `\r\n    # tools\r\n    git\r\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM fedora\nRUN dnf install -y --setopt=install_weak_deps=0 x\n",
            "FROM fedora\nRUN echo install_weak_deps=False >> /etc/dnf/dnf.conf\nRUN dnf install -y x\n",
            "FROM centos:7\nRUN yum install -y x\n",
            "FROM opensuse/leap\nRUN zypper -n in --no-recommends x\n",
            "FROM fedora\nRUN dnf upgrade -y && microdnf install x\n",
        ] {
            assert_eq!(count(&RpmWeakDeps, s), 0, "{s}");
        }
    }
}
