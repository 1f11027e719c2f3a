//! DP106 apt-get-update-merge
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::syntax::Kind;
use crate::transforms::common::ChainStyle;
use crate::transforms::layers::merge_consecutive_runs::{group_indent, part};

pub struct AptGetUpdateMerge;

static META: RuleMeta = RuleMeta {
    code: "DP106",
    name: "apt-get-update-merge",
    summary: "`apt-get update` alone in its RUN: move it into the RUN that installs",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
Finds a RUN whose only command is `apt-get update` (or `apt update`, `apk update`) and moves
that command to the front of the next RUN of the stage that installs packages (`apt-get
install`, `upgrade`, `dist-upgrade`, ..., `apk add`, `apk upgrade`), chained with `&&`. The
instructions between them may be anything that cannot change what the update sees (ENV, ARG,
WORKDIR, LABEL, EXPOSE, a COPY that does not write under `/etc`, a RUN that does not touch the
package manager). When the installing RUN begins with its own update, the lone one is deleted.

## Why
The update and the install are cached as separate layers. When the install line changes
(a package is added), Docker re-runs it on top of the old cached update layer: the package
lists can be weeks old, and the install fails or installs outdated versions. The update layer
is also dead weight in the image.

## Example
```dockerfile
RUN apt-get update
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get install -y --no-install-recommends curl
```
becomes
```dockerfile
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && \
    apt-get install -y --no-install-recommends curl
```

## Not flagged
- an update chained with other commands in its RUN;
- ONBUILD, exec-form and heredoc RUNs.

Reported without a fix: when a `USER`, `SHELL`, `VOLUME` under `/var`, a COPY/ADD into `/etc`, or
a RUN that uses or configures the package manager (`dpkg`, `apt-key`, `/etc/apt`,
`sources.list`, ...) sits between the update and the install; when the installing RUN has
other flags (`--mount`, `--network`) than the update, is a heredoc or exec form; or when no RUN
of the stage installs packages after it.

## Fix safety
Safe: the update runs as the same user with the same package sources, right before the
install instead of some instructions earlier; the install sees the same or fresher lists. If
the installing RUN is more than an `&&` chain it is put in braces so that a failed update still
fails the build: `apt-get update && { apt-get install -y a || true; }`.

Adjacent RUNs are also merged by DP201; a lone update that this rule moves is left alone by
DP201, so the two agree.
"#,
};

/// The package manager whose index an update command refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Apt,
    Apk,
}

fn update_of(cmd: &Command) -> Option<Manager> {
    if cmd.is("apt-get", &["update"]) || cmd.is("apt", &["update"]) {
        Some(Manager::Apt)
    } else if cmd.is("apk", &["update"]) {
        Some(Manager::Apk)
    } else {
        None
    }
}

/// Whether `cmd` installs packages with `m`, using its package lists.
fn installs(cmd: &Command, m: Manager) -> bool {
    match m {
        Manager::Apt => ["apt-get", "apt", "aptitude"].iter().any(|p| {
            cmd.is(p, &["install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall"])
        }),
        Manager::Apk => cmd.is("apk", &["add", "upgrade", "fix"]),
    }
}

/// Whether `cmd` runs the package manager or its tools.
fn uses_manager(cmd: &Command, m: Manager) -> bool {
    let progs: &[&str] = match m {
        Manager::Apt => &["apt-get", "apt", "apt-cache", "apt-key", "apt-mark", "apt-config", "aptitude", "dpkg", "add-apt-repository"],
        Manager::Apk => &["apk"],
    };
    cmd.program().is_some_and(|p| progs.contains(&p))
}

/// Text that shows a RUN touches the package manager's setup.
fn touches_setup(text: &str, m: Manager) -> bool {
    let keys: &[&str] = match m {
        Manager::Apt => &["/etc/apt", "sources.list", "apt-key", "add-apt-repository", "dpkg", "apt-get", "apt ", "/var/lib/apt"],
        Manager::Apk => &["/etc/apk", "apk ", "/var/cache/apk", "/lib/apk"],
    };
    keys.iter().any(|k| text.contains(k))
}

/// The manager of RUN `i` when its only command is an index update.
fn lone_update(cx: &Context, i: usize) -> Option<Manager> {
    let ins = &cx.file.instructions[i];
    if ins.node.kind != Kind::Run || ins.node.json || !ins.heredocs.is_empty() {
        return None;
    }
    if !matches!(crate::transforms::common::stage_shell(cx, i), crate::transforms::common::StageShell::Posix(_)) {
        return None;
    }
    let s = cx.scripts(i).first()?;
    if s.opaque.is_some() || s.commands.len() != 1 || s.background || !s.comments.is_empty() {
        return None;
    }
    let c = &s.commands[0];
    if c.opaque.is_some() || c.in_compound || c.sep_after.as_ref().is_some_and(|(sep, _)| *sep != crate::model::shell::Sep::Semi) {
        return None;
    }
    update_of(c)
}

fn sorted_flags(n: &crate::syntax::Node) -> Vec<String> {
    let mut f: Vec<String> = n.flags.iter().map(|f| f.text.clone()).collect();
    f.sort();
    f
}

/// The RUN that installs after the lone update `u`, or why the update cannot be moved there.
fn target(cx: &Context, u: usize, m: Manager) -> Result<usize, &'static str> {
    let Some(stage) = cx.model.stage_of(u) else { return Err("no stage") };
    let workdir_in_etc = cx.file.instructions[stage.instructions.clone()]
        .iter()
        .any(|i| i.node.kind == Kind::Workdir && i.node.values.first().is_some_and(|w| w.starts_with("/etc")));
    for k in u + 1..stage.instructions.end {
        let ins = &cx.file.instructions[k];
        let text = &cx.file.text[ins.range.clone()];
        match ins.node.kind {
            Kind::Run => {
                let scripts = cx.scripts(k);
                let cmds: Vec<&Command> = scripts.iter().flat_map(|s| s.commands.iter()).collect();
                if cmds.iter().any(|c| installs(c, m)) {
                    if ins.node.json || !ins.heredocs.is_empty() {
                        return Err("the RUN that installs is in exec form or a heredoc");
                    }
                    return Ok(k);
                }
                if ins.node.json || cmds.iter().any(|c| uses_manager(c, m)) || touches_setup(text, m) {
                    return Err("a RUN between them uses or configures the package manager");
                }
            }
            Kind::User => return Err("a USER between them would run the update as another user"),
            Kind::Shell => return Err("a SHELL between them would run the update in another shell"),
            Kind::Volume if ins.node.values.iter().any(|v| v.starts_with("/var") || v == "/") => {
                return Err("a VOLUME between them covers the package lists");
            }
            Kind::Copy | Kind::Add => {
                let dest = ins.node.values.last().map(String::as_str).unwrap_or("");
                let into_etc = dest == "/" || dest.starts_with("/etc") || (!dest.starts_with('/') && workdir_in_etc);
                if into_etc || dest.contains('$') {
                    return Err("a COPY or ADD between them may change the package sources");
                }
            }
            Kind::Unknown | Kind::From => return Err("an instruction between them is not understood"),
            _ => {}
        }
    }
    Err("no RUN after it in the stage installs packages")
}

/// Whether RUN `i` is a lone index update that this rule moves into a RUN that does not come
/// right after it: DP201 must then not merge it with its neighbours.
pub(crate) fn left_to_dp106(cx: &Context, i: usize) -> bool {
    let Some(m) = lone_update(cx, i) else { return false };
    matches!(target(cx, i, m), Ok(t) if t > i + 1 && movable(cx, i, t).is_ok())
}

/// Why the update `u` cannot be moved into `t`, if it cannot.
fn movable(cx: &Context, u: usize, t: usize) -> Result<(), &'static str> {
    let (un, tn) = (&cx.file.instructions[u].node, cx.file.instructions[t].effective());
    if cx.file.instructions[t].node.trigger.is_some() {
        return Err("the RUN that installs is an ONBUILD trigger");
    }
    if !un.flags.is_empty() && sorted_flags(un) != sorted_flags(tn) {
        return Err("the RUN that installs has other flags");
    }
    if tn.flag("network").is_some() && un.flag("network").is_none() {
        return Err("the RUN that installs has its own network mode");
    }
    let p = part(cx, t).ok_or("dopt cannot read the RUN that installs")?;
    if p.comment && !p.and_chain {
        return Err("the RUN that installs ends in a shell comment");
    }
    let ui = &cx.file.instructions[u];
    if ui.start_line != ui.end_line && cx.file.text[ui.range.clone()].lines().skip(1).any(|l| l.trim_start().starts_with('#')) {
        return Err("the update has comments inside it");
    }
    Ok(())
}

impl Rule for AptGetUpdateMerge {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for i in 0..cx.file.instructions.len() {
            let Some(m) = lone_update(cx, i) else { continue };
            let ins = &cx.file.instructions[i];
            let kw = ins.line.to_source(ins.node.keyword_range.start)..ins.line.to_source_end(ins.node.keyword_range.end);
            let name = if m == Manager::Apk { "apk update" } else { "apt-get update" };
            let t = match target(cx, i, m).and_then(|t| movable(cx, i, t).map(|_| t)) {
                Ok(t) => t,
                Err(why) => {
                    out.push(cx.diag(&META, kw, format!("`{name}` alone in its RUN (no fix: {why})"), None));
                    continue;
                }
            };
            let line = cx.file.instructions[t].start_line;
            let fix = Fix::safe(move_edits(cx, i, t));
            out.push(cx.diag(
                &META,
                kw,
                format!("`{name}` alone in its RUN: a cached update layer gives later installs stale package lists; move it into the RUN at line {line}"),
                Some(fix),
            ));
        }
    }
}

/// Deletes RUN `u` and puts its command in front of RUN `t`'s command line.
fn move_edits(cx: &Context, u: usize, t: usize) -> Vec<Edit> {
    let ui = &cx.file.instructions[u];
    let mut edits = vec![Edit::delete(ui.range.clone())];
    // the target begins with its own update: the lone one only goes
    let first = cx.scripts(t).first().and_then(|s| s.commands.first());
    if first.is_some_and(|c| update_of(c).is_some() && c.sep_before.is_none() && !c.in_compound) {
        return edits;
    }
    let p = part(cx, t).expect("checked by movable");
    let update = ui.args_text().trim_end().trim_end_matches(';').trim_end();
    let (l, tr) = crate::transforms::common::chain_counts(cx, t);
    let style = if l > tr { ChainStyle::Leading } else { ChainStyle::Trailing };
    let indent = group_indent(cx, &[t], style);
    let (esc, eol) = (cx.file.escape, cx.style.eol());
    let open = if p.and_chain { "" } else { "{ " };
    let text = match style {
        ChainStyle::Trailing => format!("{update} && {esc}{eol}{indent}{open}"),
        ChainStyle::Leading => format!("{update} {esc}{eol}{indent}&& {open}"),
    };
    edits.push(Edit::insert(p.start, text));
    if !p.and_chain {
        edits.push(Edit::replace(p.end..p.semi_end, p.close_braces));
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    const R: &AptGetUpdateMerge = &AptGetUpdateMerge;

    #[test]
    fn moves_the_update_into_the_install() {
        assert_eq!(
            fix(R, "FROM debian\nRUN apt-get update\nENV A=1\nWORKDIR /app\nRUN apt-get install -y curl\n"),
            "FROM debian\nENV A=1\nWORKDIR /app\nRUN apt-get update && \\\n    apt-get install -y curl\n"
        );
        assert_eq!(
            fix(R, "FROM alpine\nRUN apk update\nCOPY . /app\nRUN apk add --no-cache curl\n"),
            "FROM alpine\nCOPY . /app\nRUN apk update && \\\n    apk add --no-cache curl\n"
        );
        // adjacent too (DP201 would do the same), in the target's style
        assert_eq!(
            fix(R, "FROM debian\nRUN apt-get update -qq\nRUN --mount=type=cache,target=/var/cache/apt apt-get install -y a \\\n  && rm -rf /var/lib/apt/lists/*\n"),
            "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update -qq \\\n  && apt-get install -y a \\\n  && rm -rf /var/lib/apt/lists/*\n"
        );
        // an unrelated RUN between
        assert_eq!(
            fix(R, "FROM debian\nRUN apt-get update\nRUN mkdir /app\nRUN apt-get install -y a\n"),
            "FROM debian\nRUN mkdir /app\nRUN apt-get update && \\\n    apt-get install -y a\n"
        );
    }

    #[test]
    fn keeps_the_exit_status_and_style() {
        assert_eq!(
            fix(R, "FROM debian\nRUN apt-get update;\nENV A=1\nRUN apt-get install -y a || true\n"),
            "FROM debian\nENV A=1\nRUN apt-get update && \\\n    { apt-get install -y a || true; }\n"
        );
        assert_eq!(
            fix(R, "# escape=`\r\nFROM debian\r\nRUN apt-get update\r\nENV A=1\r\nRUN apt-get install -y `\r\n  # curl\r\n  curl\r\n"),
            "# escape=`\r\nFROM debian\r\nENV A=1\r\nRUN apt-get update && `\r\n  apt-get install -y `\r\n  # curl\r\n  curl\r\n"
        );
        assert_eq!(
            fix(R, "from debian\nrun apt-get update\nenv A=1\nrun apt-get install -y a\n"),
            "from debian\nenv A=1\nrun apt-get update && \\\n    apt-get install -y a\n"
        );
    }

    #[test]
    fn deletes_a_redundant_update() {
        assert_eq!(
            fix(R, "FROM debian\nRUN apt-get update\nENV A=1\nRUN apt-get update && apt-get install -y a\n"),
            "FROM debian\nENV A=1\nRUN apt-get update && apt-get install -y a\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM debian\nRUN apt-get update && apt-get install -y a\n",
            "FROM debian\nRUN [\"apt-get\", \"update\"]\nRUN apt-get install -y a\n",
            "FROM debian\nONBUILD RUN apt-get update\nRUN apt-get install -y a\n",
            "FROM debian\nRUN apt-get install -y a\n",
            "FROM debian\nSHELL [\"pwsh\", \"-c\"]\nRUN apt-get update\nENV A=1\nRUN apt-get install -y a\n",
        ] {
            assert_eq!(count(R, s), 0, "{s}");
        }
    }

    #[test]
    fn reports_without_fix_when_something_between_matters() {
        for s in [
            "FROM debian\nRUN apt-get update\nUSER app\nRUN apt-get install -y a\n",
            "FROM debian\nRUN apt-get update\nCOPY sources.list /etc/apt/sources.list\nRUN apt-get install -y a\n",
            "FROM debian\nRUN apt-get update\nRUN echo deb http://x stable main > /etc/apt/sources.list.d/x.list\nRUN apt-get install -y a\n",
            "FROM debian\nRUN apt-get update\nRUN apt-cache policy a\nRUN apt-get install -y a\n",
            "FROM debian\nRUN apt-get update\nRUN --network=none apt-get install -y a\n",
            "FROM debian\nRUN apt-get update\nRUN <<EOF\napt-get install -y a\nEOF\n",
            "FROM debian\nRUN apt-get update\nFROM debian\nRUN apt-get install -y a\n",
        ] {
            assert_eq!(count(R, s), 1, "{s}");
            assert_eq!(fix(R, s), s);
        }
    }

    #[test]
    fn agrees_with_dp201() {
        use crate::engine::{self, Options};
        use crate::model::context::BuildContext;
        let rules: Vec<&dyn crate::engine::Rule> = vec![&crate::transforms::layers::merge_consecutive_runs::MergeConsecutiveRuns, R];
        for (src, want) in [
            (
                "FROM debian\nRUN echo a\nRUN apt-get update\nENV A=1\nRUN echo b\nRUN apt-get install -y a\nRUN echo c\n",
                "FROM debian\nRUN echo a\nENV A=1\nRUN echo b && \\\n    apt-get update && \\\n    apt-get install -y a && \\\n    echo c\n",
            ),
            ("FROM debian\nRUN apt-get update\nRUN apt-get install -y a\n", "FROM debian\nRUN apt-get update && \\\n    apt-get install -y a\n"),
        ] {
            let opts = Options::default();
            let out = engine::run(src, &rules, &BuildContext::default(), &opts).unwrap();
            assert!(out.problems.is_empty(), "{:?}", out.problems);
            assert_eq!(out.output, want);
            let again = engine::run(&out.output, &rules, &BuildContext::default(), &opts).unwrap();
            assert_eq!(again.output, out.output);
        }
    }

    #[test]
    fn the_moved_update_fails_the_build_as_before() {
        use std::os::unix::fs::PermissionsExt;
        // a fake apt-get that prints its arguments and fails on `update` when asked to
        let dir = std::env::temp_dir().join(format!("dopt-dp106-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("apt-get");
        std::fs::write(&fake, "#!/bin/sh\necho apt-get \"$@\"\n[ \"$1\" = update ] && [ -n \"$FAIL_UPDATE\" ] && exit 1\n[ \"$3\" = bad ] && exit 1\nexit 0\n").unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
        let build = |text: &str, fail: bool| -> Option<(String, bool)> {
            let f = crate::syntax::parse(text).unwrap();
            let mut out = String::new();
            for b in f.instructions.iter().filter(|i| i.node.kind == Kind::Run).map(|i| i.node.values[0].clone()) {
                let mut c = std::process::Command::new("sh");
                c.arg("-c").arg(&b).env("PATH", &path);
                if fail {
                    c.env("FAIL_UPDATE", "1");
                }
                let o = c.output().ok()?;
                out.push_str(&String::from_utf8_lossy(&o.stdout));
                if !o.status.success() {
                    return Some((out, false));
                }
            }
            Some((out, true))
        };
        for t in ["apt-get install -y a", "apt-get install -y bad || echo x", "apt-get install -y bad; echo b", "echo pre && apt-get install -y a", "apt-get install -y a &"] {
            let src = format!("FROM debian\nRUN apt-get update\nENV A=1\nRUN {t}\n");
            let moved = fix(R, &src);
            assert_ne!(moved, src);
            for fail in [false, true] {
                let (Some(before), Some(after)) = (build(&src, fail), build(&moved, fail)) else { return };
                assert_eq!(before.1, after.1, "{src}---\n{moved}");
                if before.1 {
                    assert_eq!(before.0.lines().count(), after.0.lines().count(), "{moved}");
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
