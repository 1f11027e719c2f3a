//! DP111 rpm-assume-yes
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{self, Command, Sep, Word};
use crate::transforms::common::{base_image, earlier_text_memo, run_commands_incl, InnerScripts};

pub struct RpmAssumeYes;

static META: RuleMeta = RuleMeta {
    code: "DP111",
    name: "rpm-assume-yes",
    summary: "yum, dnf, microdnf and zypper ask for confirmation: add `-y` (zypper: `-n`)",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &["DL3030", "DL3038", "DL3034"],
    docs: r#"## What it does
Finds yum, dnf and microdnf commands that ask before they change anything (`install`,
`groupinstall`, `localinstall`, `reinstall`, `remove`/`erase`, `update`/`upgrade`,
`downgrade`, `distro-sync`, `autoremove`, `swap`, `builddep`, `group install`,
`module enable`, ...) without `-y`/`--assumeyes`, and adds `-y` after the subcommand.
Finds zypper commands that ask (`install`/`in`, `remove`/`rm`, `update`/`up`, `patch`,
`dist-upgrade`/`dup`, `source-install`/`si`, ...) without `-n`/`--non-interactive` (or
`-y`/`--no-confirm` after the subcommand), and adds the global `-n` after `zypper`.
RUN instructions, heredoc scripts, ONBUILD RUN and `sh -c '...'` strings are searched; global
flags before the subcommand, `sudo` and `env` are understood.

## Why
A build has no terminal: the question is answered "no" (or the command waits), and the
install is aborted.

## Example
```dockerfile
RUN yum install httpd && zypper in curl
```
becomes
```dockerfile
RUN yum install -y httpd && zypper -n in curl
```

## Not flagged
- `-y`, `--assumeyes` (combined short flags such as `-qy` too), `--assumeno`; zypper `-n`,
  `--non-interactive`, `-y`, `--no-confirm`;
- `assumeyes=1` written to the yum/dnf configuration earlier in the Dockerfile;
- commands that do not ask (`makecache`, `clean`, `list`, `info`, `search`, `repolist`).

## Fix safety
Safe: without the flag the command cannot succeed in a build. Unsafe (the message says why)
when the command's failure is ignored (`cmd || true`): with the flag it really runs now; and
for microdnf unless the base image is a 9 (or later) release of UBI, Oracle Linux, Rocky,
Alma or CentOS Stream, or Fedora or Amazon Linux 2023: microdnf before 3.6 (RHEL 8.3 and
older) rejects `-y`. Commands in `for` loops or `$(...)` are reported without a fix.
"#,
};

/// The package managers of RPM distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rpm {
    Yum,
    Dnf,
    Microdnf,
    Zypper,
}

impl Rpm {
    pub(crate) fn of(cmd: &Command) -> Option<Rpm> {
        match cmd.program()? {
            "yum" => Some(Rpm::Yum),
            "dnf" | "dnf-3" | "dnf5" => Some(Rpm::Dnf),
            "microdnf" => Some(Rpm::Microdnf),
            "zypper" => Some(Rpm::Zypper),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Rpm::Yum => "yum",
            Rpm::Dnf => "dnf",
            Rpm::Microdnf => "microdnf",
            Rpm::Zypper => "zypper",
        }
    }
}

/// Global flags whose value may be the next word.
const VALUE_FLAGS: &[&str] = &[
    "-c", "--config", "-d", "--debuglevel", "-e", "--errorlevel", "-R", "--randomwait", "-x", "--exclude", "--installroot", "--releasever", "--setopt",
    "--enablerepo", "--disablerepo", "--repo", "--repoid", "--rpmverbosity", "--color", "--disableplugin", "--enableplugin", "--forcearch", "--downloaddir",
    "--destdir", "--comment", "--advisory", "--repofrompath", "--root", "--reposd-dir", "-D", "--cache-dir", "-C", "--raw-cache-dir", "--solv-cache-dir",
    "--pkg-cache-dir", "--userdata", "--plus-repo", "-p", "--plus-content", "--installroot",
];

/// A command of an RPM package manager: the tool, its subcommand word and, for `group` and
/// `module`, the word after it.
pub(crate) struct RpmCmd<'a> {
    pub tool: Rpm,
    pub sub: &'a Word,
    pub subsub: Option<&'a Word>,
    /// Index in `argv` of the subcommand.
    pub at: usize,
}

pub(crate) fn rpm_cmd(cmd: &Command) -> Option<RpmCmd<'_>> {
    let tool = Rpm::of(cmd)?;
    let argv = cmd.argv();
    let mut k = 1;
    while k < argv.len() {
        let t = argv[k].text.as_str();
        if t.starts_with('-') {
            if VALUE_FLAGS.contains(&t) {
                k += 1;
            }
            k += 1;
            continue;
        }
        let subsub = if matches!(t, "group" | "groups" | "module") { argv[k + 1..].iter().find(|w| !w.text.starts_with('-')) } else { None };
        return Some(RpmCmd { tool, sub: &argv[k], subsub, at: k });
    }
    None
}

impl RpmCmd<'_> {
    /// The subcommand, `group install` and `module enable` as one.
    pub(crate) fn verb(&self) -> String {
        match self.subsub {
            Some(s) => format!("{} {}", self.sub.text, s.text),
            None => self.sub.text.clone(),
        }
    }

    /// Whether the command asks before it acts.
    fn asks(&self) -> bool {
        let v = self.verb();
        match self.tool {
            Rpm::Zypper => matches!(
                v.as_str(),
                "install" | "in" | "remove" | "rm" | "source-install" | "si" | "patch" | "update" | "up" | "dist-upgrade" | "dup" | "install-new-recommends" | "inr" | "verify" | "ve"
            ),
            _ => {
                matches!(
                    v.as_str(),
                    "install" | "groupinstall" | "localinstall" | "reinstall" | "remove" | "erase" | "update" | "upgrade" | "update-minimal" | "upgrade-minimal"
                        | "downgrade" | "distro-sync" | "distribution-synchronization" | "dsync" | "autoremove" | "swap" | "groupremove" | "groupupdate"
                        | "groupupgrade" | "builddep" | "localupdate" | "in" | "rm" | "up" | "dg" | "rei"
                ) || matches!(self.sub.text.as_str(), "group" | "groups") && self.subsub.is_some_and(|s| matches!(s.text.as_str(), "install" | "remove" | "upgrade" | "update" | "erase"))
                    || self.sub.text == "module" && self.subsub.is_some_and(|s| matches!(s.text.as_str(), "install" | "enable" | "disable" | "reset" | "remove" | "switch-to" | "update" | "upgrade"))
            }
        }
    }

    /// The word after which subcommand flags go.
    pub(crate) fn verb_word(&self) -> &Word {
        self.subsub.unwrap_or(self.sub)
    }
}

/// Whether the command already answers yes.
fn answers(cmd: &Command, rc: &RpmCmd) -> bool {
    let argv = cmd.argv();
    match rc.tool {
        Rpm::Zypper => {
            argv[1..rc.at].iter().any(|w| shell::flag_matches(&w.text, &["-n", "--non-interactive"]))
                || argv[rc.at..].iter().any(|w| shell::flag_matches(&w.text, &["-y", "--no-confirm"]))
        }
        _ => cmd.has_flag(&["-y", "--assumeyes", "--assumeno", "--yes"]) || argv.iter().any(|w| w.text.contains("assumeyes=")),
    }
}

/// microdnf takes `-y` from 3.6 on: in the 9 releases and Fedora, not in RHEL 8.3 and older.
fn microdnf_takes_y(base: Option<&str>) -> bool {
    let Some(b) = base else { return false };
    let nine = ["ubi9", "ubi10", "oraclelinux:9", "oraclelinux:10", "rockylinux:9", "rockylinux/rockylinux:9", "almalinux:9", "almalinux:10", "stream9", "stream10", "amazonlinux:2023", "fedora"];
    nine.iter().any(|n| b.contains(n))
}

impl Rule for RpmAssumeYes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let Some(r) = rpm_cmd(rc.cmd) else { continue };
            if !r.asks() || answers(rc.cmd, &r) {
                continue;
            }
            if r.tool != Rpm::Zypper && configured_yes(cx, rc.ins) {
                continue;
            }
            let (flag, at) = match r.tool {
                Rpm::Zypper => ("-n", rc.cmd.argv()[0].range.end),
                _ => ("-y", r.verb_word().range.end),
            };
            let base = format!("`{} {}` without `{flag}` asks for confirmation", r.tool.name(), r.verb());
            let edit = vec![Edit::insert(at, format!(" {flag}"))];
            let img = base_image(cx, rc.ins);
            let (msg, fix) = if let Some(why) = rc.opaque() {
                (format!("{base} (no fix: {why})"), None)
            } else if matches!(rc.cmd.sep_after, Some((Sep::Or, _))) {
                (format!("{base} (unsafe: its failure is ignored; with `{flag}` it really runs)"), Some(Fix::unsafe_(edit)))
            } else if r.tool == Rpm::Microdnf && !microdnf_takes_y(img.as_deref()) {
                (format!("{base} (unsafe: microdnf before 3.6, as in RHEL 8.3 and older, rejects `-y`)"), Some(Fix::unsafe_(edit)))
            } else {
                (base, Some(Fix::safe(edit)))
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, fix));
        }
    }
}

/// `assumeyes=1` written into the yum/dnf configuration earlier.
fn configured_yes(cx: &Context, i: usize) -> bool {
    earlier_text_memo(cx, i, "assumeyes", |t| ["assumeyes=1", "assumeyes=True", "assumeyes=true", "assumeyes = 1", "assumeyes=yes"].iter().any(|p| t.contains(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix, fix_with};
    use crate::model::context::BuildContext;

    #[test]
    fn adds_the_flag() {
        let f = |s: &str| fix(&RpmAssumeYes, s);
        assert_eq!(f("FROM centos:7\nRUN yum install httpd\n"), "FROM centos:7\nRUN yum install -y httpd\n");
        assert_eq!(f("FROM fedora:39\nRUN dnf --setopt tsflags=nodocs install x && dnf upgrade\n"), "FROM fedora:39\nRUN dnf --setopt tsflags=nodocs install -y x && dnf upgrade -y\n");
        assert_eq!(f("FROM fedora:39\nRUN sudo dnf group install 'Development Tools'\n"), "FROM fedora:39\nRUN sudo dnf group install -y 'Development Tools'\n");
        assert_eq!(f("FROM fedora:39\nRUN dnf module enable nodejs:18\n"), "FROM fedora:39\nRUN dnf module enable -y nodejs:18\n");
        assert_eq!(f("FROM opensuse/leap\nRUN zypper --gpg-auto-import-keys in curl\n"), "FROM opensuse/leap\nRUN zypper -n --gpg-auto-import-keys in curl\n");
        assert_eq!(f("FROM opensuse/leap\nRUN zypper rm curl\n"), "FROM opensuse/leap\nRUN zypper -n rm curl\n");
        assert_eq!(f("FROM redhat/ubi9-minimal\nRUN microdnf install tar\n"), "FROM redhat/ubi9-minimal\nRUN microdnf install -y tar\n");
        assert_eq!(f("FROM centos:7\nONBUILD RUN yum remove x\n"), "FROM centos:7\nONBUILD RUN yum remove -y x\n");
        assert_eq!(f("FROM centos:7\nRUN <<EOF\nyum install x\nEOF\n"), "FROM centos:7\nRUN <<EOF\nyum install -y x\nEOF\n");
        assert_eq!(f("FROM centos:7\nRUN bash -c 'yum install x'\n"), "FROM centos:7\nRUN bash -c 'yum install -y x'\n");
        assert_eq!(
            f("# escape=`\r\nFROM centos:7\r\nRUN yum update && `\r\n    # packages\r\n    yum install `\r\n    x\r\n"),
            "# escape=`\r\nFROM centos:7\r\nRUN yum update -y && `\r\n    # packages\r\n    yum install -y `\r\n    x\r\n"
        );
    }

    #[test]
    fn unsafe_cases() {
        let s = "FROM centos:7\nRUN yum remove x || true\n";
        assert_eq!(fix(&RpmAssumeYes, s), s);
        assert_eq!(fix_with(&RpmAssumeYes, s, true, &BuildContext::default()), "FROM centos:7\nRUN yum remove -y x || true\n");
        let s = "FROM registry.access.redhat.com/ubi8/ubi-minimal:8.3\nRUN microdnf install tar\n";
        assert_eq!(fix(&RpmAssumeYes, s), s);
        assert_eq!(fix_with(&RpmAssumeYes, s, true, &BuildContext::default()), s.replace("install", "install -y"));
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM centos:7\nRUN yum install -y x\n",
            "FROM centos:7\nRUN yum -qy install x\n",
            "FROM centos:7\nRUN yum install x --assumeyes\n",
            "FROM centos:7\nRUN yum makecache && yum clean all && yum list\n",
            "FROM centos:7\nRUN echo assumeyes=1 >> /etc/yum.conf\nRUN yum install x\n",
            "FROM opensuse/leap\nRUN zypper -n in x && zypper --non-interactive rm y && zypper in -y z\n",
            "FROM opensuse/leap\nRUN zypper refresh && zypper clean\n",
            "FROM centos:7\nRUN [\"yum\", \"install\", \"x\"]\n",
        ] {
            assert_eq!(count(&RpmAssumeYes, s), 0, "{s}");
        }
        let s = "FROM centos:7\nRUN for p in a b; do yum install $p; done\n";
        assert_eq!(count(&RpmAssumeYes, s), 1);
        assert_eq!(fix(&RpmAssumeYes, s), s);
    }
}
