//! `--format gitlab`: a GitLab Code Quality report (a JSON list of issues with `description`,
//! `check_name`, `fingerprint`, `severity` and `location`).
//!
//! A fingerprint is a hash of the path, the rule, the message (line numbers in it left out),
//! the text of the instruction the finding is in (whitespace collapsed) and which occurrence of
//! all these it is. It does not hold line numbers, so it stays the same across runs, and when lines above the finding come
//! or go; GitLab compares the issues of two pipelines by it.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{FileReport, Reporter, Summary};

/// A 128-bit FNV-1a hash, as 32 hex digits (two 64-bit hashes with different offsets).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut out = String::new();
    for offset in [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64] {
        let mut h = offset;
        for p in parts {
            for b in p.bytes().chain(std::iter::once(0u8)) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

fn line_numbers() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| regex::Regex::new(r"\blines? \d+").expect("a valid regex"))
}

#[derive(Default)]
pub struct Gitlab {
    issues: Vec<Value>,
}

impl Reporter for Gitlab {
    fn file(&mut self, _w: &mut dyn Write, f: &FileReport) -> io::Result<()> {
        let file = f.file();
        let path = super::diff::display_path(f.path);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for d in &f.outcome.diagnostics {
            let (line, _) = file.line_col(d.range.start);
            let (end_line, _) = file.line_col(d.range.end);
            let k = file.instructions.partition_point(|i| i.range.start <= d.range.start);
            let ins = k.checked_sub(1).map(|k| &file.instructions[k]).filter(|i| i.range.contains(&d.range.start));
            let text = ins.map(|i| file.text[i.range.clone()].split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
            // a message that names another line ("the RUN at line 6") names it by number
            let message = line_numbers().replace_all(&d.message, "line N");
            let base = fingerprint(&[&path, d.code, &message, &text]);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let fp = if *n == 1 { base } else { fingerprint(&[&base, &n.to_string()]) };
            self.issues.push(json!({
                "type": "issue",
                "check_name": d.code,
                "description": format!("{} {}: {}", d.code, d.name, d.message),
                "categories": ["Performance"],
                "severity": "minor",
                "fingerprint": fp,
                "location": {"path": path, "lines": {"begin": line, "end": end_line}},
            }));
        }
        Ok(())
    }
    fn finish(&mut self, w: &mut dyn Write, _s: &Summary) -> io::Result<()> {
        writeln!(w, "{}", serde_json::to_string_pretty(&self.issues).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_fixed_values() {
        // a change of the hash would change every fingerprint GitLab has stored
        assert_eq!(fingerprint(&["a"]), fingerprint(&["a"]));
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&[]), "cbf29ce484222325 6c62272e07bb0142".replace(' ', ""));
        assert_eq!(fingerprint(&["a"]).len(), 32);
    }
}
