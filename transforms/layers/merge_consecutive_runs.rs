//! DP201 merge-consecutive-runs
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::syntax::{ItemKind, Kind};
use crate::transforms::common::{chain_counts, chain_indent, continuation_indent, stage_shell, ChainStyle, StageShell};

pub struct MergeConsecutiveRuns;

static META: RuleMeta = RuleMeta {
    code: "DP201",
    name: "merge-consecutive-runs",
    summary: "Consecutive RUN instructions with the same flags: merge them into one",
    fix: FixKind::Safe,
    hadolint: &["DL3059"],
    docs: r#"## What it does
Finds RUN instructions that follow each other (comments and blank lines between them do not
count) with the same flags (`--mount`, `--network`, `--security`), and merges each run of them
into the first: the commands are chained with `&&`, every RUN keeps its own lines, and comments
between them move into the merged RUN as comment lines of its continuation (BuildKit drops
those before the shell sees the command). The file's chaining style (`cmd && \` or
`\` + `&& cmd`), indentation, escape character and line endings are kept.

## Why
Every RUN is a layer. Files a later RUN deletes stay in the earlier layer, and each layer
costs a snapshot, an upload and a download.

## Example
```dockerfile
RUN apt-get update
# tools
RUN apt-get install -y --no-install-recommends curl
```
becomes
```dockerfile
RUN apt-get update && \
    # tools
    apt-get install -y --no-install-recommends curl
```

## How the exit status is kept
A build stops at the first RUN that fails, so RUN `A` then RUN `B` runs `B` only when `A`
succeeded. `A && B` does the same whatever `A` is, because `&&` and `||` have equal
precedence and group from the left: `a || b && c` is `(a || b) && c`, and `a; b && c` is
`a; (b && c)`, whose status is that of `b && c`, just as RUN `a; b` fails only when `b` fails.
When `B` is more than an `&&` chain (`b; c`, `b || c`, `if`, `for`), it is put in braces:
`A && { b; c; }`; otherwise `c` would run after `A` failed. A trailing `;` is dropped, and a
shell comment at the end of a RUN (`cmd # note`) becomes a comment line of the continuation
(in the shell it would comment out what is chained after it).

## Shell state
Each RUN starts a fresh shell. When a RUN leaves state behind that the next commands would
see (`cd`, `set`, `umask`, `trap`, `exec`, `exit`, functions, ...), it is put in a subshell:
`( cd /src && make ) && make install`. A RUN that sets shell variables (`V=1`, `export`,
`source`, `read`, ...) is not merged at all: in a subshell shellcheck would report the later
use of the variable (SC2031), and an assignment that is no longer the first command of its RUN
looks conditional to it (SC2086).

Wrapping in `( )` or `{ }` is only done for RUNs of one line. A RUN of several lines that would
need it (a `set -eux; ...` block, an `if` block) ends the merge: such RUNs are written as
separate blocks on purpose, and the wrapped block reads badly.

## Not flagged
- RUNs with different flags, exec-form RUNs, heredoc RUNs, RUNs with anything else between
  them (a `SHELL`, `ENV`, `COPY`, ...);
- the cases of "Shell state" above;
- a `# hadolint ...` or `# dopt: ...` comment between the two RUNs (it belongs to the second);
- a RUN that runs `yum`, `dnf` or `zypper` after RUNs whose first such command cleans its
  cache (hadolint's DL3032/DL3040/DL3036 would then take the merged RUN for one that installs
  after cleaning);
- a stage whose shell is not a POSIX shell (a `SHELL` such as PowerShell, a Windows base image);
- a lone `apt-get update`/`apk update` RUN that DP106 moves into a later RUN that installs.

Reported without a fix: a RUN before another that starts a background job (`cmd &`) or a
service (`service x start`, `systemctl start`, `nohup`, `/etc/init.d/x start`, ...), which
would now keep running while the next commands run, or that has a shell comment before the
end of its command line.

## Fix safety
Safe: the same commands run in the same order, in the same environment, and the build fails
exactly when it failed before. What changes is the number of layers (files deleted by a later
command no longer sit in an earlier layer) and the build cache: changing one command now
re-runs the whole merged RUN. Two corner cases differ: `/etc/hosts` and `/etc/resolv.conf` are
fresh in each RUN (a write to them is now seen by the commands after it), and a process a
command leaves behind that dopt does not recognise as a service keeps running.

hadolint's DL3059 only reports a RUN of at most one command right after another such RUN with
the same flags (comments between do not matter, ONBUILD RUNs are not counted); this rule
merges all consecutive RUNs it can, reporting one finding per RUN merged away.
"#,
};

/// Shell built-ins and commands that change the state of the shell that runs them.
const STATEFUL: &[&str] = &[
    "cd", "pushd", "popd", "export", "unset", "set", "shopt", "source", ".", "alias", "unalias", "umask", "ulimit", "trap",
    "eval", "exec", "exit", "return", "read", "readonly", "declare", "typeset", "local", "shift", "getopts", "hash", "let",
    "wait", "enable", "builtin",
];

/// Commands that start processes that outlive them.
const DAEMONS: &[&str] = &["start-stop-daemon", "nohup", "setsid", "daemonize", "mysqld_safe", "dockerd", "Xvfb"];

/// Service managers, which start a service when one of their arguments is one of these.
const SERVICE_MANAGERS: &[&str] = &["service", "systemctl", "rc-service", "invoke-rc.d", "pg_ctl", "pg_ctlcluster", "apachectl", "apache2ctl"];
const SERVICE_STARTS: &[&str] = &["start", "restart", "reload", "force-reload", "try-restart", "reload-or-restart", "graceful"];

/// Whether `c` starts a process that outlives it.
fn starts_service(c: &crate::model::shell::Command) -> bool {
    let init_d = c.words.first().is_some_and(|w| w.text.starts_with("/etc/init.d/"));
    let prog = c.program().unwrap_or("");
    let starts = || c.argv().iter().skip(1).any(|w| SERVICE_STARTS.contains(&w.text.as_str()));
    DAEMONS.contains(&prog) || (init_d || SERVICE_MANAGERS.contains(&prog)) && starts()
}

/// How the command line of a RUN can take part in a merged RUN.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub ins: usize,
    /// Source offset of the first byte of the command line.
    pub start: usize,
    /// Source offset just after its last byte, a trailing `;` left out.
    pub end: usize,
    /// Source offset just after its last byte before a trailing comment (`;` included).
    pub semi_end: usize,
    /// A shell comment at the end of its last line, after all its commands: in a merge it
    /// becomes a comment line of the continuation.
    pub trailing_comment: Option<String>,
    /// Why the commands after it would see its shell state, if they would.
    pub leaks: Option<&'static str>,
    /// The command line is an `&&` chain of pipelines: it can follow `&&` as it is.
    pub and_chain: bool,
    /// Why nothing may follow it, if nothing may.
    pub last_only: Option<&'static str>,
    /// It has a shell comment that is not a trailing one: it swallows anything after it.
    pub comment: bool,
    /// It sets shell variables the commands after it would see.
    pub sets_vars: bool,
    /// It sets shell options (`set`, `shopt`) the commands after it would see.
    pub sets_options: bool,
    /// What closes braces around it: `; }`, or ` }` after a trailing `&`.
    pub close_braces: &'static str,
    /// It spans more than one line.
    pub multiline: bool,
    /// It has a compound command (`if`, `for`, `case`, `( )`, `{ }`, ...).
    pub compound: bool,
    /// For each package manager of [`CLEAN_ORDER`], whether its first install or clean command
    /// is a clean (`Some(true)`), an install (`Some(false)`), or there is none.
    pub clean_first: [Option<bool>; 3],
}

/// Package managers whose "clean after install" hadolint checks by the order of the first
/// install and the first clean in a RUN (DL3032 yum, DL3040 dnf, DL3036 zypper): commands
/// that install, commands that clean. A RUN that cleans merged before a RUN that installs
/// would be reported, so such RUNs are not merged.
const CLEAN_ORDER: [(&[&str], &[&str], &[&str]); 3] = [
    (&["yum"], &["install"], &["clean", "all"]),
    (&["dnf", "microdnf"], &["install"], &["clean", "all"]),
    (&["zypper"], &["install", "in"], &["clean", "cc"]),
];

fn clean_first(script: &crate::model::shell::Script) -> [Option<bool>; 3] {
    let mut out = [None; 3];
    for c in &script.commands {
        let Some(name) = c.words.first().map(|w| w.text.as_str()) else { continue };
        let args = || c.words[1..].iter().map(|w| w.text.as_str());
        for (k, (names, install, clean)) in CLEAN_ORDER.iter().enumerate() {
            if out[k].is_some() {
                continue;
            }
            let rm_cache = name == "rm" && args().any(|a| a == "-rf" || a == "/var/cache/yum/*") && k < 2;
            if names.contains(&name) && args().any(|a| clean.contains(&a)) || rm_cache {
                out[k] = Some(true);
            } else if names.contains(&name) && args().any(|a| install.contains(&a)) {
                out[k] = Some(false);
            }
        }
    }
    out
}

/// How a part is wrapped in the merged RUN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrap {
    None,
    /// `( ... )`: its shell state stays inside.
    Subshell,
    /// `{ ...; }`: its list is one command.
    Braces,
}

/// The part instruction `i` can play in a merge, or `None` when it cannot take part (not a
/// shell-form RUN, a heredoc, no command, a command line dopt cannot read).
pub(crate) fn part(cx: &Context, i: usize) -> Option<Part> {
    let ins = &cx.file.instructions[i];
    let node = ins.effective();
    if node.kind != Kind::Run || node.json || !ins.heredocs.is_empty() || node.args.is_empty() {
        return None;
    }
    let script = cx.scripts(i).first()?;
    if matches!(script.opaque, Some("an unterminated quote" | "an unterminated substitution" | "a heredoc inside the script")) {
        return None;
    }
    let args = node.args.clone();
    // a comment at the end of the last line, after every command, can become a comment line
    let pieces = ins.line.source_pieces(args.clone());
    let last_piece = pieces.last()?.clone();
    let mut text_end = args.end;
    let mut trailing_comment = None;
    if let [c] = script.comments.as_slice() {
        if last_piece.contains(c) && script.commands.iter().all(|cmd| cmd.range.end <= *c) {
            let before: usize = pieces[..pieces.len() - 1].iter().map(|p| p.len()).sum();
            text_end = args.start + before + (c - last_piece.start);
            trailing_comment = Some(cx.file.text[*c..last_piece.end].trim_end().to_string());
        }
    }
    let text = ins.line.text[args.start..text_end].trim_end();
    if text.is_empty() || text.ends_with("&&") || text.ends_with("||") || text.ends_with('|') || text.ends_with(cx.file.escape) {
        return None;
    }
    let trailing_semi = text.ends_with(';') && !text.ends_with(";;") && !text.ends_with("\\;");
    let kept = if trailing_semi { text[..text.len() - 1].trim_end().len() } else { text.len() };
    if kept == 0 {
        return None;
    }
    let end = ins.line.to_source_end(args.start + kept);
    let semi_end = ins.line.to_source_end(args.start + text.len());
    let mut leaks = match script.opaque {
        Some("shell functions are not modelled") => Some("defines shell functions"),
        Some("arithmetic is not modelled") => Some("uses shell arithmetic"),
        _ => None,
    };
    let mut last_only = None;
    let mut sets_vars = false;
    let mut sets_options = false;
    for c in &script.commands {
        let first = c.words.first().map(|w| crate::model::shell::base(&w.text));
        let prog = c.program();
        if c.words.is_empty() && !c.assignments.is_empty() {
            sets_vars = true;
        }
        if let Some(s) = [first, prog].into_iter().flatten().find(|p| STATEFUL.contains(p)) {
            match s {
                "set" | "shopt" => sets_options = true,
                _ => match stateful_reason(s) {
                    None => sets_vars = true,
                    why => leaks = leaks.or(why),
                },
            }
        }
        if starts_service(c) {
            last_only = last_only.or(Some("it starts a service, which would keep running while the next commands run"));
        }
    }
    if script.background {
        last_only = Some("it starts a background job, which would keep running while the next commands run");
    }
    let comment = !script.comments.is_empty() && trailing_comment.is_none();
    if comment {
        last_only = Some("its command line ends in a shell comment, which would swallow the commands after it");
    }
    let cmds = &script.commands;
    let and_chain = script.opaque.is_none()
        && !script.background
        && !cmds.is_empty()
        && cmds.iter().all(|c| !c.in_compound)
        && cmds.first().is_some_and(|c| c.sep_before.is_none())
        && cmds.iter().enumerate().all(|(k, c)| {
            let last = k + 1 == cmds.len();
            let after_ok = match &c.sep_after {
                None => last,
                Some((s, _)) => matches!(s, crate::model::shell::Sep::And | crate::model::shell::Sep::Pipe) && !last
                    || last && trailing_semi && *s == crate::model::shell::Sep::Semi,
            };
            let before_ok = k == 0 || matches!(c.sep_before, Some(crate::model::shell::Sep::And | crate::model::shell::Sep::Pipe));
            after_ok && before_ok
        });
    Some(Part {
        ins: i,
        start: ins.line.to_source(args.start),
        end,
        semi_end,
        trailing_comment,
        leaks,
        and_chain,
        last_only,
        comment,
        sets_vars,
        sets_options,
        close_braces: if text[..kept].ends_with('&') { " }" } else { "; }" },
        multiline: cx.file.text[ins.range.start..ins.header_end].trim_end().contains('\n'),
        compound: cmds.iter().any(|c| c.in_compound) || text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "case"),
        clean_first: clean_first(script),
    })
}

/// How a stateful command leaks into the commands after it: `None` when it sets variables.
fn stateful_reason(s: &str) -> Option<&'static str> {
    match s {
        "cd" | "pushd" | "popd" => Some("changes directory"),
        "export" | "unset" | "readonly" | "declare" | "typeset" | "local" | "read" | "let" | "getopts" | "shift" | "source"
        | "." | "eval" => None,
        "exec" | "exit" | "return" => Some("can end the shell"),
        _ => Some("changes the state of the shell"),
    }
}

/// Whether two instructions are RUNs of the same kind (plain or ONBUILD) with the same flags.
fn same_flags(cx: &Context, a: usize, b: usize) -> bool {
    let (ia, ib) = (&cx.file.instructions[a], &cx.file.instructions[b]);
    if ia.node.trigger.is_some() != ib.node.trigger.is_some() {
        return false;
    }
    let flags = |n: &crate::syntax::Node| {
        let mut f: Vec<String> = n.flags.iter().map(|f| f.text.clone()).collect();
        f.sort();
        f
    };
    flags(ia.effective()) == flags(ib.effective())
}

/// The comment lines between instructions `a` and `b` (`a < b`), trimmed.
fn comments_between<'a>(cx: &Context<'a>, a: usize, b: usize) -> Vec<&'a str> {
    let (from, to) = (cx.file.instructions[a].range.end, cx.file.instructions[b].range.start);
    // the items are in file order: only those between the two are looked at
    let k = cx.file.items.partition_point(|it| it.range.start < from);
    cx.file.items[k..]
        .iter()
        .take_while(|it| it.range.start < to)
        .filter(|it| it.kind == ItemKind::Comment && it.range.start >= from && it.range.end <= to)
        .map(|it| cx.file.text[it.range.clone()].trim())
        .collect()
}

/// A comment that is a directive to a tool about the instruction after it.
fn is_pragma(comment: &str) -> bool {
    let c = comment.trim_start_matches('#').trim_start().to_ascii_lowercase();
    c.starts_with("hadolint") || c.starts_with("dopt:") || c.starts_with("checkov:") || c.starts_with("trivy:")
}

/// Why RUN `next` cannot be merged into the part before it: `Err(None)` when it is simply
/// not a candidate, `Err(Some(why))` when it is one that dopt cannot merge.
fn extend(cx: &Context, group: &[Part], clean: &[Option<bool>; 3], next: usize, errexit: bool) -> Result<Part, Option<&'static str>> {
    let prev = group.last().expect("a group has a part");
    if !same_flags(cx, prev.ins, next) || crate::transforms::packages::apt_get_update_merge::left_to_dp106(cx, next) {
        return Err(None);
    }
    let p = part(cx, next).ok_or(None)?;
    if comments_between(cx, prev.ins, next).iter().any(|c| is_pragma(c)) {
        return Err(None);
    }
    // a clean before an install of the same package manager: hadolint would report it
    // (`clean` is the first install or clean of each in the group)
    for (c, q) in clean.iter().zip(p.clean_first) {
        if *c == Some(true) && q.is_some() {
            return Err(None);
        }
    }
    if let Some(why) = prev.last_only {
        return Err(Some(why));
    }
    // variables set by a RUN are not seen by the next one; a subshell would keep it so, but
    // shellcheck then reports their later use (SC2031); and an assignment that is no longer
    // the first command of its RUN is taken as conditional, so its uses get SC2086: leave
    // such RUNs apart
    if prev.sets_vars || p.sets_vars {
        return Err(None);
    }
    // shell options (`set -e`, `set -u`, `set -f`, pipefail) would change how the next
    // commands run, and in a subshell `set -e` is ignored (see below)
    if prev.sets_options {
        return Err(None);
    }
    // a RUN of several lines is not wrapped in `( )` or `{ }`: such RUNs are written as blocks
    // on purpose, and the wrapped result reads badly
    let prev_wrap = prev.leaks.is_some() || group.len() > 1 && !prev.and_chain;
    if prev.multiline && prev_wrap || p.multiline && !p.and_chain {
        return Err(None);
    }
    // `set -e` is ignored inside any command of an `&&` list but the last, so with a shell
    // that sets it, a compound command (or a part wrapped in `( )` or `{ }`) followed by `&&`
    // would no longer stop at its first failure
    if errexit && (prev_wrap || prev.compound) {
        return Err(None);
    }
    if p.comment && !p.and_chain {
        return Err(Some("its command line ends in a shell comment, which would swallow the closing brace"));
    }
    Ok(p)
}

impl Rule for MergeConsecutiveRuns {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let n = cx.file.instructions.len();
        let mut i = 0;
        while i < n {
            let start = i;
            i += 1;
            let StageShell::Posix(shell) = stage_shell(cx, start) else { continue };
            if crate::transforms::packages::apt_get_update_merge::left_to_dp106(cx, start) {
                continue;
            }
            let errexit = shell_errexit(&shell);
            let Some(first) = part(cx, start) else { continue };
            let mut clean = first.clean_first;
            let mut group = vec![first];
            let mut blocked = None;
            while i < n {
                match extend(cx, &group, &clean, i, errexit) {
                    Ok(p) => {
                        for (c, q) in clean.iter_mut().zip(p.clean_first) {
                            *c = c.or(q);
                        }
                        group.push(p);
                        i += 1;
                    }
                    Err(why) => {
                        blocked = why.map(|w| (i, w));
                        break;
                    }
                }
            }
            if group.len() > 1 {
                let fix = Fix::safe(merge_edits(cx, &group));
                for p in &group[1..] {
                    out.push(cx.diag(&META, keyword_range(cx, p.ins), "RUN right after a RUN: merge them into one layer", Some(fix.clone())));
                }
            }
            if let Some((k, why)) = blocked {
                out.push(cx.diag(&META, keyword_range(cx, k), format!("RUN right after a RUN (no fix: in the RUN before, {why})"), None));
            }
        }
    }
}

/// Whether a shell command line (`["/bin/sh", "-ec"]`) turns on `errexit`.
fn shell_errexit(shell: &[String]) -> bool {
    shell.iter().enumerate().any(|(k, a)| {
        a.starts_with('-') && !a.starts_with("--") && a[1..].contains('e') || a == "errexit" && k > 0 && shell[k - 1] == "-o"
    })
}

fn keyword_range(cx: &Context, i: usize) -> std::ops::Range<usize> {
    let ins = &cx.file.instructions[i];
    let r = ins.node.keyword_range.clone();
    ins.line.to_source(r.start)..ins.line.to_source_end(r.end)
}

/// The chaining style for new lines in a merge of `group`: the style its RUNs show, else the
/// file's, else trailing.
fn group_style(cx: &Context, group: &[usize]) -> ChainStyle {
    let count = |it: &mut dyn Iterator<Item = usize>| it.map(|i| chain_counts(cx, i)).fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    let (mut l, mut t) = count(&mut group.iter().copied());
    if l == 0 && t == 0 {
        // the whole file's, counted once per file however many groups ask
        struct FileChains((usize, usize));
        (l, t) = cx.memo(|| FileChains(count(&mut (0..cx.file.instructions.len())))).0;
    }
    if l > t {
        ChainStyle::Leading
    } else {
        ChainStyle::Trailing
    }
}

/// The edits that merge RUN `b`'s command line into the RUN before it, which ends at `a_end`:
/// everything from `a_end` to `b`'s command line (line breaks, comments, `RUN` and flags) is
/// replaced by a chaining `&&`, a line continuation and the comments.
fn junction(cx: &Context, a: &Part, b_start: usize, style: ChainStyle, indent: &str, close: &str, open: &str) -> Edit {
    let a_end = a.end;
    let esc = cx.file.escape;
    let eol = cx.style.eol();
    let mut comments = String::new();
    if let Some(c) = &a.trailing_comment {
        comments.push_str(&format!("{indent}{c}{eol}"));
    }
    for line in cx.file.text[a_end..b_start].lines().skip(1) {
        let t = line.trim();
        if t.starts_with('#') {
            comments.push_str(&format!("{indent}{t}{eol}"));
        }
    }
    let text = match style {
        ChainStyle::Trailing => format!("{close} && {esc}{eol}{comments}{indent}{open}"),
        ChainStyle::Leading => format!("{close} {esc}{eol}{comments}{indent}&& {open}"),
    };
    Edit::replace(a_end..b_start, text)
}

/// The indentation of new continuation lines for `group`: that of its RUNs' own continuation
/// lines, else the file's.
pub(crate) fn group_indent(cx: &Context, group: &[usize], style: ChainStyle) -> String {
    group
        .iter()
        .find_map(|&i| chain_indent(cx, i, style))
        .or_else(|| group.iter().find_map(|&i| continuation_indent(cx, i)).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| cx.style.indent.clone())
}

fn merge_edits(cx: &Context, group: &[Part]) -> Vec<Edit> {
    let last = group.len() - 1;
    let wraps: Vec<Wrap> = group
        .iter()
        .enumerate()
        .map(|(k, p)| {
            if k < last && p.leaks.is_some() {
                Wrap::Subshell
            } else if k > 0 && !p.and_chain {
                Wrap::Braces
            } else {
                Wrap::None
            }
        })
        .collect();
    let ids: Vec<usize> = group.iter().map(|p| p.ins).collect();
    let style = group_style(cx, &ids);
    let indent = group_indent(cx, &ids, style);
    let mut edits = Vec::new();
    if wraps[0] == Wrap::Subshell {
        edits.push(Edit::insert(group[0].start, "( "));
    }
    for k in 1..group.len() {
        let close = match wraps[k - 1] {
            Wrap::None => "",
            Wrap::Subshell => " )",
            Wrap::Braces => group[k - 1].close_braces,
        };
        let open = match wraps[k] {
            Wrap::None => "",
            Wrap::Subshell => "( ",
            Wrap::Braces => "{ ",
        };
        edits.push(junction(cx, &group[k - 1], group[k].start, style, &indent, close, open));
    }
    if wraps[last] == Wrap::Braces {
        edits.push(Edit::replace(group[last].end..group[last].semi_end, group[last].close_braces));
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    const R: &MergeConsecutiveRuns = &MergeConsecutiveRuns;

    #[test]
    fn merges_in_the_file_style() {
        assert_eq!(fix(R, "FROM a\nRUN apt-get update\nRUN apt-get install -y curl\n"), "FROM a\nRUN apt-get update && \\\n    apt-get install -y curl\n");
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN b\nRUN c\n"), "FROM a\nRUN a && \\\n    b && \\\n    c\n");
        // each RUN keeps its lines; the indentation and chaining style of the file are kept
        assert_eq!(
            fix(R, "FROM a\nRUN a \\\n  && b\nRUN c \\\n  && d\n"),
            "FROM a\nRUN a \\\n  && b \\\n  && c \\\n  && d\n"
        );
        assert_eq!(fix(R, "FROM a\nRUN a && \\\n\tb\nRUN c\n"), "FROM a\nRUN a && \\\n\tb && \\\n\tc\n");
        // the indentation of chained commands, not of arguments
        assert_eq!(
            fix(R, "FROM a\nRUN apt-get install -y \\\n        curl \\\n    && rm -rf x\nRUN c\n"),
            "FROM a\nRUN apt-get install -y \\\n        curl \\\n    && rm -rf x \\\n    && c\n"
        );
        assert_eq!(
            fix(R, "FROM a\nRUN apt-get install -y \\\n        curl && \\\n    rm -rf x\nRUN c\n"),
            "FROM a\nRUN apt-get install -y \\\n        curl && \\\n    rm -rf x && \\\n    c\n"
        );
        // lower-case keywords, ONBUILD
        assert_eq!(fix(R, "from a\nrun a\nrun b\n"), "from a\nrun a && \\\n    b\n");
        assert_eq!(fix(R, "FROM a\nONBUILD RUN a\nONBUILD RUN b\n"), "FROM a\nONBUILD RUN a && \\\n    b\n");
    }

    #[test]
    fn comments_and_blank_lines_between_move_inside() {
        assert_eq!(
            fix(R, "FROM a\nRUN a\n\n# then b\nRUN b\n"),
            "FROM a\nRUN a && \\\n    # then b\n    b\n"
        );
        assert_eq!(
            fix(R, "FROM a\nRUN a \\\n    # inside\n    && b\n# between\nRUN c\n"),
            "FROM a\nRUN a \\\n    # inside\n    && b \\\n    # between\n    && c\n"
        );
        assert_eq!(
            fix(R, "# escape=`\r\nFROM a\r\nRUN a `\r\n  b\r\n# c\r\nRUN c\r\n"),
            "# escape=`\r\nFROM a\r\nRUN a `\r\n  b && `\r\n  # c\r\n  c\r\n"
        );
    }

    #[test]
    fn keeps_the_exit_status() {
        // `a || b && c` is `(a || b) && c`; `a; b && c` is `a; (b && c)`
        assert_eq!(fix(R, "FROM a\nRUN a || b\nRUN c\n"), "FROM a\nRUN a || b && \\\n    c\n");
        assert_eq!(fix(R, "FROM a\nRUN a; b\nRUN c\n"), "FROM a\nRUN a; b && \\\n    c\n");
        // a trailing `;` goes
        assert_eq!(fix(R, "FROM a\nRUN a;\nRUN c\n"), "FROM a\nRUN a && \\\n    c\n");
        // `find -exec ... \;` is a word, not a separator
        assert_eq!(fix(R, "FROM a\nRUN find . -exec rm {} \\;\nRUN c\n"), "FROM a\nRUN find . -exec rm {} \\; && \\\n    c\n");
        // a second RUN that is more than an && chain goes in braces
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN b; c\n"), "FROM a\nRUN a && \\\n    { b; c; }\n");
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN b || true\n"), "FROM a\nRUN a && \\\n    { b || true; }\n");
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN b;\n"), "FROM a\nRUN a && \\\n    b;\n");
        assert_eq!(
            fix(R, "FROM a\nRUN a\nRUN if [ -f x ]; then b; fi\nRUN c\n"),
            "FROM a\nRUN a && \\\n    { if [ -f x ]; then b; fi; } && \\\n    c\n"
        );
        assert_eq!(fix(R, "FROM a\nRUN a | b\nRUN c | d\n"), "FROM a\nRUN a | b && \\\n    c | d\n");
    }

    #[test]
    fn shell_state_stays_in_a_subshell() {
        assert_eq!(fix(R, "FROM a\nRUN cd /src && make\nRUN make install\n"), "FROM a\nRUN ( cd /src && make ) && \\\n    make install\n");
        // shell options would reach the next commands, and `set -e` does not work in a
        // subshell followed by `&&`
        assert_eq!(count(R, "FROM a\nRUN set -e; a; b\nRUN c\n"), 0);
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN set -e; b\n"), "FROM a\nRUN a && \\\n    { set -e; b; }\n");
        // a shell that sets -e: nothing compound before `&&`
        let e = "FROM a\nSHELL [\"/bin/sh\", \"-ec\"]\n";
        assert_eq!(count(R, &format!("{e}RUN cd /x && b\nRUN c\n")), 0);
        assert_eq!(count(R, &format!("{e}RUN if a; then b; fi\nRUN c\n")), 0);
        assert_eq!(fix(R, &format!("{e}RUN a; b\nRUN c; d\n")), format!("{e}RUN a; b && \\\n    {{ c; d; }}\n"));
        // variables set in a RUN are not seen by the next: such RUNs stay apart
        assert_eq!(count(R, "FROM a\nRUN X=1\nRUN c\n"), 0);
        assert_eq!(count(R, "FROM a\nRUN export X=1\nRUN echo $X\n"), 0);
        assert_eq!(count(R, "FROM a\nRUN a\nRUN export X=1; b\nRUN c\n"), 0);
        assert_eq!(count(R, "FROM a\nRUN a\nRUN V=1 && curl -O x/$V\n"), 0);
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN cd /x; b\nRUN c\n"), "FROM a\nRUN a && \\\n    ( cd /x; b ) && \\\n    c\n");
        // a RUN of several lines is not wrapped
        assert_eq!(count(R, "FROM a\nRUN set -e; \\\n  a\nRUN b\n"), 0);
        assert_eq!(count(R, "FROM a\nRUN a\nRUN b; \\\n  c\n"), 0);
        assert_eq!(fix(R, "FROM a\nRUN b; \\\n  c\nRUN d\n"), "FROM a\nRUN b; \\\n  c && \\\n  d\n");
        // the last RUN's state reaches nothing
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN cd /x && b\n"), "FROM a\nRUN a && \\\n    cd /x && b\n");
    }

    #[test]
    fn flags_must_match() {
        assert_eq!(count(R, "FROM a\nRUN --mount=type=cache,target=/x a\nRUN b\n"), 0);
        assert_eq!(
            fix(R, "FROM a\nRUN --mount=type=cache,target=/x --network=none a\nRUN --network=none --mount=type=cache,target=/x b\n"),
            "FROM a\nRUN --mount=type=cache,target=/x --network=none a && \\\n    b\n"
        );
        assert_eq!(
            fix(R, "FROM a\nRUN --mount=type=secret,id=a \\\n    a\nRUN --mount=type=secret,id=a \\\n    b\n"),
            "FROM a\nRUN --mount=type=secret,id=a \\\n    a && \\\n    b\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM a\nRUN a\nENV X=1\nRUN b\n",
            "FROM a\nRUN a\nFROM b\nRUN b\n",
            "FROM a\nRUN [\"a\"]\nRUN b\n",
            "FROM a\nRUN a\nRUN [\"b\"]\n",
            "FROM a\nRUN <<EOF\na\nEOF\nRUN b\n",
            "FROM a\nRUN a\nRUN <<EOF\nb\nEOF\n",
            "FROM a\nRUN a\n# hadolint ignore=DL3008\nRUN apt-get install -y b\n",
            "FROM a\nRUN a\n# dopt: ignore\nRUN b\n",
            "FROM a\nSHELL [\"powershell\", \"-Command\"]\nRUN a\nRUN b\n",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN a\nRUN b\n",
            "FROM a\nRUN a\nONBUILD RUN b\n",
            "FROM a\nRUN echo 'unterminated\nRUN b\n",
        ] {
            assert_eq!(count(R, s), 0, "{s}");
        }
        // a POSIX SHELL is fine
        assert_eq!(count(R, "FROM a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a\nRUN b\n"), 1);
    }

    #[test]
    fn reports_without_fix_where_unsure() {
        for s in [
            "FROM a\nRUN mysqld &\nRUN mysql -e 'create database x'\n",
            "FROM a\nRUN service postgresql start\nRUN psql -c 'select 1'\n",
            // a comment that runs on into the next line of the RUN
            "FROM a\nRUN a # note \\\n  b\nRUN c\n",
        ] {
            assert_eq!(count(R, s), 1, "{s}");
            assert_eq!(fix(R, s), s);
        }
        // but the last RUN may end in a comment or start a service
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN b # note\n"), "FROM a\nRUN a && \\\n    b # note\n");
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN b; c # note\n"), "FROM a\nRUN a && \\\n    { b; c; } # note\n");
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN service x start\n"), "FROM a\nRUN a && \\\n    service x start\n");
        assert_eq!(fix(R, "FROM a\nRUN a\nRUN mysqld &\n"), "FROM a\nRUN a && \\\n    { mysqld & }\n");
        // a service manager that starts nothing
        assert_eq!(fix(R, "FROM a\nRUN systemctl enable x\nRUN b\n"), "FROM a\nRUN systemctl enable x && \\\n    b\n");
        // a comment at the end of a RUN becomes a comment line
        assert_eq!(fix(R, "FROM a\nRUN a; # note\nRUN b\n"), "FROM a\nRUN a && \\\n    # note\n    b\n");
        assert_eq!(
            fix(R, "FROM a\nRUN a && \\\n    b # note\n# between\nRUN c\n"),
            "FROM a\nRUN a && \\\n    b && \\\n    # note\n    # between\n    c\n"
        );
    }

    #[test]
    fn counts_like_hadolint() {
        // one finding per RUN merged away, as hadolint reports the second of a pair
        assert_eq!(count(R, "FROM a\nRUN a\nRUN b\nRUN c\n"), 2);
        assert_eq!(count(R, "FROM a\nRUN a\n\n# c\nRUN b\n"), 1);
        assert_eq!(count(R, "FROM a\nRUN a && b\nRUN c && d\n"), 1);
    }

    /// Runs RUN bodies the way a build does: in order, each in a fresh `sh -c`, stopping at the
    /// first that fails. `None` when there is no `sh` here.
    fn build(flags: &str, bodies: &[String]) -> Option<(String, bool)> {
        let mut out = String::new();
        for b in bodies {
            let o = std::process::Command::new("sh").arg(flags).arg(b).current_dir("/").output().ok()?;
            out.push_str(&String::from_utf8_lossy(&o.stdout));
            if !o.status.success() {
                return Some((out, false));
            }
        }
        Some((out, true))
    }

    fn run_bodies(text: &str) -> Vec<String> {
        let f = crate::syntax::parse(text).unwrap();
        f.instructions.iter().filter(|i| i.node.kind == Kind::Run).map(|i| i.node.values[0].clone()).collect()
    }

    #[test]
    fn merged_runs_do_what_the_runs_did() {
        // bodies with every kind of list, state and ending; each pair, in both orders
        let bodies = [
            "echo a",
            "false",
            "echo a || echo b",
            "false || echo b",
            "echo a && false",
            "false; echo c",
            "echo c; false",
            "echo d;",
            "if false; then echo e; fi",
            "if true; then false; fi",
            "for i in 1 2; do echo $i; done",
            "cd /tmp && pwd",
            "pwd",
            "set -e; false; echo f",
            "false | echo g",
            "echo h # note",
            "find /nonexistent -exec echo {} \\; 2>/dev/null || echo i",
            "umask 077; umask",
            "umask",
            "exit 0",
        ];
        for (shell, flags) in [("", "-c"), ("SHELL [\"/bin/sh\", \"-ec\"]\n", "-ec")] {
            for x in bodies {
                for y in bodies {
                    let src = format!("FROM a\n{shell}RUN {x}\nRUN {y}\nRUN echo z\n");
                    let merged = fix(R, &src);
                    let (Some(before), Some(after)) = (build(flags, &run_bodies(&src)), build(flags, &run_bodies(&merged))) else { return };
                    assert_eq!(before, after, "{src}---\n{merged}");
                }
            }
        }
    }
}
