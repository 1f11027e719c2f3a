//! DP105 apt-to-apt-get
use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::transforms::packages::apt::{run_has_unpinned_install, Apt, Tool};
use crate::transforms::packages::apt_get_no_install_recommends::plan;
use crate::transforms::common::run_commands;

pub struct AptToAptGet;

static META: RuleMeta = RuleMeta {
    code: "DP105",
    name: "apt-to-apt-get",
    summary: "`apt` is meant for people at a terminal: use `apt-get` (or `apt-cache`) in a build",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &["DL3027"],
    docs: r#"## What it does
Finds `apt` commands in RUN instructions (heredoc scripts and ONBUILD RUN included) and
replaces the program word with `apt-get`:

| `apt ...` | becomes |
|---|---|
| `install`, `update`, `remove`, `purge`, `autoremove`, `clean`, `autoclean`, `dist-upgrade`, `build-dep`, `source`, `download`, `changelog`, `satisfy` | `apt-get` with the same subcommand |
| `upgrade` | `apt-get upgrade --with-new-pkgs` (what `apt upgrade` does) |
| `full-upgrade` | `apt-get dist-upgrade` |
| `search`, `show`, `showsrc`, `policy`, `depends`, `rdepends`, `madison` | `apt-cache` with the same subcommand (unsafe) |

`apt list`, `apt edit-sources` and other subcommands without an equivalent are reported
without a fix.

## Why
`apt` says of itself that it "does not have a stable CLI interface": its output, progress
display and defaults are made for people and may change between releases. `apt-get` and
`apt-cache` are the interfaces meant for scripts.

## Example
```dockerfile
RUN apt update && apt install -y curl
```
becomes
```dockerfile
RUN apt-get update && apt-get install -y curl
```
(and the other apt rules then add `--no-install-recommends`, `ca-certificates` and the list
cleanup).

## Fix safety
Safe for the subcommands `apt-get` shares with `apt`. One difference remains: `apt` deletes
downloaded `.deb` files after a successful install, while `apt-get` leaves them in
`/var/cache/apt/archives` unless the image's `docker-clean` apt configuration (present in the
official Debian and Ubuntu images) removes them.

Unsafe (the message says why):
- the `apt-cache` replacements: `apt show` and `apt-cache show` print differently;
- `apt install` whose change would make hadolint report what it does not check for `apt`: an
  unpinned package in a RUN hadolint does not ask to pin yet (DL3008), or a missing
  `--no-install-recommends` that dopt cannot add safely (DL3015, see DP103).
"#,
};

/// Subcommands `apt-get` has with the same meaning.
const SAME: &[&str] =
    &["install", "update", "remove", "purge", "autoremove", "clean", "autoclean", "dist-upgrade", "build-dep", "source", "download", "changelog", "satisfy"];

/// Subcommands `apt-cache` has.
const CACHE: &[&str] = &["search", "show", "showsrc", "policy", "depends", "rdepends", "madison"];

impl Rule for AptToAptGet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for rc in run_commands(cx) {
            let Some(apt) = Apt::of(rc.cmd) else { continue };
            if apt.tool != Tool::Apt {
                continue;
            }
            let sub = apt.sub();
            let prog = apt.program();
            let msg = format!("`apt {sub}`: `apt` is meant for people at a terminal");
            let new_prog = |name: &str| {
                let t = &cx.file.text[prog.range.clone()];
                Edit::replace(prog.range.clone(), format!("{}{name}", &t[..t.len() - 3]))
            };
            let plain = !prog.quoted && cx.file.text[prog.range.clone()].ends_with("apt");
            if let Some(r) = rc.opaque().or((!plain).then_some("the program word is quoted")) {
                out.push(cx.diag(&META, prog.range.clone(), format!("{msg} (no fix: {r})"), None));
                continue;
            }
            let (fix, tail) = if SAME.contains(&sub) {
                let mut why = Vec::new();
                if sub == "install" && apt.hadolint_would_see() {
                    if apt.has_unpinned_operand() && !run_has_unpinned_install(cx, rc.ins) {
                        why.push("hadolint then asks to pin the package versions (DL3008), which it does not check for `apt`".to_string());
                    }
                    if !apt.skips_recommends() {
                        if let Some(r) = plan(cx, rc.ins, rc.cmd, &apt, true).unsafe_reason {
                            why.push(format!("hadolint then asks for `--no-install-recommends` (DL3015), which dopt cannot add safely: {r}"));
                        }
                    }
                }
                let kind = if why.is_empty() { Applicability::Safe } else { Applicability::Unsafe };
                let tail = if why.is_empty() { "; use `apt-get`".to_string() } else { format!("; use `apt-get` (unsafe: {})", why.join("; ")) };
                (Some(Fix::with(kind, vec![new_prog("apt-get")])), tail)
            } else if sub == "upgrade" {
                let e = Edit::insert(apt.sub_word().range.end, " --with-new-pkgs");
                (Some(Fix::safe(vec![new_prog("apt-get"), e])), "; use `apt-get upgrade --with-new-pkgs`, which does the same".to_string())
            } else if sub == "full-upgrade" {
                let e = Edit::replace(apt.sub_word().range.clone(), "dist-upgrade");
                (Some(Fix::safe(vec![new_prog("apt-get"), e])), "; use `apt-get dist-upgrade`, which does the same".to_string())
            } else if CACHE.contains(&sub) {
                (Some(Fix::unsafe_(vec![new_prog("apt-cache")])), "; use `apt-cache` (unsafe: it prints differently)".to_string())
            } else {
                (None, format!(" (no fix: `apt-get` has no `{sub}`)"))
            };
            out.push(cx.diag(&META, prog.range.clone(), format!("{msg}{tail}"), fix));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    fn fix_unsafe(s: &str) -> String {
        fix_with(&AptToAptGet, s, true, &BuildContext::default())
    }

    #[test]
    fn replaces_the_program_word() {
        let r = &AptToAptGet;
        assert_eq!(
            fix(r, "FROM debian\nRUN apt update && apt install -y --no-install-recommends curl=7.1 && apt clean\n"),
            "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.1 && apt-get clean\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN sudo /usr/bin/apt -y remove x && DEBIAN_FRONTEND=noninteractive apt purge -y y\n"),
            "FROM debian\nRUN sudo /usr/bin/apt-get -y remove x && DEBIAN_FRONTEND=noninteractive apt-get purge -y y\n"
        );
        assert_eq!(fix(r, "FROM debian\nRUN apt upgrade -y\n"), "FROM debian\nRUN apt-get upgrade --with-new-pkgs -y\n");
        assert_eq!(fix(r, "FROM debian\nRUN apt full-upgrade -y\n"), "FROM debian\nRUN apt-get dist-upgrade -y\n");
        assert_eq!(fix(r, "FROM debian\nONBUILD RUN apt update\n"), "FROM debian\nONBUILD RUN apt-get update\n");
    }

    #[test]
    fn unsafe_where_hadolint_would_see_more() {
        let r = &AptToAptGet;
        // hadolint does not ask to pin packages of `apt install`; it would of `apt-get install`
        let s = "FROM debian\nRUN apt update && apt install -y --no-install-recommends curl\n";
        assert_eq!(fix(r, s), "FROM debian\nRUN apt-get update && apt install -y --no-install-recommends curl\n");
        assert_eq!(fix_unsafe(s), "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n");
        // the RUN is already asked to pin: nothing new
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get install -y vim && apt install -y --no-install-recommends curl\n"),
            "FROM debian\nRUN apt-get install -y vim && apt-get install -y --no-install-recommends curl\n"
        );
        // the missing --no-install-recommends could not be added safely
        let s = "FROM debian\nRUN apt install -y python3-pip=23.0\n";
        assert_eq!(fix(r, s), s);
        assert_eq!(fix_unsafe("FROM debian\nRUN apt show x\n"), "FROM debian\nRUN apt-cache show x\n");
        assert_eq!(fix(r, "FROM debian\nRUN apt show x\n"), "FROM debian\nRUN apt show x\n");
    }

    #[test]
    fn heredoc_continuations_and_escape() {
        let r = &AptToAptGet;
        assert_eq!(fix(r, "FROM debian\nRUN <<EOF\napt update\napt remove -y x\nEOF\n"), "FROM debian\nRUN <<EOF\napt-get update\napt-get remove -y x\nEOF\n");
        assert_eq!(
            fix(r, "FROM debian\nRUN apt update \\\n  # and clean\n  && apt \\\n  clean\n"),
            "FROM debian\nRUN apt-get update \\\n  # and clean\n  && apt-get \\\n  clean\n"
        );
        assert_eq!(fix(r, "# escape=`\r\nFROM debian\r\nRUN apt update && `\r\n  apt clean\r\n"), "# escape=`\r\nFROM debian\r\nRUN apt-get update && `\r\n  apt-get clean\r\n");
    }

    #[test]
    fn leaves_alone_or_reports_only() {
        for s in ["FROM debian\nRUN apt-get update\n", "FROM debian\nRUN [\"apt\", \"update\"]\n", "FROM debian\nRUN echo apt update && ls /etc/apt\n"] {
            assert_eq!(count(&AptToAptGet, s), 0, "{s}");
        }
        for s in ["FROM debian\nRUN apt list --installed\n", "FROM debian\nRUN for p in a; do apt remove -y $p; done\n"] {
            assert_eq!(count(&AptToAptGet, s), 1, "{s}");
            assert_eq!(fix_unsafe(s), s);
        }
    }
}
