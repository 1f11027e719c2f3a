//! The text report: one finding a line, `path:line:col: CODE message`.

use crate::engine::{Applicability, Diagnostic};
use crate::syntax::Dockerfile;

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    pub fn bold(&self, s: &str) -> String {
        if self.0 { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() }
    }
    pub fn red(&self, s: &str) -> String {
        if self.0 { format!("\x1b[1;31m{s}\x1b[0m") } else { s.to_string() }
    }
    pub fn cyan(&self, s: &str) -> String {
        if self.0 { format!("\x1b[36m{s}\x1b[0m") } else { s.to_string() }
    }
}

/// How a finding's fix is marked in the report.
pub fn fix_mark(d: &Diagnostic, unsafe_fixes: bool) -> &'static str {
    match d.fix.as_ref().map(|f| f.applicability) {
        Some(Applicability::Safe) => " [*]",
        Some(Applicability::Unsafe) if unsafe_fixes => " [*]",
        Some(Applicability::Unsafe) => " [unsafe fix]",
        _ => "",
    }
}

pub fn line(path: &str, file: &Dockerfile, d: &Diagnostic, paint: Paint, unsafe_fixes: bool) -> String {
    let (l, c) = file.line_col(d.range.start);
    format!("{}:{l}:{c}: {} {}{}", paint.bold(path), paint.red(d.code), d.message, paint.cyan(fix_mark(d, unsafe_fixes)))
}
