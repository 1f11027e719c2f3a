//! The builder/runtime splits (DP401-DP404) through the whole pipeline: the split is a
//! foundation fix applied first and alone, then every other rule (apt flags, lists cleanup, RUN
//! merging, exec-form CMD, slim bases) decides again on the new stages, to a fixed point that
//! parses and that a second run does not change. DP301 never moves the runtime a split made.

use std::path::Path;

use dopt::config::Config;
use dopt::engine::{self, Options};
use dopt::model::context::BuildContext;

/// The whole pipeline under `preset` on the Dockerfile at `path` (its directory as the build
/// context). Returns the output and the codes applied.
fn run_file(path: &Path, preset: &str, unsafe_fixes: bool) -> (String, Vec<&'static str>) {
    let text = std::fs::read_to_string(path).unwrap();
    let config = Config::preset(preset).unwrap();
    let rules = dopt::cli::select_rules(&config.select, &config.ignore).expect("the preset's rules");
    let build = BuildContext::new(Some(path.parent().unwrap().to_path_buf()));
    let opts = Options { unsafe_fixes, config: std::sync::Arc::new(config), ..Options::default() };
    let out = engine::run(&text, &rules, &build, &opts).expect("input parses");
    assert!(out.problems.is_empty(), "{}: {:?}", path.display(), out.problems);
    dopt::syntax::parse(&out.output).expect("output parses");
    let again = engine::run(&out.output, &rules, &build, &opts).unwrap();
    assert_eq!(again.output, out.output, "{}: a second run changed the output", path.display());
    (out.output, out.applied.iter().map(|a| a.code).collect())
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The FROM lines of a text.
fn froms(text: &str) -> Vec<String> {
    text.lines().filter(|l| l.to_ascii_uppercase().starts_with("FROM ")).map(str::to_string).collect()
}

#[test]
fn the_examples_split_first_and_settle() {
    let cases = [
        ("go", "glibc", vec!["FROM golang:1.19 AS builder", "FROM scratch"]),
        ("java", "glibc", vec!["FROM eclipse-temurin:17-jdk AS builder", "FROM eclipse-temurin:17-jre"]),
        ("java", "minimal", vec!["FROM eclipse-temurin:17-jdk AS builder", "FROM debian:bookworm-slim"]),
        ("node", "glibc", vec!["FROM node:18 AS builder", "FROM node:18-slim"]),
        ("node", "default", vec!["FROM node:18 AS builder", "FROM node:18-alpine"]),
    ];
    for (ex, preset, want) in cases {
        let path = root().join("examples").join(ex).join("Dockerfile");
        let (out, applied) = run_file(&path, preset, true);
        assert_eq!(froms(&out), want, "{ex} ({preset}):\n{out}");
        assert!(applied.first().is_some_and(|c| c.starts_with("DP40")), "{ex}: the split comes first: {applied:?}");
        assert!(!applied.contains(&"DP301"), "{ex}: DP301 must not move the runtime: {applied:?}\n{out}");
    }
    // the Python example's requirements are pure Python: nothing for a builder to keep out of the
    // runtime, so the slim base (DP301) rather than a virtualenv split
    let (out, applied) = run_file(&root().join("examples/python/Dockerfile"), "glibc", true);
    assert_eq!(froms(&out), vec!["FROM python:3.11-slim-bookworm"], "{out}");
    assert!(!applied.iter().any(|c| c.starts_with("DP40")), "{applied:?}");
    // psycopg2 built from source with gcc: split
    let (out, applied) = run_file(&root().join("tests/build/python-psycopg2/Dockerfile"), "glibc", true);
    assert_eq!(froms(&out), vec!["FROM python:3.11 AS builder", "FROM python:3.11-slim"], "{out}");
    assert_eq!(applied.first(), Some(&"DP403"), "{applied:?}");
}

#[test]
fn the_other_rules_work_on_the_new_stages() {
    let path = root().join("tests/build/python-psycopg2/Dockerfile");
    let (out, _) = run_file(&path, "glibc", true);
    // DP101 on the builder's install, DP103 on the builder's apt (the full image has libc6-dev);
    // the runtime's apt install of the library is already clean
    assert!(out.contains("RUN pip install --no-cache-dir -r requirements.txt"), "{out}");
    assert!(out.contains("apt-get install -y --no-install-recommends libpq-dev gcc\n"), "{out}");
    assert!(out.contains("CMD [\"python\", \"app.py\"]"), "{out}");
    assert!(out.contains("RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*"), "{out}");
    // the prune of the Node builder merged into the install by DP201, ADD became COPY in both stages
    let (out, _) = run_file(&root().join("examples/node/Dockerfile"), "glibc", true);
    assert!(out.contains("npm prune --omit=dev"), "{out}");
    assert!(!out.contains("ADD "), "{out}");
}

#[test]
fn safe_fixes_alone_leave_the_stages_as_they_are() {
    for ex in ["go", "java", "python", "node"] {
        let path = root().join("examples").join(ex).join("Dockerfile");
        let (out, applied) = run_file(&path, "glibc", false);
        assert!(!applied.iter().any(|c| c.starts_with("DP40")), "{ex}: {applied:?}");
        assert_eq!(froms(&out).len(), 1, "{ex}: {out}");
    }
}

#[test]
fn every_fixture_of_the_splits_settles_under_every_preset() {
    for code in ["DP401", "DP402", "DP403", "DP404"] {
        let dir = root().join("tests/fixtures").join(code);
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let df = if p.is_dir() { p.join("Dockerfile") } else { p.clone() };
            for preset in ["default", "glibc", "distroless", "minimal"] {
                let (out, _) = run_file(&df, preset, true);
                // a second split never happens: at most one stage more than the input
                assert!(froms(&out).len() <= froms(&std::fs::read_to_string(&df).unwrap()).len() + 1, "{}: {out}", df.display());
            }
        }
    }
}

#[test]
fn the_hand_written_versions_need_no_split() {
    for ex in ["go", "java", "python", "node"] {
        let path = root().join("examples").join(ex).join("Dockerfile.handwritten");
        let text = std::fs::read_to_string(&path).unwrap();
        let file = dopt::syntax::parse(&text).unwrap();
        let build = BuildContext::new(Some(path.parent().unwrap().to_path_buf()));
        let d = engine::check_with(&file, &dopt::transforms::all(), &build, &Config::preset("glibc").unwrap());
        assert!(!d.iter().any(|d| d.code.starts_with("DP40")), "{ex}: {d:?}");
    }
}
