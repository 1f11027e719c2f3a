//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other tools read it.
//!
//! One run: the tool with every rule (id, name, short and full description, help), and a
//! result per finding with its region and, when it has one, its fix as `artifactChanges`
//! (replacements of line/column regions of the input). Columns count Unicode code points
//! (`columnKind`). Findings that share one fix (every RUN one merge folds away) carry it once,
//! on the first of them, so that the log stays linear in the size of the file.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{FileReport, Reporter, Status, Summary};

#[derive(Default)]
pub struct Sarif {
    results: Vec<Value>,
    artifacts: Vec<String>,
}

/// A relative path as a URI reference (percent-encoded, `/` separators); an absolute path as
/// a `file://` URI.
pub fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let abs = p.starts_with('/');
    let p = super::diff::display_path(&p);
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if abs {
        format!("file:///{out}")
    } else {
        out
    }
}

fn location(uri: &str, base: bool) -> Value {
    if base {
        json!({"uri": uri, "uriBaseId": "%SRCROOT%"})
    } else {
        json!({"uri": uri})
    }
}

fn region(file: &crate::syntax::Dockerfile, r: &std::ops::Range<usize>) -> Value {
    let (sl, sc) = file.line_col(r.start);
    let (el, ec) = file.line_col(r.end);
    json!({"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec})
}

fn rules() -> Vec<Value> {
    let mut metas = crate::transforms::metas();
    metas.sort_by_key(|m| m.code);
    metas
        .iter()
        .map(|m| {
            let hadolint = if m.hadolint.is_empty() { String::new() } else { format!(" Resolves hadolint {}.", m.hadolint.join(", ")) };
            let first_para = m.docs.split("\n\n").find(|p| !p.trim_start().starts_with('#')).unwrap_or(m.summary);
            json!({
                "id": m.code,
                "name": pascal(m.name),
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": format!("{}{hadolint}", first_para.split_whitespace().collect::<Vec<_>>().join(" "))},
                "help": {"text": format!("{} (`{}` prints the rule's documentation)", m.summary, super::explain(m.code)), "markdown": m.docs},
                "defaultConfiguration": {"level": "warning"},
                "properties": {"fix": m.fix.label(), "hadolint": m.hadolint, "tags": ["dockerfile"]},
            })
        })
        .collect()
}

/// SARIF rule names are identifiers: `pip-no-cache-dir` → `PipNoCacheDir`.
fn pascal(s: &str) -> String {
    s.split('-').map(|w| {
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    }).collect()
}

impl Reporter for Sarif {
    fn file(&mut self, _w: &mut dyn Write, f: &FileReport) -> io::Result<()> {
        let file = f.file();
        let u = uri(f.path);
        let base = !f.path.replace('\\', "/").starts_with('/');
        let index = self.artifacts.len();
        self.artifacts.push(f.path.to_string());
        let mut codes: Vec<&str> = crate::transforms::metas().iter().map(|m| m.code).collect();
        codes.sort();
        let ids = f.fix_ids();
        for (k, d) in f.outcome.diagnostics.iter().enumerate() {
            let mut loc = location(&u, base);
            loc["index"] = json!(index);
            let status = match f.status_at(k) {
                Status::Fixed if f.mode == super::Mode::Write => "fixed",
                Status::Fixed => "fixable",
                s => super::json::status_name(s),
            };
            let mut r = json!({
                "ruleId": d.code,
                "level": "warning",
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {"artifactLocation": loc.clone(), "region": region(file, &d.range)}}],
                "properties": {"fix": status},
            });
            if let Some(i) = codes.iter().position(|c| *c == d.code) {
                r["ruleIndex"] = json!(i);
            }
            match (ids[k], &d.fix) {
                (Some(first), Some(fix)) if first == k && !fix.edits.is_empty() => {
                    let replacements: Vec<Value> = fix
                        .edits
                        .iter()
                        .map(|e| json!({"deletedRegion": region(file, &e.range), "insertedContent": {"text": e.content}}))
                        .collect();
                    r["fixes"] = json!([{
                        "description": {"text": format!("{} ({} fix)", d.message, match fix.applicability { crate::engine::Applicability::Safe => "safe", _ => "unsafe" })},
                        "artifactChanges": [{"artifactLocation": loc, "replacements": replacements}],
                    }]);
                }
                (Some(first), Some(_)) if first != k => {
                    r["properties"]["sameFixAs"] = json!(format!("{}:{}", d.code, file.line_col(f.outcome.diagnostics[first].range.start).0));
                }
                _ => {}
            }
            self.results.push(r);
        }
        Ok(())
    }
    fn finish(&mut self, w: &mut dyn Write, _s: &Summary) -> io::Result<()> {
        let artifacts: Vec<Value> = self
            .artifacts
            .iter()
            .map(|p| {
                let base = !p.replace('\\', "/").starts_with('/');
                json!({"location": location(&uri(p), base), "sourceLanguage": "dockerfile"})
            })
            .collect();
        let log = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "dopt",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules(),
                }},
                "columnKind": "unicodeCodePoints",
                "artifacts": artifacts,
                "results": self.results,
            }],
        });
        writeln!(w, "{}", serde_json::to_string_pretty(&log).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_names() {
        assert_eq!(uri("./app/My Dockerfile"), "app/My%20Dockerfile");
        assert_eq!(uri("/tmp/x/Dockerfile"), "file:///tmp/x/Dockerfile");
        assert_eq!(pascal("pip-no-cache-dir"), "PipNoCacheDir");
    }
}
