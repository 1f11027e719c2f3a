//! DP102 apt-get-yes
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::transforms::packages::apt::Apt;
use crate::transforms::common::run_commands;

pub struct AptGetYes;

static META: RuleMeta = RuleMeta {
    code: "DP102",
    name: "apt-get-yes",
    summary: "`apt-get install` would stop at a prompt the build cannot answer: add `-y`",
    fix: FixKind::Safe,
    hadolint: &["DL3014"],
    docs: r#"## What it does
Finds `apt-get install` (and `apt install`) in RUN instructions, heredoc scripts and ONBUILD
RUN included, that does not answer apt's "Do you want to continue?" itself, and adds `-y`
right after the subcommand. The same goes for the other subcommands that ask before they
change anything: `upgrade`, `dist-upgrade`, `full-upgrade`, `remove`, `purge`, `autoremove`,
`autopurge`, `reinstall`, `build-dep` and `satisfy`.

## Why
A build has no terminal: apt reads the answer from an empty standard input and aborts
(`Abort.`) as soon as it has more to do than install exactly what was named, which is almost
always. Whether the build passes then depends on what the mirror holds that day.

## Example
```dockerfile
RUN apt-get update && apt-get install curl
```
becomes
```dockerfile
RUN apt-get update && apt-get install -y curl
```

## Not flagged
The command already assumes yes: `-y`, `--yes`, `--assume-yes`, a combined short flag such as
`-qy`, quiet level 2 (`-qq`, `-q -q`, `-q=2`, `--quiet=2`, which imply `-y`), or
`-o APT::Get::Assume-Yes=true`. (`--force-yes` is not an answer to the prompt: it is flagged.)

## Fix safety
Safe: `-y` only answers the prompt. It never lets apt remove essential packages or install
unauthenticated ones (those need their own options). A command dopt's shell model does not
fully understand (inside a `for` loop, `$(...)`) is reported without a fix.
"#,
};

/// Subcommands that ask before they change anything.
const PROMPTS: &[&str] =
    &["install", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge", "autoremove", "autopurge", "reinstall", "build-dep", "satisfy"];

impl Rule for AptGetYes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for rc in run_commands(cx) {
            let Some(apt) = Apt::of(rc.cmd) else { continue };
            if !PROMPTS.contains(&apt.sub()) || apt.assumes_yes() {
                continue;
            }
            let what = format!("`{} {}`", apt.tool.name(), apt.sub());
            let (fix, why) = match rc.opaque() {
                None => (Some(Fix::safe(vec![Edit::insert(apt.sub_word().range.end, " -y")])), String::new()),
                Some(r) => (None, format!(" (no fix: {r})")),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{what} without `-y`: the build cannot answer its prompt{why}"), fix));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn adds_yes_after_the_subcommand() {
        assert_eq!(fix(&AptGetYes, "FROM debian\nRUN apt-get install curl\n"), "FROM debian\nRUN apt-get install -y curl\n");
        assert_eq!(
            fix(&AptGetYes, "FROM debian\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -q install --no-install-recommends curl\n"),
            "FROM debian\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends curl\n"
        );
        assert_eq!(fix(&AptGetYes, "FROM debian\nRUN sudo apt-get -f install\n"), "FROM debian\nRUN sudo apt-get -f install -y\n");
        assert_eq!(fix(&AptGetYes, "FROM debian\nRUN apt install x && apt-get upgrade\n"), "FROM debian\nRUN apt install -y x && apt-get upgrade -y\n");
        assert_eq!(fix(&AptGetYes, "FROM debian\nONBUILD RUN apt-get remove x\n"), "FROM debian\nONBUILD RUN apt-get remove -y x\n");
    }

    #[test]
    fn heredoc_continuations_and_escape() {
        assert_eq!(
            fix(&AptGetYes, "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install \\\n  curl\nEOF\n"),
            "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y \\\n  curl\nEOF\n"
        );
        assert_eq!(
            fix(&AptGetYes, "FROM debian\nRUN apt-get update \\\n  # then install\n  && apt-get install \\\n  curl\n"),
            "FROM debian\nRUN apt-get update \\\n  # then install\n  && apt-get install -y \\\n  curl\n"
        );
        assert_eq!(
            fix(&AptGetYes, "# escape=`\r\nFROM debian\r\nRUN apt-get install `\r\n    curl\r\n"),
            "# escape=`\r\nFROM debian\r\nRUN apt-get install -y `\r\n    curl\r\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM debian\nRUN apt-get install -y x\n",
            "FROM debian\nRUN apt-get -y install x\n",
            "FROM debian\nRUN apt-get install -qq x\n",
            "FROM debian\nRUN apt-get install -qy x\n",
            "FROM debian\nRUN apt-get install --assume-yes x\n",
            "FROM debian\nRUN apt-get install -o APT::Get::Assume-Yes=true x\n",
            "FROM debian\nRUN apt-get update && apt-get clean && apt-cache policy x\n",
            "FROM debian\nRUN [\"apt-get\", \"install\", \"x\"]\n",
            "FROM debian\nRUN echo apt-get install x\n",
        ] {
            assert_eq!(count(&AptGetYes, s), 0, "{s}");
        }
        assert_eq!(count(&AptGetYes, "FROM debian\nRUN apt-get install --force-yes x\n"), 1);
    }

    #[test]
    fn reports_without_fix_where_unsure() {
        let s = "FROM debian\nRUN for p in a b; do apt-get install $p; done\n";
        assert_eq!(count(&AptGetYes, s), 1);
        assert_eq!(fix(&AptGetYes, s), s);
    }
}
