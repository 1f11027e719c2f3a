//! DP101 pip-no-cache-dir
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Word};
use crate::transforms::common::{has_cache_mount, run_commands_incl, var_set_before, InnerScripts};

pub struct PipNoCacheDir;

static META: RuleMeta = RuleMeta {
    code: "DP101",
    name: "pip-no-cache-dir",
    summary: "`pip install` keeps its download cache in the image: add `--no-cache-dir`",
    fix: FixKind::Safe,
    hadolint: &["DL3042"],
    docs: r#"## What it does
Finds `pip install` (also `pip3`, `pip3.11`, `python -m pip`, `python3 -m pip`) in RUN
instructions, heredoc scripts, ONBUILD RUN and the strings of `sh -c '...'` /
`bash -c "..."` included, and adds `--no-cache-dir` right after `install`.

## Why
pip keeps every wheel it downloads in `~/.cache/pip`. In an image that cache is dead weight,
often tens of megabytes, frozen into the layer.

## Example
```dockerfile
RUN pip install -r requirements.txt
```
becomes
```dockerfile
RUN pip install --no-cache-dir -r requirements.txt
```

## Not flagged
- `PIP_NO_CACHE_DIR` is set by ENV (in the stage or a stage it is built FROM), by ARG in
  the stage, or in front of the command;
- the RUN has a BuildKit cache mount (`--mount=type=cache`), whose cache is not in the image;
- the command already has `--no-cache-dir` or an explicit `--cache-dir`.

## Fix safety
Safe: the flag only stops pip from writing its cache; what is installed does not change.
A command dopt's shell model does not fully understand (inside `$(...)`, a `for` loop, a
`sh -c "..."` string with escapes or expansions, whose bytes are not the ones the inner shell
reads) is reported without a fix.
"#,
};

impl Rule for PipNoCacheDir {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let Some(install) = pip_install_word(rc.cmd) else { continue };
            let cmd = rc.cmd;
            if cmd.has_flag(&["--no-cache-dir", "--cache-dir"]) {
                continue;
            }
            if cmd.assignments.iter().any(|a| a.text.starts_with("PIP_NO_CACHE_DIR=")) {
                continue;
            }
            let node = cx.file.instructions[rc.ins].effective();
            if has_cache_mount(node, &[]) || var_set_before(cx, rc.ins, "PIP_NO_CACHE_DIR") {
                continue;
            }
            let fix = match rc.opaque() {
                None => Some(Fix::safe(vec![Edit::insert(install.range.end, " --no-cache-dir")])),
                Some(_) => None,
            };
            let why = rc.opaque().map(|r| format!(" (no fix: {r})")).unwrap_or_default();
            out.push(cx.diag(&META, cmd.range.clone(), format!("`pip install` without `--no-cache-dir`{why}"), fix));
        }
    }
}

/// The `install` word of a pip install command.
pub(crate) fn pip_install_word(cmd: &Command) -> Option<&Word> {
    let argv = cmd.argv();
    let prog = argv.first().map(|w| crate::model::shell::base(&w.text))?;
    let rest: &[Word] = if is_pip(prog) {
        &argv[1..]
    } else if is_python(prog) {
        // python [-flags] -m pip install
        let m = argv.iter().position(|w| w.text == "-m")?;
        if argv.get(m + 1).map(|w| w.text.as_str()) != Some("pip") {
            return None;
        }
        if argv[1..m].iter().any(|w| !w.text.starts_with('-')) {
            return None;
        }
        &argv[m + 2..]
    } else {
        return None;
    };
    // pip's global options may come before the subcommand
    let sub = rest.iter().find(|w| !w.text.starts_with('-'))?;
    (sub.text == "install").then_some(sub)
}

fn is_pip(p: &str) -> bool {
    p == "pip" || p.strip_prefix("pip").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_python(p: &str) -> bool {
    p == "python" || p.strip_prefix("python").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn adds_the_flag() {
        assert_eq!(fix(&PipNoCacheDir, "FROM python\nRUN pip install flask\n"), "FROM python\nRUN pip install --no-cache-dir flask\n");
        assert_eq!(
            fix(&PipNoCacheDir, "FROM python\nRUN python3 -m pip install -U pip && pip3 install -r r.txt\n"),
            "FROM python\nRUN python3 -m pip install --no-cache-dir -U pip && pip3 install --no-cache-dir -r r.txt\n"
        );
        assert_eq!(fix(&PipNoCacheDir, "FROM python\nRUN pip --quiet install x\n"), "FROM python\nRUN pip --quiet install --no-cache-dir x\n");
    }

    #[test]
    fn heredoc_and_continuations() {
        assert_eq!(
            fix(&PipNoCacheDir, "FROM python\nRUN <<EOF\nset -e\npip install x\nEOF\n"),
            "FROM python\nRUN <<EOF\nset -e\npip install --no-cache-dir x\nEOF\n"
        );
        assert_eq!(
            fix(&PipNoCacheDir, "FROM python\nRUN apt-get update \\\n  # pip next\n  && pip install \\\n   x\n"),
            "FROM python\nRUN apt-get update \\\n  # pip next\n  && pip install --no-cache-dir \\\n   x\n"
        );
        assert_eq!(
            fix(&PipNoCacheDir, "# escape=`\r\nFROM python\r\nRUN pip install `\r\n    x\r\n"),
            "# escape=`\r\nFROM python\r\nRUN pip install --no-cache-dir `\r\n    x\r\n"
        );
    }

    #[test]
    fn inside_sh_c() {
        assert_eq!(fix(&PipNoCacheDir, "FROM python\nRUN sh -c 'pip install x'\n"), "FROM python\nRUN sh -c 'pip install --no-cache-dir x'\n");
        assert_eq!(
            fix(&PipNoCacheDir, "FROM python\nRUN /bin/bash -o pipefail -ec \"apt-get update && pip3 install -r r.txt\" && echo\n"),
            "FROM python\nRUN /bin/bash -o pipefail -ec \"apt-get update && pip3 install --no-cache-dir -r r.txt\" && echo\n"
        );
        assert_eq!(
            fix(&PipNoCacheDir, "FROM python\nRUN sudo sh -c 'cd /app && \\\n    pip install .'\n"),
            "FROM python\nRUN sudo sh -c 'cd /app && \\\n    pip install --no-cache-dir .'\n"
        );
        assert_eq!(
            fix(&PipNoCacheDir, "FROM python\nRUN su app -s /bin/sh -c 'true' && sh -c \"sh -c 'pip install x'\"\n"),
            "FROM python\nRUN su app -s /bin/sh -c 'true' && sh -c \"sh -c 'pip install --no-cache-dir x'\"\n"
        );
        // escapes or expansions: reported, not edited
        for s in ["FROM python\nRUN sh -c \"pip install \\\"x\\\"\"\n", "FROM python\nRUN bash -c \"pip install $PKG\"\n", "FROM python\nRUN sh -c 'pip install '\"$X\"\n"] {
            assert_eq!(count(&PipNoCacheDir, s), 1, "{s}");
            assert_eq!(fix(&PipNoCacheDir, s), s);
        }
        // not a -c string
        assert_eq!(count(&PipNoCacheDir, "FROM python\nRUN sh install.sh 'pip install x'\n"), 0);
        assert_eq!(count(&PipNoCacheDir, "FROM python\nRUN --mount=type=cache,target=/root/.cache/pip sh -c 'pip install x'\n"), 0);
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM python\nRUN pip install --no-cache-dir x\n",
            "FROM python\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n",
            "FROM python AS a\nENV PIP_NO_CACHE_DIR=1\nFROM a\nRUN pip install x\n",
            "FROM python\nARG PIP_NO_CACHE_DIR=1\nRUN pip install x\n",
            "FROM python\nRUN PIP_NO_CACHE_DIR=1 pip install x\n",
            "FROM python\nRUN --mount=type=cache,target=/root/.cache/pip pip install x\n",
            "FROM python\nRUN pip download x && pip freeze\n",
            "FROM python\nRUN [\"pip\", \"install\", \"x\"]\n",
            "FROM python\nRUN echo pip install x\n",
        ] {
            assert_eq!(count(&PipNoCacheDir, s), 0, "{s}");
        }
    }

    #[test]
    fn reports_without_fix_where_unsure() {
        let s = "FROM python\nRUN for p in a b; do pip install $p; done\n";
        assert_eq!(count(&PipNoCacheDir, s), 1);
        assert_eq!(fix(&PipNoCacheDir, s), s);
    }
}
