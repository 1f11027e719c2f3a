//! Snapshot tests of every rule on its fixtures.
//!
//! A fixture is `tests/fixtures/<CODE>/<case>.dockerfile` (no build context), or
//! `tests/fixtures/<CODE>/<case>/Dockerfile` with its build context beside it. The rule runs
//! alone; the snapshot shows its findings, the diff of its safe fixes and the diff with unsafe
//! fixes too. Every fixed output must parse, and a second run must change nothing.

use std::path::Path;

use dopt::engine::{self, Applicability, Options};
use dopt::model::context::BuildContext;
use dopt::output::diff;

fn render(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let rel = path.strip_prefix(&fixtures).unwrap();
    let code = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    let rule = dopt::transforms::find(&code).unwrap_or_else(|| panic!("no rule {code} for {}", path.display()));
    let ctx_dir = if path.file_name().unwrap() == "Dockerfile" { Some(path.parent().unwrap().to_path_buf()) } else { None };
    let mut out = String::new();
    for unsafe_fixes in [false, true] {
        let ctx = BuildContext::new(ctx_dir.clone());
        let opts = Options { unsafe_fixes, ..Options::default() };
        let o = engine::run(&text, &[rule], &ctx, &opts).expect("fixture parses");
        assert!(o.problems.is_empty(), "{}: {:?}", path.display(), o.problems);
        dopt::syntax::parse(&o.output).expect("output parses");
        let again = engine::run(&o.output, &[rule], &ctx, &opts).unwrap();
        assert_eq!(again.output, o.output, "{}: a second run changed the output", path.display());
        if !unsafe_fixes {
            for d in &o.diagnostics {
                let (l, c) = o.input.line_col(d.range.start);
                let fix = match d.fix.as_ref().map(|f| f.applicability) {
                    Some(Applicability::Safe) => "safe fix",
                    Some(Applicability::Unsafe) => "unsafe fix",
                    _ => "no fix",
                };
                out.push_str(&format!("{l}:{c}: {} {} ({fix})\n", d.code, d.message));
            }
            if o.diagnostics.is_empty() {
                out.push_str("(no findings)\n");
            }
        }
        let d = diff::unified(&o.input.text, &o.output, "Dockerfile");
        let mut files = String::new();
        for f in &o.files {
            files.push_str(&diff::new_file(f.before.as_deref(), &f.after, &f.path));
        }
        out.push_str(if unsafe_fixes { "\n--- with --unsafe-fixes ---\n" } else { "\n--- fixes ---\n" });
        out.push_str(if d.is_empty() && files.is_empty() { "(no change)\n" } else { "" });
        out.push_str(&d);
        out.push_str(&files);
    }
    out
}

/// Every fixture: `(snapshot name, path)`, sorted.
fn fixtures() -> Vec<(String, std::path::PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for code in std::fs::read_dir(&root).unwrap() {
        let code = code.unwrap().path();
        let c = code.file_name().unwrap().to_string_lossy().into_owned();
        for case in std::fs::read_dir(&code).unwrap() {
            let case = case.unwrap().path();
            let n = case.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(stem) = n.strip_suffix(".dockerfile") {
                out.push((format!("{c}-{stem}"), case));
            } else if case.join("Dockerfile").is_file() {
                out.push((format!("{c}-{n}"), case.join("Dockerfile")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rule_fixtures() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/rules");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let all = fixtures();
    assert!(!all.is_empty());
    let mut failed = Vec::new();
    for (name, path) in &all {
        settings.set_input_file(path);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name.as_str(), render(path)));
        }));
        if r.is_err() {
            failed.push(name.clone());
        }
    }
    assert!(failed.is_empty(), "fixtures whose snapshot differs or that failed: {failed:?}");
}
