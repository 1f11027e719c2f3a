//! Each `--format` on a fixture set (`tests/format_fixtures/repo`: three Dockerfiles with safe,
//! unsafe and advice findings, a shared merge fix, and hadolint/tally suppressions), as
//! snapshots; JSON outputs are checked against their contracts too. `INSTA_UPDATE=always cargo
//! test --test formats` writes new snapshots; review them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dopt_in(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_dopt")).args(args).current_dir(dir).env_remove("NO_COLOR").output().unwrap();
    (String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap(), o.status.code().unwrap_or(-1))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format_fixtures")
}

/// A copy of the fixture set in a fresh directory, for `--write`.
fn copy(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dopt-formats-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let src = fixtures().join("repo");
    for e in walk(&src) {
        let to = d.join("repo").join(e.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&e, &to).unwrap();
    }
    d
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walk(&e));
        } else {
            out.push(e);
        }
    }
    out.sort();
    out
}

fn snap(name: &str, text: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(fixtures().join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn each_format_on_the_fixture_set() {
    for f in ["text", "json", "jsonl", "sarif", "github", "gitlab", "markdown"] {
        let (out, err, code) = dopt_in(&fixtures(), &["--format", f, "repo"]);
        assert_eq!(code, 1, "{f}: {err}");
        snap(&format!("report-{f}"), &out);
    }
}

#[test]
fn the_output_does_not_depend_on_the_number_of_jobs() {
    for f in ["text", "jsonl", "sarif", "markdown"] {
        let one = dopt_in(&fixtures(), &["--format", f, "-j", "1", "repo"]);
        for j in ["2", "8"] {
            assert_eq!(dopt_in(&fixtures(), &["--format", f, "-j", j, "repo"]), one, "{f} with -j {j}");
        }
    }
}

#[test]
fn markdown_body_of_a_write_run_is_stable() {
    let d = copy("md");
    let (out, err, code) = dopt_in(&d, &["--write", "--unsafe-fixes", "--format", "markdown", "repo"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Fixed "), "{err}");
    snap("write-markdown-unsafe", &out);
    // a bot that runs again on the same repository (before its rewrite is merged) gets the
    // same body
    let d2 = copy("md2");
    let (out2, ..) = dopt_in(&d2, &["--write", "--unsafe-fixes", "--format", "markdown", "repo"]);
    assert_eq!(out, out2);
    // and on the rewritten repository: nothing left to do
    let (again, _, code) = dopt_in(&d, &["--write", "--unsafe-fixes", "--format", "markdown", "repo"]);
    assert_eq!(code, 0);
    assert!(again.contains("nothing to rewrite"), "{again}");
    let (out, ..) = dopt_in(&d2, &["--check", "--format", "markdown", "repo"]);
    assert!(out.contains("nothing to rewrite"), "{out}");
    std::fs::remove_dir_all(&d).unwrap();
    std::fs::remove_dir_all(&d2).unwrap();
}

#[test]
fn json_findings_carry_their_fix() {
    let (out, ..) = dopt_in(&fixtures(), &["--format", "json", "repo"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let all = v.as_array().unwrap();
    for f in all {
        assert_eq!(f["explain"], format!("dopt explain {}", f["code"].as_str().unwrap()));
        // a fix is listed with the first finding that has it; the others name it by fix_id
        if f["fix_id"].is_null() {
            assert!(f["edits"].is_null() && f["diff"].is_null(), "{f}");
        }
    }
    // the two RUNs one merge folds away share one fix, listed once
    let merges: Vec<_> = all.iter().filter(|f| f["code"] == "DP201" && f["path"] == "repo/api/Dockerfile").collect();
    assert_eq!(merges.len(), 2);
    assert_eq!(merges[0]["fix_id"], merges[1]["fix_id"]);
    assert!(merges[0]["edits"].as_array().is_some_and(|e| !e.is_empty()) && merges[1]["edits"].is_null());
    // applying a finding's edits (byte ranges, from the end) gives the text its diff shows
    let pip = all.iter().find(|f| f["code"] == "DP101").unwrap();
    let text = std::fs::read_to_string(fixtures().join("repo/api/Dockerfile")).unwrap();
    let mut t = text.clone();
    let mut edits: Vec<_> = pip["edits"].as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e["range"][0].as_u64().unwrap()));
    for e in edits {
        let (a, b) = (e["range"][0].as_u64().unwrap() as usize, e["range"][1].as_u64().unwrap() as usize);
        t.replace_range(a..b, e["content"].as_str().unwrap());
    }
    assert!(t.contains("pip install --no-cache-dir -r requirements.txt"), "{t}");
    assert!(pip["diff"].as_str().unwrap().contains("+RUN pip install --no-cache-dir -r requirements.txt"));
    assert_eq!(pip["fixed"], true);
    // the unsafe ones are not part of the rewrite without --unsafe-fixes
    assert!(all.iter().filter(|f| f["fix"] == "unsafe").all(|f| f["fixed"] == false));
}

#[test]
fn jsonl_streams_findings_files_and_a_summary() {
    let (out, ..) = dopt_in(&fixtures(), &["--format", "jsonl", "repo"]);
    let recs: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let files: Vec<_> = recs.iter().filter(|r| r["type"] == "file").collect();
    assert_eq!(files.len(), 3);
    assert!(files.iter().all(|f| f["changed"] == true && f["diff"].as_str().is_some_and(|d| d.starts_with("--- a/repo/"))));
    let last = recs.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["findings"].as_u64().unwrap() as usize, recs.iter().filter(|r| r["type"] == "finding").count());
}

#[test]
fn sarif_has_rules_results_regions_and_fixes() {
    let (out, ..) = dopt_in(&fixtures(), &["--format", "sarif", "repo"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), dopt::transforms::metas().len());
    for r in rules {
        for k in ["id", "name", "shortDescription", "fullDescription", "help"] {
            assert!(!r[k].is_null(), "rule without {k}: {r}");
        }
    }
    for res in run["results"].as_array().unwrap() {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        assert!(res["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    assert!(run["results"].as_array().unwrap().iter().any(|r| r["fixes"][0]["artifactChanges"][0]["replacements"].is_array()));
}

#[test]
fn gitlab_fingerprints_are_unique_and_survive_moved_lines() {
    let (out, ..) = dopt_in(&fixtures(), &["--format", "gitlab", "repo"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fps: Vec<&str> = v.as_array().unwrap().iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    let mut uniq = fps.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), fps.len());
    // two blank lines above every finding: the same fingerprints
    let d = copy("gitlab");
    let p = d.join("repo/api/Dockerfile");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replacen('\n', "\n\n\n", 1)).unwrap();
    let (moved, ..) = dopt_in(&d, &["--format", "gitlab", "repo"]);
    let m: serde_json::Value = serde_json::from_str(&moved).unwrap();
    let fps2: Vec<&str> = m.as_array().unwrap().iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fps, fps2);
    std::fs::remove_dir_all(&d).unwrap();
}
