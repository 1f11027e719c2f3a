//! What a Dockerfile means, beyond its syntax: stages and their edges, ARG scopes and
//! substitution, image references, the shell commands of RUN bodies, and the build context.

pub mod context;
pub mod image;
pub mod shell;

use std::collections::HashMap;

use crate::syntax::{Dockerfile, Kind};
pub use image::ImageRef;

/// An `ARG` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: String,
    /// The default as written (quotes kept), if any.
    pub default: Option<String>,
    /// Index of the ARG instruction.
    pub instruction: usize,
    /// The default with quotes removed and earlier ARGs of the same scope substituted.
    pub resolved: Option<String>,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit compares stage names.
    pub name: Option<String>,
    /// Index of the FROM instruction.
    pub from: usize,
    /// Indices of the instructions of the stage, FROM included.
    pub instructions: std::ops::Range<usize>,
    /// The base as written.
    pub base: String,
    /// The base with global ARGs substituted.
    pub base_resolved: String,
    /// The stage this one is built FROM, when the base names an earlier stage.
    pub parent: Option<usize>,
    pub platform: Option<String>,
    /// ARGs declared inside the stage.
    pub args: Vec<ArgDecl>,
    /// Stages this one copies from (`COPY --from=`), by index.
    pub copies_from: Vec<usize>,
}

impl Stage {
    pub fn is_scratch(&self) -> bool {
        self.base_resolved.eq_ignore_ascii_case("scratch")
    }
    pub fn image(&self) -> Option<ImageRef> {
        if self.parent.is_some() || self.is_scratch() {
            return None;
        }
        ImageRef::parse(&self.base_resolved)
    }
}

/// The analysed file.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub global_args: Vec<ArgDecl>,
    pub stages: Vec<Stage>,
}

impl Model {
    pub fn new(file: &Dockerfile) -> Model {
        let mut m = Model::default();
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, ins) in file.instructions.iter().enumerate() {
            match ins.kind() {
                Kind::From => {
                    let v = &ins.node.values;
                    let base = v.first().cloned().unwrap_or_default();
                    let name = if v.len() >= 3 && v[1].eq_ignore_ascii_case("as") { Some(v[2].to_ascii_lowercase()) } else { None };
                    let base_resolved = substitute(&base, &|n| m.global_default(n));
                    let parent = names.get(&base_resolved.to_ascii_lowercase()).copied();
                    if let Some(last) = m.stages.last_mut() {
                        last.instructions.end = i;
                    }
                    let index = m.stages.len();
                    if let Some(n) = &name {
                        names.insert(n.clone(), index);
                    }
                    m.stages.push(Stage {
                        index,
                        name,
                        from: i,
                        instructions: i..file.instructions.len(),
                        base,
                        base_resolved,
                        parent,
                        platform: ins.node.flag("platform").and_then(|f| f.value()).map(str::to_string),
                        args: Vec::new(),
                        copies_from: Vec::new(),
                    });
                }
                Kind::Arg => {
                    for w in &ins.node.values {
                        let (name, default) = match w.split_once('=') {
                            Some((k, v)) => (k.to_string(), Some(v.to_string())),
                            None => (w.clone(), None),
                        };
                        let scope: &[ArgDecl] = match m.stages.last() {
                            Some(s) => &s.args,
                            None => &m.global_args,
                        };
                        let resolved = default.as_deref().map(|v| {
                            substitute(&unquote(v), &|n| scope.iter().rev().find(|a| a.name == n).and_then(|a| a.resolved.clone()))
                        });
                        let d = ArgDecl { name, default, instruction: i, resolved };
                        match m.stages.last_mut() {
                            Some(s) => s.args.push(d),
                            None => m.global_args.push(d),
                        }
                    }
                }
                Kind::Copy | Kind::Add => {
                    if let (Some(from), Some(s)) = (ins.node.flag("from").and_then(|f| f.value()), m.stages.last()) {
                        let key = from.to_ascii_lowercase();
                        let target = names.get(&key).copied().or_else(|| key.parse::<usize>().ok().filter(|&n| n < s.index));
                        if let Some(t) = target {
                            let s = m.stages.last_mut().unwrap();
                            if !s.copies_from.contains(&t) {
                                s.copies_from.push(t);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        m
    }

    /// The default of a global ARG (declared before the first FROM), quotes removed.
    pub fn global_default(&self, name: &str) -> Option<String> {
        self.global_args.iter().rev().find(|a| a.name == name).and_then(|a| a.resolved.clone())
    }

    /// The stage an instruction belongs to.
    pub fn stage_of(&self, instruction: usize) -> Option<&Stage> {
        self.stages.iter().find(|s| s.instructions.contains(&instruction))
    }

    /// The bytes of stage `index` in the file, for a fix that replaces a whole stage: from the
    /// comment block directly above its FROM (no blank line between) to the start of the next
    /// stage's own comment block, or the end of the file.
    pub fn stage_range(&self, file: &Dockerfile, index: usize) -> std::ops::Range<usize> {
        let start = leading_comments_start(file, self.stages[index].from);
        let end = match self.stages.get(index + 1) {
            Some(next) => leading_comments_start(file, next.from),
            None => file.text.len(),
        };
        start..end
    }

    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// Stages whose filesystem reaches the final image: the final stage and the chain of
    /// stages it is built FROM.
    pub fn final_chain(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.stages.last().map(|s| s.index);
        while let Some(i) = cur {
            if out.contains(&i) {
                break;
            }
            out.push(i);
            cur = self.stages[i].parent;
        }
        out
    }
}

/// Where the comment lines directly above instruction `i` begin (its own start when none).
pub fn leading_comments_start(file: &Dockerfile, i: usize) -> usize {
    let ins_start = file.instructions[i].range.start;
    let Some(pos) = file.items.iter().position(|it| it.range.start == ins_start) else { return ins_start };
    let mut start = ins_start;
    for it in file.items[..pos].iter().rev() {
        match it.kind {
            crate::syntax::ItemKind::Comment => start = it.range.start,
            _ => break,
        }
    }
    start
}

/// Removes one level of matching quotes.
pub fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// Substitutes `$V`, `${V}`, `${V:-default}`, `${V-default}` and `${V:+alt}` with `lookup`;
/// an unknown variable becomes empty, as in BuildKit.
pub fn substitute(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let rest = &s[i + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push_str(&s[i..]);
                break;
            };
            let expr = &inner[..end];
            let name_len = expr.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            let (name, op) = expr.split_at(name_len);
            let val = lookup(name);
            let v = if let Some(d) = op.strip_prefix(":-") {
                val.filter(|v| !v.is_empty()).unwrap_or_else(|| substitute(d, lookup))
            } else if let Some(d) = op.strip_prefix('-') {
                val.unwrap_or_else(|| substitute(d, lookup))
            } else if let Some(a) = op.strip_prefix(":+") {
                if val.is_some_and(|v| !v.is_empty()) { substitute(a, lookup) } else { String::new() }
            } else {
                val.unwrap_or_default()
            };
            out.push_str(&v);
            let skip = 1 + end + 1;
            while it.peek().is_some_and(|&(j, _)| j <= i + skip) {
                it.next();
            }
        } else {
            let name_len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            if name_len == 0 {
                out.push('$');
                continue;
            }
            out.push_str(&lookup(&rest[..name_len]).unwrap_or_default());
            for _ in 0..name_len {
                it.next();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn stages_args_and_edges() {
        let d = parse("ARG PY=3.11\nARG BASE=python:${PY}-slim\nFROM ${BASE} AS Build\nARG X\nRUN a\nFROM build AS test\nFROM --platform=linux/amd64 alpine\nCOPY --from=build /a /b\nCOPY --from=1 /a /b\n").unwrap();
        let m = Model::new(&d);
        assert_eq!(m.stages.len(), 3);
        assert_eq!(m.stages[0].base_resolved, "python:3.11-slim");
        assert_eq!(m.stages[0].name.as_deref(), Some("build"));
        assert_eq!(m.stages[0].args[0].name, "X");
        assert_eq!(m.stages[1].parent, Some(0));
        assert_eq!(m.stages[2].copies_from, vec![0, 1]);
        assert_eq!(m.stages[2].platform.as_deref(), Some("linux/amd64"));
        assert_eq!(m.final_chain(), vec![2]);
        assert_eq!(m.stage_of(4).unwrap().index, 0);
    }

    #[test]
    fn stage_ranges_carry_their_comments() {
        let t = "# syntax=docker/dockerfile:1\nFROM a AS build\nRUN make\n\n# the runtime\n# image\nFROM b\nCOPY --from=build /x /x\n";
        let d = parse(t).unwrap();
        let m = Model::new(&d);
        let r0 = m.stage_range(&d, 0);
        let r1 = m.stage_range(&d, 1);
        assert_eq!(&t[r0.clone()], "FROM a AS build\nRUN make\n\n");
        assert_eq!(&t[r1], "# the runtime\n# image\nFROM b\nCOPY --from=build /x /x\n");
        let replaced = crate::engine::splice(t, &[crate::engine::Edit::replace(r0, "FROM c AS build\n")]);
        assert_eq!(replaced, "# syntax=docker/dockerfile:1\nFROM c AS build\n# the runtime\n# image\nFROM b\nCOPY --from=build /x /x\n");
    }

    #[test]
    fn substitution_forms() {
        let look = |n: &str| if n == "A" { Some("x".to_string()) } else { None };
        assert_eq!(substitute("$A-${A}-${B:-d}-${A:+y}-${B:+z}-$", &look), "x-x-d-y--$");
    }
}
