//! Rules, diagnostics and fixes, and the loop that applies fixes to a fixed point.
//!
//! A fix is a set of byte-range [`Edit`]s on the current text (and possibly whole files to
//! create beside the Dockerfile), marked [`Applicability::Safe`] or [`Applicability::Unsafe`],
//! or advice with no edit ([`Applicability::DisplayOnly`]). [`run`] applies the fixes that are
//! allowed, round after round, until nothing changes; overlapping fixes wait for the next round,
//! and a round whose output does not parse is rolled back and reported, never returned.
//!
//! Fixes that change what other rules decide on (a stage's base image, the stages themselves)
//! are [`Scope::Foundation`] fixes: each is applied alone in a round of its own, before any
//! local fix, and every rule then decides again on the result (see [`run`]).

pub mod style;

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::Config;
use std::ops::Range;

use crate::model::context::BuildContext;
use crate::model::shell::{self, Script};
use crate::model::Model;
use crate::syntax::{self, Dockerfile, ParseError};
pub use style::Style;

/// Whether a fix may be applied without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Advice only: nothing is changed.
    DisplayOnly,
    /// Changes behaviour in a way the user should review; applied with `--unsafe-fixes`.
    Unsafe,
    /// Keeps the build working and its meaning, applied by `--write`.
    Safe,
}

/// Replace `range` of the current text with `content` (an insertion when the range is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: Range<usize>,
    pub content: String,
}

impl Edit {
    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit { range: at..at, content: content.into() }
    }
    pub fn replace(range: Range<usize>, content: impl Into<String>) -> Edit {
        Edit { range, content: content.into() }
    }
    pub fn delete(range: Range<usize>) -> Edit {
        Edit { range, content: String::new() }
    }
}

/// A file a fix creates or replaces beside the Dockerfile (a `.dockerignore`, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the build context directory.
    pub path: String,
    /// The file's text before (None: the file does not exist).
    pub before: Option<String>,
    pub after: String,
}

/// What a fix changes beyond the bytes it edits, for the order in which the engine applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Other rules' decisions do not depend on what it changes (a flag, a cleanup, a merge).
    #[default]
    Local,
    /// It changes facts other rules decide on: the base image of a stage, or the stages
    /// themselves (a build split into builder and runtime). The engine applies it alone, in a
    /// round of its own before any local fix, and all rules decide again on the result.
    Foundation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    pub files: Vec<FileChange>,
    pub scope: Scope,
}

impl Fix {
    pub fn safe(edits: Vec<Edit>) -> Fix {
        Fix::with(Applicability::Safe, edits)
    }
    pub fn unsafe_(edits: Vec<Edit>) -> Fix {
        Fix::with(Applicability::Unsafe, edits)
    }
    pub fn with(applicability: Applicability, edits: Vec<Edit>) -> Fix {
        Fix { applicability, edits, files: Vec::new(), scope: Scope::Local }
    }
    /// Marks the fix as changing a base image or the stages (see [`Scope::Foundation`]).
    pub fn foundation(mut self) -> Fix {
        self.scope = Scope::Foundation;
        self
    }
    fn span(&self) -> Option<Range<usize>> {
        let s = self.edits.iter().map(|e| e.range.start).min()?;
        let e = self.edits.iter().map(|e| e.range.end).max()?;
        Some(s..e)
    }
}

/// A finding of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub message: String,
    /// Where the finding is, in the text it was found in.
    pub range: Range<usize>,
    pub fix: Option<Fix>,
}

/// How a rule's fixes are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    Safe,
    Unsafe,
    /// Safe where the rule can tell, Unsafe otherwise (the message says why).
    SafeOrUnsafe,
    /// Advice only.
    None,
}

impl FixKind {
    pub fn label(self) -> &'static str {
        match self {
            FixKind::Safe => "safe",
            FixKind::Unsafe => "unsafe",
            FixKind::SafeOrUnsafe => "safe/unsafe",
            FixKind::None => "advice",
        }
    }
}

/// What a rule is: its stable code, name and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, such as `DP101`.
    pub code: &'static str,
    /// kebab-case name, such as `pip-no-cache-dir`.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    pub fix: FixKind,
    /// hadolint rule codes this rule resolves.
    pub hadolint: &'static [&'static str],
    /// Markdown: what it does, why, an example, fix safety.
    pub docs: &'static str,
}

/// A rule: a check over one Dockerfile.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>);
}

/// What a rule sees.
pub struct Context<'a> {
    pub file: &'a Dockerfile,
    pub model: &'a Model,
    pub build: &'a BuildContext,
    /// The preset or configuration in force (base-image mappings).
    pub config: &'a Config,
    pub style: Style,
    scripts: Vec<std::sync::OnceLock<Vec<Script>>>,
}

impl<'a> Context<'a> {
    pub fn new(file: &'a Dockerfile, model: &'a Model, build: &'a BuildContext) -> Context<'a> {
        Context::with_config(file, model, build, Config::default_ref())
    }

    pub fn with_config(file: &'a Dockerfile, model: &'a Model, build: &'a BuildContext, config: &'a Config) -> Context<'a> {
        let scripts = (0..file.instructions.len()).map(|_| std::sync::OnceLock::new()).collect();
        Context { file, model, build, config, style: Style::of(file), scripts }
    }

    /// The shell scripts of instruction `i` (empty unless it is a RUN in shell form).
    pub fn scripts(&self, i: usize) -> &[Script] {
        self.scripts[i].get_or_init(|| shell::scripts(self.file, &self.file.instructions[i]))
    }

    /// A diagnostic of `rule` at `range`.
    pub fn diag(&self, meta: &'static RuleMeta, range: Range<usize>, message: impl Into<String>, fix: Option<Fix>) -> Diagnostic {
        Diagnostic { code: meta.code, name: meta.name, message: message.into(), range, fix }
    }
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub unsafe_fixes: bool,
    /// Apply fixes at all (false: only report).
    pub fix: bool,
    pub max_rounds: usize,
    /// The preset or configuration file in force.
    pub config: Arc<Config>,
}

impl Default for Options {
    fn default() -> Self {
        Options { unsafe_fixes: false, fix: true, max_rounds: 24, config: Arc::new(Config::default_ref().clone()) }
    }
}

/// A fix that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub code: &'static str,
    pub message: String,
    /// 1-based line in the text the fix was applied to.
    pub line: usize,
}

/// What a run found and did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The parse of the input.
    pub input: Dockerfile,
    /// Diagnostics on the input.
    pub diagnostics: Vec<Diagnostic>,
    /// The text after fixes (the input when nothing applied).
    pub output: String,
    pub applied: Vec<Applied>,
    /// Diagnostics left on the output.
    pub remaining: Vec<Diagnostic>,
    /// Files to create or replace beside the Dockerfile.
    pub files: Vec<FileChange>,
    /// Fixes refused because their output did not parse, or a run that did not settle: bugs
    /// in dopt, reported and never written.
    pub problems: Vec<String>,
}

impl Outcome {
    pub fn changed(&self) -> bool {
        self.output != self.input.text || !self.files.is_empty()
    }
}

fn is_allowed(f: &Fix, opts: &Options) -> bool {
    match f.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => opts.unsafe_fixes,
        Applicability::DisplayOnly => false,
    }
}

/// Runs `rules` over `text` and, when `opts.fix`, applies their fixes to a fixed point.
///
/// Each round takes the fixes that are allowed (safe ones, unsafe ones with `unsafe_fixes`):
/// - when any of them is a [`Scope::Foundation`] fix, only the first of those (in pipeline
///   order, then by position) is applied, alone, and every rule checks the result again. A rule
///   that reads a stage's base image or the stage structure therefore always decides on the
///   text as it will be built: `--no-install-recommends` is decided on the slim base a base
///   swap chose, not on the full image it replaced;
/// - otherwise every fix whose edits do not overlap an earlier one's is applied (an identical
///   edit from two rules once); the others wait for the next round.
///
/// The output of a round is parsed again; a round whose output does not parse, or that changes
/// an instruction no edit touched, is rolled back and its fixes are tried one at a time.
pub fn run(text: &str, rules: &[&dyn Rule], build: &BuildContext, opts: &Options) -> Result<Outcome, ParseError> {
    let input = syntax::parse(text)?;
    let diagnostics = check_with(&input, rules, build, &opts.config);
    let mut out = Outcome {
        input,
        diagnostics: Vec::new(),
        output: String::new(),
        applied: Vec::new(),
        remaining: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
    };
    if !opts.fix {
        out.output = text.to_string();
        out.remaining = diagnostics.clone();
        out.diagnostics = diagnostics;
        return Ok(out);
    }
    // `file` is the current text's parse: the input itself until a fix changes it.
    let mut file = std::mem::replace(&mut out.input, empty_dockerfile());
    let mut diags = diagnostics.clone();
    let mut changed = false;
    let mut refused: HashSet<(&'static str, String)> = HashSet::new();
    let mut settled = false;
    for _round in 0..opts.max_rounds {
        let mut cands: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| d.fix.as_ref().is_some_and(|f| is_allowed(f, opts) && (!f.edits.is_empty() || !f.files.is_empty())))
            .filter(|d| !refused.contains(&(d.code, d.message.clone())))
            .collect();
        cands.sort_by_key(|d| d.fix.as_ref().and_then(|f| f.span()).map(|r| (r.start, r.end)).unwrap_or((usize::MAX, 0)));
        let rule_pos = |code: &str| rules.iter().position(|r| r.meta().code == code).unwrap_or(usize::MAX);
        let foundation = cands.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.scope == Scope::Foundation)).min_by_key(|d| rule_pos(d.code)).copied();
        if let Some(d) = foundation {
            cands = vec![d];
        }
        let mut taken: Vec<&Diagnostic> = Vec::new();
        let mut edits: Vec<Edit> = Vec::new();
        for d in cands {
            let f = d.fix.as_ref().unwrap();
            if !f.edits.is_empty() && f.edits.iter().all(|e| edits.contains(e)) {
                continue; // the same edit from another rule: applied once
            }
            if f.edits.iter().any(|e| edits.iter().any(|t| overlaps(&e.range, &t.range))) {
                continue; // waits for the next round
            }
            let created = |p: &str| out.files.iter().any(|x| x.path == p) || taken.iter().any(|t| t.fix.as_ref().unwrap().files.iter().any(|x| x.path == p));
            if f.edits.is_empty() && !f.files.is_empty() && f.files.iter().all(|fc| created(&fc.path)) {
                continue; // another fix (earlier in this round's order) already writes that file
            }
            edits.extend(f.edits.iter().cloned());
            taken.push(d);
        }
        // file changes
        let mut files_changed = false;
        for d in &taken {
            for fc in &d.fix.as_ref().unwrap().files {
                if !out.files.iter().any(|x| x.path == fc.path) {
                    out.files.push(fc.clone());
                    files_changed = true;
                }
            }
        }
        if edits.is_empty() {
            if files_changed {
                for d in &taken {
                    out.applied.push(Applied { code: d.code, message: d.message.clone(), line: file.line_col(d.range.start).0 });
                }
            }
            settled = true;
            break;
        }
        let new_text = splice(&file.text, &edits);
        match syntax::parse(&new_text).map_err(|e| e.to_string()).and_then(|nf| untouched_unchanged(&file, &nf, &edits).map(|_| nf)) {
            Ok(new_file) => {
                for d in &taken {
                    out.applied.push(Applied { code: d.code, message: d.message.clone(), line: file.line_col(d.range.start).0 });
                }
                if !changed {
                    out.input = file;
                    changed = true;
                }
                file = new_file;
            }
            _ => {
                // Roll back; apply the fixes one at a time and keep those that parse.
                let mut cur = file.clone();
                for d in &taken {
                    let f = d.fix.as_ref().unwrap();
                    let t = splice(&cur.text, &f.edits);
                    match syntax::parse(&t).map_err(|e| e.to_string()).and_then(|nf| untouched_unchanged(&cur, &nf, &f.edits).map(|_| nf)) {
                        Ok(nf) => {
                            out.applied.push(Applied { code: d.code, message: d.message.clone(), line: cur.line_col(d.range.start).0 });
                            if !changed {
                                out.input = file.clone();
                                changed = true;
                            }
                            cur = nf;
                            break; // offsets of the other fixes are stale: next round
                        }
                        Err(e) => {
                            out.problems.push(format!(
                                "bug: the fix of {} at line {} would break the file ({e}); not applied",
                                d.code,
                                cur.line_col(d.range.start).0
                            ));
                            refused.insert((d.code, d.message.clone()));
                        }
                    }
                }
                file = cur;
            }
        }
        diags = check_with(&file, rules, build, &opts.config);
    }
    if !settled {
        out.problems.push(format!("bug: fixes did not settle after {} rounds; the last round's text is kept", opts.max_rounds));
    }
    // a finding whose fix only creates files that the run creates is not left over
    diags.retain(|d| !d.fix.as_ref().is_some_and(|f| f.edits.is_empty() && !f.files.is_empty() && f.files.iter().all(|fc| out.files.iter().any(|x| x.path == fc.path))));
    out.diagnostics = diagnostics;
    if changed {
        out.output = file.text.clone();
        out.remaining = diags;
    } else {
        out.output = text.to_string();
        out.remaining = diags;
        out.input = file;
    }
    Ok(out)
}

/// A placeholder while the input's parse is in use as the current text.
fn empty_dockerfile() -> Dockerfile {
    Dockerfile::empty()
}

/// Checks that every instruction no edit touches reads the same after the edits (BuildKit's
/// view of the file changes only where a fix meant it to).
fn untouched_unchanged(old: &Dockerfile, new: &Dockerfile, edits: &[Edit]) -> Result<(), String> {
    let mut es: Vec<&Edit> = edits.iter().collect();
    es.sort_by_key(|e| (e.range.start, e.range.end));
    let shift = |pos: usize| -> isize {
        es.iter().filter(|e| e.range.end <= pos && !(e.range.is_empty() && e.range.start == pos)).map(|e| e.content.len() as isize - e.range.len() as isize).sum()
    };
    for ins in &old.instructions {
        let r = &ins.range;
        let start = (r.start as isize + shift(r.start)) as usize;
        let found = new.instructions.iter().find(|n| n.range.start == start);
        // an instruction whose start no edit reaches still starts there
        let start_edited = es.iter().any(|e| e.range.start <= r.start && r.start <= e.range.end);
        if found.is_none() && !start_edited {
            return Err(format!("the instruction at line {} would no longer start where it did", ins.start_line));
        }
        let touched = es.iter().any(|e| e.range.start <= r.end && e.range.end >= r.start);
        if touched {
            continue;
        }
        let Some(n) = found else {
            return Err(format!("the instruction at line {} is no longer there", ins.start_line));
        };
        let same = n.range.len() == r.len()
            && n.node == ins.node
            && n.heredocs.iter().map(|h| (&h.name, &h.content)).eq(ins.heredocs.iter().map(|h| (&h.name, &h.content)));
        if !same {
            return Err(format!("the instruction at line {} would read differently", ins.start_line));
        }
    }
    Ok(())
}

/// Runs every rule over a parsed file under the default preset, honouring suppression comments.
pub fn check(file: &Dockerfile, rules: &[&dyn Rule], build: &BuildContext) -> Vec<Diagnostic> {
    check_with(file, rules, build, Config::default_ref())
}

/// Runs every rule over a parsed file under `config`, honouring suppression comments.
pub fn check_with(file: &Dockerfile, rules: &[&dyn Rule], build: &BuildContext, config: &Config) -> Vec<Diagnostic> {
    let model = Model::new(file);
    let cx = Context::with_config(file, &model, build, config);
    let mut out = Vec::new();
    for r in rules {
        r.check(&cx, &mut out);
    }
    let sup = suppressions(file);
    out.retain(|d| !is_suppressed(file, &sup, d));
    out.sort_by(|a, b| (a.range.start, a.code).cmp(&(b.range.start, b.code)));
    out
}

/// `# dopt: ignore` or `# dopt: ignore[DP101,DP102]` on the line before an instruction
/// suppresses findings in that instruction; `# dopt: ignore-file[...]` anywhere, in the file.
struct Suppression {
    /// 1-based line the suppression applies to (0: the whole file).
    line: usize,
    codes: Option<Vec<String>>,
}

fn suppressions(file: &Dockerfile) -> Vec<Suppression> {
    let mut out = Vec::new();
    for it in &file.items {
        if it.kind != syntax::ItemKind::Comment {
            continue;
        }
        let t = file.text[it.range.clone()].trim();
        let Some(rest) = t.strip_prefix('#').map(str::trim_start).and_then(|r| r.strip_prefix("dopt:")) else { continue };
        let rest = rest.trim();
        let (whole, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("ignore") {
            (false, r)
        } else {
            continue;
        };
        let codes = rest.trim().strip_prefix('[').and_then(|r| r.split(']').next()).map(|c| c.split(',').map(|x| x.trim().to_string()).collect());
        let line = if whole { 0 } else { file.line_col(it.range.end).0 };
        out.push(Suppression { line, codes });
    }
    out
}

fn is_suppressed(file: &Dockerfile, sup: &[Suppression], d: &Diagnostic) -> bool {
    if sup.is_empty() {
        return false;
    }
    let line = file.line_col(d.range.start).0;
    let ins_line = file.instructions.iter().find(|i| i.range.contains(&d.range.start)).map(|i| i.start_line).unwrap_or(line);
    sup.iter().any(|s| (s.line == 0 || s.line == ins_line) && s.codes.as_ref().is_none_or(|c| c.iter().any(|x| x == d.code || x == d.name)))
}

/// Two edits conflict when their ranges overlap; an insertion conflicts with a range it falls
/// strictly inside, and with another insertion at the same point (their order is unknown).
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => a.start == b.start,
        (true, false) => b.start < a.start && a.start < b.end,
        (false, true) => a.start < b.start && b.start < a.end,
        (false, false) => a.start < b.end && b.start < a.end,
    }
}

/// Applies non-overlapping edits to `text`.
pub fn splice(text: &str, edits: &[Edit]) -> String {
    let mut es: Vec<&Edit> = edits.iter().collect();
    es.sort_by_key(|e| (e.range.start, e.range.end));
    es.dedup();
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in es {
        if e.range.start < pos {
            continue;
        }
        out.push_str(&text[pos..e.range.start]);
        out.push_str(&e.content);
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests;
