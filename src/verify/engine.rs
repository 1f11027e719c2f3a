//! Container engines: which one to use, the commands dopt runs with it, and the processes behind
//! them: each in its own process group, stopped (with whatever it started) at a timeout or on
//! Ctrl-C, and every image and container dopt creates registered before it exists so that it
//! is removed at the end, on a timeout, on an error and on Ctrl-C.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The engines dopt knows, in the order it looks for them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Docker,
    Podman,
    Buildah,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Docker, Kind::Podman, Kind::Buildah];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Docker => "docker",
            Kind::Podman => "podman",
            Kind::Buildah => "buildah",
        }
    }
}

/// What runs containers: docker or podman (the same command line for what dopt needs).
#[derive(Clone, Debug)]
pub struct Runner {
    pub kind: Kind,
    pub program: PathBuf,
    /// Rootless podman: entering a container's network namespace needs `podman unshare`.
    pub rootless: bool,
}

/// The engine that builds, saves and removes images, and what runs containers.
#[derive(Clone, Debug)]
pub struct Engine {
    pub kind: Kind,
    pub program: PathBuf,
    /// docker or podman runs containers; with buildah, podman when it is installed (buildah has
    /// no detached run); `None` when nothing can.
    pub runner: Option<Runner>,
    /// One line on what the engine is (its version).
    pub version: String,
}

/// Searches `PATH` for an executable.
pub fn find_program(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Asks an engine whether it works: `docker info` (a client with no daemon is useless),
/// `podman info`, `buildah info`. Returns its version line, or why it does not work.
fn probe(kind: Kind, program: &Path) -> Result<(String, bool), String> {
    let fmt = match kind {
        Kind::Docker => "{{.ServerVersion}}",
        Kind::Podman => "{{.Version.Version}} {{.Host.Security.Rootless}}",
        Kind::Buildah => "{{.store.GraphDriverName}}",
    };
    let out = run(program, &["info", "--format", fmt], Duration::from_secs(60))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.success() || text.is_empty() {
        return Err(format!("`{} info` failed: {}", kind.name(), out.error_text()));
    }
    Ok(match kind {
        Kind::Podman => {
            let (v, rootless) = text.split_once(' ').unwrap_or((&text, "false"));
            (format!("podman {v}"), rootless == "true")
        }
        Kind::Docker => (format!("docker {text} (BuildKit)"), false),
        Kind::Buildah => {
            let v = run(program, &["--version"], Duration::from_secs(30)).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
            (if v.is_empty() { "buildah".into() } else { v }, false)
        }
    })
}

/// The engine to use: the one asked for, or the first that works of docker, podman, buildah.
/// The error names every engine looked for and why it was passed over.
pub fn detect(requested: Option<Kind>) -> Result<Engine, String> {
    let candidates: Vec<Kind> = match requested {
        Some(k) => vec![k],
        None => Kind::ALL.to_vec(),
    };
    let mut why = Vec::new();
    for kind in candidates {
        let Some(program) = find_program(kind.name()) else {
            why.push(format!("{}: not found on PATH", kind.name()));
            continue;
        };
        match probe(kind, &program) {
            Ok((version, rootless)) => {
                let runner = match kind {
                    Kind::Docker | Kind::Podman => Some(Runner { kind, program: program.clone(), rootless }),
                    Kind::Buildah => find_program("podman").and_then(|p| probe(Kind::Podman, &p).ok().map(|(_, rootless)| Runner { kind: Kind::Podman, program: p, rootless })),
                };
                return Ok(Engine { kind, program, runner, version });
            }
            Err(e) => why.push(format!("{}: {e}", kind.name())),
        }
    }
    let looked = match requested {
        Some(k) => format!("the engine asked for, {}, does not work", k.name()),
        None => "no container engine works here (looked for docker, podman and buildah)".to_string(),
    };
    Err(format!("{looked}:\n  {}", why.join("\n  ")))
}

/// How to build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    pub no_cache: bool,
    /// Passed to the engine's build command as they are (`--build-flag=--pull=never`).
    pub extra: Vec<String>,
}

impl Engine {
    /// The build command: BuildKit for docker, `podman build`, `buildah bud`; the layer cache
    /// on (unless `no_cache`), so that steps the original and the rewrite share build once.
    pub fn build_command(&self, dockerfile: &Path, context: &Path, tag: &str, opts: &BuildOptions) -> Command {
        let mut c = Command::new(&self.program);
        match self.kind {
            Kind::Docker => {
                c.env("DOCKER_BUILDKIT", "1").args(["build", "--progress=plain"]);
            }
            // --force-rm: no working container left behind by a failed (or stopped) build
            Kind::Podman => {
                c.args(["build", "--layers", "--force-rm"]);
            }
            Kind::Buildah => {
                c.args(["bud", "--layers", "--force-rm"]);
            }
        }
        if opts.no_cache {
            c.arg("--no-cache");
        }
        c.args(&opts.extra).arg("-f").arg(dockerfile).args(["-t", tag]).arg(context);
        c
    }

    /// Writes the image as a docker-archive to stdout.
    pub fn save_command(&self, image: &str) -> Command {
        let mut c = Command::new(&self.program);
        match self.kind {
            Kind::Docker => c.args(["save", image]),
            Kind::Podman => c.args(["save", "--format", "docker-archive", image]),
            Kind::Buildah => c.args(["push", "--quiet", image, "docker-archive:/dev/stdout"]),
        };
        c
    }

    /// Removes an image dopt built, leaving the untagged layers of the build cache (podman and
    /// buildah would otherwise delete the cached steps with it).
    pub fn remove_image(&self, image: &str) -> (PathBuf, Vec<String>) {
        match (&self.kind, &self.runner) {
            (Kind::Buildah, None) => (self.program.clone(), vec!["rmi".into(), "-f".into(), image.into()]),
            (_, Some(r)) => (r.program.clone(), vec!["rmi".into(), "--no-prune".into(), "-f".into(), image.into()]),
            (_, None) => (self.program.clone(), vec!["rmi".into(), "--no-prune".into(), "-f".into(), image.into()]),
        }
    }
}

impl Runner {
    /// Starts a container in the background with no network but loopback.
    pub fn run_command(&self, name: &str, image: &str) -> Command {
        let mut c = Command::new(&self.program);
        c.args(["run", "-d", "--name", name, "--network", "none", "--pull", "never", image]);
        c
    }

    /// `status exitcode pid` of a container.
    pub fn state_command(&self, name: &str) -> Command {
        let mut c = Command::new(&self.program);
        c.args(["container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}", name]);
        c
    }

    pub fn logs_command(&self, name: &str) -> Command {
        let mut c = Command::new(&self.program);
        c.args(["logs", "--tail", "15", name]);
        c
    }

    /// Removes a container, stopping it at once.
    pub fn remove_container(&self, name: &str) -> (PathBuf, Vec<String>) {
        let args = match self.kind {
            Kind::Podman => vec!["rm", "-f", "-t", "0", name],
            _ => vec!["rm", "-f", name],
        };
        (self.program.clone(), args.into_iter().map(String::from).collect())
    }
}

/// A name for this run: unique among concurrent runs (process id, time).
pub fn run_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}{:05x}{}", std::process::id(), (nanos >> 10) & 0xfffff, N.fetch_add(1, Ordering::Relaxed))
}

// ---- processes ----

/// What a finished command did.
#[derive(Debug, Default)]
pub struct Output {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub seconds: f64,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// The engine's own words on a failure: the last lines of stderr (or stdout).
    pub fn error_text(&self) -> String {
        let text = if self.stderr.iter().any(|c| !c.is_ascii_whitespace()) { &self.stderr } else { &self.stdout };
        let s = String::from_utf8_lossy(text);
        let lines: Vec<&str> = s.trim_end().lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n");
        let how = if self.timed_out {
            format!("timed out after {:.0} s and was stopped", self.seconds)
        } else {
            match self.code {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".into(),
            }
        };
        if tail.is_empty() {
            how
        } else {
            format!("{tail} ({how})")
        }
    }
}

/// Something to remove at the end: an image or a container dopt created.
#[derive(Clone, Debug)]
struct Resource {
    id: u64,
    program: PathBuf,
    args: Vec<String>,
}

#[derive(Default)]
struct State {
    running: Vec<u32>,
    resources: Vec<Resource>,
    temp_dirs: Vec<PathBuf>,
    interrupted: bool,
    next: u64,
}

static STATE: Mutex<State> = Mutex::new(State { running: Vec::new(), resources: Vec::new(), temp_dirs: Vec::new(), interrupted: false, next: 0 });

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers how to remove something dopt is about to create. Returns a handle for `release`.
pub fn register(program: &Path, args: Vec<String>) -> u64 {
    let mut s = state();
    s.next += 1;
    let id = s.next;
    s.resources.push(Resource { id, program: program.to_path_buf(), args });
    id
}

/// Removes a registered resource now; the engine's error when that fails.
pub fn release(id: u64) -> Result<(), String> {
    let r = {
        let mut s = state();
        let Some(i) = s.resources.iter().position(|r| r.id == id) else { return Ok(()) };
        s.resources.remove(i)
    };
    let args: Vec<&str> = r.args.iter().map(String::as_str).collect();
    let out = run(&r.program, &args, Duration::from_secs(120))?;
    if out.success() {
        Ok(())
    } else {
        Err(format!("`{} {}`: {}", r.program.display(), r.args.join(" "), out.error_text()))
    }
}

/// A temporary directory to remove on Ctrl-C (the normal end removes it itself).
pub fn remove_on_interrupt(dir: &Path) {
    state().temp_dirs.push(dir.to_path_buf());
}

/// Removes a registered resource that may not exist (the image of a failed build).
pub fn release_quietly(id: u64) {
    let _ = release(id);
}

/// After Ctrl-C, the handler cleans up and exits: the main thread must neither start anything
/// nor finish first, so it waits here for the end.
pub fn park_if_interrupted() {
    if state().interrupted {
        park();
    }
}

fn park() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// On Ctrl-C (and SIGTERM, SIGHUP): stop the engine commands running, remove what was
/// registered, exit 130.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        let (running, resources, dirs) = {
            let mut s = state();
            s.interrupted = true;
            (s.running.clone(), std::mem::take(&mut s.resources), std::mem::take(&mut s.temp_dirs))
        };
        eprintln!("dopt: interrupted: stopping {} engine command(s), removing {} image(s) and container(s)", running.len(), resources.len());
        for pid in running {
            kill_tree(pid);
        }
        for r in resources.iter().rev() {
            let mut c = Command::new(&r.program);
            c.args(&r.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
            if let Ok(o) = c.output() {
                if !o.status.success() {
                    let e = String::from_utf8_lossy(&o.stderr);
                    if !e.contains("no such") && !e.contains("not known") && !e.contains("No such") {
                        eprintln!("dopt: `{} {}`: {}", r.program.display(), r.args.join(" "), e.trim());
                    }
                }
            }
        }
        for d in dirs {
            let _ = std::fs::remove_dir_all(d);
        }
        std::process::exit(130);
    });
}

/// The process and its descendants (Linux: from /proc; elsewhere just the process).
fn descendants(root: u32) -> Vec<u32> {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses
            let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else { continue };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c.iter().copied().filter(|p| !out.contains(p)).collect::<Vec<_>>());
        }
        i += 1;
    }
    out
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !matches!(s.rsplit_once(')').and_then(|x| x.1.split_whitespace().next()), Some("Z") | Some("X")),
        Err(_) => false,
    }
}

fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s {sig} \"$@\" 2>/dev/null"))
        .arg("sh")
        .args(pids.iter().map(|p| p.to_string()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn pid_namespace(pid: &str) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

fn wait_gone(pids: &[u32], limit: Duration) {
    let t = Instant::now();
    while t.elapsed() < limit && pids.iter().any(|p| alive(*p)) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops an engine command and everything it started. First the processes of a RUN step (those
/// in another pid namespace): the engine then sees the step fail and cleans up after itself as
/// for any failed build, removing its working container (podman and buildah leave it, and the
/// step's processes running, when they are killed instead). If the engine is still running
/// after that, or there was no RUN step, SIGTERM to the engine, then SIGKILL to whatever of the
/// tree is left after 5 s.
pub fn kill_tree(root: u32) {
    let tree = descendants(root);
    let mine = pid_namespace("self");
    let steps: Vec<u32> = tree[1..].iter().copied().filter(|p| pid_namespace(&p.to_string()).is_some_and(|ns| Some(ns) != mine)).collect();
    if !steps.is_empty() {
        signal("KILL", &steps);
        wait_gone(&[root], Duration::from_secs(15));
        if !alive(root) {
            let left: Vec<u32> = tree.into_iter().filter(|p| alive(*p)).collect();
            signal("KILL", &left);
            return;
        }
    }
    signal("TERM", &[root]);
    wait_gone(&tree, Duration::from_secs(5));
    let left: Vec<u32> = tree.into_iter().filter(|p| alive(*p)).collect();
    signal("KILL", &left);
}

/// Where a command's output goes.
pub enum Sink {
    /// Collected in memory.
    Capture,
    /// Appended to a file (build logs).
    File(std::fs::File),
}

/// Runs a command to completion, or until `timeout`, capturing its output.
pub fn run(program: &Path, args: &[&str], timeout: Duration) -> Result<Output, String> {
    let mut c = Command::new(program);
    c.args(args);
    supervise(c, timeout, Sink::Capture, |r| {
        let mut v = Vec::new();
        let _ = r.map(|mut r| r.read_to_end(&mut v));
        v
    })
    .map(|(v, mut o)| {
        o.stdout = v;
        o
    })
}

/// Runs a command with its output going to `sink`; `read_stdout` gets stdout when the sink
/// is `Capture` (and runs on its own thread, so that it can stream, e.g. an image archive).
/// At `timeout` the command and all it started are stopped.
pub fn supervise<T: Send + 'static>(mut cmd: Command, timeout: Duration, sink: Sink, read_stdout: impl FnOnce(Option<std::process::ChildStdout>) -> T + Send + 'static) -> Result<(T, Output), String> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null()).process_group(0);
    match &sink {
        Sink::Capture => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        Sink::File(f) => {
            let f2 = f.try_clone().map_err(|e| e.to_string())?;
            let f3 = f.try_clone().map_err(|e| e.to_string())?;
            cmd.stdout(Stdio::from(f2)).stderr(Stdio::from(f3));
        }
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    let start = Instant::now();
    let mut child: Child = {
        let mut s = state();
        if s.interrupted {
            drop(s);
            park();
        }
        let child = cmd.spawn().map_err(|e| format!("could not run {program}: {e}"))?;
        s.running.push(child.id());
        child
    };
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        let _ = tx2.send(Ok(read_stdout(stdout)));
    });
    let stderr_buf = Arc::new(Mutex::new(Vec::new()));
    let (err_done_tx, err_done) = mpsc::channel::<()>();
    let reads_stderr = child.stderr.is_some();
    if let Some(mut e) = child.stderr.take() {
        let buf = stderr_buf.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = e.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
            }
            let _ = err_done_tx.send(());
        });
    }
    drop(tx);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) => {}
            Err(_) => break None,
        }
        if !timed_out && start.elapsed() >= timeout {
            timed_out = true;
            kill_tree(pid);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    state().running.retain(|p| *p != pid);
    // the reader ends when the pipe closes; a process the command left behind may hold it open
    let value: Result<T, ()> = rx.recv_timeout(Duration::from_secs(if timed_out { 5 } else { 30 })).unwrap_or(Err(()));
    let value = value.map_err(|_| format!("{program} left its output open after it exited"))?;
    if reads_stderr {
        // all of stderr, or what came before a process the command left behind holds it open
        let _ = err_done.recv_timeout(Duration::from_secs(if timed_out { 2 } else { 10 }));
    }
    let out = Output {
        code: status.and_then(|s| s.code()),
        stdout: Vec::new(),
        stderr: std::mem::take(&mut *stderr_buf.lock().unwrap_or_else(|e| e.into_inner())),
        timed_out,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok((value, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_timeout_is_stopped_with_its_children() {
        // a shell that starts a background sleep and waits: both must be gone afterwards
        let dir = std::env::temp_dir().join(format!("dopt-engine-test-{}", run_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
        let t = Instant::now();
        let out = run(Path::new("/bin/sh"), &["-c", &script], Duration::from_millis(500)).unwrap();
        assert!(out.timed_out);
        assert!(!out.success());
        assert!(t.elapsed() < Duration::from_secs(20));
        let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        assert!(!alive(pid), "the background sleep {pid} outlived the timeout");
        assert!(out.error_text().contains("timed out"), "{}", out.error_text());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn output_and_exit_codes_are_kept() {
        let out = run(Path::new("/bin/sh"), &["-c", "echo out; echo err >&2; exit 3"], Duration::from_secs(30)).unwrap();
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.error_text(), "err (exit 3)");
        let e = run(Path::new("/nonexistent/engine"), &[], Duration::from_secs(5)).unwrap_err();
        assert!(e.contains("could not run /nonexistent/engine"), "{e}");
    }

    #[test]
    fn run_ids_differ() {
        assert_ne!(run_id(), run_id());
    }
}
