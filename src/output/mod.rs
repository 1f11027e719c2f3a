//! What dopt prints and writes: reports in each `--format`, unified diffs, the JSON of
//! `dopt parse`, and safe in-place writes. Output never re-decides what a rule decided.
//!
//! A report format is a [`Reporter`]: it is handed each file's [`FileReport`] in the order of
//! the command line (whatever order the threads finished in), then the [`Summary`].

pub mod diff;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod markdown;
pub mod parse_json;
pub mod report;
pub mod sarif;
pub mod write;

use std::io::{self, Write};
use std::path::Path;

use crate::engine::{Applicability, Diagnostic, Edit, Outcome};
use crate::syntax::Dockerfile;

/// What was done to the files: only reported, or rewritten (`--write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Findings only; fixes are what `--write` would do.
    Report,
    /// `--write`: fixes were applied.
    Write,
}

/// One file's findings and fixes, as reporters see them.
pub struct FileReport<'a> {
    /// The path as given or found (`-` or `--stdin-filename` for stdin).
    pub path: &'a str,
    pub outcome: &'a Outcome,
    pub unsafe_fixes: bool,
    pub mode: Mode,
    /// The build context directory, where files a fix creates go.
    pub context_dir: Option<&'a Path>,
    /// What happened to each finding, worked out once (see [`FileReport::status`]).
    statuses: std::cell::OnceCell<Vec<Status>>,
}

/// What happened to a finding's fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Its fix is part of the rewrite (applied by `--write`; in a `--write` run, applied).
    Fixed,
    /// Its own fix was not applied as it was, but the finding is gone after the rewrite: another
    /// fix made it moot (a stage split that replaced the base it was about), or it was fixed in
    /// a later round on the changed text.
    Resolved,
    /// An unsafe fix, left out without `--unsafe-fixes`.
    UnsafeNotApplied,
    /// A fix that was not applied (another fix changed the text it was for, or dopt refused
    /// it as a bug).
    NotApplied,
    /// Advice: no fix.
    NoFix,
}

impl<'a> FileReport<'a> {
    pub fn new(path: &'a str, outcome: &'a Outcome, unsafe_fixes: bool, mode: Mode, context_dir: Option<&'a Path>) -> FileReport<'a> {
        FileReport { path, outcome, unsafe_fixes, mode, context_dir, statuses: std::cell::OnceCell::new() }
    }

    pub fn file(&self) -> &Dockerfile {
        &self.outcome.input
    }

    /// Whether the rewrite changes anything (and was not refused).
    pub fn changed(&self) -> bool {
        self.outcome.changed() && self.outcome.problems.is_empty()
    }

    /// What happened to diagnostic `k` of the input.
    pub fn status_at(&self, k: usize) -> Status {
        self.statuses.get_or_init(|| self.work_out_statuses())[k]
    }

    /// What happened to `d`, one of the input's diagnostics.
    pub fn status(&self, d: &Diagnostic) -> Status {
        match self.outcome.diagnostics.iter().position(|x| std::ptr::eq(x, d)) {
            Some(k) => self.status_at(k),
            None => Status::NotApplied,
        }
    }

    fn work_out_statuses(&self) -> Vec<Status> {
        use std::collections::HashSet;
        let o = self.outcome;
        let applied: HashSet<(&str, &str)> = o.applied.iter().map(|a| (a.code, a.message.as_str())).collect();
        let remaining: HashSet<(&str, &str)> = o.remaining.iter().map(|r| (r.code, r.message.as_str())).collect();
        // a fix several findings share counts as applied for each of them
        let applied_fixes: HashSet<*const Edit> = o
            .diagnostics
            .iter()
            .filter(|d| applied.contains(&(d.code, d.message.as_str())))
            .filter_map(|d| d.fix.as_ref().filter(|f| !f.edits.is_empty()).map(|f| f.edits.as_ptr()))
            .collect();
        let changed = self.changed();
        o.diagnostics
            .iter()
            .map(|d| {
                let Some(f) = &d.fix else { return Status::NoFix };
                let allowed = match f.applicability {
                    Applicability::Safe => true,
                    Applicability::Unsafe => self.unsafe_fixes,
                    Applicability::DisplayOnly => return Status::NoFix,
                };
                if f.edits.is_empty() && f.files.is_empty() {
                    return Status::NoFix;
                }
                if !allowed {
                    return Status::UnsafeNotApplied;
                }
                if !changed {
                    return Status::NotApplied;
                }
                let key = (d.code, d.message.as_str());
                if applied.contains(&key) || !f.edits.is_empty() && applied_fixes.contains(&f.edits.as_ptr()) {
                    Status::Fixed
                } else if !remaining.contains(&key) {
                    Status::Resolved
                } else {
                    Status::NotApplied
                }
            })
            .collect()
    }

    /// The unified diff of the whole rewrite, files a fix creates included (empty when nothing
    /// changes).
    pub fn diff(&self) -> String {
        if !self.changed() {
            return String::new();
        }
        let mut s = diff::unified(&self.outcome.input.text, &self.outcome.output, self.path);
        for fc in &self.outcome.files {
            s.push_str(&diff::new_file(fc.before.as_deref(), &fc.after, &self.created_path(&fc.path)));
        }
        s
    }

    /// The path of a file a fix creates, as the user sees it.
    pub fn created_path(&self, rel: &str) -> String {
        match self.context_dir {
            Some(d) => d.join(rel).display().to_string(),
            None => rel.to_string(),
        }
    }

    /// The diff of one finding's fix on its own, applied to the input.
    pub fn fix_diff(&self, d: &Diagnostic) -> Option<String> {
        let f = d.fix.as_ref().filter(|f| !f.edits.is_empty())?;
        let text = &self.outcome.input.text;
        Some(diff::unified(text, &crate::engine::splice(text, &f.edits), self.path))
    }

    /// For each diagnostic, the index of the first diagnostic of the file with the same fix
    /// (itself when it is the first): one merge's fix is listed once, not once per finding.
    pub fn fix_ids(&self) -> Vec<Option<usize>> {
        let ds = &self.outcome.diagnostics;
        let mut firsts: std::collections::HashMap<*const Edit, usize> = std::collections::HashMap::new();
        ds.iter()
            .enumerate()
            .map(|(k, d)| {
                let f = d.fix.as_ref().filter(|f| !f.edits.is_empty() || !f.files.is_empty())?;
                if f.edits.is_empty() {
                    return Some(k);
                }
                Some(*firsts.entry(f.edits.as_ptr()).or_insert(k))
            })
            .collect()
    }
}

/// An edit as reporters show it: where, in lines and columns of the input (1-based; columns
/// count characters), and the new text.
#[derive(serde::Serialize)]
pub struct EditPos<'a> {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets into the input.
    pub range: [usize; 2],
    pub content: &'a str,
}

pub fn edit_pos<'a>(file: &Dockerfile, e: &'a Edit) -> EditPos<'a> {
    let (start_line, start_column) = file.line_col(e.range.start);
    let (end_line, end_column) = file.line_col(e.range.end);
    EditPos { start_line, start_column, end_line, end_column, range: [e.range.start, e.range.end], content: &e.content }
}

/// Totals of a run.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files: usize,
    pub findings: usize,
    pub changed: usize,
    /// Fixes applied (`--write`) or that `--write` would apply.
    pub fixed: usize,
    pub errors: usize,
    pub mode: Option<Mode>,
}

/// A report format.
pub trait Reporter {
    fn file(&mut self, w: &mut dyn Write, f: &FileReport) -> io::Result<()>;
    /// A file dopt could not read or refused (exit 2); its message is on stderr too.
    fn error(&mut self, _w: &mut dyn Write, _path: &str, _message: &str) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, w: &mut dyn Write, s: &Summary) -> io::Result<()>;
}

/// The command a rule's documentation is printed with.
pub fn explain(code: &str) -> String {
    format!("dopt explain {code}")
}

/// The one-line summary of a rule, by code.
pub fn rule_summary(code: &str) -> &'static str {
    crate::transforms::find(code).map(|r| r.meta().summary).unwrap_or("")
}
