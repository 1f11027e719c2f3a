//! DP107 apk-no-cache
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Word};
use crate::syntax::Kind;
use crate::transforms::common::{has_cache_mount, per_run, remove_command, removal_keeps_dl3059, run_commands_incl, InnerScripts, RunCommand};

pub struct ApkNoCache;

static META: RuleMeta = RuleMeta {
    code: "DP107",
    name: "apk-no-cache",
    summary: "`apk add` keeps the package index in the image: add `--no-cache` (dropping the `apk update` and cleanup it makes unneeded)",
    fix: FixKind::Safe,
    hadolint: &["DL3019"],
    docs: r#"## What it does
Finds `apk add` in RUN instructions (heredoc scripts, ONBUILD RUN and `sh -c '...'` strings
included; global flags before `add` and `sudo` are understood) without `--no-cache`, and adds
`--no-cache` right after `add`.

In the same fix, what `--no-cache` makes unneeded in the same RUN goes away:
- `apk update` (it only downloads the index that `--no-cache` fetches anyway), and
- the removal of the index cache: `rm -rf /var/cache/apk/*` and its forms (`rm -fr`,
  `rm -r -f`, `/var/cache/apk`, `/var/cache/apk/`); a removal that names other paths too
  only loses the apk path.

A command is removed together with one `&&`, `;` or newline next to it, so the chain stays
valid. When that cannot be done cleanly (a comment between the commands, the command inside
`if`, piped, alone in the RUN) the command stays and only the flag is added. Nor are commands
removed when that would leave a RUN of two commands or fewer next to another such RUN, which
hadolint would then report as DL3059 ("multiple consecutive RUN instructions").

## Why
Without `--no-cache`, apk stores the package index (a few MB per repository) in
`/var/cache/apk`, and it ends up in the layer. `--no-cache` fetches the index to memory, so
there is nothing to update first and nothing to delete afterwards.

## Example
```dockerfile
RUN apk update && \
    apk add curl && \
    rm -rf /var/cache/apk/*
```
becomes
```dockerfile
RUN apk add --no-cache curl
```

## Not flagged
- `apk add --no-cache` (anywhere in the command);
- `apk add --no-network`: it fetches nothing, so it caches nothing (hadolint still reports it);
- the RUN has a BuildKit cache mount on `/var/cache/apk` or `/etc/apk/cache` (the
  cache is outside the image and meant to be kept; hadolint also accepts this for
  `/var/cache/apk`).

## Fix safety
Safe: `--no-cache` only changes where the index is kept. `apk update` is only removed when
every other apk command of the RUN is an `apk add` (getting `--no-cache`), an `apk del`, or
already has `--no-cache`, when it has no flags that change which repositories are read, and,
unless the RUN also deletes the cache, when no later RUN could rely on the index it leaves
behind (another apk command without `--no-cache`, or a script). The cache removal is only
dropped when no `apk update` stays. A command dopt's shell model does not fully understand
(inside `$(...)` or a `for` loop) is reported without a fix.
"#,
};

impl Rule for ApkNoCache {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let all = run_commands_incl(cx, &inner);
        for cmds in per_run(&all) {
            check_run(cx, cmds, out);
        }
    }
}

fn check_run(cx: &Context, cmds: &[RunCommand], out: &mut Vec<Diagnostic>) {
    let ins = cmds[0].ins;
    let node = cx.file.instructions[ins].effective();
    if has_cache_mount(node, &["/var/cache/apk", "/etc/apk/cache"]) {
        return;
    }
    let adds: Vec<(&RunCommand, &Word)> = cmds.iter().filter_map(|rc| Some((rc, apk_sub(rc.cmd, &["add"])?))).filter(|(rc, _)| !has_no_cache(rc.cmd)).collect();
    if adds.is_empty() {
        return;
    }
    let fixable = adds.iter().all(|(rc, _)| rc.opaque().is_none());
    // what --no-cache makes unneeded
    let mut extra: Vec<Edit> = Vec::new();
    let mut removed_update = false;
    let others_ok = cmds.iter().all(|rc| match rc.cmd.program() {
        Some("apk") => rc.opaque().is_none() && (has_no_cache(rc.cmd) || apk_sub(rc.cmd, &["add", "del", "update"]).is_some() || rc.cmd.has_flag(&["--print-arch", "-V", "--version"])),
        _ => true,
    });
    if fixable && others_ok {
        let updates: Vec<&RunCommand> = cmds.iter().filter(|rc| apk_sub(rc.cmd, &["update"]).is_some()).collect();
        let index_gone = cmds.iter().any(|rc| removes_apk_cache(rc.cmd));
        if !updates.is_empty() && updates.iter().all(|rc| is_plain_update(rc.cmd)) && (index_gone || !later_runs_need_index(cx, ins)) {
            let e: Vec<Edit> = updates.iter().filter_map(|rc| remove_command(cx, rc.script, index_of(rc))).collect();
            if e.len() == updates.len() && !overlapping(&e) {
                extra = e;
                removed_update = true;
            }
        }
        if updates.is_empty() || removed_update {
            let mut with_rm = extra.clone();
            with_rm.extend(cmds.iter().filter_map(|rc| cache_removal(cx, rc)));
            if !overlapping(&with_rm) {
                extra = with_rm;
            }
        }
        // whole commands removed (not just a path word of `rm`)
        let whole = extra.iter().filter(|e| cmds.iter().any(|rc| e.range.start <= rc.cmd.range.start && rc.cmd.range.end <= e.range.end)).count();
        if !removal_keeps_dl3059(cx, ins, whole) {
            extra.clear();
            removed_update = false;
        }
    }
    let flag_edits: Vec<Edit> = adds.iter().map(|(_, w)| Edit::insert(w.range.end, " --no-cache")).collect();
    for (n, (rc, _)) in adds.iter().enumerate() {
        let fix = match rc.opaque() {
            Some(_) => None,
            None if n == 0 && fixable => {
                let mut e = flag_edits.clone();
                e.extend(extra.iter().cloned());
                Some(Fix::safe(e))
            }
            None => Some(Fix::safe(vec![flag_edits[n].clone()])),
        };
        let mut msg = "`apk add` without `--no-cache`".to_string();
        if n == 0 && !extra.is_empty() {
            msg.push_str(if removed_update { "; `apk update` and the cache cleanup become unneeded" } else { "; the cache cleanup becomes unneeded" });
        }
        if let Some(r) = rc.opaque() {
            msg.push_str(&format!(" (no fix: {r})"));
        }
        out.push(cx.diag(&META, rc.cmd.range.clone(), msg, fix));
    }
}

fn overlapping(edits: &[Edit]) -> bool {
    let mut r: Vec<_> = edits.iter().map(|e| e.range.clone()).collect();
    r.sort_by_key(|r| (r.start, r.end));
    r.windows(2).any(|w| w[0].end > w[1].start)
}

fn index_of(rc: &RunCommand) -> usize {
    rc.script.commands.iter().position(|c| std::ptr::eq(c, rc.cmd)).unwrap_or(usize::MAX)
}

/// The subcommand word of `apk <sub>` when it is one of `subs` (global flags may come first).
fn apk_sub<'a>(cmd: &'a Command, subs: &[&str]) -> Option<&'a Word> {
    if cmd.program() != Some("apk") {
        return None;
    }
    let argv = cmd.argv();
    let mut k = 1;
    while k < argv.len() {
        let t = argv[k].text.as_str();
        if t.starts_with('-') {
            // global options that take a value as the next word
            if matches!(t, "-X" | "--repository" | "-p" | "--root" | "--arch" | "--cache-dir" | "--keys-dir" | "--repositories-file" | "--wait" | "--timeout") {
                k += 1;
            }
            k += 1;
            continue;
        }
        return subs.contains(&t).then_some(&argv[k]);
    }
    None
}

/// `--no-cache`, or `--no-network` (nothing is fetched, so nothing is cached).
fn has_no_cache(cmd: &Command) -> bool {
    cmd.has_flag(&["--no-cache", "--no-network"])
}

/// `apk update` with no flags that change what it reads.
fn is_plain_update(cmd: &Command) -> bool {
    apk_sub(cmd, &["update"]).is_some()
        && cmd.argv()[1..].iter().all(|w| matches!(w.text.as_str(), "update" | "-q" | "--quiet" | "-v" | "--verbose" | "--no-progress" | "--progress"))
        && cmd.assignments.is_empty()
}

/// `rm` of the apk cache, in any form.
fn removes_apk_cache(c: &Command) -> bool {
    c.program() == Some("rm") && c.argv()[1..].iter().any(|w| w.text.trim_end_matches('/') == "/var/cache/apk" || w.text.starts_with("/var/cache/apk/"))
}

/// The edit that removes the apk cache from `rm ... /var/cache/apk/*`: the whole command when it
/// removes only that, else just the word.
fn cache_removal(cx: &Context, rc: &RunCommand) -> Option<Edit> {
    let c = rc.cmd;
    if c.program() != Some("rm") || rc.opaque().is_some() || !c.assignments.is_empty() {
        return None;
    }
    let argv = c.argv();
    let flags_ok = argv[1..].iter().filter(|w| w.text.starts_with('-')).all(|w| {
        let t = w.text.as_str();
        matches!(t, "--recursive" | "--force" | "--") || (t.len() > 1 && !t.starts_with("--") && t[1..].chars().all(|ch| matches!(ch, 'r' | 'R' | 'f' | 'v')))
    });
    let paths: Vec<&Word> = argv[1..].iter().filter(|w| !w.text.starts_with('-')).collect();
    if !flags_ok || paths.is_empty() || argv.len() != c.words.len() {
        return None;
    }
    let is_apk = |w: &Word| {
        let t = w.text.trim_end_matches('/');
        !w.dynamic && (t == "/var/cache/apk" || t.starts_with("/var/cache/apk/"))
    };
    let apk: Vec<&&Word> = paths.iter().filter(|w| is_apk(w)).collect();
    if apk.is_empty() {
        return None;
    }
    if apk.len() == paths.len() {
        return remove_command(cx, rc.script, index_of(rc));
    }
    if apk.len() != 1 {
        return None;
    }
    // `rm -rf /var/cache/apk/* /tmp/*`: drop the word and the blank before it
    let w = apk[0];
    let k = argv.iter().position(|x| std::ptr::eq(x, *w))?;
    let prev = &argv[k - 1];
    let between = &cx.file.text[prev.range.end..w.range.start];
    if !between.chars().all(|ch| ch == ' ' || ch == '\t') {
        return None;
    }
    Some(Edit::delete(prev.range.end..w.range.end))
}

/// Whether a RUN after instruction `i` may read the index an `apk update` leaves behind: an apk
/// command other than `add`/`del` without `--no-cache`, an apk command dopt cannot see into, or
/// a script it cannot see at all.
fn later_runs_need_index(cx: &Context, i: usize) -> bool {
    for (j, ins) in cx.file.instructions.iter().enumerate().skip(i + 1) {
        let n = ins.effective();
        if n.kind != Kind::Run {
            continue;
        }
        let text = &ins.line.text[n.args.clone()];
        if n.json {
            if text.contains("apk") || text.contains(".sh") {
                return true;
            }
            continue;
        }
        for s in cx.scripts(j) {
            if s.opaque.is_some() && text.contains("apk") {
                return true;
            }
            if s.commands.iter().any(needs_index) {
                return true;
            }
        }
    }
    false
}

fn needs_index(c: &Command) -> bool {
    let Some(p) = c.program() else { return false };
    if p == "apk" {
        return c.opaque.is_some() || (apk_sub(c, &["add", "del"]).is_none() && !has_no_cache(c) && !c.has_flag(&["--print-arch"]));
    }
    let first = &c.argv()[0].text;
    let runs_script = first.starts_with("./") || first.ends_with(".sh") || (first.starts_with('/') && !first.starts_with("/bin/") && !first.starts_with("/usr/"));
    let shell_file = matches!(p, "sh" | "bash" | "ash" | "source" | ".") && c.argv().get(1).is_some_and(|w| !w.text.starts_with('-'));
    runs_script || shell_file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    fn f(s: &str) -> String {
        fix(&ApkNoCache, &format!("FROM alpine:3.19\n{s}"))[17..].to_string()
    }

    #[test]
    fn adds_the_flag() {
        assert_eq!(f("RUN apk add curl\n"), "RUN apk add --no-cache curl\n");
        assert_eq!(f("RUN apk --update add curl git\n"), "RUN apk --update add --no-cache curl git\n");
        assert_eq!(f("RUN sudo apk -U add curl\n"), "RUN sudo apk -U add --no-cache curl\n");
        assert_eq!(f("RUN FOO=1 apk add a && apk add b\n"), "RUN FOO=1 apk add --no-cache a && apk add --no-cache b\n");
        assert_eq!(f("ONBUILD RUN apk add curl\n"), "ONBUILD RUN apk add --no-cache curl\n");
        assert_eq!(f("RUN sh -c 'apk add curl'\n"), "RUN sh -c 'apk add --no-cache curl'\n");
    }

    #[test]
    fn drops_update_and_cache_removal() {
        assert_eq!(f("RUN apk update && apk add curl\n"), "RUN apk add --no-cache curl\n");
        assert_eq!(f("RUN apk add curl && rm -rf /var/cache/apk/*\n"), "RUN apk add --no-cache curl\n");
        assert_eq!(f("RUN apk update && apk add curl && rm -rf /var/cache/apk/*\n"), "RUN apk add --no-cache curl\n");
        assert_eq!(
            f("RUN apk update && \\\n    apk add curl && \\\n    rm -rf /var/cache/apk/* && \\\n    echo done\n"),
            "RUN apk add --no-cache curl && \\\n    echo done\n"
        );
        assert_eq!(
            f("RUN set -eux \\\n  && apk update \\\n  && apk add curl \\\n  && rm -fr /var/cache/apk\n"),
            "RUN set -eux \\\n  && apk add --no-cache curl\n"
        );
        assert_eq!(f("RUN apk add curl; rm -rf /var/cache/apk/* /tmp/*\n"), "RUN apk add --no-cache curl; rm -rf /tmp/*\n");
        assert_eq!(f("RUN <<EOF\napk update\napk add curl\nrm -rf /var/cache/apk/*\nEOF\n"), "RUN <<EOF\napk add --no-cache curl\nEOF\n");
        assert_eq!(
            fix(&ApkNoCache, "# escape=`\r\nFROM alpine\r\nRUN apk update && `\r\n    apk add curl && `\r\n    rm -rf /var/cache/apk/*\r\n"),
            "# escape=`\r\nFROM alpine\r\nRUN apk add --no-cache curl\r\n"
        );
    }

    #[test]
    fn keeps_what_is_still_needed() {
        // a comment between: only the flag
        assert_eq!(
            f("RUN apk update \\\n  # then add\n  && apk add curl\n"),
            "RUN apk update \\\n  # then add\n  && apk add --no-cache curl\n"
        );
        // apk upgrade reads the index: update and cleanup stay
        assert_eq!(
            f("RUN apk update && apk upgrade && apk add curl && rm -rf /var/cache/apk/*\n"),
            "RUN apk update && apk upgrade && apk add --no-cache curl && rm -rf /var/cache/apk/*\n"
        );
        // update with a repository flag
        assert_eq!(f("RUN apk update -X http://r && apk add curl\n"), "RUN apk update -X http://r && apk add --no-cache curl\n");
        // a later RUN could use the index: update stays, as no cleanup deletes it
        assert_eq!(f("RUN apk update && apk add curl\nRUN ./install.sh\n"), "RUN apk update && apk add --no-cache curl\nRUN ./install.sh\n");
        // ...unless this RUN deletes the index anyway
        assert_eq!(
            f("RUN apk update && apk add curl && rm -rf /var/cache/apk/*\nRUN apk upgrade && make && make install\n"),
            "RUN apk add --no-cache curl\nRUN apk upgrade && make && make install\n"
        );
        // a short RUN next to another short RUN is hadolint's DL3059: keep the RUN long
        assert_eq!(
            f("RUN apk update && apk add curl && rm -rf /var/cache/apk/*\nRUN echo done\n"),
            "RUN apk update && apk add --no-cache curl && rm -rf /var/cache/apk/*\nRUN echo done\n"
        );
        assert_eq!(
            f("RUN apk update && apk add curl && rm -rf /var/cache/apk/*\nWORKDIR /app\nRUN echo done\n"),
            "RUN apk add --no-cache curl\nWORKDIR /app\nRUN echo done\n"
        );
        // inside if: flag only
        assert_eq!(
            f("RUN if true; then apk update; fi && apk add curl\n"),
            "RUN if true; then apk update; fi && apk add --no-cache curl\n"
        );
        // piped: stays
        assert_eq!(f("RUN apk update | tee log && apk add x\n"), "RUN apk update | tee log && apk add --no-cache x\n");
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM alpine\nRUN apk add --no-cache curl\n",
            "FROM alpine\nRUN apk --no-cache add curl\n",
            "FROM alpine\nRUN apk add --no-network --virtual .rundeps $runDeps\n",
            "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n",
            "FROM alpine\nRUN --mount=type=cache,target=/etc/apk/cache,sharing=locked apk update && apk add curl\n",
            "FROM alpine\nRUN apk del curl && apk info\n",
            "FROM alpine\nRUN [\"apk\", \"add\", \"curl\"]\n",
            "FROM alpine\nRUN echo apk add curl\n",
        ] {
            assert_eq!(count(&ApkNoCache, s), 0, "{s}");
        }
    }

    #[test]
    fn reports_without_fix_where_unsure() {
        for s in ["FROM alpine\nRUN for p in a b; do apk add $p; done\n", "FROM alpine\nRUN sh -c \"apk add $PKGS\"\n"] {
            assert_eq!(count(&ApkNoCache, s), 1, "{s}");
            assert_eq!(fix(&ApkNoCache, s), s);
        }
    }
}
