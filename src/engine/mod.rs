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

/// A fix: its edits are shared, so that the findings of one fix (every RUN that one merge of
/// 4,000 RUNs merges away, say) hold it once, and cloning a fix costs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Arc<[Edit]>,
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
        Fix { applicability, edits: edits.into(), files: Vec::new(), scope: Scope::Local }
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
    /// Indexes over the whole file that helpers build once per check (see [`Context::memo`]).
    memo: std::cell::RefCell<MemoMap>,
}

/// [`Context::memo`]'s values, by type and key.
type MemoMap = std::collections::HashMap<(std::any::TypeId, &'static str), std::rc::Rc<dyn std::any::Any>>;

impl<'a> Context<'a> {
    pub fn new(file: &'a Dockerfile, model: &'a Model, build: &'a BuildContext) -> Context<'a> {
        Context::with_config(file, model, build, Config::default_ref())
    }

    pub fn with_config(file: &'a Dockerfile, model: &'a Model, build: &'a BuildContext, config: &'a Config) -> Context<'a> {
        let scripts = (0..file.instructions.len()).map(|_| std::sync::OnceLock::new()).collect();
        Context { file, model, build, config, style: Style::of(file), scripts, memo: Default::default() }
    }

    /// A value computed once per file and check: the first call runs `init`, later calls get
    /// the same value. For indexes over the whole file (which SHELL is in force where, which
    /// instructions install which packages) that keep rules linear in the size of the file
    /// when they ask about every instruction. `T` is the key: give each index its own type.
    pub fn memo<T: 'static>(&self, init: impl FnOnce() -> T) -> std::rc::Rc<T> {
        self.memo_keyed("", init)
    }

    /// Like [`Context::memo`], for several values of one type told apart by `key`.
    pub fn memo_keyed<T: 'static>(&self, key: &'static str, init: impl FnOnce() -> T) -> std::rc::Rc<T> {
        let k = (std::any::TypeId::of::<T>(), key);
        if let Some(v) = self.memo.borrow().get(&k) {
            return v.clone().downcast::<T>().expect("memo keyed by type");
        }
        let v = std::rc::Rc::new(init());
        self.memo.borrow_mut().insert(k, v.clone());
        v
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
    // this round's findings: the input's (`diagnostics`) until a round has changed the text
    let mut diags: Option<Vec<Diagnostic>> = None;
    let mut changed = false;
    let mut refused: HashSet<(&'static str, String)> = HashSet::new();
    let mut settled = false;
    for _round in 0..opts.max_rounds {
        let mut cands: Vec<&Diagnostic> = diags
            .as_deref()
            .unwrap_or(&diagnostics)
            .iter()
            .filter(|d| d.fix.as_ref().is_some_and(|f| is_allowed(f, opts) && (!f.edits.is_empty() || !f.files.is_empty())))
            .filter(|d| !refused.contains(&(d.code, d.message.clone())))
            .collect();
        // the span of a fix that many findings share is worked out once
        let mut spans: std::collections::HashMap<*const Edit, (usize, usize)> = std::collections::HashMap::new();
        cands.sort_by_cached_key(|d| {
            let f = d.fix.as_ref().expect("candidates have fixes");
            *spans.entry(f.edits.as_ptr()).or_insert_with(|| f.span().map(|r| (r.start, r.end)).unwrap_or((usize::MAX, 0)))
        });
        let rule_pos = |code: &str| rules.iter().position(|r| r.meta().code == code).unwrap_or(usize::MAX);
        let foundation = cands.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.scope == Scope::Foundation)).min_by_key(|d| rule_pos(d.code)).copied();
        if let Some(d) = foundation {
            cands = vec![d];
        }
        let mut taken: Vec<&Diagnostic> = Vec::new();
        let mut edits: Vec<Edit> = Vec::new();
        let mut taken_set = Taken::default();
        for d in cands {
            let f = d.fix.as_ref().unwrap();
            if taken_set.has_fix(f) || !f.edits.is_empty() && f.edits.iter().all(|e| taken_set.has_edit(e)) {
                continue; // the same edit from another rule, or the fix of another finding: applied once
            }
            if f.edits.iter().any(|e| taken_set.overlaps(&e.range)) {
                continue; // waits for the next round
            }
            let created = |p: &str| out.files.iter().any(|x| x.path == p) || taken.iter().any(|t| t.fix.as_ref().unwrap().files.iter().any(|x| x.path == p));
            if f.edits.is_empty() && !f.files.is_empty() && f.files.iter().all(|fc| created(&fc.path)) {
                continue; // another fix (earlier in this round's order) already writes that file
            }
            taken_set.take(f);
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
        // the last round's findings go before the next round's are made (a large file's peak)
        drop(diags.take());
        diags = Some(check_with(&file, rules, build, &opts.config));
    }
    if !settled {
        out.problems.push(format!("bug: fixes did not settle after {} rounds; the last round's text is kept", opts.max_rounds));
    }
    let mut diags = diags.unwrap_or_else(|| diagnostics.clone());
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

/// The edits taken in a round, indexed so that each look is logarithmic: a round of a file
/// with thousands of fixes stays linear.
#[derive(Default)]
struct Taken {
    fixes: HashSet<*const Edit>,
    edits: HashSet<Edit>,
    /// The ranges taken, by (start, end). They do not overlap one another.
    ranges: std::collections::BTreeSet<(usize, usize)>,
}

impl Taken {
    fn has_fix(&self, f: &Fix) -> bool {
        !f.edits.is_empty() && self.fixes.contains(&f.edits.as_ptr())
    }
    fn has_edit(&self, e: &Edit) -> bool {
        self.edits.contains(e)
    }
    fn take(&mut self, f: &Fix) {
        self.fixes.insert(f.edits.as_ptr());
        for e in f.edits.iter() {
            self.edits.insert(e.clone());
            self.ranges.insert((e.range.start, e.range.end));
        }
    }
    /// Whether `q` overlaps a range taken (see [`overlaps`]).
    fn overlaps(&self, q: &Range<usize>) -> bool {
        // a range that starts before q: only the last one can reach into it (they do not
        // overlap one another, and an insertion there would lie inside it)
        if let Some(&(s, e)) = self.ranges.range(..(q.start, 0)).next_back() {
            if overlaps(q, &(s..e)) {
                return true;
            }
        }
        // ranges that start inside q (or at it): the first few decide
        self.ranges.range((q.start, 0)..=(q.end, usize::MAX)).any(|&(s, e)| overlaps(q, &(s..e)))
    }
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
    es.dedup();
    // the edits do not overlap, so sorted by start they are sorted by end too; `growth[k]` is
    // how much the first k edits lengthen the text
    let mut growth = Vec::with_capacity(es.len() + 1);
    growth.push(0isize);
    for e in &es {
        growth.push(growth.last().unwrap() + e.content.len() as isize - e.range.len() as isize);
    }
    // the edits that end at or before pos, less insertions at pos itself
    let shift = |pos: usize| -> isize {
        let mut k = es.partition_point(|e| e.range.end <= pos);
        while k > 0 && es[k - 1].range.is_empty() && es[k - 1].range.start == pos {
            k -= 1;
        }
        growth[k]
    };
    // the last edit that starts at or before pos (the one with the greatest end among them)
    let mut max_end = Vec::with_capacity(es.len() + 1);
    max_end.push(None);
    for e in &es {
        max_end.push(Some(max_end.last().copied().flatten().unwrap_or(0).max(e.range.end)));
    }
    let last_from = |pos: usize| max_end[es.partition_point(|e| e.range.start <= pos)];
    let new_starts: std::collections::HashMap<usize, usize> = new.instructions.iter().enumerate().map(|(k, n)| (n.range.start, k)).collect();
    for ins in &old.instructions {
        let r = &ins.range;
        let start = (r.start as isize + shift(r.start)) as usize;
        let found = new_starts.get(&start).map(|&k| &new.instructions[k]);
        // an instruction whose start no edit reaches still starts there
        let start_edited = last_from(r.start).is_some_and(|end| end >= r.start);
        if found.is_none() && !start_edited {
            return Err(format!("the instruction at line {} would no longer start where it did", ins.start_line));
        }
        let touched = last_from(r.end).is_some_and(|end| end >= r.start);
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
    if !sup.is_empty() {
        out.retain(|d| !is_suppressed(file, rules, &sup, d));
    }
    out.sort_by(|a, b| (a.range.start, a.code).cmp(&(b.range.start, b.code)));
    out.shrink_to_fit();
    out
}

/// A suppression comment: on the line before an instruction it suppresses findings in that
/// instruction; a file-wide one, anywhere in the file.
///
/// - `# dopt: ignore`, `# dopt: ignore[DP101,pip-no-cache-dir]`, `# dopt: ignore-file[...]`;
/// - `# hadolint ignore=DL3008,DL3015` and `# hadolint global ignore=...`: the dopt rules that
///   resolve those hadolint codes (`RuleMeta::hadolint`);
/// - `# tally ignore=...` and `# tally global ignore=...`, with tally's codes (`hadolint/DL3008`
///   or `DL3008`) or dopt's.
struct Suppression {
    /// 1-based line the suppression applies to (0: the whole file).
    line: usize,
    /// None: every rule.
    codes: Option<Vec<String>>,
}

fn suppressions(file: &Dockerfile) -> Vec<Suppression> {
    let mut out = Vec::new();
    for it in &file.items {
        if it.kind != syntax::ItemKind::Comment {
            continue;
        }
        let t = file.text[it.range.clone()].trim();
        let Some(body) = t.strip_prefix('#').map(str::trim_start) else { continue };
        let next_line = || file.line_col(it.range.end).0;
        if let Some(rest) = body.strip_prefix("dopt:") {
            let rest = rest.trim();
            let (whole, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("ignore") {
                (false, r)
            } else {
                continue;
            };
            let codes = rest.trim().strip_prefix('[').and_then(|r| r.split(']').next()).map(|c| c.split(',').map(|x| x.trim().to_string()).collect());
            out.push(Suppression { line: if whole { 0 } else { next_line() }, codes });
            continue;
        }
        // `# hadolint ignore=A,B`, `# hadolint global ignore=A`, and the same with `tally`
        let Some(rest) = body.strip_prefix("hadolint").or_else(|| body.strip_prefix("tally")) else { continue };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        let rest = rest.trim_start();
        let (whole, rest) = match rest.strip_prefix("global") {
            Some(r) if r.starts_with([' ', '\t']) => (true, r.trim_start()),
            _ => (false, rest),
        };
        let Some(list) = rest.strip_prefix("ignore").map(str::trim_start).and_then(|r| r.strip_prefix('=')) else { continue };
        let list = list.split_whitespace().next().unwrap_or("");
        let codes: Vec<String> = list.split(',').map(|c| c.trim()).filter(|c| !c.is_empty()).map(|c| c.strip_prefix("hadolint/").unwrap_or(c).to_string()).collect();
        if codes.is_empty() {
            continue;
        }
        out.push(Suppression { line: if whole { 0 } else { next_line() }, codes: Some(codes) });
    }
    out
}

fn is_suppressed(file: &Dockerfile, rules: &[&dyn Rule], sup: &[Suppression], d: &Diagnostic) -> bool {
    let line = file.line_col(d.range.start).0;
    // the instruction the finding is in (instructions are in order, and do not overlap)
    let k = file.instructions.partition_point(|i| i.range.start <= d.range.start);
    let ins_line = k.checked_sub(1).map(|k| &file.instructions[k]).filter(|i| i.range.contains(&d.range.start)).map(|i| i.start_line).unwrap_or(line);
    let hadolint = rules.iter().map(|r| r.meta()).find(|m| m.code == d.code).map(|m| m.hadolint).unwrap_or(&[]);
    let names = |x: &String| x == d.code || x == d.name || hadolint.iter().any(|h| h.eq_ignore_ascii_case(x));
    sup.iter().any(|s| (s.line == 0 || s.line == ins_line) && s.codes.as_ref().is_none_or(|c| c.iter().any(names)))
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
