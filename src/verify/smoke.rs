//! The smoke test: run the image with no network but loopback, see that it keeps running (or
//! exits 0), optionally GET a URL inside the container's network namespace, and note the uid
//! it runs as.
//!
//! The container runs with `--network none`: it has a loopback interface and nothing else, so
//! it reaches nothing outside and two runs never compete for a host port. The HTTP probe runs
//! inside the container's network namespace: `nsenter --net` (as root; `podman unshare` first
//! for rootless podman) starts `dopt verify-probe`, which GETs `http://127.0.0.1:PORT/PATH`
//! there. Nothing is installed in the image, so it works for distroless images too.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::engine::{self, Runner, Sink};

/// How a container fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum RunState {
    /// Still running after the smoke-test seconds.
    Running,
    Exited(i32),
    /// The engine could not start it.
    Failed(String),
    /// Not tried, and why.
    NotRun(String),
}

impl RunState {
    pub fn passes(&self) -> bool {
        matches!(self, RunState::Running | RunState::Exited(0))
    }

    pub fn label(&self) -> String {
        match self {
            RunState::Running => "running".into(),
            RunState::Exited(c) => format!("exited {c}"),
            RunState::Failed(_) => "did not start".into(),
            RunState::NotRun(_) => "not run".into(),
        }
    }
}

/// The HTTP probe's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum Probe {
    /// The status code of the answer.
    Status(u16),
    NoAnswer(String),
    NotRun(String),
}

impl Probe {
    pub fn label(&self) -> String {
        match self {
            Probe::Status(s) => s.to_string(),
            Probe::NoAnswer(_) => "no answer".into(),
            Probe::NotRun(_) => "not run".into(),
        }
    }
}

/// What to probe: a port (`None`: the first port the image EXPOSEs) and a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    pub port: Option<u16>,
    pub path: String,
}

impl ProbeSpec {
    /// `PORT`, `:PORT/path`, `http://127.0.0.1:PORT/path` (or localhost), or `expose`.
    pub fn parse(s: &str) -> Result<ProbeSpec, String> {
        if s == "expose" {
            return Ok(ProbeSpec { port: None, path: "/".into() });
        }
        let rest = if let Some(r) = s.strip_prefix("http://") {
            let (host, _) = r.split_once([':', '/']).unwrap_or((r, ""));
            if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
                return Err(format!("--probe {s}: the probe runs inside the container, which has only loopback: use 127.0.0.1 or localhost"));
            }
            let r = &r[host.len()..];
            if r.starts_with('/') || r.is_empty() {
                format!(":80{r}")
            } else {
                r.to_string()
            }
        } else if s.starts_with("https://") {
            return Err(format!("--probe {s}: only http:// is probed"));
        } else if s.starts_with(':') {
            s.to_string()
        } else {
            format!(":{s}")
        };
        let rest = &rest[1..];
        let (port, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or_else(|| format!("--probe {s}: expected PORT, :PORT/PATH, http://127.0.0.1:PORT/PATH or `expose`"))?;
        Ok(ProbeSpec { port: Some(port), path: path.to_string() })
    }
}

/// The result of a smoke test.
#[derive(Debug, Clone, Serialize)]
pub struct Smoke {
    pub run: RunState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    /// The port probed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The uid the container's process runs as (seen while it ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// The last lines the container printed, when it did not pass.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub logs: String,
    /// The engine's error when the container could not be removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_error: Option<String>,
}

/// How long to watch.
#[derive(Debug, Clone)]
pub struct SmokeOptions {
    pub seconds: u64,
    pub probe: Option<ProbeSpec>,
    /// How long the probe waits for an answer.
    pub probe_wait: Duration,
}

fn state(runner: &Runner, name: &str) -> Result<(String, i32, u32), String> {
    let out = command_output(runner.state_command(name), Duration::from_secs(60))?;
    if !out.success() {
        return Err(out.error_text());
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut f = s.split_whitespace();
    let status = f.next().unwrap_or("").to_string();
    let code = f.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let pid = f.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    Ok((status, code, pid))
}

fn command_output(c: Command, timeout: Duration) -> Result<engine::Output, String> {
    engine::supervise(c, timeout, Sink::Capture, |r| {
        let mut v = Vec::new();
        let _ = r.map(|mut r| r.read_to_end(&mut v));
        v
    })
    .map(|(v, mut o)| {
        o.stdout = v;
        o
    })
}

/// The uid a process runs as, in its own user namespace.
pub fn uid_of_pid(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let host: u32 = status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().nth(1)?.parse().ok()?;
    // uid_map lines: inside outside count
    let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).ok()?;
    for l in map.lines() {
        let v: Vec<u64> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if let [inside, outside, count] = v[..] {
            if (host as u64) >= outside && (host as u64) < outside + count {
                return Some((inside + host as u64 - outside) as u32);
            }
        }
    }
    None
}

/// Runs the smoke test on `image` as container `name`, and removes the container.
pub fn smoke(runner: &Runner, image: &str, name: &str, exposed: &[String], opts: &SmokeOptions) -> Smoke {
    let mut out = Smoke { run: RunState::NotRun(String::new()), probe: None, port: None, uid: None, logs: String::new(), cleanup_error: None };
    let (prog, rm_args) = runner.remove_container(name);
    let res = engine::register(&prog, rm_args);
    let started = command_output(runner.run_command(name, image), Duration::from_secs(120));
    match started {
        Ok(o) if o.success() => {}
        Ok(o) => {
            out.run = RunState::Failed(o.error_text());
            out.cleanup_error = engine::release(res).err().filter(|e| !e.contains("no such") && !e.contains("no container"));
            return out;
        }
        Err(e) => {
            out.run = RunState::Failed(e);
            let _ = engine::release(res);
            return out;
        }
    }
    let t = Instant::now();
    let mut pid = 0;
    out.run = loop {
        match state(runner, name) {
            Ok((status, code, p)) => {
                pid = p;
                if matches!(status.as_str(), "exited" | "stopped" | "dead") {
                    break RunState::Exited(code);
                }
                if t.elapsed() >= Duration::from_secs(opts.seconds) {
                    if status == "running" {
                        break RunState::Running;
                    }
                    // still being created after the smoke-test time: give it as long again
                    if t.elapsed() >= Duration::from_secs(opts.seconds * 2 + 5) {
                        break RunState::Failed(format!("the container is `{status}`, not running, after {} s", t.elapsed().as_secs()));
                    }
                }
            }
            Err(e) => break RunState::Failed(e),
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    if out.run == RunState::Running && pid > 0 {
        out.uid = uid_of_pid(pid);
        if let Some(spec) = &opts.probe {
            let port = spec.port.or_else(|| exposed.iter().filter(|p| p.ends_with("/tcp") || !p.contains('/')).find_map(|p| p.split('/').next()?.parse().ok()));
            out.port = port;
            out.probe = Some(match port {
                None => Probe::NotRun("the image EXPOSEs no TCP port; give one with --probe PORT".into()),
                Some(port) => probe_in_netns(runner, pid, port, &spec.path, opts.probe_wait),
            });
        }
    }
    let answered_differently = matches!(out.probe, Some(Probe::NoAnswer(_)));
    if !out.run.passes() || answered_differently {
        if let Ok(o) = command_output(runner.logs_command(name), Duration::from_secs(60)) {
            let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
            s.push_str(&String::from_utf8_lossy(&o.stderr));
            out.logs = s.trim_end().to_string();
        }
    }
    out.cleanup_error = engine::release(res).err();
    out
}

/// GETs the URL inside the network namespace of process `pid`.
fn probe_in_netns(runner: &Runner, pid: u32, port: u16, path: &str, wait: Duration) -> Probe {
    let Some(nsenter) = engine::find_program("nsenter") else {
        return Probe::NotRun("nsenter (util-linux) is not installed".into());
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Probe::NotRun(format!("cannot find dopt's own binary: {e}")),
    };
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut c = if runner.rootless { Command::new(&runner.program) } else { Command::new(&nsenter) };
    if runner.rootless {
        c.arg("unshare").arg(&nsenter);
    }
    c.arg(format!("--net=/proc/{pid}/ns/net")).arg("--").arg(exe).args(["verify-probe", "--wait-ms", &wait.as_millis().to_string(), &url]);
    match command_output(c, wait + Duration::from_secs(15)) {
        Ok(o) if o.success() => match String::from_utf8_lossy(&o.stdout).trim().parse() {
            Ok(s) => Probe::Status(s),
            Err(_) => Probe::NoAnswer(format!("unexpected probe output: {}", String::from_utf8_lossy(&o.stdout).trim())),
        },
        Ok(o) if o.code == Some(1) => Probe::NoAnswer(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Ok(o) => Probe::NotRun(format!("could not enter the container's network namespace (needs root, or rootless podman): {}", o.error_text())),
        Err(e) => Probe::NotRun(e),
    }
}

/// One GET; the status code of the answer.
fn get_once(addr: SocketAddr, host: &str, path: &str) -> Result<u16, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    // one write: a server that reads the request once must see all of it
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: dopt-verify\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 4096 {
        let n = s.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf);
    let line = line.lines().next().unwrap_or("");
    let mut f = line.split_whitespace();
    match (f.next(), f.next().and_then(|c| c.parse::<u16>().ok())) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => Ok(code),
        _ => Err(if line.is_empty() { "the connection closed without an answer".into() } else { format!("not an HTTP answer: {line:?}") }),
    }
}

/// `dopt verify-probe`: GETs a loopback URL, retrying until it answers or `wait` is over.
/// Prints the status code (exit 0), or the last error (exit 1).
pub fn probe_main(url: &str, wait: Duration) -> i32 {
    let spec = match ProbeSpec::parse(url) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dopt: {e}");
            return 2;
        }
    };
    let port = spec.port.unwrap_or(80);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let host = format!("127.0.0.1:{port}");
    let t = Instant::now();
    loop {
        match get_once(addr, &host, &spec.path) {
            Ok(code) => {
                println!("{code}");
                return 0;
            }
            Err(e) => {
                if t.elapsed() >= wait {
                    eprintln!("no answer from {url} within {:.0} s: {e}", wait.as_secs_f64());
                    return 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn probe_specs() {
        let p = |s| ProbeSpec::parse(s);
        assert_eq!(p("8000").unwrap(), ProbeSpec { port: Some(8000), path: "/".into() });
        assert_eq!(p(":8080/health").unwrap(), ProbeSpec { port: Some(8080), path: "/health".into() });
        assert_eq!(p("http://127.0.0.1:3000/a?b=c").unwrap(), ProbeSpec { port: Some(3000), path: "/a?b=c".into() });
        assert_eq!(p("http://localhost/").unwrap(), ProbeSpec { port: Some(80), path: "/".into() });
        assert_eq!(p("expose").unwrap(), ProbeSpec { port: None, path: "/".into() });
        assert!(p("http://example.com:80/").unwrap_err().contains("only loopback"));
        assert!(p("https://127.0.0.1/").is_err());
        assert!(p("eighty").is_err());
        assert!(p("0").is_err());
    }

    #[test]
    fn get_once_reads_the_status() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut req = [0u8; 1024];
            let n = s.read(&mut req).unwrap();
            s.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap();
            String::from_utf8_lossy(&req[..n]).into_owned()
        });
        assert_eq!(get_once(addr, "127.0.0.1", "/missing"), Ok(404));
        let req = h.join().unwrap();
        assert!(req.starts_with("GET /missing HTTP/1.1\r\n"), "{req}");
        // nothing listening: an error, not a status
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let free = l.local_addr().unwrap();
        drop(l);
        assert!(get_once(free, "127.0.0.1", "/").is_err());
    }

    #[test]
    fn run_states_that_pass() {
        assert!(RunState::Running.passes());
        assert!(RunState::Exited(0).passes());
        assert!(!RunState::Exited(1).passes());
        assert!(!RunState::Failed("x".into()).passes());
        assert_eq!(serde_json::to_string(&RunState::Exited(3)).unwrap(), r#"{"state":"exited","detail":3}"#);
    }

    #[test]
    fn own_uid_is_read_from_proc() {
        let me = std::process::id();
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let uid: u32 = status.lines().find_map(|l| l.strip_prefix("Uid:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(uid_of_pid(me), Some(uid));
    }
}
