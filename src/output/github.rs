//! `--format github`: GitHub Actions workflow commands, which the Actions runner turns into
//! annotations on the pull request's files:
//! `::warning file=app/Dockerfile,line=2,col=5,endLine=2,endColumn=22,title=DP101 pip-no-cache-dir::message`.

use std::io::{self, Write};

use super::{FileReport, Reporter, Status, Summary};

/// Escapes the message of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property of a workflow command (`file=`, `title=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[derive(Default)]
pub struct Github;

impl Reporter for Github {
    fn file(&mut self, w: &mut dyn Write, f: &FileReport) -> io::Result<()> {
        let file = f.file();
        let path = super::diff::display_path(f.path);
        for (k, d) in f.outcome.diagnostics.iter().enumerate() {
            let (l, c) = file.line_col(d.range.start);
            let (el, ec) = file.line_col(d.range.end);
            let note = match f.status_at(k) {
                Status::Fixed | Status::Resolved if f.mode == super::Mode::Write => " (fixed)",
                Status::Fixed => " (dopt --write fixes it)",
                Status::Resolved => " (gone after dopt --write)",
                Status::UnsafeNotApplied => " (dopt --write --unsafe-fixes fixes it; review)",
                _ => "",
            };
            writeln!(
                w,
                "::warning file={},line={l},col={c},endLine={el},endColumn={ec},title={}::{}",
                property(&path),
                property(&format!("{} {}", d.code, d.name)),
                data(&format!("{}{note}", d.message))
            )?;
        }
        Ok(())
    }
    fn error(&mut self, w: &mut dyn Write, path: &str, message: &str) -> io::Result<()> {
        writeln!(w, "::error file={},title=dopt::{}", property(&super::diff::display_path(path)), data(message))
    }
    fn finish(&mut self, w: &mut dyn Write, s: &Summary) -> io::Result<()> {
        writeln!(w, "dopt: {} findings in {} files; {} files to rewrite.", s.findings, s.files, s.changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
