//! The command line as a user drives it: modes, exit codes, stdin, discovery, bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn dopt() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dopt"));
    c.env_remove("NO_COLOR");
    c
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = dopt().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // dopt may exit before reading its input (a usage error): a broken pipe is fine
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    dopt().args(args).current_dir(dir).output().unwrap()
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh directory for one test.
fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dopt-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const NAIVE: &str = "FROM python:3.11-slim\nRUN pip install flask\n";

#[test]
fn write_stdin_adds_the_flag_and_a_second_run_changes_nothing() {
    let o = run_stdin(&["--write", "-"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    let out = s(&o.stdout);
    assert_eq!(out, "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n");
    let o2 = run_stdin(&["--write", "-"], out.as_bytes());
    assert_eq!(s(&o2.stdout), out);
}

#[test]
fn report_mode_exit_codes_and_format() {
    let o = run_stdin(&["-", "--stdin-filename", "app/Dockerfile"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    let out = s(&o.stdout);
    assert!(out.starts_with("app/Dockerfile:2:5: DP101 "), "{out}");
    assert!(out.contains("[*]"), "{out}");
    assert!(out.contains("Found 1 finding in 1 file; 1 fixable with --write."), "{out}");
    let o = run_stdin(&["-"], b"FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n");
    assert_eq!(o.status.code(), Some(0));
    let o = run_stdin(&["-", "--quiet"], NAIVE.as_bytes());
    assert_eq!(s(&o.stdout).lines().count(), 1);
}

#[test]
fn json_report() {
    let o = run_stdin(&["-", "--format", "json"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["code"], "DP101");
    assert_eq!(v[0]["line"], 2);
    assert_eq!(v[0]["fix"], "safe");
}

#[test]
fn check_mode() {
    let o = run_stdin(&["--check", "-"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert!(s(&o.stdout).contains("would rewrite -"));
    let o = run_stdin(&["--check", "-"], b"FROM scratch\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn select_and_ignore() {
    let o = run_stdin(&["-", "--ignore", "DP101"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
    let o = run_stdin(&["-", "--select", "pip-no-cache-dir"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    let o = run_stdin(&["-", "--select", "NOPE9"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stderr).contains("unknown rule"));
}

#[test]
fn color() {
    let o = run_stdin(&["-", "--color", "always"], NAIVE.as_bytes());
    assert!(s(&o.stdout).contains("\x1b["));
    let o = run_stdin(&["-", "--color", "never"], NAIVE.as_bytes());
    assert!(!s(&o.stdout).contains("\x1b["));
    let o = run_stdin(&["-"], NAIVE.as_bytes()); // not a terminal
    assert!(!s(&o.stdout).contains("\x1b["));
}

#[test]
fn diff_applies_with_git_apply_and_patch() {
    let d = tempdir("diff");
    std::fs::create_dir_all(d.join("svc")).unwrap();
    let original = "FROM python:3.11-slim\r\n# keep\r\nRUN pip install \\\r\n    flask\r\n";
    std::fs::write(d.join("svc/Dockerfile"), original).unwrap();
    let o = run_in(&d, &["--diff", "svc/Dockerfile"]);
    assert_eq!(o.status.code(), Some(1), "{}", s(&o.stderr));
    let patch = s(&o.stdout);
    assert!(patch.starts_with("--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n"), "{patch}");
    let expected = "FROM python:3.11-slim\r\n# keep\r\nRUN pip install --no-cache-dir \\\r\n    flask\r\n";
    // git apply
    let pf = d.join("fix.patch");
    std::fs::write(&pf, &patch).unwrap();
    let g = Command::new("git").args(["apply", "--unsafe-paths", "-p1"]).arg(&pf).current_dir(&d).output().unwrap();
    assert!(g.status.success(), "git apply: {}", s(&g.stderr));
    assert_eq!(std::fs::read_to_string(d.join("svc/Dockerfile")).unwrap(), expected);
    // patch -p1 (where the patch tool is installed)
    std::fs::write(d.join("svc/Dockerfile"), original).unwrap();
    if let Ok(p) = Command::new("patch").args(["-p1", "-i"]).arg(&pf).current_dir(&d).output() {
        assert!(p.status.success(), "patch: {}", s(&p.stdout));
        assert_eq!(std::fs::read_to_string(d.join("svc/Dockerfile")).unwrap(), expected);
    }
    // nothing to do: empty diff, exit 0
    let o = run_in(&d, &["--diff", "svc/Dockerfile"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn write_in_place_keeps_permissions_and_skips_unchanged_files() {
    let d = tempdir("write");
    let f = d.join("Dockerfile");
    std::fs::write(&f, NAIVE).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let clean = d.join("clean.Dockerfile");
    std::fs::write(&clean, "FROM scratch\n").unwrap();
    let before = std::fs::metadata(&clean).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = run_in(&d, &["--write", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    assert!(s(&o.stderr).contains("Fixed 1 finding in 1 file (2 files checked)."), "{}", s(&o.stderr));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(std::fs::metadata(&clean).unwrap().modified().unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "temp files left: {names:?}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn directory_discovery() {
    let d = tempdir("discover");
    for p in ["Dockerfile", "a/Containerfile", "b/api.Dockerfile", "b/x.dockerfile", "c/Dockerfile.prod", "c/Containerfile.dev", "node_modules/Dockerfile", "target/Dockerfile", "vendor/Dockerfile", ".git/Dockerfile", "ignored/Dockerfile", "c/notes.txt", "c/build.ignored.Dockerfile"] {
        let f = d.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, NAIVE).unwrap();
    }
    std::fs::write(d.join(".gitignore"), "ignored/\n*.ignored.Dockerfile\n").unwrap();
    let o = run_in(&d, &["--quiet", "."]);
    let mut files: Vec<String> = s(&o.stdout).lines().map(|l| l.split(':').next().unwrap().to_string()).collect();
    files.sort();
    assert_eq!(files, vec!["./Dockerfile", "./a/Containerfile", "./b/api.Dockerfile", "./b/x.dockerfile", "./c/Containerfile.dev", "./c/Dockerfile.prod"]);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_input_gets_exit_2_and_one_line_each_while_the_rest_goes_on() {
    let d = tempdir("bad");
    std::fs::write(d.join("binary.Dockerfile"), b"FROM a\n\0\x01\x02").unwrap();
    std::fs::write(d.join("latin1.Dockerfile"), b"FROM a\nLABEL x=\xe9\n").unwrap();
    std::fs::write(d.join("heredoc.Dockerfile"), "FROM a\nRUN <<EOF\necho\n").unwrap();
    std::fs::write(d.join("escape.Dockerfile"), "# escape=x\nFROM a\n").unwrap();
    std::fs::write(d.join("big.Dockerfile"), format!("FROM a:1\n{}", "# pad\n".repeat(300_000))).unwrap();
    std::fs::write(d.join("good.Dockerfile"), NAIVE).unwrap();
    let o = run_in(&d, &["."]);
    assert_eq!(o.status.code(), Some(2));
    let err = s(&o.stderr);
    assert!(err.contains("binary.Dockerfile: binary file"), "{err}");
    assert!(err.contains("latin1.Dockerfile: not UTF-8"), "{err}");
    assert!(err.contains("heredoc.Dockerfile: BuildKit would refuse this file: line 2: unterminated heredoc"), "{err}");
    assert!(err.contains("escape.Dockerfile: BuildKit would refuse this file: line 1: invalid escape token"), "{err}");
    assert!(err.contains("big.Dockerfile: file is 1800009 bytes, over the limit of 1048576"), "{err}");
    assert_eq!(err.lines().count(), 5, "{err}");
    assert!(s(&o.stdout).contains("good.Dockerfile:2:5: DP101"), "the good file is still checked");
    // a higher limit lets the big file through
    let o = run_in(&d, &["--max-file-size", "4000000", "big.Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    // --write leaves refused files untouched
    let o = run_in(&d, &["--write", "heredoc.Dockerfile", "good.Dockerfile"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(d.join("heredoc.Dockerfile")).unwrap(), "FROM a\nRUN <<EOF\necho\n");
    assert!(std::fs::read_to_string(d.join("good.Dockerfile")).unwrap().contains("--no-cache-dir"));
    // a path that does not exist
    let o = run_in(&d, &["missing/Dockerfile"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stderr).contains("missing/Dockerfile: No such file or directory"), "{}", s(&o.stderr));
    std::fs::remove_dir_all(&d).unwrap();
}

#[cfg(unix)]
#[test]
fn directory_loop_is_reported() {
    let d = tempdir("loop");
    std::fs::create_dir_all(d.join("a")).unwrap();
    std::fs::write(d.join("a/Dockerfile"), NAIVE).unwrap();
    std::os::unix::fs::symlink("..", d.join("a/up")).unwrap();
    let o = run_in(&d, &["."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stderr).contains("directory loop"), "{}", s(&o.stderr));
    assert!(s(&o.stdout).contains("a/Dockerfile:2:5: DP101"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn rules_and_explain() {
    let o = dopt().arg("rules").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = s(&o.stdout);
    for m in dopt::transforms::metas() {
        assert!(out.contains(m.code) && out.contains(m.name), "{} missing from `dopt rules`", m.code);
    }
    let o = dopt().args(["explain", "DP101"]).output().unwrap();
    assert!(s(&o.stdout).contains("## Fix safety"));
    let o = dopt().args(["explain", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn parse_json_matches_the_contract() {
    let o = run_stdin(&["parse", "--json", "-"], b"FROM a AS b\nRUN --mount=type=cache,target=/x <<EOF\nhi\nEOF\n");
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["cmd"], "from");
    assert_eq!(v[0]["value"], serde_json::json!(["a", "AS", "b"]));
    assert_eq!(v[1]["flags"], serde_json::json!(["--mount=type=cache,target=/x"]));
    assert_eq!(v[1]["heredocs"], serde_json::json!([{"name": "EOF", "content": "hi\n"}]));
    assert_eq!((v[1]["start_line"].as_u64(), v[1]["end_line"].as_u64()), (Some(2), Some(4)));
    let o = run_stdin(&["parse", "--json", "-"], b"CMD [1]\n");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn presets_config_files_and_their_errors() {
    let d = tempdir("config");
    std::fs::create_dir_all(d.join("svc")).unwrap();
    std::fs::write(d.join("svc/package.json"), "{\"dependencies\": {\"express\": \"4\"}}").unwrap();
    std::fs::write(d.join("svc/Dockerfile"), "FROM node:18\nCMD [\"node\", \"s.js\"]\n").unwrap();
    // default preset: alpine, unsafe
    let o = run_in(&d, &["--write", "--unsafe-fixes", "--diff", "svc/Dockerfile"]);
    assert_eq!(o.status.code(), Some(2), "--write and --diff conflict");
    let o = run_in(&d, &["--diff", "--unsafe-fixes", "svc/Dockerfile"]);
    assert!(s(&o.stdout).contains("+FROM node:18-alpine"), "{}", s(&o.stdout));
    // --preset glibc: slim, safe
    let o = run_in(&d, &["--diff", "--preset", "glibc", "svc/Dockerfile"]);
    assert!(s(&o.stdout).contains("+FROM node:18-slim"), "{}", s(&o.stdout));
    // a dopt.toml above the Dockerfile is found, and can leave a rule out
    std::fs::write(d.join("dopt.toml"), "extends = \"glibc\"\n[rules]\nignore = [\"DP301\", \"DP501\"]\n").unwrap();
    let o = run_in(&d, &["svc/Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
    // --config names another file
    std::fs::write(d.join("other.toml"), "extends = \"glibc\"\n").unwrap();
    let o = run_in(&d, &["--diff", "--config", "other.toml", "svc/Dockerfile"]);
    assert!(s(&o.stdout).contains("+FROM node:18-slim"));
    // an unknown key: exit 2, naming the file, the line and the key
    std::fs::write(d.join("dopt.toml"), "extends = \"glibc\"\n[rules]\nselct = [\"ALL\"]\n").unwrap();
    let o = run_in(&d, &["svc/Dockerfile"]);
    assert_eq!(o.status.code(), Some(2));
    let err = s(&o.stderr);
    assert!(err.contains("dopt.toml") && err.contains("line 3") && err.contains("selct"), "{err}");
    let o = run_in(&d, &["--preset", "nope", "svc/Dockerfile"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stderr).contains("unknown preset"), "{}", s(&o.stderr));
    let o = dopt().arg("presets").output().unwrap();
    assert!(s(&o.stdout).contains("glibc:") && s(&o.stdout).contains("distroless:"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_dopt_toml_extends_the_known_https_hosts_and_names_the_key_server() {
    let d = tempdir("downloads");
    let df = "FROM alpine:3.19\nRUN wget http://downloads.example.org/t.tgz http://mirror.example.net/t.tgz\nRUN gpg --batch --keyserver ha.pool.sks-keyservers.net --recv-keys A\n";
    std::fs::write(d.join("Dockerfile"), df).unwrap();
    // the default preset knows neither host: both switches are unsafe
    let o = run_in(&d, &["--diff", "--select", "DP511,DP513", "Dockerfile"]);
    let out = s(&o.stdout);
    assert!(!out.contains("https://downloads.example.org"), "{out}");
    assert!(out.contains("--keyserver keyserver.ubuntu.com"), "{out}");
    // a dopt.toml adds one host, keeps the preset's, and picks another key server
    std::fs::write(d.join("dopt.toml"), "extends = \"default\"\n[downloads]\nhttps_hosts = [\"downloads.example.org\"]\nkeyserver = \"keys.openpgp.org\"\n").unwrap();
    let o = run_in(&d, &["--diff", "--select", "DP511,DP513", "Dockerfile"]);
    let out = s(&o.stdout);
    assert!(out.contains("+RUN wget https://downloads.example.org/t.tgz http://mirror.example.net/t.tgz"), "{out}");
    assert!(out.contains("--keyserver keys.openpgp.org"), "{out}");
    // a host that is not a host name: exit 2, naming the key
    std::fs::write(d.join("dopt.toml"), "[downloads]\nhttps_hosts = [\"https://x.org\"]\n").unwrap();
    let o = run_in(&d, &["Dockerfile"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stderr).contains("downloads.https_hosts"), "{}", s(&o.stderr));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_diff_of_several_files_without_final_newlines_applies() {
    let d = tempdir("multi");
    std::fs::write(d.join("a.Dockerfile"), "FROM python:3.11-slim\nRUN pip install x").unwrap();
    std::fs::write(d.join("b.Dockerfile"), "\u{feff}FROM python:3.11-slim\r\nRUN pip install y\r\n").unwrap();
    let o = run_in(&d, &["--diff", "a.Dockerfile", "b.Dockerfile"]);
    assert_eq!(o.status.code(), Some(1));
    std::fs::write(d.join("fix.patch"), &o.stdout).unwrap();
    let g = Command::new("git").args(["apply", "-p1", "fix.patch"]).current_dir(&d).output().unwrap();
    assert!(g.status.success(), "git apply: {}", s(&g.stderr));
    assert_eq!(std::fs::read_to_string(d.join("a.Dockerfile")).unwrap(), "FROM python:3.11-slim\nRUN pip install --no-cache-dir x");
    assert_eq!(std::fs::read_to_string(d.join("b.Dockerfile")).unwrap(), "\u{feff}FROM python:3.11-slim\r\nRUN pip install --no-cache-dir y\r\n");
    std::fs::remove_dir_all(&d).unwrap();
}

#[cfg(unix)]
#[test]
fn write_on_a_repository_never_follows_links_out_of_it() {
    let d = tempdir("untrusted");
    let repo = d.join("repo");
    std::fs::create_dir_all(repo.join("app")).unwrap();
    std::fs::create_dir_all(d.join("outside")).unwrap();
    std::fs::write(d.join("outside/victim"), NAIVE).unwrap();
    std::fs::write(d.join("outside/Dockerfile"), NAIVE).unwrap();
    std::os::unix::fs::symlink("../outside/victim", repo.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink("../outside", repo.join("linked")).unwrap();
    std::fs::write(repo.join("app/Dockerfile"), NAIVE).unwrap();
    let o = run_in(&d, &["--write", "repo"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    let err = s(&o.stderr);
    assert!(err.contains("repo/Dockerfile: a symbolic link that leads out of repo; skipped"), "{err}");
    assert!(err.contains("repo/linked: a symbolic link that leads out of repo; skipped"), "{err}");
    assert_eq!(std::fs::read_to_string(d.join("outside/victim")).unwrap(), NAIVE, "the file outside was rewritten");
    assert_eq!(std::fs::read_to_string(d.join("outside/Dockerfile")).unwrap(), NAIVE);
    assert!(std::fs::read_to_string(repo.join("app/Dockerfile")).unwrap().contains("--no-cache-dir"));
    // a path named on the command line is the user's choice: followed
    let o = run_in(&d, &["--write", "repo/Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    assert!(std::fs::read_to_string(d.join("outside/victim")).unwrap().contains("--no-cache-dir"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[cfg(unix)]
#[test]
fn build_context_links_out_of_the_context_are_not_read() {
    // a lockfile that is a link out of the context: npm ci cannot be shown safe from it
    let d = tempdir("ctxlink");
    std::fs::create_dir_all(d.join("ctx")).unwrap();
    std::fs::write(d.join("package-lock.json"), "{\"name\":\"a\",\"lockfileVersion\":3,\"packages\":{\"\":{\"name\":\"a\"}}}\n").unwrap();
    std::fs::write(d.join("ctx/package.json"), "{\"name\":\"a\"}\n").unwrap();
    std::os::unix::fs::symlink("../package-lock.json", d.join("ctx/package-lock.json")).unwrap();
    std::fs::write(d.join("ctx/Dockerfile"), "FROM node:18-slim\nCOPY package.json package-lock.json ./\nRUN npm install\n").unwrap();
    let linked = s(&run_in(&d, &["--select", "DP108", "ctx/Dockerfile"]).stdout);
    // the same files, copied in: read
    std::fs::remove_file(d.join("ctx/package-lock.json")).unwrap();
    std::fs::copy(d.join("package-lock.json"), d.join("ctx/package-lock.json")).unwrap();
    let copied = s(&run_in(&d, &["--select", "DP108", "ctx/Dockerfile"]).stdout);
    assert_ne!(linked, copied, "the link was followed out of the context:\n{linked}");
    assert!(copied.contains("DP108") && copied.contains("[*]"), "{copied}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn hadolint_and_tally_suppressions_and_hadolint_yaml() {
    let d = tempdir("suppress");
    let text = "FROM python:3.11-slim\n# hadolint ignore=DL3042\nRUN pip install flask\nRUN pip install django\n# tally ignore=hadolint/DL3042,DL3059\nRUN pip install rich\n";
    std::fs::write(d.join("Dockerfile"), text).unwrap();
    let o = s(&run_in(&d, &["--select", "DP101,DP201", "Dockerfile"]).stdout);
    let lines: Vec<&str> = o.lines().filter(|l| l.contains(": DP")).collect();
    assert_eq!(lines.len(), 2, "{o}");
    // only the RUN at line 4: line 3 has hadolint's ignore of DL3042 (DP101), line 6 tally's
    // of DL3042 and DL3059 (DP201)
    assert!(lines[0].starts_with("Dockerfile:4:1: DP201"), "{o}");
    assert!(lines[1].starts_with("Dockerfile:4:5: DP101"), "{o}");
    // a global ignore, anywhere in the file
    std::fs::write(d.join("Dockerfile"), format!("{text}# hadolint global ignore=DL3042\n")).unwrap();
    let o = s(&run_in(&d, &["--select", "DP101", "Dockerfile"]).stdout);
    assert!(!o.contains(": DP101"), "{o}");
    // .hadolint.yaml `ignored:` is read when no dopt.toml applies
    std::fs::write(d.join("Dockerfile"), "FROM python:3.11-slim\nRUN pip install flask\n").unwrap();
    std::fs::write(d.join(".hadolint.yaml"), "ignored:\n  - DL3042\n").unwrap();
    let o = run_in(&d, &["Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
    std::fs::write(d.join("dopt.toml"), "[rules]\nselect = [\"ALL\"]\n").unwrap();
    let o = run_in(&d, &["Dockerfile"]);
    assert!(s(&o.stdout).contains(": DP101"), "a dopt.toml says otherwise: {}", s(&o.stdout));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn exit_zero_and_exit_non_zero_on_fix() {
    let o = run_stdin(&["-", "--exit-zero"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    assert!(s(&o.stdout).contains("DP101"));
    let o = run_stdin(&["--check", "-", "--exit-zero"], NAIVE.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    // errors still exit 2
    let o = run_stdin(&["-", "--exit-zero"], b"FROM a\nRUN <<EOF\n");
    assert_eq!(o.status.code(), Some(2));
    let d = tempdir("nonzero");
    std::fs::write(d.join("Dockerfile"), NAIVE).unwrap();
    let o = run_in(&d, &["--write", "--exit-non-zero-on-fix", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(std::fs::read_to_string(d.join("Dockerfile")).unwrap().contains("--no-cache-dir"));
    let o = run_in(&d, &["--write", "--exit-non-zero-on-fix", "."]);
    assert_eq!(o.status.code(), Some(0), "nothing left to fix");
    // only with --write
    assert_eq!(run_in(&d, &["--exit-non-zero-on-fix", "."]).status.code(), Some(2));
    // --write - prints the file: no report format there
    assert_eq!(run_stdin(&["--write", "-", "--format", "json"], NAIVE.as_bytes()).status.code(), Some(2));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_dockerignore_is_shown_by_diff_written_by_write_and_never_from_stdin() {
    let d = tempdir("dockerignore");
    let df = "FROM node:18-slim\nWORKDIR /app\nCOPY package.json ./\nRUN npm install --omit=dev\nCOPY . .\nCMD [\"node\", \"server.js\"]\n";
    std::fs::write(d.join("Dockerfile"), df).unwrap();
    std::fs::write(d.join("package.json"), "{}\n").unwrap();
    std::fs::write(d.join("server.js"), "\n").unwrap();
    // --diff shows the new file
    let o = run_in(&d, &["--diff", "--select", "DP206", "Dockerfile"]);
    assert_eq!(o.status.code(), Some(1), "{}", s(&o.stderr));
    assert!(s(&o.stdout).contains("--- /dev/null\n+++ b/.dockerignore\n"), "{}", s(&o.stdout));
    assert!(s(&o.stdout).contains("+**/node_modules\n"), "{}", s(&o.stdout));
    // stdin in, stdout out: nothing else is written, whatever --stdin-filename says
    let name = d.join("Dockerfile");
    let o = run_stdin(&["--write", "--select", "DP206", "-", "--stdin-filename", name.to_str().unwrap()], df.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    assert_eq!(s(&o.stdout), df);
    assert!(s(&o.stderr).contains("not creating .dockerignore: the Dockerfile came from stdin"), "{}", s(&o.stderr));
    assert!(!d.join(".dockerignore").exists());
    // --write on the file creates it, and a second run changes nothing
    let o = run_in(&d, &["--write", "--select", "DP206", "Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    let ig = std::fs::read_to_string(d.join(".dockerignore")).unwrap();
    assert!(ig.lines().any(|l| l == ".git") && ig.lines().any(|l| l == "**/node_modules"), "{ig}");
    let o = run_in(&d, &["--check", "--select", "DP206", "Dockerfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn opt_in_rules_need_their_code_or_the_ci_preset() {
    let t = "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n";
    let codes = |args: &[&str]| -> Vec<String> {
        let o = run_stdin(&[&["-", "-q"], args].concat(), t.as_bytes());
        s(&o.stdout).lines().filter_map(|l| l.split_whitespace().nth(1).map(str::to_string)).collect()
    };
    assert!(!codes(&[]).contains(&"DP207".to_string()));
    assert!(!codes(&["--select", "ALL"]).contains(&"DP207".to_string()));
    assert!(!codes(&["--select", "DP2"]).contains(&"DP207".to_string()));
    assert!(codes(&["--select", "DP207"]).contains(&"DP207".to_string()));
    assert!(codes(&["--select", "cache-mounts"]).contains(&"DP207".to_string()));
    assert!(codes(&["--preset", "ci"]).contains(&"DP207".to_string()));
    let o = run_stdin(&["--write", "--preset", "ci", "-"], t.as_bytes());
    assert_eq!(s(&o.stdout), "# syntax=docker/dockerfile:1\nFROM python:3.11-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n");
}
