//! `dopt verify` and `dopt measure` against a fake engine: a `podman` shell script on PATH that
//! logs every call, builds "images" from tar archives made here, and runs "containers" as
//! background sleeps. It checks the protocol (which commands, with which names), cleanup on
//! success, failure, timeout and Ctrl-C, and the failure reports. The real engine is tested in
//! tests/verify_engine.rs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The fake podman. Per side (`FAKE_ORIGINAL` is the original Dockerfile's path; any other -f
/// is the rewrite), a line `# fake-before: ...` or `# fake-after: ...` in the Dockerfile says:
/// `build ok|fail|hang`, `image NAME` (the archive `$FAKE_STATE/NAME.tar`), `run running|exit N`,
/// `save ok|fail|flaky` (`flaky`: the first save of the image fails).
const FAKE_PODMAN: &str = r#"#!/bin/sh
S="$FAKE_STATE"
echo "$*" >> "$S/calls"
mkdir -p "$S/images" "$S/containers"
field() { # field SIDE KEY DOCKERFILE
  sed -n "s/^# fake-$1:.*$2 \([^ ]*\).*/\1/p" "$3" | head -1
}
safe() { echo "$1" | tr '/:' '__'; }
case "$1" in
info) echo "4.3.1 false"; exit 0 ;;
build)
  shift; df=""; tag=""
  while [ $# -gt 1 ]; do
    case "$1" in -f) df=$2; shift ;; -t) tag=$2; shift ;; esac
    shift
  done
  ctx=$1
  side=after; [ "$df" = "$FAKE_ORIGINAL" ] && side=before
  echo "$side $tag $df $ctx" >> "$S/builds"
  b=$(field $side build "$df"); b=${b:-ok}
  echo "STEP 1/2: FROM fake"
  case "$b" in
  fail) echo "STEP 2/2: RUN pip install flask"; echo "Error: building at STEP \"RUN pip install flask\": exit status 1" >&2; exit 1 ;;
  hang) echo "STEP 2/2: RUN sleep"; echo $$ > "$S/hang.pid"; sleep 600; exit 0 ;;
  esac
  img=$(field $side image "$df"); run=$(sed -n "s/^# fake-$side:.*run \([a-z-]*\) *\([0-9]*\).*/\1 \2/p" "$df" | head -1)
  cp "$S/${img:-small}.tar" "$S/images/$(safe "$tag").tar" || exit 1
  echo "${run:-running}" > "$S/images/$(safe "$tag").run"
  sv=$(field $side save "$df"); echo "${sv:-ok}" > "$S/images/$(safe "$tag").save"
  echo "COMMIT $tag"; exit 0 ;;
save)
  f="$S/images/$(safe "$4").tar"
  [ -f "$f" ] || { echo "Error: $4: image not known" >&2; exit 125; }
  case "$(cat "$S/images/$(safe "$4").save")" in
  fail) echo "Error: writing blob: storage is locked" >&2; exit 125 ;;
  flaky) [ -f "$S/saved-$(safe "$4")" ] || { touch "$S/saved-$(safe "$4")"; echo "Error: writing blob: storage is locked" >&2; exit 125; } ;;
  esac
  cat "$f"; exit 0 ;;
rmi)
  for t; do :; done
  f="$S/images/$(safe "$t")"
  [ -f "$f.tar" ] || { echo "Error: $t: image not known" >&2; exit 1; }
  rm -f "$f.tar" "$f.run" "$f.save"; echo "Untagged: $t"; exit 0 ;;
run)
  name=$4; eval "img=\${$#}"
  f="$S/images/$(safe "$img")"
  [ -f "$f.tar" ] || { echo "Error: $img: image not known" >&2; exit 125; }
  set -- $(cat "$f.run")
  c="$S/containers/$name"
  if [ "$1" = running ]; then
    sleep 600 </dev/null >/dev/null 2>&1 &
    echo "running 0 $!" > "$c"
  elif [ "$1" = running-as ]; then
    setpriv --reuid "$2" --regid "$2" --clear-groups sleep 600 </dev/null >/dev/null 2>&1 &
    echo "running 0 $!" > "$c"
  else
    echo "exited ${2:-0} 0" > "$c"
  fi
  echo "0123456789abcdef"; exit 0 ;;
container)
  eval "name=\${$#}"
  [ -f "$S/containers/$name" ] || { echo "Error: no such container $name" >&2; exit 125; }
  cat "$S/containers/$name"; exit 0 ;;
logs)
  eval "name=\${$#}"
  echo "fake log of $name: Traceback (most recent call last)"; exit 0 ;;
rm)
  eval "name=\${$#}"
  c="$S/containers/$name"
  [ -f "$c" ] || { echo "Error: no container with name or ID $name found" >&2; exit 1; }
  set -- $(cat "$c"); [ "$1" = running ] && kill "$3" 2>/dev/null
  rm -f "$c"; echo "$name"; exit 0 ;;
esac
echo "fake podman: unknown command $*" >&2; exit 125
"#;

const FAKE_DOCKER: &str = "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n";

struct Lab {
    dir: PathBuf,
    bin: PathBuf,
    state: PathBuf,
    app: PathBuf,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_exe(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A docker-archive made with the system's tar: layers from directories, a config, a manifest.
fn make_archive(dir: &Path, name: &str, layers: &[&[(&str, usize)]], config: &str) {
    let work = dir.join(format!("build-{name}"));
    std::fs::create_dir_all(&work).unwrap();
    let mut layer_names = Vec::new();
    for (i, files) in layers.iter().enumerate() {
        let root = dir.join(format!("layer-{name}-{i}"));
        std::fs::create_dir_all(&root).unwrap();
        for (path, size) in files.iter() {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, vec![b'x'; *size]).unwrap();
        }
        let ln = format!("layer{i}.tar");
        let st = Command::new("tar").arg("-C").arg(&root).args(["-cf"]).arg(work.join(&ln)).arg(".").status().unwrap();
        assert!(st.success());
        layer_names.push(format!("\"{ln}\""));
    }
    std::fs::write(work.join("config.json"), config).unwrap();
    std::fs::write(work.join("manifest.json"), format!("[{{\"Config\":\"config.json\",\"Layers\":[{}]}}]", layer_names.join(","))).unwrap();
    let st = Command::new("tar").arg("-C").arg(&work).arg("-cf").arg(dir.join(format!("{name}.tar"))).arg(".").status().unwrap();
    assert!(st.success());
}

const CONFIG: &str = r#"{"config":{"ExposedPorts":{"8000/tcp":{}},"Cmd":["python","app.py"]},"history":[{"created_by":"/bin/sh -c #(nop) ADD file:aa in / "},{"created_by":"/bin/sh -c pip install flask"},{"created_by":"/bin/sh -c rm -rf /root/.cache"}]}"#;
const CONFIG_SMALL: &str = r#"{"config":{"ExposedPorts":{"8000/tcp":{}},"Cmd":["python","app.py"]},"history":[{"created_by":"/bin/sh -c #(nop) ADD file:bb in / "},{"created_by":"/bin/sh -c pip install --no-cache-dir flask"}]}"#;

const CONFIG_USER: &str = r#"{"config":{"User":"app","ExposedPorts":{"8000/tcp":{}},"Cmd":["python","app.py"]},"history":[{"created_by":"/bin/sh -c #(nop) ADD file:cc in / "},{"created_by":"/bin/sh -c pip install --no-cache-dir flask"}]}"#;

/// A Dockerfile DP101 rewrites (`pip install` gets `--no-cache-dir`).
fn dockerfile(before: &str, after: &str) -> String {
    format!("# fake-before: {before}\n# fake-after: {after}\nFROM python:3.11-slim\nRUN pip install flask\nCMD [\"python\", \"app.py\"]\n")
}

impl Lab {
    fn new(name: &str) -> Lab {
        let dir = std::env::temp_dir().join(format!("dopt-verify-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (bin, state, app) = (dir.join("bin"), dir.join("state"), dir.join("app"));
        for d in [&bin, &state, &app] {
            std::fs::create_dir_all(d).unwrap();
        }
        write_exe(&bin.join("podman"), FAKE_PODMAN);
        write_exe(&bin.join("docker"), FAKE_DOCKER);
        // "big": 3 layers, a 4000-byte cache written then deleted; "small": 2 layers
        make_archive(&state, "big", &[&[("etc/passwd", 40), ("usr/bin/python", 9000)], &[("root/.cache/pip/wheel", 4000), ("app/app.py", 100)], &[("root/.wh..cache", 0)]], CONFIG);
        make_archive(&state, "small", &[&[("usr/bin/python", 9000)], &[("app/app.py", 100), ("etc/passwd", 0)]], CONFIG_SMALL);
        // the "user" image's /etc/passwd names `app` (written in its layer's directory first)
        let layer = state.join("layer-user-1").join("etc");
        std::fs::create_dir_all(&layer).unwrap();
        std::fs::write(layer.join("passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n").unwrap();
        make_archive(&state, "user", &[&[("usr/bin/python", 9000)], &[("app/app.py", 100)]], CONFIG_USER);
        std::fs::write(app.join("app.py"), "print('hi')\n").unwrap();
        Lab { dir, bin, state, app }
    }

    fn dockerfile(&self, text: &str) -> PathBuf {
        let p = self.app.join("Dockerfile");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dopt"));
        c.args(args)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("FAKE_STATE", &self.state)
            .env("FAKE_ORIGINAL", self.app.join("Dockerfile"))
            .env("TMPDIR", &self.dir)
            .env_remove("NO_COLOR");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// `dopt verify --engine podman --smoke-seconds 1 ARGS...`
    fn verify(&self, args: &[&str]) -> Output {
        let mut a = vec!["verify", "--engine", "podman", "--smoke-seconds", "1"];
        a.extend_from_slice(args);
        self.run(&a)
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("calls")).unwrap_or_default().lines().map(String::from).collect()
    }

    /// Images and containers the fake engine still holds.
    fn leftovers(&self) -> Vec<String> {
        let mut v = Vec::new();
        for d in ["images", "containers"] {
            if let Ok(rd) = std::fs::read_dir(self.state.join(d)) {
                v.extend(rd.flatten().map(|e| format!("{d}/{}", e.file_name().to_string_lossy())));
            }
        }
        v
    }

    /// Temporary files dopt left (logs are kept only when a build failed).
    fn temp_left(&self) -> Vec<String> {
        std::fs::read_dir(&self.dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("dopt-verify-")).collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_passing_rewrite_follows_the_protocol_and_leaves_nothing() {
    let lab = Lab::new("pass");
    let text = dockerfile("image big", "image small");
    let df = lab.dockerfile(&text);
    let o = lab.verify(&[df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", s(&o.stderr));
    assert!(out.contains(&format!("{}: PASS (fixes DP101)", df.display())), "{out}");
    // the user's file is untouched
    assert_eq!(std::fs::read_to_string(&df).unwrap(), text);
    // both built from the same context; the rewrite from a temporary file of the same name
    let builds = std::fs::read_to_string(lab.state.join("builds")).unwrap();
    let b: Vec<Vec<&str>> = builds.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(b.len(), 2, "{builds}");
    assert_eq!(b[0][0], "before");
    assert_eq!(b[1][0], "after");
    assert_eq!(b[0][3], b[1][3], "the same build context");
    assert_eq!(b[0][3], lab.app.to_str().unwrap());
    assert!(b[1][2].ends_with("/Dockerfile") && b[1][2] != b[0][2], "{builds}");
    assert!(b[0][1].starts_with("dopt-verify-") && b[0][1].ends_with("-before"), "{builds}");
    assert!(b[1][1].starts_with("dopt-verify-") && b[1][1].ends_with("-after"), "{builds}");
    // the protocol, in order
    let calls = lab.calls();
    let verbs: Vec<&str> = calls.iter().map(|c| c.split(' ').next().unwrap()).collect();
    let mut phases: Vec<&str> = verbs.clone();
    phases.dedup();
    assert_eq!(phases, ["info", "build", "save", "run", "container", "rm", "save", "run", "container", "rm", "rmi"], "{calls:?}");
    assert_eq!(verbs.first(), Some(&"info"));
    assert!(calls.iter().any(|c| c.starts_with("build --layers --force-rm -f ")), "{calls:?}");
    assert!(calls.iter().any(|c| c.starts_with("save --format docker-archive dopt-verify-")), "{calls:?}");
    let runs: Vec<&String> = calls.iter().filter(|c| c.starts_with("run ")).collect();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.contains("-d --name dopt-verify-") && r.contains("--network none")), "{runs:?}");
    assert_eq!(calls.iter().filter(|c| c.starts_with("rm -f -t 0 dopt-verify-")).count(), 2, "{calls:?}");
    assert_eq!(calls.iter().filter(|c| c.starts_with("rmi --no-prune -f dopt-verify-")).count(), 2, "{calls:?}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
    assert!(lab.temp_left().is_empty(), "{:?}", lab.temp_left());
    // the measurements: sizes from the layer tars, the 4000-byte cache deleted a layer later
    assert!(out.contains("layers   3 -> 2"), "{out}");
    assert!(out.contains("wasted   4.0 kB (1 files) -> 0 B (0 files)"), "{out}");
    assert!(out.contains("waste    original: 4.0 kB /root/.cache/pip/wheel (2 layers)"), "{out}");
    assert!(out.contains("run      original running | rewrite running"), "{out}");
    // the fake's "containers" are sleeps run by this test's user
    let me = std::fs::read_to_string("/proc/self/status").unwrap().lines().find_map(|l| l.strip_prefix("Uid:").map(|u| u.split_whitespace().nth(1).unwrap().to_string())).unwrap();
    assert!(out.contains(&format!("runs as  original uid {me} (no USER) | rewrite uid {me} (no USER)")), "{out}");
}

#[test]
fn json_and_markdown_reports() {
    let lab = Lab::new("formats");
    let df = lab.dockerfile(&dockerfile("image big", "image small"));
    let o = lab.verify(&["--format", "json", df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["files"][0];
    assert_eq!(f["verdict"], "pass");
    assert_eq!(f["fixes"][0], "DP101");
    let (b, a) = (&f["before"]["measure"], &f["after"]["measure"]);
    assert_eq!(b["layers"].as_array().unwrap().len(), 3);
    assert_eq!(b["wasted"], 4000);
    assert_eq!(a["wasted"], 0);
    assert!(b["size"].as_u64().unwrap() > a["size"].as_u64().unwrap());
    assert_eq!(b["layers"][1]["instruction"], "RUN pip install flask");
    assert_eq!(f["after"]["smoke"]["run"]["state"], "running");
    let o = lab.verify(&["--format", "markdown", df.to_str().unwrap()]);
    let md = s(&o.stdout);
    assert!(md.starts_with("| Dockerfile | before | after | saved | layers | wasted | builds | runs | probe | after runs as | result |\n| --- |"), "{md}");
    assert!(md.contains("| 3 → 2 | 4.0 kB → 0 B | yes → yes | running → running | - | uid "), "{md}");
    assert!(md.contains(" (no USER) | pass |"), "{md}");
    assert!(md.contains("<details><summary>"), "{md}");
}

#[test]
fn a_rewrite_that_does_not_build_fails_with_the_engine_log() {
    let lab = Lab::new("buildfail");
    let df = lab.dockerfile(&dockerfile("image big", "build fail"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", s(&o.stderr));
    assert!(out.contains(": FAIL (fixes DP101)"), "{out}");
    assert!(out.contains("- the rewrite does not build; the original does"), "{out}");
    // the engine's own words, from the kept log
    assert!(out.contains("| Error: building at STEP \"RUN pip install flask\": exit status 1"), "{out}");
    assert!(out.contains("(dopt: the engine exited 1)"), "{out}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
    // the logs are kept, and said where
    let logs = out.lines().find_map(|l| l.strip_prefix("build logs: ")).expect("the log directory is named");
    assert!(std::fs::read_dir(logs).unwrap().count() == 2);
    // the markdown names the failure and embeds the log tail
    let o = lab.verify(&["--format", "markdown", df.to_str().unwrap()]);
    let md = s(&o.stdout);
    assert!(md.contains("the rewrite does not build; the original does"), "{md}");
    assert!(md.contains("build log (rewrite, last lines)"), "{md}");
}

#[test]
fn an_original_that_does_not_build_is_not_verified_and_the_rewrite_is_not_built() {
    let lab = Lab::new("origfail");
    let df = lab.dockerfile(&dockerfile("build fail", "image small"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(": NOT VERIFIED"), "{out}");
    assert!(out.contains("the original does not build"), "{out}");
    assert_eq!(lab.calls().iter().filter(|c| c.starts_with("build")).count(), 1);
}

#[test]
fn a_build_that_hangs_is_stopped_at_the_timeout_and_cleaned_up() {
    let lab = Lab::new("hang");
    let df = lab.dockerfile(&dockerfile("image big", "build hang"));
    let t = Instant::now();
    let o = lab.verify(&["--timeout", "2", df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", s(&o.stderr));
    assert!(t.elapsed() < Duration::from_secs(60));
    assert!(out.contains("(dopt: the build ran past --timeout 2 s and was stopped)"), "{out}");
    let pid = std::fs::read_to_string(lab.state.join("hang.pid")).unwrap();
    assert!(!Path::new(&format!("/proc/{}", pid.trim())).exists() || std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap().contains(") Z"), "the hung build {pid} is still running");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn a_container_that_stops_fails_where_the_original_keeps_running() {
    let lab = Lab::new("exit");
    let df = lab.dockerfile(&dockerfile("image big run running", "image small run exit 3"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("- the rewrite's container exits 3; the original's keeps running"), "{out}");
    assert!(out.contains("run      original running | rewrite exited 3"), "{out}");
    // the container's last words
    assert!(out.contains("| fake log of dopt-verify-"), "{out}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
    // a one-shot original that exits 0: a rewrite that exits 0 too passes
    let df = lab.dockerfile(&dockerfile("image big run exit 0", "image small run exit 0"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
    // what the original fails, the rewrite need not pass
    let df = lab.dockerfile(&dockerfile("image big run exit 2", "image small run exit 2"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
}

#[test]
fn a_save_that_fails_once_is_retried_and_one_that_keeps_failing_is_the_reason() {
    let lab = Lab::new("save");
    let df = lab.dockerfile(&dockerfile("image big", "image small save flaky"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let saves = lab.calls().iter().filter(|c| c.starts_with("save") && c.contains("-after")).count();
    assert_eq!(saves, 2, "{:?}", lab.calls());
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
    let df = lab.dockerfile(&dockerfile("image big", "image small save fail"));
    let o = lab.verify(&["--budget", "1MB", df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("- the rewrite could not be measured, so its EXPOSEd ports and size are unknown: saving dopt-verify-"), "{out}");
    assert!(out.contains("failed: Error: writing blob: storage is locked"), "{out}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn the_budget_fails_a_rewrite_that_is_too_large() {
    let lab = Lab::new("budget");
    let df = lab.dockerfile(&dockerfile("image big", "image small"));
    let o = lab.verify(&["--budget", "1kB", df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("over the budget of 1.0 kB"), "{out}");
    let o = lab.verify(&["--budget", "1MB", df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stdout));
    let o = lab.verify(&["--budget", "huge", df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn no_working_engine_is_a_usage_error_naming_the_engines() {
    let lab = Lab::new("noengine");
    let df = lab.dockerfile(&dockerfile("image big", "image small"));
    // only the broken docker client on PATH
    std::fs::remove_file(lab.bin.join("podman")).unwrap();
    let o = lab.cmd(&["verify", df.to_str().unwrap()]).env("PATH", &lab.bin).output().unwrap();
    let err = s(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no container engine works here (looked for docker, podman and buildah)"), "{err}");
    assert!(err.contains("docker: `docker info` failed: Cannot connect to the Docker daemon"), "{err}");
    assert!(err.contains("podman: not found on PATH"), "{err}");
    assert!(err.contains("buildah: not found on PATH"), "{err}");
    // a broken docker is passed over for a working podman
    write_exe(&lab.bin.join("podman"), FAKE_PODMAN);
    let o = lab.run(&["verify", "--smoke-seconds", "1", df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", s(&o.stderr));
    assert!(s(&o.stdout).starts_with("dopt verify: podman 4.3.1;"), "{}", s(&o.stdout));
    // usage errors
    let o = lab.run(&["verify", "--probe", "http://example.com/", df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stderr).contains("only loopback"));
    let o = lab.run(&["verify", lab.dir.join("nothing-here").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ctrl_c_stops_the_build_and_removes_what_was_created() {
    let lab = Lab::new("ctrlc");
    let df = lab.dockerfile(&dockerfile("image big", "build hang"));
    let child = lab.cmd(&["verify", "--engine", "podman", df.to_str().unwrap()]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while !lab.state.join("hang.pid").exists() {
        assert!(t.elapsed() < Duration::from_secs(60), "the rewrite's build never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let hang = std::fs::read_to_string(lab.state.join("hang.pid")).unwrap().trim().to_string();
    // the original's image exists now
    assert_eq!(lab.leftovers().iter().filter(|l| l.starts_with("images/") && l.ends_with(".tar")).count(), 1);
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", s(&o.stderr));
    assert!(s(&o.stderr).contains("dopt: interrupted"), "{}", s(&o.stderr));
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
    let stat = std::fs::read_to_string(format!("/proc/{hang}/stat")).unwrap_or_default();
    assert!(stat.is_empty() || stat.contains(") Z"), "the hung build {hang} is still running: {stat}");
    assert_eq!(lab.calls().iter().filter(|c| c.starts_with("rmi ")).count(), 2, "{:?}", lab.calls());
    assert!(lab.temp_left().is_empty(), "{:?}", lab.temp_left());
}

#[test]
fn two_runs_at_once_do_not_collide() {
    let lab = Lab::new("twice");
    let df = lab.dockerfile(&dockerfile("image big", "image small"));
    let a = lab.cmd(&["verify", "--engine", "podman", "-q", df.to_str().unwrap()]).stdout(Stdio::piped()).spawn().unwrap();
    let b = lab.cmd(&["verify", "--engine", "podman", "-q", df.to_str().unwrap()]).stdout(Stdio::piped()).spawn().unwrap();
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(oa.status.code(), Some(0), "{}", s(&oa.stdout));
    assert_eq!(ob.status.code(), Some(0), "{}", s(&ob.stdout));
    let tags: std::collections::BTreeSet<String> = std::fs::read_to_string(lab.state.join("builds")).unwrap().lines().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
    assert_eq!(tags.len(), 4, "{tags:?}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// Whether this process may enter a network namespace (root, with nsenter installed).
fn can_nsenter() -> bool {
    Command::new("nsenter").arg("--net=/proc/self/ns/net").arg("true").output().is_ok_and(|o| o.status.success())
}

#[test]
fn the_probe_compares_status_codes() {
    if !can_nsenter() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "the_probe_compares_status_codes: skipped: nsenter cannot enter a network namespace here (not root, or util-linux missing)");
        return;
    }
    let lab = Lab::new("probe");
    // the fake's "containers" share this test's network namespace: a server here answers 200
    // to the first GET (the original) and 503 after (the rewrite)
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for (n, conn) in l.incoming().enumerate() {
            let Ok(mut c) = conn else { continue };
            let (mut req, mut buf) = (Vec::new(), [0u8; 1024]);
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let status = if n == 0 { "200 OK" } else { "503 Service Unavailable" };
            let _ = c.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes());
        }
    });
    let df = lab.dockerfile(&dockerfile("image big", "image small"));
    let o = lab.verify(&["--probe", &format!(":{port}/health"), df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", s(&o.stderr));
    assert!(out.contains(&format!("probe    :{port} original 200 | rewrite 503")), "{out}");
    assert!(out.contains("- the probe: the rewrite answers 503; the original answers 200"), "{out}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn measure_images_that_exist() {
    let lab = Lab::new("measure");
    let big = lab.state.join("images").join("localhost_app_1.tar");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    std::fs::copy(lab.state.join("big.tar"), &big).unwrap();
    let o = lab.run(&["measure", "--engine", "podman", "localhost/app:1"]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", s(&o.stderr));
    assert!(out.starts_with("localhost/app:1: "), "{out}");
    assert!(out.contains(", 3 layers, 4.0 kB wasted (1 files)"), "{out}");
    assert!(out.contains("wasted 4.0 kB /root/.cache/pip/wheel (2 layers)"), "{out}");
    assert_eq!(lab.calls().last().unwrap(), "save --format docker-archive localhost/app:1");
    let o = lab.run(&["measure", "--engine", "podman", "--budget", "5kB", "localhost/app:1"]);
    assert_eq!(o.status.code(), Some(1), "{}", s(&o.stdout));
    assert!(s(&o.stdout).contains("OVER BUDGET"));
    // a missing image: the engine's error, exit 2
    let o = lab.run(&["measure", "--engine", "podman", "nothere:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(s(&o.stdout).contains("Error: nothere:1: image not known"), "{}", s(&o.stdout));
    // the image is the user's: measure does not remove it
    assert!(big.exists());
}

#[test]
fn the_readme_documents_every_verify_and_measure_flag_and_shows_verify_s_table() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let cli = dopt::cli::Cli::command();
    for sub in ["verify", "measure"] {
        let c = cli.find_subcommand(sub).unwrap_or_else(|| panic!("no `{sub}` subcommand"));
        for a in c.get_arguments() {
            if let Some(l) = a.get_long() {
                if l != "help" {
                    assert!(readme.contains(&format!("`--{l}")), "README does not document {sub} --{l}");
                }
            }
        }
    }
    // the "Measured image sizes" table is dopt verify's own markdown
    let lab = Lab::new("readme");
    let df = lab.dockerfile(&dockerfile("image big", "image small"));
    let o = lab.verify(&["--format", "markdown", df.to_str().unwrap()]);
    let md = s(&o.stdout);
    let header: String = md.lines().take(2).collect::<Vec<_>>().join("\n");
    let sizes = &readme[readme.find("## Measured image sizes").expect("the section")..];
    assert!(sizes.contains(&header), "the README's table is not dopt verify's:\n{header}");
}

#[test]
fn a_user_the_rewrite_adds_is_reported_with_its_uid_and_must_not_run_as_root() {
    let lab = Lab::new("user");
    // the rewrite adds USER app, but its "container" runs as root: a failure
    let df = lab.dockerfile(&dockerfile("image big", "image user"));
    let o = lab.verify(&["--format", "json", df.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["files"][0];
    let me_root = std::fs::read_to_string("/proc/self/status").unwrap().lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if me_root {
        assert_eq!(o.status.code(), Some(1), "{f:#}");
        assert_eq!(f["reasons"][0], "the rewrite sets USER app, but its container runs as uid 0");
        assert_eq!(f["after"]["user"], serde_json::json!({"user": "app", "uid": 0, "source": "observed"}));
    }
    // running as uid 1000, as /etc/passwd says `app` is: it passes, and says so
    let can_setpriv = me_root && Command::new("setpriv").args(["--reuid", "1000", "--regid", "1000", "--clear-groups", "true"]).status().is_ok_and(|s| s.success());
    if !can_setpriv {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "a_user_the_rewrite_adds...: the uid-1000 half skipped: needs root and setpriv");
        return;
    }
    let df = lab.dockerfile(&dockerfile("image big", "image user run running-as 1000"));
    let o = lab.verify(&[df.to_str().unwrap()]);
    let out = s(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("runs as  original uid 0 (no USER) | rewrite uid 1000 (USER app)"), "{out}");
    let o = lab.verify(&["--format", "markdown", df.to_str().unwrap()]);
    assert!(s(&o.stdout).contains("| uid 1000 (USER app) | pass |"), "{}", s(&o.stdout));
    assert!(s(&o.stdout).contains("The rewrite runs as uid 1000 (USER app, observed)."), "{}", s(&o.stdout));
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}
