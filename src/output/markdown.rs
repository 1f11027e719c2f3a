//! `--format markdown`: a pull-request body for a bot that runs `dopt --write` on a repository.
//!
//! A summary line (files rewritten, fixes by rule), a table per file, the base-image and stage
//! changes (the size effect dopt can know of), the unsafe fixes listed apart ("applied, review" or
//! "not applied"), and each rule's one-line why. The text depends only on the files: no time,
//! no version, files and rules in a fixed order, so a bot that runs again on the same
//! repository produces the same body and can tell that nothing changed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{explain, rule_summary, FileReport, Mode, Reporter, Status, Summary};
use crate::engine::Applicability;

#[derive(Default)]
pub struct Markdown {
    sections: String,
    /// Fixes by rule code.
    by_rule: BTreeMap<&'static str, usize>,
    /// Codes of every finding reported.
    codes: BTreeMap<&'static str, &'static str>,
    unsafe_applied: Vec<String>,
    unsafe_left: Vec<String>,
    bases: Vec<String>,
    errors: Vec<String>,
    files_with_findings: usize,
    /// Findings gone after the rewrite, by other fixes.
    resolved: usize,
    mode: Option<Mode>,
}

/// Text for a table cell: one line, no `|`.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

impl Reporter for Markdown {
    fn file(&mut self, _w: &mut dyn Write, f: &FileReport) -> io::Result<()> {
        self.mode = Some(f.mode);
        let ds = &f.outcome.diagnostics;
        if ds.is_empty() {
            return Ok(());
        }
        self.files_with_findings += 1;
        let file = f.file();
        let path = super::diff::display_path(f.path);
        let write = f.mode == Mode::Write;
        let mut s = format!("\n### `{path}`\n\n| line | rule | finding | fix |\n| ---: | --- | --- | --- |\n");
        for (k, d) in ds.iter().enumerate() {
            let line = file.line_col(d.range.start).0;
            self.codes.insert(d.code, d.name);
            let is_unsafe = d.fix.as_ref().is_some_and(|x| x.applicability == Applicability::Unsafe);
            let status = f.status_at(k);
            let what = match (status, is_unsafe, write) {
                (Status::Fixed, false, true) => "fixed",
                (Status::Fixed, false, false) => "fixable",
                (Status::Fixed, true, _) => "applied, review",
                (Status::Resolved, ..) => "resolved in the rewrite",
                (Status::UnsafeNotApplied, ..) => "not applied (unsafe)",
                (Status::NotApplied, ..) => "not applied",
                (Status::NoFix, ..) => "advice",
            };
            if status == Status::Resolved {
                self.resolved += 1;
            }
            if status == Status::Fixed {
                *self.by_rule.entry(d.code).or_insert(0) += 1;
                // base images (DP3xx) and stages (DP4xx): what the image is built on
                if d.code.starts_with("DP3") || d.code.starts_with("DP4") {
                    self.bases.push(format!("- `{path}`, {}: {}", d.code, d.message));
                }
            }
            let item = format!("- `{path}` line {line}, {}: {}", d.code, d.message);
            match (status, is_unsafe) {
                (Status::Fixed, true) => self.unsafe_applied.push(item),
                (Status::UnsafeNotApplied, _) => self.unsafe_left.push(item),
                _ => {}
            }
            s.push_str(&format!("| {line} | {} `{}` | {} | {what} |\n", d.code, d.name, cell(&d.message)));
        }
        self.sections.push_str(&s);
        Ok(())
    }

    fn error(&mut self, _w: &mut dyn Write, path: &str, message: &str) -> io::Result<()> {
        self.errors.push(format!("- `{}`: {}", super::diff::display_path(path), message));
        Ok(())
    }

    fn finish(&mut self, w: &mut dyn Write, s: &Summary) -> io::Result<()> {
        let write = s.mode == Some(Mode::Write);
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let fixes: usize = self.by_rule.values().sum();
        let by_rule: Vec<String> = self.by_rule.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        let mut out = String::from("## dopt: Dockerfile fixes\n\n");
        let files = plural(s.files, "Dockerfile", "Dockerfiles");
        if s.changed == 0 {
            out.push_str(&format!("dopt checked {files}: nothing to rewrite.\n"));
        } else {
            let verb = if write { "rewrote" } else { "would rewrite" };
            out.push_str(&format!(
                "dopt {verb} {} of {files}: {} ({}).\n",
                s.changed,
                plural(fixes, if write { "fix applied" } else { "fix" }, if write { "fixes applied" } else { "fixes" }),
                by_rule.join(", ")
            ));
        }
        if self.resolved > 0 {
            out.push_str(&format!(
                "{} resolved in the rewrite (by another fix, or fixed on the rewritten text).\n",
                plural(self.resolved, "finding is", "findings are")
            ));
        }
        let rest = s.findings.saturating_sub(fixes + self.resolved);
        if rest > 0 {
            out.push_str(&format!("{} (see the tables).\n", plural(rest, "finding is left as it is", "findings are left as they are")));
        }
        if !self.bases.is_empty() {
            out.push_str("\n### Base images and stages\n\nWhat the final image is built on, which decides most of its size:\n\n");
            out.push_str(&self.bases.join("\n"));
            out.push('\n');
        }
        if !self.unsafe_applied.is_empty() || !self.unsafe_left.is_empty() {
            out.push_str("\n### Unsafe fixes\n");
            if !self.unsafe_applied.is_empty() {
                out.push_str("\nApplied, review before merging:\n\n");
                out.push_str(&self.unsafe_applied.join("\n"));
                out.push('\n');
            }
            if !self.unsafe_left.is_empty() {
                out.push_str("\nNot applied (`dopt --write --unsafe-fixes` would apply them):\n\n");
                out.push_str(&self.unsafe_left.join("\n"));
                out.push('\n');
            }
        }
        out.push_str(&self.sections);
        if !self.errors.is_empty() {
            out.push_str("\n### Not checked\n\n");
            out.push_str(&self.errors.join("\n"));
            out.push('\n');
        }
        if !self.codes.is_empty() {
            out.push_str("\n### Why\n\n");
            for (code, name) in &self.codes {
                out.push_str(&format!("- **{code}** `{name}`: {} (`{}`)\n", rule_summary(code), explain(code)));
            }
        }
        w.write_all(out.as_bytes())
    }
}
