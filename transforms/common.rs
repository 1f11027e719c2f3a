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

/// Whether `var` is set by ENV in the stage of instruction `i` (before it) or a stage it is
/// built FROM, or by ARG in its stage before it.
pub fn var_set_before(cx: &Context, i: usize, var: &str) -> bool {
    let Some(stage) = cx.model.stage_of(i) else { return false };
    let mut chain = vec![stage.index];
    let mut cur = stage.parent;
    while let Some(p) = cur {
        if chain.contains(&p) {
            break;
        }
        chain.push(p);
        cur = cx.model.stages[p].parent;
    }
    chain.iter().any(|&s| {
        let st = &cx.model.stages[s];
        let end = if s == stage.index { i } else { st.instructions.end };
        cx.file.instructions[st.instructions.start..end].iter().any(|ins| {
            let n = ins.effective();
            match n.kind {
                Kind::Env => n.values.iter().step_by(2).any(|k| k == var),
                Kind::Arg => n.values.iter().any(|w| w.split('=').next() == Some(var)),
                _ => false,
            }
        })
    })
}

/// How a multi-line RUN chains its commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainStyle {
    /// `cmd && \` at the end of a line.
    Trailing,
    /// `\` at the end of a line, `&& cmd` on the next.
    Leading,
}

/// The chaining style of instruction `i` (trailing when it shows none).
pub fn chain_style(cx: &Context, i: usize) -> ChainStyle {
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
    if leading > trailing {
        ChainStyle::Leading
    } else {
        ChainStyle::Trailing
    }
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
        assert_eq!(append("RUN a \\\n  && b \\\n       x\n", "b"), "RUN a \\\n  && b \\\n       x \\\n  && rm -rf /x\n");
        assert_eq!(append("RUN a && \\\n  b \\\n    x\n", "b"), "RUN a && \\\n  b \\\n    x && \\\n  rm -rf /x\n");
        assert_eq!(append("RUN b \\\n      x\nRUN c \\\n  y\nRUN d \\\n  z\n", "b"), "RUN b \\\n      x && \\\n  rm -rf /x\nRUN c \\\n  y\nRUN d \\\n  z\n");
        assert_eq!(append("# escape=`\r\nRUN a && `\r\n  b\r\n", "b"), "# escape=`\r\nRUN a && `\r\n  b && `\r\n  rm -rf /x\r\n");
        assert_eq!(append("RUN <<EOF\n  a\n  b\nEOF\n", "b"), "RUN <<EOF\n  a\n  b\n  rm -rf /x\nEOF\n");
        assert_eq!(append("RUN <<EOF\n  a\n  b \\\n      c\nEOF\n", "b"), "RUN <<EOF\n  a\n  b \\\n      c\n  rm -rf /x\nEOF\n");
    }
}
