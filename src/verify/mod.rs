//! `dopt verify`: build each Dockerfile before and after dopt's rewrite, measure both images,
//! smoke-test both, and report; `dopt measure`: measure images that exist already.
//!
//! - `engine`: which container engine, the commands run with it, timeouts, cleanup, Ctrl-C.
//! - `tar`, `measure`: reading a saved image (layers, history, wasted bytes).
//! - `smoke`: running a container, the HTTP probe, the uid.
//! - `report`: text, JSON and markdown.
//!
//! What "passes" means: the rewrite builds; when the original keeps running for the smoke-test
//! seconds, the rewrite does too; when the original exits 0, the rewrite keeps running or exits
//! 0; when the original answers the probe with a status, the rewrite answers the same status;
//! when the rewrite sets a USER other than root, its container does not run as uid 0; with a
//! budget, the rewrite is no larger. What the original fails, the rewrite need not pass.

pub mod engine;
pub mod measure;
pub mod report;
pub mod smoke;
pub mod tar;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use crate::config::Config;
use crate::engine::{self as rules_engine, Options};
use crate::model::context::BuildContext;

use engine::{BuildOptions, Engine, Kind, Sink};
use report::{Build, FileReport, MeasureReport, MeasuredImage, Side, UserNote, Verdict, VerifyReport};
use smoke::{Probe, ProbeSpec, RunState, SmokeOptions};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Markdown,
}

/// The engine options `verify` and `measure` share.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// The container engine (default: the first that works of docker, podman, buildah).
    #[arg(long, value_enum)]
    pub engine: Option<Kind>,

    /// Stop a build (or an image save) that runs longer than this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1200)]
    pub timeout: u64,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Fail (exit 1) when the rewritten (or measured) image is larger: `150MB`, `1.5GB`, `300MiB`.
    #[arg(long, value_name = "SIZE")]
    pub budget: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// Dockerfiles or directories to search (recursively). Default: `.`
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Also apply fixes marked unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// A preset (`default`, `glibc`, `distroless`) or the path of a preset file.
    #[arg(long, value_name = "NAME|PATH", conflicts_with = "config")]
    pub preset: Option<String>,

    /// The configuration file to use instead of the `dopt.toml` found upward from each Dockerfile.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Only these rules (codes, code prefixes, names; `ALL`).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,

    /// Leave out these rules.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,

    /// The build context (default: the Dockerfile's directory).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Also GET this URL in each running container and compare the status codes: `PORT`,
    /// `:PORT/PATH`, `http://127.0.0.1:PORT/PATH`, or `expose` for the first EXPOSEd port.
    #[arg(long, value_name = "PORT|URL|expose")]
    pub probe: Option<String>,

    /// How long a container must keep running (unless it exits 0).
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub smoke_seconds: u64,

    /// How long the probe waits for an answer.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub probe_wait: u64,

    /// Build every step again instead of reusing the engine's layer cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Pass a flag to the engine's build command (repeatable): `--build-flag=--pull=never`.
    #[arg(long = "build-flag", value_name = "FLAG", allow_hyphen_values = true)]
    pub build_flags: Vec<String>,

    /// Keep the build logs in this directory (default: a temporary one, kept only when a
    /// build fails).
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,

    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone)]
pub struct MeasureArgs {
    /// Images in the engine's storage.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ProbeArgs {
    /// Keep trying for this long.
    #[arg(long, default_value_t = 30000)]
    pub wait_ms: u64,
    pub url: String,
}

/// `dopt verify-probe` (internal: run inside a container's network namespace).
pub fn cmd_probe(a: &ProbeArgs) -> i32 {
    smoke::probe_main(&a.url, Duration::from_millis(a.wait_ms))
}

fn usage(msg: impl std::fmt::Display) -> i32 {
    eprintln!("dopt: {msg}");
    EXIT_USAGE
}

/// The configuration and rules for a Dockerfile in `dir`, as the main command chooses them.
fn rules_for(a: &VerifyArgs, fixed: &Option<Arc<Config>>, dir: &Path) -> Result<(Arc<Config>, Vec<&'static dyn rules_engine::Rule>), String> {
    let config = match fixed {
        Some(c) => c.clone(),
        None => match crate::config::find_config(dir) {
            Some(p) => Arc::new(Config::file(&p)?),
            None => Arc::new(Config::default_ref().clone()),
        },
    };
    let select = if a.select.is_empty() { config.select.clone() } else { a.select.clone() };
    let mut ignore = config.ignore.clone();
    ignore.extend(a.ignore.iter().cloned());
    let rules = crate::cli::select_rules(&select, &ignore).map_err(|e| format!("{}: {e}", config.source))?;
    Ok((config, rules))
}

/// A Dockerfile and its rewrite.
struct Rewrite {
    text: String,
    output: String,
    files: Vec<rules_engine::FileChange>,
    fixes: Vec<String>,
    problems: Vec<String>,
}

fn rewrite(a: &VerifyArgs, fixed: &Option<Arc<Config>>, path: &Path, context: &Path) -> Result<Rewrite, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > 1 << 20 {
        return Err(format!("file is {} bytes, over dopt's limit of 1 MiB", meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = crate::cli::check_text(&bytes)?.to_string();
    let (config, rules) = rules_for(a, fixed, context)?;
    let ctx = BuildContext::new(Some(context.to_path_buf()));
    let opts = Options { unsafe_fixes: a.unsafe_fixes, fix: true, config, ..Options::default() };
    let out = rules_engine::run(&text, &rules, &ctx, &opts).map_err(|e| format!("BuildKit would refuse this file: {e}"))?;
    let mut fixes: Vec<String> = Vec::new();
    for ap in &out.applied {
        if !fixes.iter().any(|f| f == ap.code) {
            fixes.push(ap.code.to_string());
        }
    }
    let (output, files) = if out.problems.is_empty() { (out.output.clone(), out.files.clone()) } else { (text.clone(), Vec::new()) };
    Ok(Rewrite { text, output, files, fixes, problems: out.problems })
}

/// Where this run keeps its temporary files.
struct Work {
    id: String,
    dir: PathBuf,
    logs: PathBuf,
    keep_logs: bool,
    n: usize,
}

impl Work {
    fn new(log_dir: Option<&Path>) -> Result<Work, String> {
        let id = engine::run_id();
        let dir = std::env::temp_dir().join(format!("dopt-verify-{id}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (logs, keep_logs) = match log_dir {
            Some(d) => (d.to_path_buf(), true),
            None => (dir.join("logs"), false),
        };
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        engine::remove_on_interrupt(&dir);
        Ok(Work { id, dir, logs, keep_logs, n: 0 })
    }
}

/// Copies a directory tree (for a rewrite that adds files to its build context).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let ty = e.file_type()?;
        let dest = to.join(e.file_name());
        if ty.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &dest)?;
        } else {
            std::fs::copy(e.path(), &dest)?;
        }
    }
    Ok(())
}

/// The original's build inputs and the rewrite's: the rewrite is written to a temporary file
/// of the same name (with the original's `NAME.dockerignore` beside it, if any), built with
/// `-f` from the same context; when its fixes add files to the context, from a copy of it.
fn prepare_rewrite(work: &Work, n: usize, path: &Path, context: &Path, rw: &Rewrite) -> Result<(PathBuf, PathBuf), String> {
    let dir = work.dir.join(format!("rewrite-{n}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let name = path.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "Dockerfile".into());
    let df = dir.join(&name);
    std::fs::write(&df, rw.output.as_bytes()).map_err(|e| format!("{}: {e}", df.display()))?;
    for ext in [".dockerignore", ".containerignore"] {
        let mut companion = name.clone();
        companion.push(ext);
        if let Some(parent) = path.parent() {
            let src = parent.join(&companion);
            if src.is_file() {
                std::fs::copy(&src, dir.join(&companion)).map_err(|e| e.to_string())?;
            }
        }
    }
    if rw.files.is_empty() {
        return Ok((df, context.to_path_buf()));
    }
    let ctx = work.dir.join(format!("context-{n}"));
    copy_tree(context, &ctx).map_err(|e| format!("copying the build context: {e}"))?;
    for f in &rw.files {
        std::fs::write(ctx.join(&f.path), f.after.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok((df, ctx))
}

/// Builds an image, registering it for removal first.
fn build(eng: &Engine, dockerfile: &Path, context: &Path, tag: &str, log: &Path, opts: &BuildOptions, timeout: Duration) -> (Build, Option<u64>) {
    let (prog, args) = eng.remove_image(tag);
    let res = engine::register(&prog, args);
    let file = match std::fs::File::create(log) {
        Ok(f) => f,
        Err(e) => return (Build { ok: false, seconds: 0.0, error: Some(format!("{}: {e}", log.display())), log: None }, Some(res)),
    };
    let cmd = eng.build_command(dockerfile, context, tag, opts);
    let t = Instant::now();
    let r = engine::supervise(cmd, timeout, Sink::File(file), |_| ());
    let seconds = t.elapsed().as_secs_f64();
    let log_s = Some(log.display().to_string());
    match r {
        Ok((_, out)) if out.success() => (Build { ok: true, seconds, error: None, log: log_s }, Some(res)),
        Ok((_, out)) => {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.trim_end().lines().collect();
            let mut tail = lines[lines.len().saturating_sub(25)..].join("\n");
            if out.timed_out {
                tail.push_str(&format!("\n(dopt: the build ran past --timeout {} s and was stopped)", timeout.as_secs()));
            } else if out.code.is_none() {
                tail.push_str("\n(dopt: the build was killed by a signal)");
            } else {
                tail.push_str(&format!("\n(dopt: the engine exited {})", out.code.unwrap_or(-1)));
            }
            (Build { ok: false, seconds, error: Some(tail), log: log_s }, Some(res))
        }
        Err(e) => (Build { ok: false, seconds, error: Some(e), log: log_s }, Some(res)),
    }
}

/// Saves an image and measures it, streaming the archive.
pub fn measure_image(eng: &Engine, image: &str, timeout: Duration) -> Result<measure::Measure, String> {
    let cmd = eng.save_command(image);
    let (m, out) = engine::supervise(cmd, timeout, Sink::Capture, |stdout| match stdout {
        Some(s) => measure::read_archive(std::io::BufReader::with_capacity(1 << 20, s)),
        None => Err("no output".into()),
    })?;
    if !out.success() {
        return Err(format!("saving {image} failed: {}", out.error_text()));
    }
    m
}

fn progress(a: &VerifyArgs, msg: &str) {
    if !a.quiet {
        eprintln!("dopt verify: {msg}");
    }
}

/// Verifies one Dockerfile.
fn verify_one(a: &VerifyArgs, eng: &Engine, fixed: &Option<Arc<Config>>, work: &mut Work, path: &Path, smoke_opts: &SmokeOptions, budget: Option<u64>) -> FileReport {
    let name = path.display().to_string();
    let mut rep = FileReport { path: name.clone(), fixes: Vec::new(), unchanged: false, before: None, after: None, verdict: Verdict::Error, reasons: Vec::new(), notes: Vec::new() };
    let context = a.context.clone().unwrap_or_else(|| match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    });
    let rw = match rewrite(a, fixed, path, &context) {
        Ok(r) => r,
        Err(e) => {
            rep.reasons.push(e);
            return rep;
        }
    };
    for p in &rw.problems {
        rep.notes.push(format!("dopt refused a fix as a bug in itself, so the rewrite verified is the original: {p}"));
    }
    rep.fixes = rw.fixes.clone();
    rep.unchanged = rw.output == rw.text && rw.files.is_empty();
    work.n += 1;
    let n = work.n;
    let stem: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let stem = stem.trim_matches('-').chars().rev().take(40).collect::<String>().chars().rev().collect::<String>();
    let tag = |side: &str| format!("dopt-verify-{}-{n}-{side}", work.id);
    let bopts = BuildOptions { no_cache: a.no_cache, extra: a.build_flags.clone() };
    let timeout = Duration::from_secs(a.engine.timeout);
    let mut resources = Vec::new();

    // build both first, so that the rewrite reuses the cached steps it shares with the original
    progress(a, &format!("{name}: building the original"));
    let before_tag = tag("before");
    let (b_build, r) = build(eng, path, &context, &before_tag, &work.logs.join(format!("{n}-{stem}-before.log")), &bopts, timeout);
    resources.extend(r.map(|r| (r, b_build.ok)));
    let mut after_build = None;
    let after_tag = tag("after");
    // when the original does not build there is nothing to compare the rewrite with
    if !rep.unchanged && b_build.ok {
        match prepare_rewrite(work, n, path, &context, &rw) {
            Ok((df, ctx)) => {
                progress(a, &format!("{name}: building the rewrite ({})", rep.fixes.join(" ")));
                let (ab, r) = build(eng, &df, &ctx, &after_tag, &work.logs.join(format!("{n}-{stem}-after.log")), &bopts, timeout);
                resources.extend(r.map(|r| (r, ab.ok)));
                after_build = Some(ab);
            }
            Err(e) => after_build = Some(Build { ok: false, seconds: 0.0, error: Some(e), log: None }),
        }
    }
    let side = |build: Build, image: &str, label: &str| -> Side {
        let mut s = Side { image: image.to_string(), build, measure: None, measure_error: None, smoke: None, user: None };
        if !s.build.ok {
            return s;
        }
        progress(a, &format!("{name}: measuring the {label}"));
        // an engine's `save` has been seen to fail once in a while on an image that exists and
        // runs (podman 4.3): once more before giving up
        match measure_image(eng, image, timeout).or_else(|_| {
            std::thread::sleep(Duration::from_secs(1));
            measure_image(eng, image, timeout)
        }) {
            Ok(m) => s.measure = Some(m),
            Err(e) => s.measure_error = Some(e),
        }
        match &eng.runner {
            Some(runner) => {
                progress(a, &format!("{name}: running the {label}"));
                let exposed = s.measure.as_ref().map(|m| m.config.exposed.clone()).unwrap_or_default();
                let cname = format!("{image}-run");
                s.smoke = Some(smoke::smoke(runner, image, &cname, &exposed, smoke_opts));
            }
            None => {
                s.smoke = Some(smoke::Smoke { run: RunState::NotRun("buildah cannot run a container in the background, and podman is not installed".into()), probe: None, port: None, uid: None, logs: String::new(), cleanup_error: None });
            }
        }
        s
    };
    let before = side(b_build, &before_tag, "original");
    let after = after_build.map(|ab| side(ab, &after_tag, "rewrite"));
    for (r, built) in resources {
        if !built {
            engine::release_quietly(r);
        } else if let Err(e) = engine::release(r) {
            rep.notes.push(format!("could not remove an image: {e}"));
        }
    }
    rep.before = Some(before);
    rep.after = after;
    judge(&mut rep, budget);
    if !rep.unchanged {
        let _ = std::fs::remove_dir_all(work.dir.join(format!("rewrite-{n}")));
        let _ = std::fs::remove_dir_all(work.dir.join(format!("context-{n}")));
    }
    rep
}

/// The verdict, with reasons; and the USER note.
fn judge(rep: &mut FileReport, budget: Option<u64>) {
    let b = rep.before.as_ref().expect("judged after building");
    if !b.build.ok {
        rep.verdict = Verdict::NotVerified;
        rep.reasons.push("the original does not build, so there is nothing to compare (see its build log)".into());
        return;
    }
    let a = if rep.unchanged { b } else { rep.after.as_ref().expect("a changed file has a rewrite") };
    let mut reasons = Vec::new();
    if !a.build.ok {
        reasons.push("the rewrite does not build; the original does".to_string());
    }
    // without its image's configuration the rewrite's ports are not known, and neither is its
    // size: say so first, as the probe's complaint follows from it
    if a.build.ok && a.measure.is_none() {
        if let Some(e) = &a.measure_error {
            reasons.push(format!("the rewrite could not be measured, so its EXPOSEd ports and size are unknown: {e}"));
        }
    }
    let (bs, as_) = (b.smoke.as_ref(), a.smoke.as_ref());
    if let (Some(bs), Some(as_)) = (bs, as_) {
        match (&bs.run, &as_.run) {
            (RunState::Running, r) if *r != RunState::Running => reasons.push(format!("the rewrite's container {}; the original's keeps running", describe(r))),
            (RunState::Exited(0), r) if !r.passes() => reasons.push(format!("the rewrite's container {}; the original's exits 0", describe(r))),
            _ => {}
        }
        if let (Some(Probe::Status(s1)), Some(p2)) = (&bs.probe, &as_.probe) {
            if *p2 != Probe::Status(*s1) {
                let got = match p2 {
                    Probe::Status(s2) => format!("answers {s2}"),
                    Probe::NoAnswer(e) => format!("does not answer ({e})"),
                    Probe::NotRun(e) => format!("was not probed ({e})"),
                };
                reasons.push(format!("the probe: the rewrite {got}; the original answers {s1}"));
            }
        } else if let (Some(Probe::Status(s1)), None) = (&bs.probe, &as_.probe) {
            if as_.run.passes() {
                reasons.push(format!("the probe: the rewrite was not probed; the original answers {s1}"));
            }
        }
    }
    if a.build.ok && b.build.ok && a.smoke.is_some() && b.smoke.is_none() {
        rep.notes.push("only the rewrite was run".into());
    }
    if let (Some(limit), Some(m)) = (budget, a.measure.as_ref()) {
        if m.size > limit {
            reasons.push(format!("the rewrite is {}, over the budget of {}", report::size(m.size), report::size(limit)));
        }
    }
    // a USER the rewrite added or changed: the uid it runs as
    if !rep.unchanged {
        if let (Some(mb), Some(ma)) = (b.measure.as_ref(), a.measure.as_ref()) {
            if ma.config.user != mb.config.user && !ma.config.user.is_empty() {
                let observed = a.smoke.as_ref().and_then(|s| s.uid);
                let note = match observed {
                    Some(uid) => UserNote { user: ma.config.user.clone(), uid: Some(uid), source: "observed" },
                    None => UserNote { user: ma.config.user.clone(), uid: ma.uid_of(&ma.config.user), source: "declared" },
                };
                let root_spec = matches!(ma.config.user.split(':').next(), Some("root") | Some("0"));
                if note.source == "observed" && note.uid == Some(0) && !root_spec {
                    reasons.push(format!("the rewrite sets USER {}, but its container runs as uid 0", ma.config.user));
                }
                if let Some(after) = rep.after.as_mut() {
                    after.user = Some(note);
                }
            }
        }
    }
    rep.verdict = if reasons.is_empty() { Verdict::Pass } else { Verdict::Fail };
    rep.reasons = reasons;
}

fn describe(r: &RunState) -> String {
    match r {
        RunState::Running => "keeps running".into(),
        RunState::Exited(c) => format!("exits {c}"),
        RunState::Failed(e) => format!("does not start ({})", e.lines().last().unwrap_or("")),
        RunState::NotRun(e) => format!("was not run ({e})"),
    }
}

fn rewrite_options(a: &VerifyArgs) -> String {
    let mut v = vec![match (&a.preset, &a.config) {
        (Some(p), _) => format!("--preset {p}"),
        (None, Some(c)) => format!("--config {}", c.display()),
        (None, None) => "the dopt.toml found (or the default preset)".into(),
    }];
    if a.unsafe_fixes {
        v.push("--unsafe-fixes".into());
    }
    if !a.select.is_empty() {
        v.push(format!("--select {}", a.select.join(",")));
    }
    if !a.ignore.is_empty() {
        v.push(format!("--ignore {}", a.ignore.join(",")));
    }
    v.join(" ")
}

/// `dopt verify`.
pub fn cmd_verify(a: &VerifyArgs) -> i32 {
    let probe = match a.probe.as_deref().map(ProbeSpec::parse).transpose() {
        Ok(p) => p,
        Err(e) => return usage(e),
    };
    let budget = match a.engine.budget.as_deref().map(report::parse_size).transpose() {
        Ok(b) => b,
        Err(e) => return usage(e),
    };
    if let Err(e) = crate::cli::select_rules(&a.select, &a.ignore) {
        return usage(e);
    }
    let fixed = match (&a.config, &a.preset) {
        (Some(f), _) => Some(Config::file(f)),
        (None, Some(p)) => Some(Config::preset_or_file(p)),
        (None, None) => None,
    };
    let fixed = match fixed.transpose() {
        Ok(c) => c.map(Arc::new),
        Err(e) => return usage(e),
    };
    let paths = if a.paths.is_empty() { vec![PathBuf::from(".")] } else { a.paths.clone() };
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return usage("verify needs Dockerfiles on disk (with their build context), not stdin");
    }
    let (files, errors) = crate::cli::find_dockerfiles(&paths);
    for e in &errors {
        eprintln!("dopt: {e}");
    }
    if files.is_empty() {
        return usage(format!("no Dockerfile found in {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")));
    }
    let eng = match engine::detect(a.engine.engine) {
        Ok(e) => e,
        Err(e) => return usage(e),
    };
    engine::install_interrupt_handler();
    let mut work = match Work::new(a.log_dir.as_deref()) {
        Ok(w) => w,
        Err(e) => return usage(e),
    };
    let smoke_opts = SmokeOptions { seconds: a.smoke_seconds, probe, probe_wait: Duration::from_secs(a.probe_wait) };
    progress(a, &format!("{} Dockerfile(s) with {}", files.len(), eng.version));
    let mut reports = Vec::new();
    for f in &files {
        reports.push(verify_one(a, &eng, &fixed, &mut work, f, &smoke_opts, budget));
    }
    let failed_build = reports.iter().any(|r| r.before.iter().chain(r.after.iter()).any(|s| !s.build.ok));
    let keep_logs = work.keep_logs || failed_build;
    let cache = if a.no_cache {
        "no layer cache (--no-cache)".to_string()
    } else {
        "layer cache on: steps identical to an earlier build are reused, and the untagged cache layers stay in the engine's storage".to_string()
    };
    let network = match &eng.runner {
        Some(r) => format!("{} run --network none (loopback only)", r.kind.name()),
        None => "no containers run".to_string(),
    };
    let rep = VerifyReport { engine: eng.version.clone(), cache, network, rewrite_options: rewrite_options(a), budget, files: reports, logs: keep_logs.then(|| work.logs.display().to_string()) };
    // the temporary files: the rewrites are gone already; the logs stay only when needed
    if !keep_logs {
        let _ = std::fs::remove_dir_all(&work.dir);
    } else if !work.keep_logs {
        for e in std::fs::read_dir(&work.dir).into_iter().flatten().flatten() {
            if e.file_name() != "logs" {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    engine::park_if_interrupted();
    match a.engine.format {
        ReportFormat::Text => print!("{}", report::text(&rep)),
        ReportFormat::Markdown => print!("{}", report::markdown(&rep)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&rep).unwrap_or_default()),
    }
    let mut exit = EXIT_OK;
    for f in &rep.files {
        match f.verdict {
            Verdict::Fail => exit = exit.max(EXIT_FAILED),
            Verdict::Error => exit = exit.max(EXIT_USAGE),
            _ => {}
        }
    }
    if !errors.is_empty() {
        exit = exit.max(EXIT_USAGE);
    }
    exit
}

/// `dopt measure`.
pub fn cmd_measure(a: &MeasureArgs) -> i32 {
    let budget = match a.engine.budget.as_deref().map(report::parse_size).transpose() {
        Ok(b) => b,
        Err(e) => return usage(e),
    };
    let eng = match engine::detect(a.engine.engine) {
        Ok(e) => e,
        Err(e) => return usage(e),
    };
    engine::install_interrupt_handler();
    let timeout = Duration::from_secs(a.engine.timeout);
    let mut images = Vec::new();
    for img in &a.images {
        let r = measure_image(&eng, img, timeout);
        let over_budget = matches!((&r, budget), (Ok(m), Some(b)) if m.size > b);
        let (measure, error) = match r {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(e)),
        };
        images.push(MeasuredImage { image: img.clone(), measure, error, over_budget });
    }
    let rep = MeasureReport { engine: eng.version.clone(), budget, images };
    engine::park_if_interrupted();
    match a.engine.format {
        ReportFormat::Text => print!("{}", report::measure_text(&rep)),
        ReportFormat::Markdown => print!("{}", report::measure_markdown(&rep)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&rep).unwrap_or_default()),
    }
    if rep.images.iter().any(|i| i.error.is_some()) {
        EXIT_USAGE
    } else if rep.images.iter().any(|i| i.over_budget) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
