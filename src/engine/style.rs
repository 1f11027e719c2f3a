//! The file's own style, so that generated text blends in: keyword case, the indentation of
//! continuation lines, the escape character and line endings.

use crate::syntax::{Dockerfile, LineEnding};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// Keywords are written in lower case in this file.
    pub lowercase_keywords: bool,
    /// The indentation of continuation lines (four spaces when the file has none).
    pub indent: String,
    pub escape: char,
    pub line_ending: LineEnding,
}

impl Style {
    pub fn of(file: &Dockerfile) -> Style {
        let mut lower = 0;
        let mut upper = 0;
        for i in &file.instructions {
            let k = &i.node.keyword;
            if k.chars().all(|c| !c.is_ascii_uppercase()) && !k.is_empty() {
                lower += 1;
            } else if k.chars().all(|c| !c.is_ascii_lowercase()) {
                upper += 1;
            }
        }
        Style {
            lowercase_keywords: lower > upper,
            indent: continuation_indent(file).unwrap_or_else(|| "    ".to_string()),
            escape: file.escape,
            line_ending: file.line_ending,
        }
    }

    /// A keyword in the file's case.
    pub fn keyword(&self, k: &str) -> String {
        if self.lowercase_keywords {
            k.to_ascii_lowercase()
        } else {
            k.to_ascii_uppercase()
        }
    }

    /// The text that breaks a line inside an instruction: ` \` + line ending + indentation.
    pub fn line_break(&self) -> String {
        format!(" {}{}{}", self.escape, self.line_ending.as_str(), self.indent)
    }

    pub fn eol(&self) -> &'static str {
        self.line_ending.as_str()
    }
}

/// The most common indentation of continuation lines in the file.
fn continuation_indent(file: &Dockerfile) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for ins in &file.instructions {
        if ins.start_line == ins.end_line {
            continue;
        }
        let body_end = ins.header_end;
        let text = &file.text[ins.range.start..body_end];
        for line in text.split('\n').skip(1) {
            let t = line.trim_end_matches('\r');
            if t.trim().is_empty() || t.trim_start().starts_with('#') {
                continue;
            }
            let n = t.len() - t.trim_start_matches([' ', '\t']).len();
            if n == 0 {
                continue;
            }
            let ind = t[..n].to_string();
            match counts.iter_mut().find(|(i, _)| *i == ind) {
                Some((_, c)) => *c += 1,
                None => counts.push((ind, 1)),
            }
        }
    }
    counts.into_iter().max_by_key(|(_, c)| *c).map(|(i, _)| i)
}
