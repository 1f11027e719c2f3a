//! The small vocabulary rules share: walking the shell commands of RUN instructions, finding
//! ENV/ARG settings in scope, and generating text that follows the file's own style.

use crate::engine::{Context, Edit};
use crate::model::shell::{self, Command, Script, Sep, Word};
use crate::syntax::{Kind, Node};

/// A shell command of a RUN instruction (ONBUILD RUN included, exec form excluded).
pub struct RunCommand<'a> {
    /// Index of the instruction.
    pub ins: usize,
    pub script: &'a Script,
    pub cmd: &'a Command,
}

impl RunCommand<'_> {
    /// Why an edit of this command would be unsafe to make, if it would be.
    pub fn opaque(&self) -> Option<&'static str> {
        self.cmd.opaque.or(self.script.opaque)
    }
}

/// Every shell command of every RUN, in file order.
pub fn run_commands<'a>(cx: &'a Context) -> Vec<RunCommand<'a>> {
    let mut out = Vec::new();
    for (i, ins) in cx.file.instructions.iter().enumerate() {
        let n = ins.effective();
        if n.kind != Kind::Run || n.json {
            continue;
        }
        for s in cx.scripts(i) {
            for c in &s.commands {
                out.push(RunCommand { ins: i, script: s, cmd: c });
            }
        }
    }
    out
}

/// `cmds` (in file order, as [`run_commands`] and [`run_commands_incl`] give them) cut into one
/// slice per RUN instruction.
pub fn per_run<'x, 'a>(cmds: &'x [RunCommand<'a>]) -> impl Iterator<Item = &'x [RunCommand<'a>]> {
    cmds.chunk_by(|a, b| a.ins == b.ins)
}

/// The `sh -c '...'` strings of every RUN, read as scripts (see [`shell_c_script`]); kept here so
/// that [`run_commands_incl`] can lend their commands like those of the RUN itself.
#[derive(Debug, Default)]
pub struct InnerScripts {
    /// (instruction, script)
    scripts: Vec<(usize, Script)>,
}

impl InnerScripts {
    /// The scripts of every `sh -c` command of every RUN, nested ones included; read once per
    /// file, however many rules ask.
    pub fn of(cx: &Context) -> std::rc::Rc<InnerScripts> {
        cx.memo(|| InnerScripts::build(cx))
    }

    fn build(cx: &Context) -> InnerScripts {
        let mut out = InnerScripts::default();
        for (i, ins) in cx.file.instructions.iter().enumerate() {
            let n = ins.effective();
            if n.kind != Kind::Run || n.json {
                continue;
            }
            for s in cx.scripts(i) {
                let mut todo: Vec<Script> = s.commands.iter().filter_map(|c| shell_c_script(&cx.file.text, s, c)).collect();
                let mut depth = 0;
                while !todo.is_empty() && depth < 4 {
                    let mut next = Vec::new();
                    for t in &todo {
                        next.extend(t.commands.iter().filter_map(|c| shell_c_script(&cx.file.text, t, c)));
                    }
                    out.scripts.extend(todo.drain(..).map(|t| (i, t)));
                    todo = next;
                    depth += 1;
                }
            }
        }
        out
    }
}

/// Every shell command of every RUN, in file order, with the commands of `sh -c '...'` strings
/// included (after the command that runs them).
pub fn run_commands_incl<'a>(cx: &'a Context, inner: &'a InnerScripts) -> Vec<RunCommand<'a>> {
    let mut out = run_commands(cx);
    for (i, s) in &inner.scripts {
        for c in &s.commands {
            out.push(RunCommand { ins: *i, script: s, cmd: c });
        }
    }
    out.sort_by_key(|rc| (rc.ins, rc.cmd.range.start));
    out
}

/// Every shell command of every RUN as [`run_commands_incl`] gives them, and the commands of
/// the command substitutions in their words (`V=$(curl -s URL)`, nested ones too), in file
/// order. For rules that edit a command's own words (a flag, a URL); rules that add commands
/// after one must not use it, since what runs inside `$(...)` is its output.
pub fn run_commands_deep<'a>(cx: &'a Context, inner: &'a InnerScripts) -> Vec<RunCommand<'a>> {
    let mut out = run_commands_incl(cx, inner);
    let mut scripts: Vec<(usize, &Script)> = Vec::new();
    let mut seen: std::collections::HashSet<*const Script> = std::collections::HashSet::new();
    for rc in &out {
        if seen.insert(rc.script as *const Script) {
            scripts.push((rc.ins, rc.script));
        }
    }
    let mut extra = Vec::new();
    while let Some((i, s)) = scripts.pop() {
        // the substitutions of a script dopt does not fully understand may not be where they
        // seem (a line continuation joining words, a function body)
        if s.opaque.is_some() {
            continue;
        }
        for sub in &s.substitutions {
            for c in &sub.commands {
                extra.push(RunCommand { ins: i, script: sub, cmd: c });
            }
            scripts.push((i, sub));
        }
    }
    out.extend(extra);
    out.sort_by_key(|rc| (rc.ins, rc.cmd.range.start));
    out
}

/// Shells whose `-c` string is read as a script.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"];

/// The script a `sh -c 'string'` command runs (also `bash -ec "..."`, `bash -o pipefail -c`,
/// `sudo sh -c`), with byte ranges in the file.
///
/// The string is parsed at its own offsets only when its bytes are the bytes the inner shell
/// reads: a single-quoted string, or a double-quoted one with no `\`, `$` or backquote (which
/// the outer shell would rewrite first). Otherwise the script is still read so that rules can
/// report what it runs, but it is marked opaque and every range in it is the whole string's.
/// The inner script inherits the command's opacity and `in_compound`, and is a heredoc script
/// when the command is in one (so that appended commands go on their own line).
pub fn shell_c_script(text: &str, outer: &Script, cmd: &Command) -> Option<Script> {
    let argv = cmd.argv();
    if !SHELLS.contains(&shell::base(&argv.first()?.text)) {
        return None;
    }
    let mut has_c = false;
    let mut k = 1;
    while k < argv.len() {
        let t = argv[k].text.as_str();
        if t == "--" {
            k += 1;
            break;
        }
        if t.len() > 1 && (t.starts_with('-') || t.starts_with('+')) {
            if t.starts_with("--") {
                if t == "--rcfile" || t == "--init-file" {
                    k += 1;
                }
            } else {
                if t.starts_with('-') && t[1..].contains('c') {
                    has_c = true;
                }
                if t[1..].contains('o') || t[1..].contains('O') {
                    k += 1; // `-o pipefail`
                }
            }
            k += 1;
            continue;
        }
        break;
    }
    let w = argv.get(k).filter(|_| has_c)?;
    let b = text.as_bytes();
    let q = b[w.range.start];
    let clean = w.range.len() >= 2
        && (q == b'\'' || q == b'"')
        && b[w.range.end - 1] == q
        && w.text.len() == w.range.len() - 2
        && !w.text.contains(q as char)
        && (q == b'\'' || !w.text.contains(['\\', '$', '`']));
    let mut s = if clean {
        shell::parse_script(&w.text, w.range.start + 1)
    } else {
        let mut s = shell::parse_script(&w.text, w.range.start);
        s.opaque = Some("the `sh -c` string has quotes, escapes or expansions");
        // their ranges would not point at the file
        s.substitutions.clear();
        for c in &mut s.commands {
            c.range = w.range.clone();
            for x in c.words.iter_mut().chain(c.assignments.iter_mut()) {
                x.range = w.range.clone();
            }
            if let Some((_, r)) = &mut c.sep_after {
                *r = w.range.clone();
            }
        }
        s
    };
    s.range = w.range.clone();
    s.heredoc = outer.heredoc;
    s.opaque = s.opaque.or(cmd.opaque).or(outer.opaque);
    for c in &mut s.commands {
        c.in_compound |= cmd.in_compound;
    }
    Some(s)
}

/// Whether removing `removed` commands from the RUN at instruction `i` keeps hadolint's DL3059
/// ("multiple consecutive RUN instructions") from newly reporting it or its neighbour. hadolint
/// 2.15 reports a RUN of at most one command right after another such RUN with the same flags
/// (`RUN a && b` then `RUN c` is spared; `RUN a` then `RUN c` is not): false when the RUN goes
/// from more than one command to at most one next to a RUN of at most one with the same flags.
pub fn removal_keeps_dl3059(cx: &Context, i: usize, removed: usize) -> bool {
    let ins = &cx.file.instructions;
    if ins[i].node.kind != Kind::Run {
        return true;
    }
    let count = |j: usize| cx.scripts(j).iter().map(|s| s.commands.len()).sum::<usize>();
    let before = count(i);
    if before <= 1 || before.saturating_sub(removed) > 1 {
        return true;
    }
    // hadolint knows only these RUN flags; it reads any other as part of the command
    let flags = |j: usize| {
        ins[j].node.flags.iter().filter(|f| matches!(f.name(), "mount" | "network" | "security")).map(|f| f.text.clone()).collect::<Vec<_>>()
    };
    let short_neighbour = |j: usize| ins[j].node.kind == Kind::Run && flags(j) == flags(i) && count(j) <= 1;
    !(i > 0 && short_neighbour(i - 1) || i + 1 < ins.len() && short_neighbour(i + 1))
}

/// Whether ` && new` may be appended right after the command without changing what else runs:
/// the command is understood, and it is not piped into another, sent to the background, or
/// followed by `||` (`a && new || b` runs `b` when `new` fails, and shellcheck warns of it).
pub fn can_append_after(rc: &RunCommand) -> bool {
    append_blocker(rc).is_none()
}

/// Why ` && new` may not be appended right after the command (see [`can_append_after`]).
pub fn append_blocker(rc: &RunCommand) -> Option<&'static str> {
    rc.opaque().or(match rc.cmd.sep_after {
        Some((Sep::Pipe, _)) => Some("its output is piped"),
        Some((Sep::Background, _)) => Some("it runs in the background"),
        Some((Sep::Or, _)) => Some("it is followed by `||`"),
        _ => None,
    })
}

/// Why an edit inside the command's own words (a flag added after the program, a character
/// changed in an argument) cannot be made, if it cannot: the script is not understood, or its
/// byte ranges are not what the shell reads (a `sh -c "..."` string with escapes). Unlike
/// [`RunCommand::opaque`], a command substitution in one of the command's words or a `for`
/// loop around it does not stop such an edit: the words dopt edits are where the model says.
pub fn word_edit_blocker(rc: &RunCommand) -> Option<&'static str> {
    if let Some(r) = rc.script.opaque {
        return Some(r);
    }
    match rc.cmd.opaque {
        None | Some("command substitution") | Some("inside a for loop") => None,
        Some(r) => Some(r),
    }
}

/// Block `b` of `script` (`if ... fi`, a loop, `( )`, `{ }`) as a command that other commands
/// can be appended after (see [`append_command`]): its range, and the separator that follows
/// its closing word. None when the block is not closed.
pub fn block_command(cx: &Context, script: &Script, b: usize) -> Option<Command> {
    let blk = script.blocks.get(b)?;
    if !blk.closed {
        return None;
    }
    let text = &cx.file.text;
    let mut at = blk.range.end;
    let end = script.range.end.min(text.len());
    let bytes = text.as_bytes();
    while at < end {
        let c = bytes[at] as char;
        if c == ' ' || c == '\t' || c == '\r' {
            at += 1;
        } else if c == cx.file.escape && text[at + c.len_utf8()..].trim_start_matches([' ', '\t', '\r']).starts_with('\n') {
            at += c.len_utf8();
            at += text[at..].len() - text[at..].trim_start_matches([' ', '\t', '\r']).len() + 1;
        } else {
            break;
        }
    }
    let rest = &text[at..end];
    let op = |s: Sep, n: usize| Some((s, at..at + n));
    let sep_after = if rest.starts_with("&&") {
        op(Sep::And, 2)
    } else if rest.starts_with("||") {
        op(Sep::Or, 2)
    } else if rest.starts_with('|') {
        op(Sep::Pipe, 1)
    } else if rest.starts_with('&') {
        op(Sep::Background, 1)
    } else if rest.starts_with(';') {
        op(Sep::Semi, 1)
    } else if rest.starts_with('\n') {
        op(Sep::Newline, 1)
    } else if rest.is_empty() || rest.starts_with('#') {
        None
    } else {
        // a redirection of the whole block, or text dopt does not read
        return None;
    };
    let outer = blk.parent.map(|p| script.blocks[p].range.clone());
    Some(Command {
        assignments: Vec::new(),
        words: Vec::new(),
        range: blk.range.clone(),
        sep_after,
        sep_before: None,
        in_compound: outer.is_some(),
        scope: Vec::new(),
        opaque: None,
        unwrapped: (0, None),
    })
}

/// The index of `rc.cmd` in its script.
pub fn index_in_script(rc: &RunCommand) -> usize {
    rc.script.commands.iter().position(|c| std::ptr::eq(c, rc.cmd)).unwrap_or(0)
}

/// Whether the exit status of command `rc` is tested rather than left to end the RUN: the
/// command is in the condition of `if`, `elif`, `while` or `until`, negated with `!`, or
/// followed (through `&&`) by `||`, also after the end of a `( )` or `{ }` group around it.
pub fn status_tested(cx: &Context, rc: &RunCommand) -> bool {
    let cmds = &rc.script.commands;
    let k = index_in_script(rc);
    // followed by `||` in its and-or list
    let mut j = k;
    loop {
        match cmds[j].sep_after {
            Some((Sep::Or, _)) => return true,
            Some((Sep::And, _)) if j + 1 < cmds.len() => j += 1,
            None if cmds[j].in_compound => {
                // `( a ) || b`, `{ a; } || b`
                let mut rest = cx.file.text[cmds[j].range.end..rc.script.range.end].trim_start();
                loop {
                    let r = rest.trim_start_matches(|c: char| c.is_whitespace() || c == cx.file.escape);
                    if let Some(x) = r.strip_prefix(')').or_else(|| r.strip_prefix('}')).or_else(|| r.strip_prefix(';')) {
                        rest = x;
                        continue;
                    }
                    rest = r;
                    break;
                }
                if rest.starts_with("||") {
                    return true;
                }
                break;
            }
            _ => break,
        }
    }
    // the start of its and-or list, then the word in front of it
    let mut j = k;
    while j > 0 && matches!(cmds[j].sep_before, Some(Sep::And | Sep::Or)) {
        j -= 1;
    }
    let before = cx.file.text[rc.script.range.start..cmds[j].range.start].trim_end_matches(|c: char| c.is_whitespace() || c == cx.file.escape);
    let last = before.rsplit(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == '{').next().unwrap_or("");
    matches!(last, "if" | "elif" | "while" | "until" | "!")
}

/// Whether `set -o pipefail` is in force at command `rc`: the stage's SHELL sets it, or a
/// `set` command before it in its script does.
pub fn pipefail_at(cx: &Context, rc: &RunCommand) -> bool {
    if let StageShell::Posix(words) = stage_shell(cx, rc.ins) {
        if words.windows(2).any(|w| w[1] == "pipefail" && w[0].starts_with('-') && w[0].ends_with('o')) {
            return true;
        }
    }
    let k = index_in_script(rc);
    rc.script.commands[..k].iter().any(|c| {
        c.program() == Some("set") && c.argv().windows(2).any(|w| w[1].text == "pipefail" && w[0].text.starts_with('-') && w[0].text.ends_with('o'))
    })
}

/// The wrapper that makes the command run as another user, as written, with a space after it
/// (`sudo `, `sudo -u app -H `, `gosu app `; see [`Command::user_wrapper`]), so that a command
/// added next to it runs alike; empty when there is none.
pub fn sudo_prefix(cx: &Context, cmd: &Command) -> String {
    let w = cmd.user_wrapper();
    if w.is_empty() {
        return String::new();
    }
    let mut s = w.iter().map(|x| &cx.file.text[x.range.clone()]).collect::<Vec<_>>().join(" ");
    s.push(' ');
    s
}

/// The arguments after the program that are not flags, leaving out the values of the flags in
/// `value_flags` when written as a separate word (`--cwd dir`).
pub fn operands<'a>(cmd: &'a Command, value_flags: &[&str]) -> Vec<&'a Word> {
    let argv = cmd.argv();
    let mut out = Vec::new();
    let mut k = 1;
    while k < argv.len() {
        let t = argv[k].text.as_str();
        if t.starts_with('-') && t.len() > 1 {
            if value_flags.contains(&t) {
                k += 1;
            }
        } else {
            out.push(&argv[k]);
        }
        k += 1;
    }
    out
}

/// An edit that removes command `k` of `script` together with one `&&`/`;`/newline joint, so
/// that the chain stays valid: `a && b && c` loses `b && ` (or ` && c` for the last command).
/// None when that cannot be done cleanly: the command is alone, opaque, inside `if`/loops or
/// piped, or a comment or other text sits between it and its neighbour.
pub fn remove_command(cx: &Context, script: &Script, k: usize) -> Option<Edit> {
    let c = script.commands.get(k)?;
    if script.opaque.is_some() || c.opaque.is_some() || c.in_compound || script.commands.len() < 2 {
        return None;
    }
    let joint = |s: Option<Sep>| matches!(s, Some(Sep::And | Sep::Semi | Sep::Newline));
    let before_ok = c.sep_before.is_none() || joint(c.sep_before);
    let text = &cx.file.text;
    let esc = cx.file.escape;
    // only blanks, one operator and line continuations between `a` and `b`
    let only_joint = |a: usize, b: usize, op: &std::ops::Range<usize>| -> bool {
        if !(a <= op.start && op.end <= b) {
            return false;
        }
        let rest = format!("{}{}", &text[a..op.start], &text[op.end..b]);
        let mut it = rest.chars().peekable();
        while let Some(ch) = it.next() {
            match ch {
                ' ' | '\t' | '\r' | '\n' => {}
                x if x == esc => {
                    while it.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                        it.next();
                    }
                    if it.peek() == Some(&'\r') {
                        it.next();
                    }
                    if it.next() != Some('\n') {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        true
    };
    // with the joint after it
    if let (Some((sep, op)), Some(next)) = (&c.sep_after, script.commands.get(k + 1)) {
        if before_ok && joint(Some(*sep)) && !next.in_compound && only_joint(c.range.end, next.range.start, op) {
            return Some(Edit::delete(c.range.start..next.range.start));
        }
    }
    // with the joint before it
    if k > 0 {
        let prev = &script.commands[k - 1];
        let after_ok = !matches!(c.sep_after, Some((Sep::Pipe | Sep::Background, _)));
        if let Some((sep, op)) = &prev.sep_after {
            if joint(Some(*sep)) && after_ok && !prev.in_compound && only_joint(prev.range.end, c.range.start, op) {
                return Some(Edit::delete(prev.range.end..c.range.end));
            }
        }
    }
    None
}

/// The value ENV gives `var` in the stage of instruction `i` before it (or in a stage it is
/// built FROM), quotes removed; the last one wins.
pub fn env_value_before(cx: &Context, i: usize, var: &str) -> Option<String> {
    let idx = cx.memo(|| VarIndex::of(cx));
    let list = idx.env.get(var)?;
    // the nearest scope first: the stage before `i`, then each stage it is built FROM
    let j = scope_ranges(cx, i).into_iter().find_map(|r| last_in(list, &r))?;
    let n = cx.file.instructions[j].effective();
    let mut found = None;
    for kv in n.values.chunks(2) {
        if kv[0] == var {
            found = kv.get(1).map(|v| crate::model::unquote(v));
        }
    }
    found
}

/// Which instructions set which variables: ENV keys and ARG names, by variable, in order.
/// Built once per file, so that asking about every instruction stays linear.
pub struct VarIndex {
    pub env: std::collections::HashMap<String, Vec<usize>>,
    pub set: std::collections::HashMap<String, Vec<usize>>,
}

impl VarIndex {
    fn of(cx: &Context) -> VarIndex {
        let mut env: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut set: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for (k, ins) in cx.file.instructions.iter().enumerate() {
            let n = ins.effective();
            let names: Vec<&str> = match n.kind {
                Kind::Env => n.values.iter().step_by(2).map(String::as_str).collect(),
                Kind::Arg => n.values.iter().filter_map(|w| w.split('=').next()).collect(),
                _ => continue,
            };
            for name in names {
                if n.kind == Kind::Env {
                    let e = env.entry(name.to_string()).or_default();
                    if e.last() != Some(&k) {
                        e.push(k);
                    }
                }
                let e = set.entry(name.to_string()).or_default();
                if e.last() != Some(&k) {
                    e.push(k);
                }
            }
        }
        VarIndex { env, set }
    }
}

/// The instruction ranges in scope at instruction `i`, nearest first: those before `i` in its
/// stage, then the whole of each stage it is built FROM. [`instructions_in_scope`] lists the
/// same instructions one by one.
pub fn scope_ranges(cx: &Context, i: usize) -> Vec<std::ops::Range<usize>> {
    stage_chain(cx, i)
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let st = &cx.model.stages[s];
            if k == 0 { st.instructions.start..i } else { st.instructions.clone() }
        })
        .collect()
}

/// The last of the sorted indices `list` inside `r`.
fn last_in(list: &[usize], r: &std::ops::Range<usize>) -> Option<usize> {
    let k = list.partition_point(|&x| x < r.end);
    list[..k].last().copied().filter(|&x| x >= r.start)
}

/// Indices of the instructions that come before `i` in its stage and in the stages it is built
/// FROM, in build order.
pub fn stage_chain_before(cx: &Context, i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for (k, &s) in stage_chain(cx, i).iter().enumerate().rev() {
        let st = &cx.model.stages[s];
        let end = if k == 0 { i } else { st.instructions.end };
        out.extend(st.instructions.start..end);
    }
    out
}

/// Like [`earlier_text_any`], with the instructions whose text satisfies `pred` found once per
/// file (under `key`, which names the predicate), so that asking at every instruction of a long
/// file stays linear. `pred` must be the same function for the same key.
pub fn earlier_text_memo(cx: &Context, i: usize, key: &'static str, pred: impl Fn(&str) -> bool) -> bool {
    struct Hits(Vec<usize>);
    let hits = cx.memo_keyed(key, || Hits((0..cx.file.instructions.len()).filter(|&j| pred(&cx.file.text[cx.file.instructions[j].range.clone()])).collect()));
    any_in_scope(cx, i, &hits.0)
}

/// Whether one of the sorted instruction indices `list` is in scope at instruction `i` (before
/// it in its stage, or in a stage it is built FROM).
pub fn any_in_scope(cx: &Context, i: usize, list: &[usize]) -> bool {
    scope_ranges(cx, i).iter().any(|r| last_in(list, r).is_some())
}

/// The sorted instruction indices of each kind of instruction, found once per file.
pub fn of_kind(cx: &Context, kind: Kind) -> std::rc::Rc<Vec<usize>> {
    struct KindIndex(std::collections::HashMap<Kind, std::rc::Rc<Vec<usize>>>);
    let idx = cx.memo(|| {
        let mut m: std::collections::HashMap<Kind, Vec<usize>> = Default::default();
        for (k, ins) in cx.file.instructions.iter().enumerate() {
            m.entry(ins.effective().kind).or_default().push(k);
        }
        KindIndex(m.into_iter().map(|(k, v)| (k, std::rc::Rc::new(v))).collect())
    });
    idx.0.get(&kind).cloned().unwrap_or_default()
}

/// Whether the source text (heredoc bodies included) of an instruction before `i`, in its stage
/// or a stage it is built FROM (see [`stage_chain_before`]), satisfies `pred`: a setting that an
/// earlier step wrote into a configuration file, say.
pub fn earlier_text_any(cx: &Context, i: usize, pred: impl Fn(&str) -> bool) -> bool {
    stage_chain_before(cx, i).into_iter().any(|j| pred(&cx.file.text[cx.file.instructions[j].range.clone()]))
}

/// The base image of the stage of instruction `i`, following `FROM <stage>` to the image at the
/// root, lower-cased (`python:3.11-slim`); None for scratch or an unknown base.
pub fn base_image(cx: &Context, i: usize) -> Option<String> {
    let mut st = cx.model.stage_of(i)?;
    let mut n = 0;
    while let Some(p) = st.parent {
        st = &cx.model.stages[p];
        n += 1;
        if n > cx.model.stages.len() {
            return None;
        }
    }
    let r = st.image()?;
    Some(format!("{}{}", r.short_name(), r.tag.as_ref().map(|t| format!(":{t}")).unwrap_or_default()).to_ascii_lowercase())
}

/// Whether the stage of instruction `i` is Debian-based (Debian or Ubuntu): it uses apt or
/// dpkg, or its base image says so. None when nothing tells.
pub fn debian_based(cx: &Context, i: usize) -> Option<bool> {
    let mut chain = stage_chain_before(cx, i);
    chain.push(i);
    let mut apt = false;
    let mut other = false;
    for j in chain {
        if cx.file.instructions[j].effective().kind != Kind::Run {
            continue;
        }
        for (_, c) in crate::transforms::packages::apt::commands_of(cx, j) {
            if crate::transforms::packages::apt::Apt::of(c).is_some() || matches!(c.program(), Some("dpkg" | "apt-cache" | "dpkg-reconfigure")) {
                apt = true;
            }
            if matches!(c.program(), Some("apk" | "yum" | "dnf" | "microdnf" | "zypper" | "pacman")) {
                other = true;
            }
        }
    }
    if apt != other {
        return Some(apt);
    }
    let b = base_image(cx, i)?;
    let (name, tag) = b.split_once(':').unwrap_or((&b, ""));
    let non_debian = ["alpine", "centos", "fedora", "rocky", "alma", "amazonlinux", "amazoncorretto", "oracle", "ubi", "opensuse", "suse", "arch", "busybox", "clearlinux", "photon", "windows", "nanoserver", "servercore", "wolfi", "chainguard", "distroless", "scratch"];
    if non_debian.iter().any(|n| name.contains(n) || tag.contains(n)) {
        return Some(false);
    }
    let debian_words = ["debian", "ubuntu", "jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "trusty", "xenial", "bionic", "focal", "jammy", "noble"];
    if debian_words.iter().any(|n| name.contains(n) || tag.contains(n)) {
        return Some(true);
    }
    let official = ["buildpack-deps", "python", "node", "ruby", "golang", "php", "perl", "rust", "gcc", "openjdk", "eclipse-temurin", "httpd", "nginx", "postgres", "redis", "mariadb", "elixir", "erlang", "haskell", "julia", "r-base", "swift", "ros", "jenkins/jenkins"];
    official.contains(&name).then_some(true)
}

/// `a/b` for two relative paths, either of which may be empty (`""` is the directory itself).
pub fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Where in the build context a file named `name` that a RUN at instruction `i` reads from its
/// working directory (or from `subdir` of it) may come from: each COPY/ADD from the context
/// earlier in the stage (or a stage it is built FROM) with a source that is that file or a glob
/// matching it gives the source's path; a source that is a directory of the context gives
/// `dir/subdir/name`. Paths are relative to the context, without `./`.
pub fn copied_context_paths(cx: &Context, i: usize, name: &str, subdir: &str) -> Vec<String> {
    let mut out = Vec::new();
    // the COPY and ADD instructions in scope, in build order
    let (copies, adds) = (of_kind(cx, Kind::Copy), of_kind(cx, Kind::Add));
    let mut ranges = scope_ranges(cx, i);
    ranges.reverse();
    let mut js: Vec<usize> = Vec::new();
    for r in &ranges {
        let mut part: Vec<usize> = [&copies, &adds]
            .iter()
            .flat_map(|l| {
                let k = l.partition_point(|&x| x < r.start);
                l[k..].iter().copied().take_while(|&x| x < r.end)
            })
            .collect();
        part.sort_unstable();
        js.extend(part);
    }
    for j in js {
        let n = cx.file.instructions[j].effective();
        if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("from").is_some() || n.values.len() < 2 {
            continue;
        }
        for src in &n.values[..n.values.len() - 1] {
            if src.starts_with("<<") || src.contains("://") || src.contains('$') {
                continue;
            }
            let p = src.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
            let p = if p == "." { "" } else { p };
            let (dir, base) = match p.rsplit_once('/') {
                Some((d, b)) => (d, b),
                None => ("", p),
            };
            if !base.is_empty() && glob_match(base, name) && !dir.contains(['*', '?', '[']) {
                out.push(join_path(dir, name));
            } else if !p.contains(['*', '?', '[']) && (p.is_empty() || cx.build.is_dir(p)) {
                out.push(join_path(&join_path(p, subdir), name));
            }
        }
    }
    out
}

/// Where a file a RUN reads from its working directory (a lockfile, say) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextFile {
    /// There is no build context to look at, or the RUN is an ONBUILD trigger (it runs in the
    /// build of another Dockerfile, with that build's context).
    Unknown,
    /// Not in the build context.
    Missing,
    /// In the context at this path, but no COPY/ADD or bind mount before the RUN brings it in.
    NotCopied(String),
    /// Brought into the image from this context path.
    Copied(String),
}

/// Where one of the files `names` that the RUN at instruction `i` reads from its working
/// directory (or its `subdir`) stands: copied from the build context by a COPY/ADD before it (see
/// [`copied_context_paths`]) or bind-mounted by the RUN itself, and not left out by
/// `.dockerignore`.
pub fn context_file(cx: &Context, i: usize, names: &[&str], subdir: &str) -> ContextFile {
    if !cx.build.is_known() || cx.file.instructions[i].node.trigger.is_some() {
        return ContextFile::Unknown;
    }
    for name in names {
        let mut cands = copied_context_paths(cx, i, name, subdir);
        cands.extend(bind_mounted_paths(cx, i, name, subdir));
        if let Some(p) = cands.into_iter().find(|p| cx.build.exists(p) && !dockerignored(cx, p)) {
            return ContextFile::Copied(p);
        }
    }
    for name in names {
        let sub = if subdir.is_empty() { name.to_string() } else { format!("{subdir}/{name}") };
        for p in [name.to_string(), sub] {
            if cx.build.exists(&p) {
                return ContextFile::NotCopied(p);
            }
        }
    }
    ContextFile::Missing
}

/// Context paths of `name` that bind mounts of the RUN at `i` (`--mount=type=bind`, from the
/// context) make visible, when the mount's target is the file or a directory holding it.
fn bind_mounted_paths(cx: &Context, i: usize, name: &str, subdir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for kv in mounts(cx.file.instructions[i].effective()) {
        let typ = kv.iter().find_map(|p| p.strip_prefix("type=")).unwrap_or("bind");
        if typ != "bind" || kv.iter().any(|p| p.starts_with("from=")) {
            continue;
        }
        let src = kv.iter().find_map(|p| p.strip_prefix("source=").or_else(|| p.strip_prefix("src="))).unwrap_or(".");
        let src = src.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
        let src = if src == "." { "" } else { src };
        let base = src.rsplit('/').next().unwrap_or(src);
        if base == name {
            out.push(src.to_string());
        } else {
            let d = join_path(src, subdir);
            out.push(if d.is_empty() { name.to_string() } else { format!("{d}/{name}") });
        }
    }
    out
}

/// The directory, relative to the RUN's working directory, that command `rc` runs in after the
/// `cd`s before it in its script (`""` when none); None when a `cd` goes somewhere not known
/// (an absolute path, a variable, `cd` inside `if`).
pub fn cd_subdir(rc: &RunCommand) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in &rc.script.commands {
        if std::ptr::eq(c, rc.cmd) {
            return Some(parts.join("/"));
        }
        if c.program() != Some("cd") {
            continue;
        }
        let arg = c.argv().get(1)?;
        if c.in_compound || arg.dynamic || arg.text.starts_with('/') || arg.text.starts_with('~') || arg.text == "-" {
            return None;
        }
        for p in arg.text.split('/') {
            match p {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                x => parts.push(x.to_string()),
            }
        }
    }
    Some(parts.join("/"))
}

/// The directory command `rc` runs in after the `cd`s before it in its script: an absolute
/// path (`/opt`), or a path relative to the RUN's working directory (`""`, `src/app`); a `cd`
/// to a variable counts as a directory of its own name (`$SRC`), so that two commands after
/// the same `cd $SRC` compare equal. A `cd` inside a `( )` subshell that does not hold the
/// command does not count. None when a `cd` before it may or may not have run (in an arm of
/// an `if` or a loop that does not hold the command), or goes where dopt cannot follow (`cd`
/// alone, `cd -`, `~`, above the RUN's directory, `pushd`).
pub fn cwd_of(rc: &RunCommand) -> Option<String> {
    let script = rc.script;
    let mut dir: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in &script.commands {
        if std::ptr::eq(c, rc.cmd) {
            break;
        }
        let prog = c.program();
        if matches!(prog, Some("pushd" | "popd")) {
            return None;
        }
        if prog != Some("cd") {
            continue;
        }
        // a cd in a subshell the command is not in has no effect on it
        let ended = c.scope.iter().any(|&(b, _)| script.blocks[b].kind == shell::BlockKind::Subshell && !rc.cmd.scope.iter().any(|&(x, _)| x == b));
        if ended {
            continue;
        }
        // `{ }` groups run in the same shell, whenever the text around them runs
        let conditional = |x: &shell::Command| x.scope.iter().filter(|&&(b, _)| script.blocks[b].kind != shell::BlockKind::Brace).copied().collect::<Vec<_>>();
        if !conditional(rc.cmd).starts_with(&conditional(c)) {
            return None;
        }
        let arg = c.argv().iter().skip(1).find(|w| w.text != "--" && !(w.text.starts_with('-') && w.text.len() > 1))?;
        let t = arg.text.as_str();
        if t == "-" || t.starts_with('~') {
            return None;
        }
        if arg.dynamic {
            dir = vec![t.to_string()];
            absolute = true;
            continue;
        }
        if t.starts_with('/') {
            dir.clear();
            absolute = true;
        }
        for p in t.split('/') {
            match p {
                "" | "." => {}
                ".." => {
                    if dir.pop().is_none() && !absolute {
                        return None;
                    }
                }
                x => dir.push(x.to_string()),
            }
        }
    }
    let joined = dir.join("/");
    Some(if absolute && !joined.starts_with('$') { format!("/{joined}") } else { joined })
}

/// `path` as seen from directory `cwd` (see [`cwd_of`]), with `.` and `..` resolved where
/// they can be; an absolute path stays as it is.
pub fn resolve_path(cwd: &str, path: &str) -> String {
    let full = if path.starts_with('/') || path.starts_with('$') || cwd.is_empty() { path.to_string() } else { format!("{cwd}/{path}") };
    let absolute = full.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    let j = out.join("/");
    if absolute {
        format!("/{j}")
    } else {
        j
    }
}

/// The relative directory a command is told to work in by a flag: `flag dir` for a flag in
/// `separate`, `flag=dir` for one in `joined` (the first such flag counts); None when there is
/// none, or the directory is absolute, has a `$` or is `.`. `./` and a trailing `/` are dropped.
pub fn dir_flag(cmd: &Command, separate: &[&str], joined: &[&str]) -> Option<String> {
    let argv = cmd.argv();
    for (k, w) in argv.iter().enumerate() {
        let v = if separate.contains(&w.text.as_str()) {
            argv.get(k + 1).map(|x| x.text.clone())
        } else {
            joined.iter().find_map(|f| w.text.strip_prefix(f)?.strip_prefix('=')).map(str::to_string)
        };
        if let Some(v) = v {
            if v.starts_with('/') || v.contains('$') {
                return None;
            }
            return Some(v.trim_start_matches("./").trim_end_matches('/').to_string()).filter(|v| v != ".");
        }
    }
    None
}

/// The directory, relative to the RUN's working directory, that command `rc` works in: where
/// the `cd`s before it lead (see [`cd_subdir`]), then `dir` below that (the directory a flag
/// names, see [`dir_flag`]); `""` when not known.
pub fn work_subdir(rc: &RunCommand, dir: Option<String>) -> String {
    dir.map(|p| join_path(&cd_subdir(rc).unwrap_or_default(), &p)).or_else(|| cd_subdir(rc)).unwrap_or_default()
}

/// The `package.json` beside the lockfile at context path `lock`, parsed; Err says why it could
/// not be read.
pub fn package_json_beside(cx: &Context, lock: &str) -> Result<serde_json::Value, String> {
    let dir = lock.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let pj = join_path(dir, "package.json");
    cx.build.read(&pj).and_then(|t| serde_json::from_str(&t).ok()).ok_or(format!("`{pj}` could not be read to check `{lock}` against it"))
}

/// Whether `.dockerignore` in the context leaves `rel` out of the context.
pub fn dockerignored(cx: &Context, rel: &str) -> bool {
    let Some(ig) = cx.build.read(".dockerignore") else { return false };
    let mut out = false;
    for line in ig.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (neg, pat) = match l.strip_prefix('!') {
            Some(p) => (true, p.trim()),
            None => (false, l),
        };
        let pat = pat.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
        // a pattern matches a path or any directory above it
        let mut hit = false;
        let mut cur = rel;
        loop {
            if glob_match(pat, cur) {
                hit = true;
                break;
            }
            match cur.rsplit_once('/') {
                Some((d, _)) => cur = d,
                None => break,
            }
        }
        if hit {
            out = !neg;
        }
    }
    out
}

/// Go `filepath.Match`-style globbing with `**` for any number of directories: `*` and `?` do
/// not cross `/`; `[...]` classes (with `!`/`^` negation and ranges).
pub fn glob_match(pat: &str, s: &str) -> bool {
    fn m(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') if p.get(1) == Some(&'*') => {
                let rest = if p.get(2) == Some(&'/') { &p[3..] } else { &p[2..] };
                (0..=s.len()).any(|k| (k == 0 || s[k - 1] == '/' || rest.is_empty()) && m(rest, &s[k..])) || m(&p[2..], s)
            }
            Some('*') => (0..=s.len()).take_while(|&k| k == 0 || s[k - 1] != '/').any(|k| m(&p[1..], &s[k..])),
            Some('?') => !s.is_empty() && s[0] != '/' && m(&p[1..], &s[1..]),
            Some('[') => {
                let Some(end) = p.iter().skip(1).position(|c| *c == ']').map(|e| e + 1) else {
                    return !s.is_empty() && s[0] == '[' && m(&p[1..], &s[1..]);
                };
                let Some(&c) = s.first() else { return false };
                let mut class = &p[1..end];
                let neg = matches!(class.first(), Some('!' | '^'));
                if neg {
                    class = &class[1..];
                }
                let mut hit = false;
                let mut k = 0;
                while k < class.len() {
                    if k + 2 < class.len() && class[k + 1] == '-' {
                        hit |= class[k] <= c && c <= class[k + 2];
                        k += 3;
                    } else {
                        hit |= class[k] == c;
                        k += 1;
                    }
                }
                hit != neg && m(&p[end + 1..], &s[1..])
            }
            Some('\\') if p.len() > 1 => !s.is_empty() && s[0] == p[1] && m(&p[2..], &s[1..]),
            Some(c) => !s.is_empty() && s[0] == *c && m(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let s: Vec<char> = s.chars().collect();
    m(&p, &s)
}

/// The options of each `--mount` flag of the RUN (`type=cache`, `target=/x`, ...), split at
/// commas.
pub fn mounts(node: &Node) -> impl Iterator<Item = Vec<&str>> + '_ {
    node.flags.iter().filter_map(|f| f.value().filter(|_| f.name() == "mount")).map(|v| v.split(',').collect())
}

/// The targets a mount's options name (`target=`, `dst=` or `destination=`).
pub fn mount_targets<'a>(opts: &[&'a str]) -> Vec<&'a str> {
    opts.iter().filter_map(|p| p.strip_prefix("target=").or_else(|| p.strip_prefix("dst=")).or_else(|| p.strip_prefix("destination="))).collect()
}

/// Whether the RUN has a BuildKit cache mount (`--mount=type=cache`); when `targets` is not
/// empty, only one whose target contains one of them.
pub fn has_cache_mount(node: &Node, targets: &[&str]) -> bool {
    mounts(node).any(|kv| kv.contains(&"type=cache") && (targets.is_empty() || mount_targets(&kv).iter().any(|m| targets.iter().any(|t| m.contains(t)))))
}

/// The stage of instruction `i` and the stages it is built FROM, nearest first.
pub fn stage_chain(cx: &Context, i: usize) -> Vec<usize> {
    let Some(stage) = cx.model.stage_of(i) else { return Vec::new() };
    let mut chain = vec![stage.index];
    let mut cur = stage.parent;
    while let Some(p) = cur {
        if chain.contains(&p) {
            break;
        }
        chain.push(p);
        cur = cx.model.stages[p].parent;
    }
    chain
}

/// The instructions that shape the image at instruction `i`, nearest first: those before `i`
/// in its stage, then all of each stage it is built FROM.
pub fn instructions_in_scope(cx: &Context, i: usize) -> Vec<usize> {
    let mut out = stage_chain_before(cx, i);
    out.reverse();
    out
}

/// Whether `var` is set by ENV in the stage of instruction `i` (before it) or a stage it is
/// built FROM, or by ARG in its stage before it.
pub fn var_set_before(cx: &Context, i: usize, var: &str) -> bool {
    let idx = cx.memo(|| VarIndex::of(cx));
    let Some(list) = idx.set.get(var) else { return false };
    scope_ranges(cx, i).iter().any(|r| last_in(list, r).is_some())
}

/// The shell that runs shell-form instructions at some point of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageShell {
    /// A POSIX shell (sh, bash, dash, ash, zsh, ksh): the command line goes after these words.
    Posix(std::rc::Rc<[String]>),
    /// PowerShell, cmd or anything else, or a Windows base image: dopt's shell model does not
    /// apply.
    Other,
}

/// Whether an image reference names a Windows image (whose default shell is `cmd`).
pub fn is_windows_image(base: &str) -> bool {
    let b = base.to_ascii_lowercase();
    ["windows", "nanoserver", "servercore", "dotnet/framework"].iter().any(|k| b.contains(k))
}

/// The shell of shell-form instructions at instruction `i`: the nearest `SHELL` in scope, else
/// `/bin/sh -c` (a base image is assumed to set no `SHELL` of its own, as Linux images do).
pub fn stage_shell(cx: &Context, i: usize) -> StageShell {
    let idx = cx.memo(|| ShellIndex::of(cx));
    if let Some(k) = idx.at.get(i).copied().flatten() {
        return idx.shells[&k].clone();
    }
    match cx.model.stage_of(i) {
        Some(st) if idx.windows[st.index] => StageShell::Other,
        _ => StageShell::Posix(idx.default.clone()),
    }
}

/// For each instruction, the `SHELL` instruction in force there (the nearest one in scope, not
/// counting ONBUILD triggers). Built once per file.
struct ShellIndex {
    at: Vec<Option<usize>>,
    /// For each stage: whether the root of its chain of stages is a Windows image.
    windows: Vec<bool>,
    /// The shell each SHELL instruction sets, by instruction.
    shells: std::collections::HashMap<usize, StageShell>,
    /// `/bin/sh -c`.
    default: std::rc::Rc<[String]>,
}

impl ShellIndex {
    fn of(cx: &Context) -> ShellIndex {
        let ins = &cx.file.instructions;
        let is_shell = |k: usize| ins[k].effective().kind == Kind::Shell && ins[k].node.trigger.is_none();
        let mut at = vec![None; ins.len()];
        // the last SHELL of each stage, or of the stage it is built FROM
        let mut stage_end: Vec<Option<usize>> = Vec::with_capacity(cx.model.stages.len());
        for st in &cx.model.stages {
            let inherited = st.parent.filter(|&p| p < stage_end.len()).and_then(|p| stage_end[p]);
            let mut cur = None;
            for k in st.instructions.clone() {
                at[k] = cur.or(inherited);
                if is_shell(k) {
                    cur = Some(k);
                }
            }
            stage_end.push(cur.or(inherited));
        }
        let windows = cx
            .model
            .stages
            .iter()
            .map(|st| match stage_chain(cx, st.instructions.start).last() {
                Some(&root) => is_windows_image(&cx.model.stages[root].base_resolved),
                None => false,
            })
            .collect();
        let shells = at
            .iter()
            .flatten()
            .map(|&k| {
                let n = ins[k].effective();
                let posix = n.json
                    && n.values.len() >= 2
                    && matches!(crate::model::shell::base(&n.values[0]), "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh")
                    && n.values.last().is_some_and(|c| c == "-c" || (c.starts_with('-') && !c.starts_with("--") && c.ends_with('c')));
                (k, if posix { StageShell::Posix(n.values.clone().into()) } else { StageShell::Other })
            })
            .collect();
        ShellIndex { at, windows, shells, default: vec!["/bin/sh".to_string(), "-c".to_string()].into() }
    }
}

/// How a multi-line RUN chains its commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainStyle {
    /// `cmd && \` at the end of a line.
    Trailing,
    /// `\` at the end of a line, `&& cmd` on the next.
    Leading,
}

/// How many lines of instruction `i` chain in the leading (`&& cmd`) and in the trailing
/// (`cmd && \`) style.
pub fn chain_counts(cx: &Context, i: usize) -> (usize, usize) {
    let ins = &cx.file.instructions[i];
    let text = &cx.file.text[ins.range.start..ins.header_end];
    let mut leading = 0;
    let mut trailing = 0;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("&&") || t.starts_with("||") {
            leading += 1;
        }
        let e = t.trim_end_matches(cx.file.escape).trim_end();
        if e.len() < t.len() && (e.ends_with("&&") || e.ends_with("||") || e.ends_with(';')) {
            trailing += 1;
        }
    }
    (leading, trailing)
}

/// The chaining style of instruction `i` (trailing when it shows none).
pub fn chain_style(cx: &Context, i: usize) -> ChainStyle {
    let (leading, trailing) = chain_counts(cx, i);
    if leading > trailing {
        ChainStyle::Leading
    } else {
        ChainStyle::Trailing
    }
}

/// The indentation of the continuation lines of instruction `i` (without a leading `&&`), if it
/// has any that are not comments.
pub fn continuation_indent(cx: &Context, i: usize) -> Option<String> {
    let ins = &cx.file.instructions[i];
    let text = &cx.file.text[ins.range.start..ins.header_end];
    text.lines().skip(1).find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).map(|l| {
        l.chars().take_while(|c| *c == ' ' || *c == '\t').collect()
    })
}

/// The indentation of the lines of instruction `i` that start a chained command: lines that
/// begin with `&&`/`||` (leading style), or lines after one that ends with `&& \`, `|| \` or
/// `; \` (trailing style).
pub fn chain_indent(cx: &Context, i: usize, style: ChainStyle) -> Option<String> {
    let ins = &cx.file.instructions[i];
    let text = &cx.file.text[ins.range.start..ins.header_end];
    let esc = cx.file.escape;
    let mut prev_chains = false;
    for (k, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        let hit = match style {
            ChainStyle::Leading => t.starts_with("&&") || t.starts_with("||"),
            ChainStyle::Trailing => prev_chains,
        };
        if k > 0 && hit && !indent.is_empty() {
            return Some(indent);
        }
        let e = t.trim_end_matches(esc).trim_end();
        prev_chains = e.len() < t.len() && (e.ends_with("&&") || e.ends_with("||") || e.ends_with(';'));
    }
    None
}

/// An edit that runs `new_cmd` right after `rc.cmd`, chained with `&&`, in the file's style:
/// on the same line when the command is followed by more text on its line or the RUN is one
/// line; otherwise on a new continuation line, with the RUN's indentation and chaining style.
/// In a heredoc script the new command goes on its own line.
pub fn append_command(cx: &Context, rc: &RunCommand, new_cmd: &str) -> Edit {
    let at = rc.cmd.range.end;
    let text = &cx.file.text;
    let line_end = text[at..].find('\n').map(|k| at + k).unwrap_or(text.len());
    let rest = text[at..line_end].trim_end_matches('\r').trim();
    let ins = &cx.file.instructions[rc.ins];
    let esc = cx.file.escape;
    let eol = cx.style.eol();
    if rc.script.heredoc {
        if rest.is_empty() {
            // the indentation of the line the command starts on (its continuation lines may
            // be indented deeper)
            let line_start = text[..rc.cmd.range.start].rfind('\n').map(|k| k + 1).unwrap_or(0);
            let indent: String = text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            let le = text[at..line_end].len() - text[at..line_end].trim_end_matches('\r').len();
            return Edit::insert(line_end - le, format!("{eol}{indent}{new_cmd}"));
        }
        return Edit::insert(at, format!(" && {new_cmd}"));
    }
    let multiline = text[ins.range.start..ins.header_end].trim_end().contains('\n');
    let at_line_end = rest.is_empty() || rest == esc.to_string();
    if !multiline || !at_line_end {
        return Edit::insert(at, format!(" && {new_cmd}"));
    }
    // the indentation of the line the command starts on (the lines of its arguments may be
    // indented deeper); the file's continuation indent when it starts on the RUN's line
    let line_start = text[..rc.cmd.range.start].rfind('\n').map(|k| k + 1).unwrap_or(0);
    let mut indent: String = text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    if line_start <= ins.range.start {
        indent = cx.style.indent.clone();
    }
    let indent = indent.trim_start_matches("&&").to_string();
    match chain_style(cx, rc.ins) {
        ChainStyle::Leading => Edit::insert(at, format!(" {esc}{eol}{indent}&& {new_cmd}")),
        ChainStyle::Trailing => {
            if rest.is_empty() {
                Edit::insert(at, format!(" && {esc}{eol}{indent}{new_cmd}"))
            } else {
                // `cmd \` followed by more lines in trailing style: keep the break where it is
                Edit::insert(at, format!(" && {new_cmd}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{splice, Context};
    use crate::model::context::BuildContext;
    use crate::model::Model;

    fn append(text: &str, program: &str) -> String {
        let f = crate::syntax::parse(text).unwrap();
        let m = Model::new(&f);
        let b = BuildContext::default();
        let cx = Context::new(&f, &m, &b);
        let rc = run_commands(&cx).into_iter().rfind(|rc| rc.cmd.program() == Some(program)).unwrap();
        let e = append_command(&cx, &rc, "rm -rf /x");
        splice(text, &[e])
    }

    #[test]
    fn follows_the_file_style() {
        assert_eq!(append("RUN a && b\n", "b"), "RUN a && b && rm -rf /x\n");
        assert_eq!(append("RUN a && b && c\n", "b"), "RUN a && b && rm -rf /x && c\n");
        assert_eq!(append("RUN a && \\\n    b\n", "b"), "RUN a && \\\n    b && \\\n    rm -rf /x\n");
        assert_eq!(append("RUN a \\\n  && b\n", "b"), "RUN a \\\n  && b \\\n  && rm -rf /x\n");
        assert_eq!(append("RUN a \\\n  && b \\\n  && c\n", "b"), "RUN a \\\n  && b \\\n  && rm -rf /x \\\n  && c\n");
        assert_eq!(append("RUN a && \\\n\tb && \\\n\tc\n", "b"), "RUN a && \\\n\tb && rm -rf /x && \\\n\tc\n");
        assert_eq!(append("RUN a \\\n  && b \\\n       x\n", "b"), "RUN a \\\n  && b \\\n       x \\\n  && rm -rf /x\n");
        assert_eq!(append("RUN a && \\\n  b \\\n    x\n", "b"), "RUN a && \\\n  b \\\n    x && \\\n  rm -rf /x\n");
        assert_eq!(append("RUN b \\\n      x\nRUN c \\\n  y\nRUN d \\\n  z\n", "b"), "RUN b \\\n      x && \\\n  rm -rf /x\nRUN c \\\n  y\nRUN d \\\n  z\n");
        assert_eq!(append("# escape=`\r\nRUN a && `\r\n  b\r\n", "b"), "# escape=`\r\nRUN a && `\r\n  b && `\r\n  rm -rf /x\r\n");
        assert_eq!(append("RUN <<EOF\n  a\n  b\nEOF\n", "b"), "RUN <<EOF\n  a\n  b\n  rm -rf /x\nEOF\n");
        assert_eq!(append("RUN <<EOF\n  a\n  b \\\n      c\nEOF\n", "b"), "RUN <<EOF\n  a\n  b \\\n      c\n  rm -rf /x\nEOF\n");
        assert_eq!(append("RUN <<EOF\nb \\\n    --x\nEOF\n", "b"), "RUN <<EOF\nb \\\n    --x\nrm -rf /x\nEOF\n");
        // a command spread over lines: the indentation of its first line
        assert_eq!(append("RUN a \\\n  && b \\\n      x\n", "b"), "RUN a \\\n  && b \\\n      x \\\n  && rm -rf /x\n");
        assert_eq!(append("RUN b \\\n      x\n", "b"), "RUN b \\\n      x && \\\n      rm -rf /x\n");
    }

    #[test]
    fn removal_keeps_dl3059_follows_hadolint() {
        let check = |t: &str, i: usize, removed: usize| {
            let f = crate::syntax::parse(t).unwrap();
            let m = Model::new(&f);
            let b = BuildContext::default();
            removal_keeps_dl3059(&cx_of(&f, &m, &b), i, removed)
        };
        // two commands next to one: hadolint spares it; one next to one: it reports
        assert!(!check("FROM a\nRUN apk update && apk add x\nRUN <<EOF\nEOF\n", 1, 1));
        assert!(!check("FROM a\nRUN b\nRUN apk update && apk add x\n", 2, 1));
        assert!(check("FROM a\nRUN apk update && apk add x && c\nRUN d\n", 1, 1));
        assert!(check("FROM a\nRUN apk update && apk add x\nRUN c && d\n", 1, 1));
        assert!(check("FROM a\nRUN apk update && apk add x\nRUN --network=none d\n", 1, 1));
        assert!(!check("FROM a\nRUN apk update && apk add x\nRUN --bogus d\n", 1, 1));
    }

    fn cx_of<'a>(f: &'a crate::syntax::Dockerfile, m: &'a Model, b: &'a BuildContext) -> Context<'a> {
        Context::new(f, m, b)
    }

    /// The text after removing the first command named `program`.
    fn remove(text: &str, program: &str) -> Option<String> {
        let f = crate::syntax::parse(text).unwrap();
        let m = Model::new(&f);
        let b = BuildContext::default();
        let cx = cx_of(&f, &m, &b);
        let rc = run_commands(&cx).into_iter().find(|rc| rc.cmd.program() == Some(program)).unwrap();
        let k = rc.script.commands.iter().position(|c| std::ptr::eq(c, rc.cmd)).unwrap();
        remove_command(&cx, rc.script, k).map(|e| splice(text, &[e]))
    }

    #[test]
    fn removes_a_command_with_its_joint() {
        assert_eq!(remove("RUN a && b && c\n", "a").as_deref(), Some("RUN b && c\n"));
        assert_eq!(remove("RUN a && b && c\n", "b").as_deref(), Some("RUN a && c\n"));
        assert_eq!(remove("RUN a && b && c\n", "c").as_deref(), Some("RUN a && b\n"));
        assert_eq!(remove("RUN a; b\n", "a").as_deref(), Some("RUN b\n"));
        assert_eq!(remove("RUN a && \\\n    b && \\\n    c\n", "c").as_deref(), Some("RUN a && \\\n    b\n"));
        assert_eq!(remove("RUN a \\\n  && b \\\n  && c\n", "a").as_deref(), Some("RUN b \\\n  && c\n"));
        assert_eq!(remove("RUN <<EOF\na\nb\nEOF\n", "a").as_deref(), Some("RUN <<EOF\nb\nEOF\n"));
        assert_eq!(remove("# escape=`\r\nRUN a && `\r\n  b\r\n", "b").as_deref(), Some("# escape=`\r\nRUN a\r\n"));
        // not cleanly
        assert_eq!(remove("RUN a\n", "a"), None);
        assert_eq!(remove("RUN a | b && c\n", "b"), None);
        assert_eq!(remove("RUN a || b\n", "b"), None);
        assert_eq!(remove("RUN a \\\n  # c\n  && b\n", "b"), None);
        assert_eq!(remove("RUN if x; then a; fi && b\n", "a"), None);
        assert_eq!(remove("RUN for i in 1; do a; done && b\n", "a"), None);
    }

    /// The inner commands `run_commands_incl` adds, as (words, opaque).
    fn inner(text: &str) -> Vec<(Vec<String>, bool)> {
        let f = crate::syntax::parse(text).unwrap();
        let m = Model::new(&f);
        let b = BuildContext::default();
        let cx = cx_of(&f, &m, &b);
        let ins = InnerScripts::of(&cx);
        let all = run_commands_incl(&cx, &ins);
        let top = run_commands(&cx).len();
        assert_eq!(all.len() - top, ins.scripts.iter().map(|(_, s)| s.commands.len()).sum::<usize>());
        ins.scripts
            .iter()
            .flat_map(|(_, s)| s.commands.iter().map(move |c| (c.words.iter().map(|w| w.text.clone()).collect(), c.opaque.or(s.opaque).is_some())))
            .collect()
    }

    #[test]
    fn reads_substitutions_of_understood_scripts_only() {
        let progs = |t: &str| {
            with_cx(t, |cx| {
                let inner = InnerScripts::of(cx);
                run_commands_deep(cx, &inner).iter().filter_map(|rc| rc.cmd.program().map(str::to_string)).collect::<Vec<_>>()
            })
        };
        assert_eq!(progs("RUN V=$(curl -s u | tr -d x) && sh -c 'echo $(date)'\n"), ["curl", "tr", "sh", "echo", "date"]);
        // a script with a function is not understood: its substitutions are left out
        assert_eq!(progs("RUN f() { x; }; V=$(curl -s u)\n"), ["f", "x"]);
    }

    #[test]
    fn reads_sh_c_strings() {
        let w = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(inner("RUN sh -c 'a x && b'\n"), vec![(w(&["a", "x"]), false), (w(&["b"]), false)]);
        assert_eq!(inner("RUN bash -exc \"a\"\n"), vec![(w(&["a"]), false)]);
        assert_eq!(inner("RUN bash -o pipefail -c 'a'\n"), vec![(w(&["a"]), false)]);
        assert_eq!(inner("RUN sh -c \"a $X\"\n"), vec![(w(&["a", "$X"]), true)]);
        assert_eq!(inner("RUN sh -c \"a \\\"b\\\"\"\n"), vec![(w(&["a", "b"]), true)]);
        assert_eq!(inner("RUN for i in 1; do sh -c 'a'; done\n"), vec![(w(&["a"]), true)]);
        assert!(inner("RUN sh script.sh 'a'\n").is_empty());
        assert!(inner("RUN sh -c\n").is_empty());
        // the ranges point at the file
        let t = "RUN x && sh -c 'pip install y'\n";
        let f = crate::syntax::parse(t).unwrap();
        let m = Model::new(&f);
        let b = BuildContext::default();
        let cx = cx_of(&f, &m, &b);
        let ins = InnerScripts::of(&cx);
        let w = &ins.scripts[0].1.commands[0].words[1];
        assert_eq!(&t[w.range.clone()], "install");
    }

    #[test]
    fn groups_commands_per_run() {
        with_cx("FROM a\nRUN a && b\nENV X=1\nRUN c\nRUN d; e; f\n", |cx| {
            let all = run_commands(cx);
            let groups: Vec<Vec<usize>> = per_run(&all).map(|g| g.iter().map(|rc| rc.ins).collect()).collect();
            assert_eq!(groups, vec![vec![1, 1], vec![3], vec![4, 4, 4]]);
        });
        with_cx("FROM a\n", |cx| assert_eq!(per_run(&run_commands(cx)).count(), 0));
    }

    #[test]
    fn reads_mounts() {
        let t = "RUN --mount=type=cache,target=/var/cache/apk --mount=type=bind,dst=/src,source=web --network=none x\nRUN --mount=type=cache,id=x,destination=/root/.npm y\n";
        let file = crate::syntax::parse(t).unwrap();
        let a = &file.instructions[0].node;
        let all: Vec<Vec<&str>> = mounts(a).collect();
        assert_eq!(all, vec![vec!["type=cache", "target=/var/cache/apk"], vec!["type=bind", "dst=/src", "source=web"]]);
        assert_eq!(mount_targets(&all[1]), vec!["/src"]);
        assert!(has_cache_mount(a, &[]));
        assert!(has_cache_mount(a, &["/var/cache/apk"]));
        assert!(!has_cache_mount(a, &["/src"]));
        let b = &file.instructions[1].node;
        assert!(has_cache_mount(b, &["/x", "/root/.npm"]));
        assert!(!has_cache_mount(&crate::syntax::parse("RUN --network=none x\n").unwrap().instructions[0].node, &[]));
    }

    #[test]
    fn globs() {
        assert!(glob_match("package*.json", "package-lock.json"));
        assert!(glob_match("*.json", "package.json"));
        assert!(!glob_match("*.json", "a/package.json"));
        assert!(glob_match("**/package.json", "package.json"));
        assert!(glob_match("**/package.json", "a/b/package.json"));
        assert!(glob_match("yarn.loc[kx]", "yarn.lock"));
        assert!(!glob_match("yarn.loc[!k]", "yarn.lock"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "a/c"));
    }

    #[test]
    fn finds_context_files() {
        use crate::transforms::testing::context;
        let (_d, b) = context(&[("package-lock.json", "{}"), ("web/package-lock.json", "{}"), ("web/src/x", ""), (".dockerignore", "web/src\n")]);
        let status = |text: &str, sub: &str| {
            let f = crate::syntax::parse(text).unwrap();
            let m = Model::new(&f);
            let cx = cx_of(&f, &m, &b);
            context_file(&cx, f.instructions.len() - 1, &["package-lock.json"], sub)
        };
        assert_eq!(status("FROM a\nCOPY package*.json ./\nRUN x\n", ""), ContextFile::Copied("package-lock.json".into()));
        assert_eq!(status("FROM a\nCOPY . /app\nRUN x\n", "web"), ContextFile::Copied("web/package-lock.json".into()));
        assert_eq!(status("FROM a\nCOPY web /app\nRUN x\n", ""), ContextFile::Copied("web/package-lock.json".into()));
        assert_eq!(status("FROM a AS b\nCOPY ./web/package-lock.json .\nFROM b\nRUN x\n", ""), ContextFile::Copied("web/package-lock.json".into()));
        assert_eq!(status("FROM a\nCOPY package.json ./\nRUN x\n", ""), ContextFile::NotCopied("package-lock.json".into()));
        assert_eq!(status("FROM a\nCOPY --from=b . .\nRUN x\n", ""), ContextFile::NotCopied("package-lock.json".into()));
        assert_eq!(status("FROM a\nRUN --mount=type=bind,source=web,target=/w x\n", ""), ContextFile::Copied("web/package-lock.json".into()));
        let f = crate::syntax::parse("FROM a\n").unwrap();
        let m = Model::new(&f);
        let cx = cx_of(&f, &m, &b);
        assert!(dockerignored(&cx, "web/src/x"));
        assert!(!dockerignored(&cx, "web/package-lock.json"));
        let none = BuildContext::default();
        let cx = cx_of(&f, &m, &none);
        assert_eq!(context_file(&cx, 0, &["package-lock.json"], ""), ContextFile::Unknown);
    }

    #[test]
    fn follows_cd() {
        let sub = |text: &str| {
            let f = crate::syntax::parse(text).unwrap();
            let m = Model::new(&f);
            let b = BuildContext::default();
            let cx = cx_of(&f, &m, &b);
            let rc = run_commands(&cx).into_iter().find(|rc| rc.cmd.program() == Some("npm")).unwrap();
            cd_subdir(&rc)
        };
        assert_eq!(sub("RUN npm ci\n").as_deref(), Some(""));
        assert_eq!(sub("RUN cd web && cd ./app/.. && npm ci\n").as_deref(), Some("web"));
        assert_eq!(sub("RUN cd /app && npm ci\n"), None);
        assert_eq!(sub("RUN cd $D && npm ci\n"), None);
    }

    #[test]
    fn follows_cd_into_subshells_and_branches() {
        let cwd = |text: &str, program: &str| {
            with_cx(text, |cx| {
                let rc = run_commands(cx).into_iter().find(|rc| rc.cmd.program() == Some(program)).unwrap();
                cwd_of(&rc)
            })
        };
        assert_eq!(cwd("RUN x\n", "x").as_deref(), Some(""));
        assert_eq!(cwd("RUN cd /opt && x\n", "x").as_deref(), Some("/opt"));
        assert_eq!(cwd("RUN cd /opt && cd ../srv/a && x\n", "x").as_deref(), Some("/srv/a"));
        assert_eq!(cwd("RUN cd src && x\n", "x").as_deref(), Some("src"));
        assert_eq!(cwd("RUN (cd /opt && y) && x\n", "x").as_deref(), Some(""));
        assert_eq!(cwd("RUN (cd /opt && x)\n", "x").as_deref(), Some("/opt"));
        assert_eq!(cwd("RUN cd \"$SRC\" && x\n", "x").as_deref(), Some("$SRC"));
        assert_eq!(cwd("RUN if a; then cd /opt; fi && x\n", "x"), None);
        assert_eq!(cwd("RUN { cd /opt; } && x\n", "x").as_deref(), Some("/opt"));
        assert_eq!(cwd("RUN cd .. && x\n", "x"), None);
        assert_eq!(cwd("RUN cd && x\n", "x"), None);
        assert_eq!(resolve_path("/opt", "a.tgz"), "/opt/a.tgz");
        assert_eq!(resolve_path("/opt", "/tmp/../srv/a.tgz"), "/srv/a.tgz");
        assert_eq!(resolve_path("", "./a.tgz"), "a.tgz");
        assert_eq!(resolve_path("$SRC", "a.tgz"), "$SRC/a.tgz");
    }

    #[test]
    fn joins_paths() {
        assert_eq!(join_path("", "x"), "x");
        assert_eq!(join_path("a", ""), "a");
        assert_eq!(join_path("", ""), "");
        assert_eq!(join_path("a/b", "x"), "a/b/x");
    }

    #[test]
    fn reads_directory_flags() {
        let sub = |text: &str| {
            let f = crate::syntax::parse(text).unwrap();
            let m = Model::new(&f);
            let b = BuildContext::default();
            let cx = cx_of(&f, &m, &b);
            let rc = run_commands(&cx).into_iter().find(|rc| rc.cmd.program() == Some("npm")).unwrap();
            let dir = dir_flag(rc.cmd, &["--prefix", "-C"], &["--prefix"]);
            (dir.clone(), work_subdir(&rc, dir))
        };
        assert_eq!(sub("RUN npm ci\n"), (None, "".into()));
        assert_eq!(sub("RUN npm ci --prefix ./web/\n"), (Some("web".into()), "web".into()));
        assert_eq!(sub("RUN cd app && npm ci --prefix=web\n"), (Some("web".into()), "app/web".into()));
        assert_eq!(sub("RUN cd app && npm ci -C .\n"), (None, "app".into()));
        assert_eq!(sub("RUN cd /app && npm ci -C web\n"), (Some("web".into()), "web".into()));
        assert_eq!(sub("RUN npm ci --prefix /app\n"), (None, "".into()));
        assert_eq!(sub("RUN npm ci --prefix $D\n"), (None, "".into()));
        // `-C=dir` is not in `joined`
        assert_eq!(sub("RUN npm ci -C=web\n"), (None, "".into()));
        assert_eq!(sub("RUN npm ci --prefixed=web\n"), (None, "".into()));
    }

    #[test]
    fn reads_package_json_beside_a_lockfile() {
        use crate::transforms::testing::context;
        let (_d, b) = context(&[("web/package.json", "{\"name\": \"x\"}"), ("package.json", "{")]);
        let f = crate::syntax::parse("FROM a\n").unwrap();
        let m = Model::new(&f);
        let cx = cx_of(&f, &m, &b);
        assert_eq!(package_json_beside(&cx, "web/yarn.lock").unwrap()["name"], "x");
        assert_eq!(package_json_beside(&cx, "yarn.lock").unwrap_err(), "`package.json` could not be read to check `yarn.lock` against it");
        assert_eq!(package_json_beside(&cx, "app/package-lock.json").unwrap_err(), "`app/package.json` could not be read to check `app/package-lock.json` against it");
    }

    /// Runs `f` on a context of `text`.
    fn with_cx<T>(text: &str, f: impl FnOnce(&Context) -> T) -> T {
        let file = crate::syntax::parse(text).unwrap();
        let m = Model::new(&file);
        let b = BuildContext::default();
        let cx = Context::new(&file, &m, &b);
        f(&cx)
    }

    #[test]
    fn scope_and_shell_of_a_stage() {
        let t = "FROM debian AS a\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nENV X=1\nFROM a\nRUN x\nSHELL [\"pwsh\", \"-c\"]\nRUN y\nFROM alpine\nRUN z\n";
        with_cx(t, |cx| {
            assert_eq!(instructions_in_scope(cx, 4), vec![3, 2, 1, 0]);
            assert!(var_set_before(cx, 4, "X"));
            assert!(!var_set_before(cx, 8, "X"));
            let bash = StageShell::Posix(["/bin/bash", "-eo", "pipefail", "-c"].map(String::from).to_vec().into());
            assert_eq!(stage_shell(cx, 4), bash);
            assert_eq!(stage_shell(cx, 6), StageShell::Other);
            assert_eq!(stage_shell(cx, 8), StageShell::Posix(vec!["/bin/sh".to_string(), "-c".to_string()].into()));
        });
        with_cx("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN x\n", |cx| assert_eq!(stage_shell(cx, 1), StageShell::Other));
    }

    #[test]
    fn stage_chains() {
        let t = "FROM debian AS a\nENV X=1\nFROM alpine AS b\nRUN y\nFROM a\nRUN z\nRUN w\n";
        with_cx(t, |cx| {
            assert_eq!(stage_chain(cx, 6), vec![2, 0]);
            assert_eq!(stage_chain_before(cx, 6), vec![0, 1, 4, 5]);
            assert_eq!(instructions_in_scope(cx, 6), vec![5, 4, 1, 0]);
            assert_eq!(stage_chain_before(cx, 3), vec![2]);
            assert_eq!(stage_chain_before(cx, 0), Vec::<usize>::new());
        });
    }

    #[test]
    fn reads_earlier_text() {
        let t = "FROM a AS base\nRUN <<EOF\necho assumeyes=1 > /etc/yum.conf\nEOF\nFROM base\nRUN x\nRUN echo gemrc\nRUN z\nFROM a\nRUN y\n";
        with_cx(t, |cx| {
            let has = |i: usize, what: &str| earlier_text_any(cx, i, |t| t.contains(what));
            assert!(has(3, "assumeyes=1"));
            assert!(!has(3, "gemrc"));
            // not the instruction's own text
            assert!(!has(4, "gemrc"));
            assert!(has(5, "gemrc"));
            assert!(!has(1, "assumeyes=1"));
            assert!(!has(7, "assumeyes=1"));
        });
    }

    #[test]
    fn indentation_of_chained_commands() {
        let t = "RUN apt-get install -y \\\n        curl \\\n    && rm -rf x\nRUN a && \\\n      b\nRUN a\n";
        with_cx(t, |cx| {
            assert_eq!(chain_indent(cx, 0, ChainStyle::Leading).as_deref(), Some("    "));
            assert_eq!(continuation_indent(cx, 0).as_deref(), Some("        "));
            assert_eq!(chain_indent(cx, 1, ChainStyle::Trailing).as_deref(), Some("      "));
            assert_eq!(chain_counts(cx, 0), (1, 0));
            assert_eq!(chain_counts(cx, 1), (0, 1));
            assert_eq!(continuation_indent(cx, 2), None);
        });
    }
}
