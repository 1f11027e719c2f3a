//! `dopt verify` with the machine's real container engine (docker, podman or buildah), end to
//! end. Without an engine these tests are skipped, and say so; with `DOPT_REQUIRE_ENGINE=1`
//! (as `.ci/run` sets after setting up the image lab) a missing engine fails them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether an engine works here; skips (or fails, when required) when none does.
fn engine_here(test: &str) -> bool {
    let works = ["docker", "podman", "buildah"].iter().any(|e| Command::new(e).arg("info").output().is_ok_and(|o| o.status.success()));
    if !works {
        if std::env::var("DOPT_REQUIRE_ENGINE").is_ok_and(|v| v == "1") {
            panic!("{test}: DOPT_REQUIRE_ENGINE=1 but no container engine works here (docker, podman, buildah)");
        }
        // written to stderr itself, which the test harness does not capture: the skip shows
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{test}: skipped: no container engine works here (docker, podman, buildah); set DOPT_REQUIRE_ENGINE=1 to make this a failure");
    }
    works
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dopt-verify-engine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn verify_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dopt")).arg("verify").args(args).args(["--format", "json", "-q"]).output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", s(&o.stdout), s(&o.stderr)));
    (o.status.code(), v, s(&o.stderr))
}

/// Names dopt gave its images and containers: none may be left.
fn leftovers() -> Vec<String> {
    let mut v = Vec::new();
    for args in [&["images", "--format", "{{.Repository}}"][..], &["ps", "-a", "--format", "{{.Names}}"][..]] {
        for e in ["podman", "docker"] {
            if let Ok(o) = Command::new(e).args(args).output() {
                v.extend(s(&o.stdout).lines().filter(|l| l.contains("dopt-verify-")).map(String::from));
            }
        }
    }
    v
}

/// A layer that writes a 10 MiB file and a later layer that deletes it: 10 MiB wasted. The
/// rewrite merges the two RUNs (DP201), and wastes nothing.
#[test]
fn a_hand_made_image_wastes_the_10_mb_it_deletes() {
    if !engine_here("a_hand_made_image_wastes_the_10_mb_it_deletes") {
        return;
    }
    let d = tempdir("waste");
    let df = d.join("Dockerfile");
    std::fs::write(&df, "FROM debian:bookworm-slim\nRUN head -c 10485760 /dev/zero > /big\nRUN rm /big\nCMD [\"sleep\", \"60\"]\n").unwrap();
    let (code, v, err) = verify_json(&["--select", "DP201", "--smoke-seconds", "2", df.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{v:#}\n{err}");
    let f = &v["files"][0];
    assert_eq!(f["verdict"], "pass", "{f:#}");
    let (b, a) = (&f["before"]["measure"], &f["after"]["measure"]);
    let base_layers = b["layers"].as_array().unwrap().len() - 2;
    assert_eq!(b["wasted"], 10485760, "{b:#}");
    assert_eq!(b["top_wasted"][0]["path"], "/big");
    assert_eq!(b["layers"][base_layers]["wasted"], 10485760);
    assert!(b["layers"][base_layers]["instruction"].as_str().unwrap().contains("head -c 10485760 /dev/zero > /big"), "{b:#}");
    assert_eq!(a["wasted"], 0, "{a:#}");
    assert_eq!(a["layers"].as_array().unwrap().len(), base_layers + 1);
    // the file is in the original's layers, not in the rewrite's
    assert!(b["size"].as_u64().unwrap() >= a["size"].as_u64().unwrap() + 10485760);
    assert_eq!(f["before"]["smoke"]["run"]["state"], "running");
    assert_eq!(f["after"]["smoke"]["run"]["state"], "running");
    let _ = std::fs::remove_dir_all(&d);
    // the images and containers it made are gone
    let left = leftovers();
    for side in ["before", "after"] {
        let image = f[side]["image"].as_str().unwrap();
        assert!(image.starts_with("dopt-verify-"), "{image}");
        assert!(!left.iter().any(|l| l.contains(image)), "{image} is left: {left:?}");
    }
}

/// The Go example: both build, keep running, and answer on the EXPOSEd port.
#[test]
fn the_go_example_builds_runs_and_answers_before_and_after() {
    if !engine_here("the_go_example_builds_runs_and_answers_before_and_after") {
        return;
    }
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/go/Dockerfile");
    let before = std::fs::read(&ex).unwrap();
    let (code, v, err) = verify_json(&["--preset", "glibc", "--probe", "expose", ex.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{v:#}\n{err}");
    let f = &v["files"][0];
    assert_eq!(f["verdict"], "pass", "{f:#}");
    assert!(f["fixes"].as_array().unwrap().iter().any(|c| c == "DP203"), "{f:#}");
    for side in ["before", "after"] {
        assert_eq!(f[side]["build"]["ok"], true, "{f:#}");
        assert_eq!(f[side]["smoke"]["run"]["state"], "running", "{f:#}");
        assert_eq!(f[side]["smoke"]["probe"], serde_json::json!({"result": "status", "detail": 200}), "{f:#}");
        assert_eq!(f[side]["smoke"]["port"], 8080);
        assert!(f[side]["measure"]["size"].as_u64().unwrap() > 1_000_000);
    }
    // the user's file is untouched
    assert_eq!(std::fs::read(&ex).unwrap(), before);
}
