//! `--format json` (a list of findings) and `--format jsonl` (JSON Lines: a record per finding
//! as each file is done, a record per file, then a summary; for streaming large runs).
//!
//! A finding: `path`, `line`, `column`, `end_line`, `end_column`, `code`, `name`, `message`,
//! `fix` (`safe`, `unsafe`, `display-only` or null), `fixed` (the finding is gone after the
//! rewrite), `status` (`fixed`: by its own fix; `resolved`: by another fix, or later on the
//! changed text; `unsafe-not-applied`, `not-applied`, `no-fix`),
//! `explain` (the command that prints the rule's documentation), `fix_id`, `edits` and `diff`.
//! Findings that share one fix (every RUN one merge folds away) have the same `fix_id`; its
//! `edits` and `diff` (the unified diff of that fix alone) are given with the first of them
//! and are null in the others, so that output stays linear in the size of the file.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};

use super::{edit_pos, explain, FileReport, Reporter, Status, Summary};
use crate::engine::Applicability;

#[derive(Serialize)]
struct Finding<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "type")]
    kind: Option<&'static str>,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    code: &'static str,
    name: &'static str,
    message: &'a str,
    fix: Option<Applicability>,
    fixed: bool,
    status: &'static str,
    explain: String,
    fix_id: Option<usize>,
    edits: Option<Vec<super::EditPos<'a>>>,
    diff: Option<String>,
}

/// How a finding's status is spelled in JSON (and SARIF properties).
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Fixed => "fixed",
        Status::Resolved => "resolved",
        Status::UnsafeNotApplied => "unsafe-not-applied",
        Status::NotApplied => "not-applied",
        Status::NoFix => "no-fix",
    }
}

/// The findings of a file as JSON values (with `"type": "finding"` for JSON Lines).
fn findings(f: &FileReport, typed: bool) -> Vec<Value> {
    let file = f.file();
    let ids = f.fix_ids();
    f.outcome
        .diagnostics
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let (line, column) = file.line_col(d.range.start);
            let (end_line, end_column) = file.line_col(d.range.end);
            let first = ids[k] == Some(k);
            let fix = d.fix.as_ref().filter(|_| first);
            let v = Finding {
                kind: typed.then_some("finding"),
                path: f.path,
                line,
                column,
                end_line,
                end_column,
                code: d.code,
                name: d.name,
                message: &d.message,
                fix: d.fix.as_ref().map(|f| f.applicability),
                fixed: matches!(f.status_at(k), Status::Fixed | Status::Resolved),
                status: status_name(f.status_at(k)),
                explain: explain(d.code),
                fix_id: ids[k],
                edits: fix.map(|x| x.edits.iter().map(|e| edit_pos(file, e)).collect()),
                diff: fix.and_then(|_| f.fix_diff(d)),
            };
            serde_json::to_value(v).unwrap_or_default()
        })
        .collect()
}

/// `--format json`: one JSON list of every finding, printed at the end.
#[derive(Default)]
pub struct Json {
    all: Vec<Value>,
}

impl Reporter for Json {
    fn file(&mut self, _w: &mut dyn Write, f: &FileReport) -> io::Result<()> {
        self.all.extend(findings(f, false));
        Ok(())
    }
    fn finish(&mut self, w: &mut dyn Write, _s: &Summary) -> io::Result<()> {
        writeln!(w, "{}", serde_json::to_string_pretty(&self.all).unwrap_or_default())
    }
}

/// `--format jsonl`: a line per finding and per file as each file is done, then a summary.
#[derive(Default)]
pub struct JsonLines;

impl Reporter for JsonLines {
    fn file(&mut self, w: &mut dyn Write, f: &FileReport) -> io::Result<()> {
        for v in findings(f, true) {
            writeln!(w, "{v}")?;
        }
        let created: Vec<String> = f.outcome.files.iter().map(|fc| f.created_path(&fc.path)).collect();
        let diff = f.diff();
        let v = json!({
            "type": "file",
            "path": f.path,
            "findings": f.outcome.diagnostics.len(),
            "changed": f.changed(),
            "written": f.changed() && f.mode == super::Mode::Write,
            "creates": created,
            "diff": if diff.is_empty() { Value::Null } else { Value::String(diff) },
        });
        writeln!(w, "{v}")
    }
    fn error(&mut self, w: &mut dyn Write, path: &str, message: &str) -> io::Result<()> {
        writeln!(w, "{}", json!({"type": "error", "path": path, "message": message}))
    }
    fn finish(&mut self, w: &mut dyn Write, s: &Summary) -> io::Result<()> {
        let v = json!({
            "type": "summary",
            "files": s.files,
            "findings": s.findings,
            "changed": s.changed,
            "fixed": s.fixed,
            "errors": s.errors,
        });
        writeln!(w, "{v}")
    }
}
