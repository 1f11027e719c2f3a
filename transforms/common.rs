//! The small vocabulary rules share: walking the shell commands of RUN instructions, finding
//! ENV/ARG settings in scope, and generating text that follows the file's own style.

use crate::engine::{Context, Edit};
use crate::model::shell::{Command, Script};
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

/// Whether the RUN has a BuildKit cache mount (`--mount=type=cache`), optionally only one whose
/// target contains `target`.
pub fn has_cache_mount(node: &Node, target: Option<&str>) -> bool {
    node.flags.iter().any(|f| {
        f.name() == "mount"
            && f.value().is_some_and(|v| {
                let kv: Vec<&str> = v.split(',').collect();
                kv.contains(&"type=cache")
                    && target.is_none_or(|t| kv.iter().any(|p| (p.starts_with("target=") || p.starts_with("dst=") || p.starts_with("destination=")) && p.contains(t)))
            })
    })
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
    let chain = stage_chain(cx, i);
    let mut out = Vec::new();
    for (k, &s) in chain.iter().enumerate() {
        let st = &cx.model.stages[s];
        let end = if k == 0 { i } else { st.instructions.end };
        out.extend((st.instructions.start..end).rev());
    }
    out
}

/// Whether `var` is set by ENV in the stage of instruction `i` (before it) or a stage it is
/// built FROM, or by ARG in its stage before it.
pub fn var_set_before(cx: &Context, i: usize, var: &str) -> bool {
    instructions_in_scope(cx, i).into_iter().any(|k| {
        let n = cx.file.instructions[k].effective();
        match n.kind {
            Kind::Env => n.values.iter().step_by(2).any(|k| k == var),
            Kind::Arg => n.values.iter().any(|w| w.split('=').next() == Some(var)),
            _ => false,
        }
    })
}

/// The shell that runs shell-form instructions at some point of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageShell {
    /// A POSIX shell (sh, bash, dash, ash, zsh, ksh): the command line goes after these words.
    Posix(Vec<String>),
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
    for k in instructions_in_scope(cx, i) {
        let n = cx.file.instructions[k].effective();
        if n.kind == Kind::Shell && cx.file.instructions[k].node.trigger.is_none() {
            let posix = n.json
                && n.values.len() >= 2
                && matches!(crate::model::shell::base(&n.values[0]), "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh")
                && n.values.last().is_some_and(|c| c == "-c" || (c.starts_with('-') && !c.starts_with("--") && c.ends_with('c')));
            return if posix { StageShell::Posix(n.values.clone()) } else { StageShell::Other };
        }
    }
    let chain = stage_chain(cx, i);
    match chain.last() {
        Some(&root) if is_windows_image(&cx.model.stages[root].base_resolved) => StageShell::Other,
        _ => StageShell::Posix(vec!["/bin/sh".into(), "-c".into()]),
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
            let line_start = text[..at].rfind('\n').map(|k| k + 1).unwrap_or(0);
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
    // indentation of the continuation lines of this RUN
    let line_start = text[..at].rfind('\n').map(|k| k + 1).unwrap_or(0);
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
        let rc = run_commands(&cx).into_iter().filter(|rc| rc.cmd.program() == Some(program)).last().unwrap();
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
        assert_eq!(append("# escape=`\r\nRUN a && `\r\n  b\r\n", "b"), "# escape=`\r\nRUN a && `\r\n  b && `\r\n  rm -rf /x\r\n");
        assert_eq!(append("RUN <<EOF\n  a\n  b\nEOF\n", "b"), "RUN <<EOF\n  a\n  b\n  rm -rf /x\nEOF\n");
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
            let bash = StageShell::Posix(["/bin/bash", "-eo", "pipefail", "-c"].map(String::from).to_vec());
            assert_eq!(stage_shell(cx, 4), bash);
            assert_eq!(stage_shell(cx, 6), StageShell::Other);
            assert_eq!(stage_shell(cx, 8), StageShell::Posix(vec!["/bin/sh".into(), "-c".into()]));
        });
        with_cx("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN x\n", |cx| assert_eq!(stage_shell(cx, 1), StageShell::Other));
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
