//! DP103 apt-get-no-install-recommends

use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Script};
use crate::model::ImageRef;
use crate::transforms::packages::apt::{add_packages, apt_config_before, installed_before_on, package_name, run_has_unpinned_install, run_text, later_in_chain, Apt};
use crate::transforms::common::{run_commands, word_edit_blocker};

pub struct AptGetNoInstallRecommends;

static META: RuleMeta = RuleMeta {
    code: "DP103",
    name: "apt-get-no-install-recommends",
    summary: "`apt-get install` also installs every recommended package: add `--no-install-recommends`",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &["DL3015"],
    docs: r#"## What it does
Finds `apt-get install` (and `apt install`) in RUN instructions, heredoc scripts and ONBUILD
RUN included, that installs recommended packages, and adds `--no-install-recommends` after the
subcommand and its options. Where a package needs one of its recommendations for its usual
work, the fix adds that package to the list, in the list's own layout (one a line, in sorted
position when the list is sorted):

| installed | added | because |
|---|---|---|
| `curl`, `wget`, `git`, `git-core`, `git-lfs`, `aria2` | `ca-certificates` | HTTPS fails without the CA bundle |
| `gcc`, `gcc-N`, `gfortran` | `libc6-dev` | nothing compiles without the C library headers |
| `xvfb` | `xauth` | `xvfb-run` needs it |
| `gnupg`, `gnupg2`, `gpg`, when the stage fetches keys from a keyserver | `dirmngr` | keyserver access |

A needed package is not added when the same install or an earlier install of the stage (or
of the stages it is built FROM) names it, or when the base image ships it: the official images
built on `buildpack-deps` (`buildpack-deps`, and `python`, `node`, `ruby`, `rust`, `gcc`,
`golang` but not their `-slim`/`-alpine` tags) come with `ca-certificates`, `curl`, `git` and,
but for `-curl`/`-scm` tags, a C toolchain. A package the image already has keeps what it
has: the flag changes nothing for it.

## Why
Recommended packages are what Debian thinks a person at a desktop wants: documentation
helpers, X11 libraries, compilers, fonts. In an image they are dead weight, often hundreds of
megabytes, and more packages to patch.

## Example
```dockerfile
RUN apt-get update && apt-get install -y curl
```
becomes
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates
```

## Not flagged
`--no-install-recommends` or `-o APT::Install-Recommends=false` (also `0`, `no`, `off`, and
`--install-recommends=no`) is already there.

## Fix safety
Safe in general: what was asked for is still installed, with everything it depends on, and the
packages above keep what they need. Unsafe (the message says why) when:
- the packages are named by a variable (`apt-get install $PACKAGES`) or a command
  substitution (`apt-get install -y $(cat packages.txt)`): dopt cannot tell what they need,
  and adds the flag alone (an install inside a `for` loop is reported without a fix);
- a package relies on big recommendations dopt does not add: `python3-pip` (`build-essential`
  and `python3-dev`, to build packages from source) unless the stage has a compiler and Python
  headers, `cmake` (`gcc`, `make`) unless it has a compiler, `npm` (`git`), `imagemagick`
  (`ghostscript` and its delegate libraries);
- the install pins every package (`curl=7.88.1-10`) and the fix would add an unpinned one.

When an earlier RUN of the stage turns recommendations off in apt's configuration
(`APT::Install-Recommends "0";`), the flag changes nothing and nothing is added.
"#,
};

/// What the fix of one install command adds, and whether it is safe.
pub(crate) struct Plan {
    /// Packages to add to the list, with why.
    pub adds: Vec<(&'static str, String)>,
    /// Why the fix is unsafe, if it is.
    pub unsafe_reason: Option<String>,
}

fn is_versioned(name: &str, stem: &str) -> bool {
    name == stem || name.strip_prefix(stem).and_then(|r| r.strip_prefix('-')).is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// What adding `--no-install-recommends` to `apt` (an install command of RUN `i`) needs.
/// `hadolint_sees` says whether hadolint reads the command as `apt-get` (DL3008 then counts
/// the packages added).
pub(crate) fn plan(cx: &Context, i: usize, cmd: &Command, apt: &Apt, hadolint_sees: bool) -> Plan {
    if apt_config_before(cx, i, "Install-Recommends") {
        return Plan { adds: Vec::new(), unsafe_reason: None };
    }
    plan_on(cx, i, cmd, apt, hadolint_sees, None)
}

/// What an install without its recommended packages needs, on the stage's base image or, when
/// `base` is given, on that image instead (a base swap asks this of installs that already skip
/// recommendations: `gcc` on `python:3.11` has `libc6-dev` from the image, on `-slim` it does not).
pub(crate) fn plan_on(cx: &Context, i: usize, cmd: &Command, apt: &Apt, hadolint_sees: bool, base: Option<&ImageRef>) -> Plan {
    let mut p = Plan { adds: Vec::new(), unsafe_reason: None };
    let ops = apt.operands();
    if let Some(w) = ops.iter().find(|w| w.dynamic) {
        p.unsafe_reason = Some(format!("the packages named by `{}` are not known here; one may need a recommended package", w.text));
        return p;
    }
    let prior = installed_before_on(cx, i, cmd, base);
    // packages already installed keep what they have: the flag changes nothing for them
    let names: Vec<String> =
        ops.iter().filter_map(|w| package_name(&w.text)).map(|n| n.to_ascii_lowercase()).filter(|n| !prior.contains(n)).collect();
    let has = |n: &str| names.iter().any(|x| x == n) || prior.contains(n);
    let have_any = |pred: &dyn Fn(&str) -> bool| names.iter().any(|x| pred(x)) || prior.any(pred);
    let find = |pred: &dyn Fn(&str) -> bool| names.iter().find(|n| pred(n)).cloned();
    let mut unsafe_: Vec<String> = Vec::new();

    if let Some(n) = find(&|n| matches!(n, "curl" | "wget" | "git" | "git-core" | "git-lfs" | "aria2")) {
        if !has("ca-certificates") {
            p.adds.push(("ca-certificates", format!("`{n}` needs it for HTTPS and gets it only as a recommendation")));
        }
    }
    if let Some(n) = find(&|n| is_versioned(n, "gcc") || is_versioned(n, "gfortran")) {
        if !["build-essential", "libc6-dev", "libc-dev"].iter().any(|x| has(x)) {
            p.adds.push(("libc6-dev", format!("`{n}` cannot compile without the C library headers, which it only recommends")));
        }
    }
    if names.iter().any(|n| n == "xvfb") && !has("xauth") {
        p.adds.push(("xauth", "`xvfb-run` needs it and `xvfb` only recommends it".to_string()));
    }
    if let Some(n) = find(&|n| matches!(n, "gnupg" | "gnupg2" | "gpg")) {
        let fetches_keys = std::iter::once(i).chain(later_in_chain(cx, i)).filter_map(|j| run_text(cx, j)).any(|t| t.contains("--recv-key") || t.contains("--keyserver") || t.contains("--fetch-keys"));
        if fetches_keys && !has("dirmngr") {
            p.adds.push(("dirmngr", format!("`{n}` reaches keyservers through it")));
        }
    }
    let has_compiler = || ["build-essential", "gcc", "g++", "clang"].iter().any(|x| has(x)) || have_any(&|n| is_versioned(n, "gcc") || is_versioned(n, "clang"));
    if let Some(n) = find(&|n| matches!(n, "python3-pip" | "python-pip")) {
        let headers = have_any(&|x| x.starts_with("python") && x.ends_with("-dev") || x.starts_with("libpython"));
        if !(has_compiler() && headers) {
            unsafe_.push(format!("`{n}` loses `build-essential` and `python3-dev`, which pip needs to build packages from source"));
        }
    }
    if names.iter().any(|n| n == "cmake") && !has_compiler() {
        unsafe_.push("`cmake` loses `gcc` and `make`".to_string());
    }
    if names.iter().any(|n| n == "npm") && !has("git") {
        unsafe_.push("`npm` loses `git`, which it needs for git dependencies".to_string());
    }
    if let Some(n) = find(&|n| n == "imagemagick" || n.starts_with("imagemagick-")) {
        if !has("ghostscript") {
            unsafe_.push(format!("`{n}` loses `ghostscript` and the delegate libraries it uses for PDF, SVG and fonts"));
        }
    }
    if !p.adds.is_empty() && hadolint_sees && !run_has_unpinned_install(cx, i) {
        let list: Vec<String> = p.adds.iter().map(|(a, _)| format!("`{a}`")).collect();
        unsafe_.push(format!("the packages are pinned and {} would be added unpinned (pin it)", list.join(", ")));
    }
    if !unsafe_.is_empty() {
        p.unsafe_reason = Some(unsafe_.join("; "));
    }
    p
}

/// The fix of one install command, with the message's tail.
pub(crate) fn fix_for(cx: &Context, i: usize, script: &Script, cmd: &Command, apt: &Apt) -> (Fix, String) {
    let p = plan(cx, i, cmd, apt, apt.hadolint_sees_as_apt_get());
    let mut edits = vec![Edit::insert(apt.option_insert_point(), " --no-install-recommends")];
    let names: Vec<&str> = p.adds.iter().map(|(a, _)| *a).collect();
    if !names.is_empty() {
        edits.extend(add_packages(cx, script, apt, &names));
    }
    let mut tail = String::new();
    for (a, why) in &p.adds {
        tail.push_str(&format!("; adds `{a}`: {why}"));
    }
    let applicability = match &p.unsafe_reason {
        Some(r) => {
            tail.push_str(&format!(" (unsafe: {r})"));
            Applicability::Unsafe
        }
        None => Applicability::Safe,
    };
    (Fix::with(applicability, edits), tail)
}

impl Rule for AptGetNoInstallRecommends {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for rc in run_commands(cx) {
            let Some(apt) = Apt::of(rc.cmd) else { continue };
            if apt.sub() != "install" || apt.skips_recommends() {
                continue;
            }
            let what = format!("`{} install` without `--no-install-recommends`", apt.tool.name());
            let (fix, tail) = match (rc.opaque(), word_edit_blocker(&rc)) {
                (None, _) => {
                    let (f, t) = fix_for(cx, rc.ins, rc.script, rc.cmd, &apt);
                    (Some(f), t)
                }
                // `apt-get install -y $(cat packages.txt)`: the flag still goes after
                // `install`, but what the packages need is not known here
                (Some(r @ "command substitution"), None) => {
                    let edit = Edit::insert(apt.option_insert_point(), " --no-install-recommends");
                    (Some(Fix::unsafe_(vec![edit])), format!(" (unsafe: {r}: the packages are not known here, and one may need a recommended package)"))
                }
                (Some(r), _) => (None, format!(" (no fix: {r})")),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{what}{tail}"), fix));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    fn fix_unsafe(s: &str) -> String {
        fix_with(&AptGetNoInstallRecommends, s, true, &BuildContext::default())
    }

    #[test]
    fn unknown_packages_get_the_flag_alone_as_an_unsafe_fix() {
        let r = &AptGetNoInstallRecommends;
        let s = "FROM debian\nRUN apt-get install -y $(grep -v '^#' packages.txt)\n";
        assert_eq!(fix(r, s), s);
        assert_eq!(fix_unsafe(s), "FROM debian\nRUN apt-get install -y --no-install-recommends $(grep -v '^#' packages.txt)\n");
        let s = "FROM debian\nRUN for p in curl git; do apt-get install -y $p; done\n";
        assert_eq!(fix_unsafe(s), s);
        // a string whose bytes are not what the inner shell reads: no fix
        let s = "FROM debian\nRUN sh -c \"apt-get install -y $(cat p)\"\n";
        assert_eq!(fix_unsafe(s), s);
    }

    #[test]
    fn adds_the_flag_after_the_options() {
        let r = &AptGetNoInstallRecommends;
        assert_eq!(fix(r, "FROM debian\nRUN apt-get install -y vim\n"), "FROM debian\nRUN apt-get install -y --no-install-recommends vim\n");
        assert_eq!(fix(r, "FROM debian\nRUN apt-get -y install vim\n"), "FROM debian\nRUN apt-get -y install --no-install-recommends vim\n");
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y -o Dpkg::Options::=--force-confold vim\n"),
            "FROM debian\nRUN apt-get install -y -o Dpkg::Options::=--force-confold --no-install-recommends vim\n"
        );
        assert_eq!(fix(r, "FROM debian\nRUN apt install -y vim\n"), "FROM debian\nRUN apt install -y --no-install-recommends vim\n");
        assert_eq!(fix(r, "FROM debian\nRUN dpkg -i x.deb || apt-get -y -f install\n"), "FROM debian\nRUN dpkg -i x.deb || apt-get -y -f install --no-install-recommends\n");
    }

    #[test]
    fn keeps_what_https_clients_and_compilers_need() {
        let r = &AptGetNoInstallRecommends;
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y curl vim\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends curl vim ca-certificates\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y gcc-12 git\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends gcc-12 git ca-certificates libc6-dev\n"
        );
        // one a line and sorted: in sorted position
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y \\\n    bzip2 \\\n    curl \\\n    xz-utils \\\n && rm -rf /var/lib/apt/lists/*\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends \\\n    bzip2 \\\n    ca-certificates \\\n    curl \\\n    xz-utils \\\n && rm -rf /var/lib/apt/lists/*\n"
        );
        // one a line, not sorted: at the end
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y \\\n\twget \\\n\tbzip2\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends \\\n\twget \\\n\tbzip2 \\\n\tca-certificates\n"
        );
    }

    #[test]
    fn needed_packages_already_there() {
        let r = &AptGetNoInstallRecommends;
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y ca-certificates curl\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends ca-certificates curl\n"
        );
        assert_eq!(
            fix(r, "FROM debian AS base\nRUN apt-get install -y --no-install-recommends ca-certificates\nFROM base\nRUN apt-get install -y wget\n"),
            "FROM debian AS base\nRUN apt-get install -y --no-install-recommends ca-certificates\nFROM base\nRUN apt-get install -y --no-install-recommends wget\n"
        );
        // recommendations are already off in apt's configuration: only the flag
        let s = "FROM debian\nRUN echo 'APT::Install-Recommends \"0\";' > /etc/apt/apt.conf.d/norec\nRUN apt-get install -y curl\n";
        assert!(fix(r, s).ends_with("RUN apt-get install -y --no-install-recommends curl\n"));
        // an option of an earlier command is no configuration
        let s = "FROM debian\nRUN apt-get install -y -o APT::Install-Recommends=false vim\nRUN apt-get install -y curl\n";
        assert!(fix(r, s).ends_with("RUN apt-get install -y --no-install-recommends curl ca-certificates\n"));
    }

    #[test]
    fn base_images_that_ship_the_needed_packages() {
        let r = &AptGetNoInstallRecommends;
        assert_eq!(fix(r, "FROM python:3.12\nRUN apt-get install -y curl\n"), "FROM python:3.12\nRUN apt-get install -y --no-install-recommends curl\n");
        assert_eq!(fix(r, "FROM rust:1.83\nRUN apt-get install -y cmake\n"), "FROM rust:1.83\nRUN apt-get install -y --no-install-recommends cmake\n");
        // imagemagick is in the image already: the flag changes nothing for it
        assert_eq!(
            fix(r, "FROM python:3.12\nRUN apt-get install -y imagemagick\n"),
            "FROM python:3.12\nRUN apt-get install -y --no-install-recommends imagemagick\n"
        );
        // a slim image has no compiler
        let s = "FROM python:3.12-slim\nRUN apt-get install -y cmake\n";
        assert_eq!(fix(r, s), s);
        assert_eq!(
            fix(r, "FROM node:20-slim\nRUN apt-get install -y wget\n"),
            "FROM node:20-slim\nRUN apt-get install -y --no-install-recommends wget ca-certificates\n"
        );
    }

    #[test]
    fn heredoc_continuations_and_escape() {
        let r = &AptGetNoInstallRecommends;
        assert_eq!(
            fix(r, "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y \\\n  curl \\\n  vim\nEOF\n"),
            "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y --no-install-recommends \\\n  ca-certificates \\\n  curl \\\n  vim\nEOF\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update \\\n  # tools\n  && apt-get install -y \\\n  vim\n"),
            "FROM debian\nRUN apt-get update \\\n  # tools\n  && apt-get install -y --no-install-recommends \\\n  vim\n"
        );
        assert_eq!(
            fix(r, "# escape=`\r\nFROM debian\r\nRUN apt-get install -y `\r\n    wget `\r\n    vim\r\n"),
            "# escape=`\r\nFROM debian\r\nRUN apt-get install -y --no-install-recommends `\r\n    wget `\r\n    vim `\r\n    ca-certificates\r\n"
        );
    }

    #[test]
    fn unsafe_where_recommendations_are_load_bearing() {
        let r = &AptGetNoInstallRecommends;
        for s in [
            "FROM debian\nRUN apt-get install -y python3-pip\n",
            "FROM debian\nRUN apt-get install -y cmake\n",
            "FROM debian\nRUN apt-get install -y $PACKAGES\n",
            "FROM debian\nRUN apt-get install -y curl=7.88.1-10\n",
        ] {
            assert_eq!(count(r, s), 1, "{s}");
            assert_eq!(fix(r, s), s, "{s}");
        }
        assert_eq!(
            fix_unsafe("FROM debian\nRUN apt-get install -y curl=7.88.1-10\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10 ca-certificates\n"
        );
        // with a compiler and headers pip is fine
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y build-essential python3-dev python3-pip\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends build-essential python3-dev python3-pip\n"
        );
        // an unpinned package already makes hadolint ask for pins: adding one more is fine
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y curl=7.88.1-10 vim\n"),
            "FROM debian\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10 vim ca-certificates\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM debian\nRUN apt-get install -y --no-install-recommends x\n",
            "FROM debian\nRUN apt-get --no-install-recommends install -y x\n",
            "FROM debian\nRUN apt-get install -y -o APT::Install-Recommends=false x\n",
            "FROM debian\nRUN apt-get update && apt-get upgrade -y && apt-get remove -y x\n",
            "FROM debian\nRUN [\"apt-get\", \"install\", \"-y\", \"x\"]\n",
        ] {
            assert_eq!(count(&AptGetNoInstallRecommends, s), 0, "{s}");
        }
        let s = "FROM debian\nRUN for p in a b; do apt-get install -y $p; done\n";
        assert_eq!(count(&AptGetNoInstallRecommends, s), 1);
        assert_eq!(fix(&AptGetNoInstallRecommends, s), s);
    }
}
