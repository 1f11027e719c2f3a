//! Whole-corpus checks over `../shared/corpus/files` (real Dockerfiles from public repositories).
//! The corpus lives outside the repository; these tests fail loudly when it is missing, unless
//! `DOPT_SKIP_CORPUS=1` says to skip them on purpose.

use std::path::PathBuf;

use dopt::engine::{self, Options};
use dopt::model::context::BuildContext;

fn corpus() -> Option<Vec<(PathBuf, String)>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    if !dir.is_dir() {
        if std::env::var("DOPT_SKIP_CORPUS").as_deref() == Ok("1") {
            eprintln!("corpus missing at {}: skipped (DOPT_SKIP_CORPUS=1)", dir.display());
            return None;
        }
        panic!("the shared corpus is missing at {} (set DOPT_SKIP_CORPUS=1 to skip these tests)", dir.display());
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let out: Vec<_> = files
        .into_iter()
        .filter_map(|p| {
            let b = std::fs::read(&p).unwrap();
            String::from_utf8(b).ok().map(|t| (p, t))
        })
        .collect();
    assert!(out.len() > 100, "the corpus looks truncated: {} files", out.len());
    Some(out)
}

#[test]
fn parse_then_print_is_byte_identical() {
    let Some(files) = corpus() else { return };
    for (p, text) in &files {
        let d = dopt::syntax::parse(text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(d.print(), *text, "{}", p.display());
        // items cover the file without gaps or overlaps
        let mut pos = 0;
        for it in &d.items {
            assert_eq!(it.range.start, pos, "{}: gap before {:?}", p.display(), it);
            pos = it.range.end;
        }
        assert_eq!(pos, text.len(), "{}", p.display());
    }
}

#[test]
fn every_rule_with_unsafe_fixes_keeps_files_parseable_and_is_idempotent() {
    let Some(files) = corpus() else { return };
    let rules = dopt::transforms::all();
    let ctx = BuildContext::default();
    let opts = Options { unsafe_fixes: true, ..Options::default() };
    let mut changed = 0;
    for (p, text) in &files {
        let out = engine::run(text, &rules, &ctx, &opts).unwrap();
        assert!(out.problems.is_empty(), "{}: {:?}", p.display(), out.problems);
        let reparsed = dopt::syntax::parse(&out.output).unwrap_or_else(|e| panic!("{}: output does not parse: {e}", p.display()));
        assert_eq!(reparsed.print(), out.output);
        let again = engine::run(&out.output, &rules, &ctx, &opts).unwrap();
        assert_eq!(again.output, out.output, "{}: a second run changed the output", p.display());
        if out.output != *text {
            changed += 1;
        }
    }
    assert!(changed > 0, "no corpus file was changed at all");
}
