//! DP116 configure-build
use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{base, Command};
use crate::syntax::Kind;
use crate::transforms::common::{cwd_of, debian_based, run_commands_incl, stage_chain_before, word_edit_blocker, InnerScripts, RunCommand};
use crate::transforms::packages::apt::{commands_of, installed_before};

pub struct ConfigureBuild;

static META: RuleMeta = RuleMeta {
    code: "DP116",
    name: "configure-build",
    summary: "`./configure` guesses the build system type: pass `--build` from `dpkg-architecture`",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `./configure` (any path ending in `/configure`) without `--build` in stages where
`dpkg-architecture` is there to ask or the base is Debian-based, and adds
`--build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"` right after the program, as the
official Debian-based images do.

## Why
Without `--build`, an autoconf `configure` runs its bundled `config.guess` to work out the
machine type. A tarball's `config.guess` is as old as its release: on an architecture newer
than it (arm64, ppc64le, riscv64) it fails with "cannot guess build type", and a multi-arch
build breaks on every platform but amd64. `dpkg-architecture` knows the platform the image
is built for.

## Example
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && cd /src/app && autoreconf -i && ./configure --prefix=/usr/local && make
```
becomes
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && cd /src/app && autoreconf -i && ./configure --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" --prefix=/usr/local && make
```

## Not flagged
- `--build` already given;
- stages that are not Debian-based (Alpine, CentOS, ...) unless they install `dpkg-dev`:
  there is no `dpkg-architecture` to ask. Parfum adds the flag there too; the command
  substitution then fails and passes an empty `--build=`, which autoconf ignores and older
  configure scripts reject;
- configure scripts of projects known not to be autoconf's (Node.js, FFmpeg, zlib, OpenSSL,
  x264, libvpx, nginx, Qt), by the directory it runs in: they reject an unknown `--build`
  (Parfum adds it to Node.js's `configure`, whose option parser then stops the build);
- commands inside `$(...)`, which the shell model does not read.

## Fix safety
Safe when `dpkg-architecture` is known to be installed before the command (`dpkg-dev` or
`build-essential` installed by apt or apk earlier, or a `buildpack-deps`-based image such as
`python` or `node`), and the script is known to come from autoconf: the RUN runs
`autoreconf`, `autoconf`, `./autogen.sh`, `./bootstrap`, `./buildconf` or `phpize` before it,
in the same directory.
Unsafe otherwise: dopt cannot see the configure script of a downloaded tarball, and a
script that is not autoconf's may reject `--build`; without `dpkg-architecture` the flag
is empty. Commands in a `sh -c "..."` string with escapes or expansions are reported without a
fix.
"#,
};

/// Projects whose `configure` is not autoconf's and rejects `--build`: directory name prefixes.
const NOT_AUTOCONF: &[&str] = &["node", "nodejs", "ffmpeg", "zlib", "openssl", "x264", "libvpx", "nginx", "qt", "qtbase", "qt-everywhere"];

/// Commands that produce an autoconf `configure` when run before it.
const AUTOCONF: &[&str] = &["autoreconf", "autoconf", "autogen.sh", "bootstrap", "bootstrap.sh", "buildconf", "buildconf.sh", "phpize"];

/// Packages that bring `dpkg-architecture`.
const DPKG_DEV: &[&str] = &["dpkg-dev", "build-essential", "debhelper", "devscripts"];

impl Rule for ConfigureBuild {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let argv = rc.cmd.argv();
            let Some(prog) = argv.first() else { continue };
            if prog.quoted || base(&prog.text) != "configure" || !prog.text.contains('/') {
                continue;
            }
            if argv[1..].iter().any(|w| w.text == "--build" || w.text.starts_with("--build=")) {
                continue;
            }
            let has_dpkg_architecture = dpkg_dev_before(cx, &rc);
            if !has_dpkg_architecture && debian_based(cx, rc.ins) != Some(true) {
                continue;
            }
            if project_dir(cx, &rc).is_some_and(|d| not_autoconf(&d)) {
                continue;
            }
            let msg = "`configure` without `--build` guesses the machine type with its own `config.guess`";
            if let Some(r) = word_edit_blocker(&rc) {
                out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg} (no fix: {r})"), None));
                continue;
            }
            let mut why = Vec::new();
            if !autoconf_before(&rc) {
                why.push("dopt cannot see that the script is autoconf's, and another may reject `--build`");
            }
            if !has_dpkg_architecture {
                why.push("`dpkg-architecture` (package `dpkg-dev`) is not known to be installed, and without it the flag is empty");
            }
            let (app, note) = if why.is_empty() { (Applicability::Safe, String::new()) } else { (Applicability::Unsafe, format!(" (unsafe: {})", why.join("; "))) };
            let edit = Edit::insert(prog.range.end, " --build=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"");
            out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg}{note}"), Some(Fix::with(app, vec![edit]))));
        }
    }
}

/// Whether `dpkg-architecture` is installed before the command: in the base image, or by apt
/// or apk earlier in the stage chain or the RUN.
fn dpkg_dev_before(cx: &Context, rc: &RunCommand) -> bool {
    let apt = installed_before(cx, rc.ins, rc.cmd);
    if DPKG_DEV.iter().any(|p| apt.contains(p)) {
        return true;
    }
    let apk_adds = |c: &Command| c.program() == Some("apk") && c.argv().iter().any(|w| w.text == "add") && c.argv().iter().any(|w| w.text == "dpkg-dev");
    stage_chain_before(cx, rc.ins).into_iter().any(|j| commands_of(cx, j).iter().any(|(_, c)| apk_adds(c)))
        || commands_of(cx, rc.ins).iter().any(|(_, c)| c.range.start < rc.cmd.range.start && apk_adds(c))
}

/// The name of the directory the command runs `configure` in, as far as the script shows:
/// the directory of `configure`'s path, the last `cd` before it, or the stage's WORKDIR.
fn project_dir(cx: &Context, rc: &RunCommand) -> Option<String> {
    let last_dir = |p: &str| p.trim_end_matches('/').rsplit('/').find(|s| !s.is_empty() && *s != "." && *s != "..").map(str::to_string);
    let prog = &rc.cmd.argv()[0].text;
    if let Some(d) = prog.strip_suffix("/configure").and_then(last_dir) {
        return Some(d);
    }
    let k = rc.script.commands.iter().position(|c| std::ptr::eq(c, rc.cmd))?;
    if let Some(cd) = rc.script.commands[..k].iter().rev().find(|c| c.program() == Some("cd")) {
        return cd.argv().get(1).and_then(|w| last_dir(&w.text));
    }
    stage_chain_before(cx, rc.ins).into_iter().rev().find_map(|j| {
        let n = cx.file.instructions[j].effective();
        (n.kind == Kind::Workdir).then(|| n.values.first().and_then(|v| last_dir(v))).flatten()
    })
}

/// Whether a directory name is that of a project whose `configure` is not autoconf's.
fn not_autoconf(dir: &str) -> bool {
    let d = dir.to_ascii_lowercase();
    NOT_AUTOCONF.iter().any(|p| d.strip_prefix(p).is_some_and(|rest| rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphabetic())))
}

/// Whether the script runs a command that generates an autoconf `configure` before this one,
/// in the same directory.
fn autoconf_before(rc: &RunCommand) -> bool {
    let k = rc.script.commands.iter().position(|c| std::ptr::eq(c, rc.cmd)).unwrap_or(0);
    let here = cwd_of(rc);
    rc.script.commands[..k].iter().any(|c| {
        let generates = c.program().is_some_and(|p| AUTOCONF.contains(&p)) || c.argv().get(1).is_some_and(|w| matches!(c.program(), Some("sh" | "bash")) && AUTOCONF.contains(&base(&w.text)));
        generates && here.is_some() && cwd_of(&RunCommand { ins: rc.ins, script: rc.script, cmd: c }) == here
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    const FLAG: &str = "--build=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"";

    fn fix_unsafe(s: &str) -> String {
        fix_with(&ConfigureBuild, s, true, &BuildContext::default())
    }

    #[test]
    fn safe_with_dpkg_dev_and_autoconf() {
        let s = "FROM debian:12\nRUN apt-get update && apt-get install -y build-essential autoconf && cd /src && autoreconf -i && ./configure --prefix=/usr && make\n";
        assert_eq!(fix(&ConfigureBuild, s), s.replace("./configure", &format!("./configure {FLAG}")));
        let s = "FROM python:3.11\nRUN cd /src/app && ./autogen.sh && ./configure\n";
        assert_eq!(fix(&ConfigureBuild, s), s.replace("./configure", &format!("./configure {FLAG}")));
        let s = "FROM alpine:3.19\nRUN apk add --no-cache dpkg-dev dpkg gcc make && cd /x && phpize && ./configure\n";
        assert_eq!(fix(&ConfigureBuild, s), s.replace("./configure", &format!("./configure {FLAG}")));
    }

    #[test]
    fn unsafe_where_dopt_cannot_see() {
        for s in [
            // no sign of autoconf
            "FROM debian:12\nRUN apt-get install -y build-essential && cd /src && ./configure --prefix=/usr\n",
            // no dpkg-architecture known
            "FROM debian:12\nRUN cd /src && ./autogen.sh && ./configure --prefix=/usr\n",
            "FROM ubuntu:trusty\nRUN ./configure\n",
            // autoreconf ran in another directory
            "FROM debian:12\nRUN apt-get install -y build-essential && cd /a && autoreconf -i && cd /b && ./configure\n",
        ] {
            assert_eq!(count(&ConfigureBuild, s), 1, "{s}");
            assert_eq!(fix(&ConfigureBuild, s), s, "{s}");
            assert!(fix_unsafe(s).contains(FLAG), "{s}");
        }
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM debian:12\nRUN ./configure --build=x86_64-linux-gnu\n",
            "FROM alpine:3.19\nRUN cd /src && ./configure\n",
            "FROM centos:7\nRUN yum install -y gcc && ./configure\n",
            "FROM myorg/base\nRUN ./configure\n",
            "FROM debian:12\nRUN cd /node-v6.10.1 && ./configure --prefix=/usr\n",
            "FROM debian:12\nWORKDIR /usr/src/ffmpeg\nRUN ./configure --enable-gpl\n",
            "FROM debian:12\nRUN dpkg-reconfigure tzdata && docker-php-ext-configure gd\n",
            "FROM debian:12\nRUN configure\n",
        ] {
            assert_eq!(count(&ConfigureBuild, s), 0, "{s}");
        }
        // Debian by what the stage runs, whatever the image name
        assert_eq!(count(&ConfigureBuild, "FROM myorg/base\nRUN apt-get update\nRUN ./configure\n"), 1);
        assert_eq!(count(&ConfigureBuild, "FROM debian:12\nRUN ./libvpx/configure\n"), 0);
    }
}
