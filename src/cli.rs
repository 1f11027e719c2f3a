//! The command line: arguments, modes, exit codes.
//!
//! Files are found by [`crate::discover`], worked on in parallel by [`crate::runner`] (each
//! worker reads, checks and fixes one file; configurations and build contexts are loaded once
//! per directory and shared), and the results are handed, in command-line order, to the mode
//! (`--write`, `--diff`, `--check`, report) and the `--format` reporter on the main thread,
//! which alone prints and writes.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::discover::{self, io_msg};
use crate::engine::{self, Applicability, Options, Outcome, Rule};
use crate::model::context::{BuildContext, Contexts};
use crate::output::{self, parse_json, report, write, FileReport, Mode, Reporter, Summary};
use crate::syntax;
use crate::transforms;

pub use crate::discover::is_dockerfile_name;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "dopt",
    version,
    about = "Rewrites Dockerfiles so they build smaller, safer, faster images",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,

    /// Dockerfiles or directories to search (recursively); `-` reads stdin. Default: `.`
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Print a unified diff of the fixes instead of the findings (exit 1 when not empty).
    #[arg(long, group = "mode")]
    pub diff: bool,

    /// Rewrite files in place (with `-`, print the rewritten text to stdout).
    #[arg(long, group = "mode")]
    pub write: bool,

    /// Print only a summary; exit 1 when `--write` would change anything.
    #[arg(long, group = "mode")]
    pub check: bool,

    /// Also apply fixes marked unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Only these rules: comma-separated codes, code prefixes (`DP1`) or names; `ALL`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,

    /// Leave out these rules (codes, prefixes or names).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Colour the report.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Print no summary lines.
    #[arg(long, short)]
    pub quiet: bool,

    /// The path of the Dockerfile read from stdin: used for messages and to find its build context.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// The build context directory (default: the Dockerfile's directory).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// A preset (`default`, `glibc`, `distroless`, `ci`) or the path of a preset file; skips the search
    /// for `dopt.toml`.
    #[arg(long, value_name = "NAME|PATH", conflicts_with = "config")]
    pub preset: Option<String>,

    /// The configuration file to use instead of the `dopt.toml` found upward from each Dockerfile.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Refuse files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_file_size: u64,

    /// Work on this many files at once (default: the machine's cores). Output is in the same
    /// order whatever the number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,

    /// Exit 0 even when there are findings or files to rewrite (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// With `--write`: exit 1 when a file was rewritten.
    #[arg(long, requires = "write")]
    pub exit_non_zero_on_fix: bool,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Print how dopt (and BuildKit) parse a Dockerfile.
    Parse {
        /// Print the instructions as JSON (the format of parse_compare.py).
        #[arg(long)]
        json: bool,
        /// The Dockerfile (`-` for stdin).
        file: PathBuf,
    },
    /// List every rule: code, name, fix safety, hadolint codes, summary.
    Rules {
        /// As a Markdown table (the one in README.md).
        #[arg(long)]
        markdown: bool,
    },
    /// List the presets compiled into dopt, with their base-image mappings.
    Presets,
    /// Print a rule's documentation.
    Explain {
        /// A rule code (`DP101`) or name (`pip-no-cache-dir`).
        rule: String,
    },
    /// Build each Dockerfile before and after the rewrite, measure and smoke-test both images.
    Verify(Box<crate::verify::VerifyArgs>),
    /// Measure images that exist already: size, layers, wasted bytes.
    Measure(crate::verify::MeasureArgs),
    /// Internal: GET a URL inside a container's network namespace (used by `verify --probe`).
    #[command(hide = true)]
    VerifyProbe(crate::verify::ProbeArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line:col: CODE message` lines
    Text,
    /// a JSON list of findings, with their fixes as edits and diffs
    Json,
    /// JSON Lines: a record per finding and per file as each file is done, then a summary
    Jsonl,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
    /// GitLab Code Quality
    Gitlab,
    /// a pull-request body
    Markdown,
}

impl Format {
    fn reporter(self) -> Option<Box<dyn Reporter>> {
        Some(match self {
            Format::Text => return None,
            Format::Json => Box::<output::json::Json>::default(),
            Format::Jsonl => Box::<output::json::JsonLines>::default(),
            Format::Sarif => Box::<output::sarif::Sarif>::default(),
            Format::Github => Box::<output::github::Github>::default(),
            Format::Gitlab => Box::<output::gitlab::Gitlab>::default(),
            Format::Markdown => Box::<output::markdown::Markdown>::default(),
        })
    }

    /// Whether the format tells what `--write` would do with each finding, so that fixes are
    /// worked out even in a report.
    fn shows_fixes(self) -> bool {
        matches!(self, Format::Json | Format::Jsonl | Format::Sarif | Format::Github | Format::Markdown)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Runs the command line; returns the exit code.
pub fn main_with(cli: Cli) -> i32 {
    match &cli.command {
        Some(Cmd::Parse { json, file }) => return cmd_parse(&cli, file, *json),
        Some(Cmd::Rules { markdown }) => return cmd_rules(*markdown),
        Some(Cmd::Presets) => return cmd_presets(),
        Some(Cmd::Explain { rule }) => return cmd_explain(rule),
        Some(Cmd::Verify(a)) => return crate::verify::cmd_verify(a),
        Some(Cmd::Measure(a)) => return crate::verify::cmd_measure(a),
        Some(Cmd::VerifyProbe(a)) => return crate::verify::cmd_probe(a),
        None => {}
    }
    // Check --select/--ignore and an explicit preset or config once, up front.
    if let Err(e) = select_rules(&cli.select, &cli.ignore) {
        eprintln!("dopt: {e}");
        return EXIT_ERROR;
    }
    let fixed_config = match (&cli.config, &cli.preset) {
        (Some(f), _) => Some(Config::file(f)),
        (None, Some(p)) => Some(Config::preset_or_file(p)),
        (None, None) => None,
    };
    let fixed_config = match fixed_config.transpose() {
        Ok(c) => c.map(Arc::new),
        Err(e) => {
            eprintln!("dopt: {e}");
            return EXIT_ERROR;
        }
    };
    let paths = if cli.paths.is_empty() { vec![PathBuf::from(".")] } else { cli.paths.clone() };
    if cli.write && cli.format != Format::Text && paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!("dopt: --write - prints the rewritten text to stdout; it takes no --format");
        return EXIT_ERROR;
    }
    let paint = report::Paint(match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
    });
    let mut run = Run { cli: &cli, paint, reporter: cli.format.reporter(), exit: EXIT_OK, sum: Summary::default(), fixable: 0, unsafe_fixable: 0 };
    run.sum.mode = Some(if cli.write { Mode::Write } else { Mode::Report });
    let mut targets = Vec::new();
    let mut seen = HashSet::new();
    for p in &paths {
        if p.as_os_str() == "-" {
            targets.push(Target::Stdin);
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut found = discover::Found::default();
                discover::walk(p, &mut found, &mut seen);
                for s in &found.skipped {
                    eprintln!("dopt: warning: {s}");
                }
                for e in &found.errors {
                    eprintln!("dopt: {e}");
                    run.exit = EXIT_ERROR;
                }
                targets.extend(found.files.into_iter().map(Target::File));
            }
            Ok(_) => targets.push(Target::File(p.clone())),
            Err(e) => {
                eprintln!("dopt: {}: {}", p.display(), io_msg(&e));
                run.exit = EXIT_ERROR;
            }
        }
    }
    let shared = Shared { cli: &cli, fixed_config, configs: Mutex::new(HashMap::new()), contexts: Contexts::default() };
    let jobs = cli.jobs.map(|j| j as usize).unwrap_or_else(crate::runner::default_jobs);
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    crate::runner::ordered(&targets, jobs, |t| shared.analyze(t), |_, r| {
        run.emit(&mut w, r);
        let _ = w.flush();
    });
    let code = run.finish(&mut w);
    let _ = w.flush();
    code
}

/// A configuration and the rules it selects (after `--select` and `--ignore`).
type ConfigAndRules = (Arc<Config>, Vec<&'static dyn Rule>);

enum Target {
    Stdin,
    File(PathBuf),
}

/// What the workers share: the options, and what is read once per directory.
struct Shared<'a> {
    cli: &'a Cli,
    /// `--config` or `--preset`, when given.
    fixed_config: Option<Arc<Config>>,
    /// Configurations found upward from Dockerfiles, by directory.
    configs: Mutex<HashMap<PathBuf, Result<ConfigAndRules, String>>>,
    contexts: Contexts,
}

/// A file dopt could not work on: the message, and whether it counts as a file checked.
struct Failure {
    message: String,
    counted: bool,
}

/// What a worker hands to the main thread for one file.
struct FileResult {
    name: String,
    /// None: stdin.
    path: Option<PathBuf>,
    ctx: Option<Arc<BuildContext>>,
    result: Result<Outcome, Failure>,
}

impl Shared<'_> {
    /// The configuration and rules for a Dockerfile in `dir`: `--config`/`--preset`, else the
    /// nearest `dopt.toml` above it, else the default preset; then `--select`/`--ignore`, and
    /// the `ignored:` codes of a `.hadolint.yaml` when no `dopt.toml` or `--config` applies.
    fn config_for(&self, dir: Option<&Path>) -> Result<ConfigAndRules, String> {
        let cli = self.cli;
        let key = dir.map(Path::to_path_buf).unwrap_or_default();
        if let Some(r) = self.configs.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return r.clone();
        }
        let found = if self.fixed_config.is_none() { dir.and_then(crate::config::find_config) } else { None };
        let own_config = cli.config.is_some() || found.is_some();
        let config = match (&self.fixed_config, found) {
            (Some(c), _) => Ok(c.clone()),
            (None, Some(p)) => Config::file(&p).map(Arc::new),
            (None, None) => Ok(Arc::new(Config::default_ref().clone())),
        };
        let hadolint_ignored = match dir {
            Some(d) if !own_config => crate::config::hadolint_ignored(d),
            _ => Ok(Vec::new()),
        };
        let r = config.and_then(|c| {
            let select = if cli.select.is_empty() { c.select.clone() } else { cli.select.clone() };
            let mut ignore = c.ignore.clone();
            ignore.extend(cli.ignore.iter().cloned());
            let mut rules = select_rules(&select, &ignore).map_err(|e| format!("{}: {e}", c.source))?;
            let hl = hadolint_ignored?;
            rules.retain(|r| !r.meta().hadolint.iter().any(|h| hl.iter().any(|x| x.eq_ignore_ascii_case(h))));
            Ok((c, rules))
        });
        self.configs.lock().unwrap_or_else(|e| e.into_inner()).insert(key, r.clone());
        r
    }

    /// Reads, checks and fixes one file (on a worker thread: prints nothing).
    fn analyze(&self, t: &Target) -> FileResult {
        let cli = self.cli;
        let fail = |name: String, path: Option<PathBuf>, message: String, counted: bool| FileResult { name, path, ctx: None, result: Err(Failure { message, counted }) };
        let (name, bytes, ctx_dir, path) = match t {
            Target::Stdin => {
                let mut b = Vec::new();
                let name = cli.stdin_filename.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into());
                if let Err(e) = std::io::stdin().take(cli.max_file_size + 1).read_to_end(&mut b) {
                    return fail(name, None, io_msg(&e), false);
                }
                let dir = cli.stdin_filename.as_ref().and_then(|p| p.parent().map(Path::to_path_buf)).map(|d| if d.as_os_str().is_empty() { PathBuf::from(".") } else { d });
                (name, b, dir, None)
            }
            Target::File(p) => {
                let name = p.display().to_string();
                let meta = match std::fs::metadata(p) {
                    Ok(m) => m,
                    Err(e) => return fail(name, Some(p.clone()), io_msg(&e), false),
                };
                if meta.len() > cli.max_file_size {
                    let m = format!("file is {} bytes, over the limit of {} (raise it with --max-file-size)", meta.len(), cli.max_file_size);
                    return fail(name, Some(p.clone()), m, false);
                }
                let b = match std::fs::read(p) {
                    Ok(b) => b,
                    Err(e) => return fail(name, Some(p.clone()), io_msg(&e), false),
                };
                let dir = p.parent().map(|d| if d.as_os_str().is_empty() { PathBuf::from(".") } else { d.to_path_buf() });
                (name, b, dir, Some(p.clone()))
            }
        };
        if bytes.len() as u64 > cli.max_file_size {
            let m = format!("input is over the limit of {} bytes (raise it with --max-file-size)", cli.max_file_size);
            return fail(name, path, m, false);
        }
        let text = match check_text(&bytes) {
            Ok(t) => t,
            Err(m) => return fail(name, path, m.to_string(), false),
        };
        let ctx = self.contexts.get(cli.context.clone().or(ctx_dir));
        let (config, rules) = match self.config_for(ctx.dir()) {
            Ok(c) => c,
            Err(e) => return fail(name, path, e, true),
        };
        let fix = cli.diff || cli.write || cli.check || cli.format.shows_fixes();
        let opts = Options { unsafe_fixes: cli.unsafe_fixes, fix, config, ..Options::default() };
        let result = engine::run(text, &rules, &ctx, &opts).map_err(|e| Failure { message: format!("BuildKit would refuse this file: {e}"), counted: true });
        FileResult { name, path, ctx: Some(ctx), result }
    }
}

/// The main thread's side: modes, reports, writes, totals.
struct Run<'a> {
    cli: &'a Cli,
    paint: report::Paint,
    reporter: Option<Box<dyn Reporter>>,
    exit: i32,
    sum: Summary,
    fixable: usize,
    unsafe_fixable: usize,
}

impl Run<'_> {
    fn fail(&mut self, w: &mut dyn Write, name: &str, msg: &str) {
        eprintln!("dopt: {name}: {msg}");
        self.exit = self.exit.max(EXIT_ERROR);
        self.sum.errors += 1;
        if let Some(r) = self.reporter.as_mut() {
            let _ = r.error(w, name, msg);
        }
    }

    fn emit(&mut self, w: &mut dyn Write, r: FileResult) {
        let cli = self.cli;
        let FileResult { name, path, ctx, result } = r;
        let out = match result {
            Ok(o) => o,
            Err(f) => {
                if f.counted {
                    self.sum.files += 1;
                }
                return self.fail(w, &name, &f.message);
            }
        };
        self.sum.files += 1;
        for p in &out.problems {
            eprintln!("dopt: {name}: {p}");
        }
        let has_problems = !out.problems.is_empty();
        if has_problems {
            self.exit = self.exit.max(EXIT_ERROR);
            self.sum.errors += 1;
        }
        let count = |a: Applicability| out.diagnostics.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.applicability == a)).count();
        self.sum.findings += out.diagnostics.len();
        self.fixable += count(Applicability::Safe) + if cli.unsafe_fixes { count(Applicability::Unsafe) } else { 0 };
        if !cli.unsafe_fixes {
            self.unsafe_fixable += count(Applicability::Unsafe);
        }
        let changed = out.changed() && !has_problems;
        if changed {
            self.sum.changed += 1;
            self.sum.fixed += out.applied.len();
        }
        let ctx_dir = ctx.as_ref().and_then(|c| c.dir().map(Path::to_path_buf));
        let mode = if cli.write { Mode::Write } else { Mode::Report };
        let fr = FileReport::new(&name, &out, cli.unsafe_fixes, mode, ctx_dir.as_deref());
        if cli.write {
            match &path {
                None => {
                    // like a file, stdin's text is not rewritten when dopt refused a fix as a bug
                    let text = if has_problems { &out.input.text } else { &out.output };
                    let _ = w.write_all(text.as_bytes());
                }
                Some(p) if changed && out.output != out.input.text => {
                    if let Err(e) = write::write_atomic(p, out.output.as_bytes()) {
                        return self.fail(w, &name, &format!("could not write: {}", io_msg(&e)));
                    }
                }
                Some(_) => {}
            }
            if changed && path.is_none() {
                // stdin in, stdout out: a file beside the Dockerfile (a .dockerignore) is not
                // written as a side effect, whatever --stdin-filename says; it is named instead
                for fc in &out.files {
                    if !cli.quiet {
                        eprintln!("dopt: {name}: not creating {}: the Dockerfile came from stdin (run dopt on the file, or see --diff)", fc.path);
                    }
                }
            } else if changed {
                let dir = ctx_dir.clone().unwrap_or_else(|| PathBuf::from("."));
                for fc in &out.files {
                    if let Err(e) = write::write_beside(&dir, &fc.path, fc.before.as_deref(), fc.after.as_bytes()) {
                        self.fail(w, &fr.created_path(&fc.path), &format!("not written: {e}"));
                    }
                }
            }
            match self.reporter.as_mut() {
                Some(r) => {
                    let _ = r.file(w, &fr);
                }
                None if !cli.quiet => {
                    let after = syntax::parse(&out.output).unwrap_or_else(|_| out.input.clone());
                    for d in &out.remaining {
                        eprintln!("{}", report::line(&name, &after, d, report::Paint(false), cli.unsafe_fixes));
                    }
                }
                None => {}
            }
        } else if cli.diff {
            if changed {
                let _ = w.write_all(fr.diff().as_bytes());
                self.exit = self.exit.max(EXIT_FINDINGS);
            }
        } else {
            let findings = if cli.check { changed } else { !out.diagnostics.is_empty() };
            if findings {
                self.exit = self.exit.max(EXIT_FINDINGS);
            }
            match self.reporter.as_mut() {
                Some(r) => {
                    let _ = r.file(w, &fr);
                }
                None if cli.check => {
                    if changed && !cli.quiet {
                        let _ = writeln!(w, "would rewrite {name}");
                    }
                }
                None => {
                    for d in &out.diagnostics {
                        let _ = writeln!(w, "{}", report::line(&name, &out.input, d, self.paint, cli.unsafe_fixes));
                    }
                }
            }
        }
    }

    fn finish(mut self, w: &mut dyn Write) -> i32 {
        let cli = self.cli;
        let code = self.exit_code();
        let text = self.reporter.is_none();
        if let Some(r) = self.reporter.as_mut() {
            let _ = r.finish(w, &self.sum);
        }
        if cli.quiet || !(text || cli.write || cli.check || cli.diff) {
            return code;
        }
        let s = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let sum = &self.sum;
        if cli.write {
            eprintln!("Fixed {} in {} ({} checked).", s(sum.fixed, "finding"), s(sum.changed, "file"), s(sum.files, "file"));
        } else if cli.check || cli.diff {
            let msg = if sum.changed == 0 {
                format!("{} checked, nothing to rewrite.", s(sum.files, "file"))
            } else {
                format!("{} would be rewritten ({} checked).", s(sum.changed, "file"), s(sum.files, "file"))
            };
            if cli.check && text {
                let _ = writeln!(w, "{msg}");
            } else {
                eprintln!("{msg}");
            }
        } else {
            let mut msg = format!("Found {} in {}", s(sum.findings, "finding"), s(sum.files, "file"));
            if self.fixable > 0 {
                msg.push_str(&format!("; {} fixable with --write", self.fixable));
            }
            if self.unsafe_fixable > 0 {
                msg.push_str(&format!("; {} more with --write --unsafe-fixes", self.unsafe_fixable));
            }
            let _ = writeln!(w, "{msg}.");
        }
        code
    }

    /// The exit code after `--exit-zero` and `--exit-non-zero-on-fix`.
    fn exit_code(&self) -> i32 {
        let mut code = self.exit;
        if self.cli.exit_zero && code == EXIT_FINDINGS {
            code = EXIT_OK;
        }
        if self.cli.exit_non_zero_on_fix && self.sum.changed > 0 {
            code = code.max(EXIT_FINDINGS);
        }
        code
    }
}

/// Checks that the bytes are a text file dopt may read: UTF-8, no NUL bytes.
pub fn check_text(bytes: &[u8]) -> Result<&str, &'static str> {
    if bytes.contains(&0) {
        return Err("binary file (it holds NUL bytes); not a Dockerfile");
    }
    std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text; dopt reads UTF-8 Dockerfiles only")
}

/// The Dockerfiles named or found (as the main command finds them, symbolic links out of a
/// searched directory skipped with a warning) under `paths`, and the paths that could not be
/// read.
pub fn find_dockerfiles(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let (mut files, mut errors) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut found = discover::Found::default();
                discover::walk(p, &mut found, &mut seen);
                for s in &found.skipped {
                    eprintln!("dopt: warning: {s}");
                }
                errors.extend(found.errors);
                files.extend(found.files);
            }
            Ok(_) => files.push(p.clone()),
            Err(e) => errors.push(format!("{}: {}", p.display(), io_msg(&e))),
        }
    }
    (files, errors)
}

/// The rules `--select` and `--ignore` leave.
pub fn select_rules(select: &[String], ignore: &[String]) -> Result<Vec<&'static dyn Rule>, String> {
    let all = transforms::all();
    let matches = |r: &dyn Rule, key: &str| {
        let m = r.meta();
        key.eq_ignore_ascii_case("ALL") || m.code.to_ascii_uppercase().starts_with(&key.to_ascii_uppercase()) || m.name == key
    };
    // an opt-in rule is selected by its exact code or name only, not by `ALL` or a prefix
    let selects = |r: &dyn Rule, key: &str| {
        let m = r.meta();
        if transforms::is_opt_in(m) {
            m.code.eq_ignore_ascii_case(key) || m.name == key
        } else {
            matches(r, key)
        }
    };
    for k in select.iter().chain(ignore) {
        if !all.iter().any(|r| matches(*r, k)) {
            return Err(format!("unknown rule `{k}` (see `dopt rules`)"));
        }
    }
    Ok(all
        .into_iter()
        .filter(|r| if select.is_empty() { !transforms::is_opt_in(r.meta()) } else { select.iter().any(|k| selects(*r, k)) })
        .filter(|r| !ignore.iter().any(|k| matches(*r, k)))
        .collect())
}

fn cmd_parse(cli: &Cli, file: &Path, json: bool) -> i32 {
    let (name, bytes) = if file.as_os_str() == "-" {
        let mut b = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut b) {
            eprintln!("dopt: -: {}", io_msg(&e));
            return EXIT_ERROR;
        }
        ("-".to_string(), b)
    } else {
        match std::fs::read(file) {
            Ok(b) => (file.display().to_string(), b),
            Err(e) => {
                eprintln!("dopt: {}: {}", file.display(), io_msg(&e));
                return EXIT_ERROR;
            }
        }
    };
    if bytes.len() as u64 > cli.max_file_size {
        eprintln!("dopt: {name}: over the limit of {} bytes (raise it with --max-file-size)", cli.max_file_size);
        return EXIT_ERROR;
    }
    let text = match check_text(&bytes) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("dopt: {name}: {m}");
            return EXIT_ERROR;
        }
    };
    match syntax::parse(text) {
        Ok(d) => {
            if json {
                println!("{}", parse_json::to_json(&d));
            } else {
                for i in &d.instructions {
                    let e = i.effective();
                    println!("{}-{} {} {:?} {:?}", i.start_line, i.end_line, i.node.keyword, e.flags.iter().map(|f| &f.text).collect::<Vec<_>>(), e.values);
                }
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("dopt: {name}: BuildKit would refuse this file: {e}");
            EXIT_ERROR
        }
    }
}

fn cmd_rules(markdown: bool) -> i32 {
    let mut metas = transforms::metas();
    metas.sort_by_key(|m| m.code);
    if markdown {
        println!("| code | name | fix | resolves hadolint | summary |\n| --- | --- | --- | --- | --- |");
        for m in metas {
            let h = if m.hadolint.is_empty() { "-".to_string() } else { m.hadolint.join(", ") };
            println!("| {} | {} | {} | {h} | {} |", m.code, m.name, m.fix.label(), m.summary.replace('|', "\\|"));
        }
        return EXIT_OK;
    }
    println!("{:<6} {:<30} {:<12} {:<18} summary", "code", "name", "fix", "hadolint");
    for m in metas {
        println!("{:<6} {:<30} {:<12} {:<18} {}", m.code, m.name, m.fix.label(), m.hadolint.join(","), m.summary);
    }
    EXIT_OK
}

fn cmd_presets() -> i32 {
    for (name, _) in crate::config::PRESETS {
        match Config::preset(name) {
            Ok(c) => {
                println!("{name}: {}", c.description);
                let go = match c.go_runtime {
                    crate::config::GoRuntime::Scratch => "scratch",
                    crate::config::GoRuntime::Distroless => "distroless",
                };
                let java = match c.java_runtime {
                    crate::config::JavaRuntime::Jre => "jre",
                    crate::config::JavaRuntime::Jlink => "jlink",
                };
                println!("  [go] runtime = {go}; [java] runtime = {java}");
                for m in &c.images {
                    let to = match &m.to_image {
                        Some(r) => format!("{r}:{}", m.to),
                        None => format!("{}:{}", m.image, m.to),
                    };
                    let mut cond = Vec::new();
                    if !m.when.is_empty() {
                        cond.push(format!("when {}", m.when.join(", ")));
                    }
                    if !m.unless.is_empty() {
                        cond.push(format!("unless {}", m.unless.join(", ")));
                    }
                    if m.unsafe_ {
                        cond.push("unsafe".into());
                    }
                    let cond = if cond.is_empty() { String::new() } else { format!("  ({})", cond.join("; ")) };
                    println!("  {}:{}  ->  {to}{cond}", m.image, m.tag.as_str());
                }
                let d = &c.downloads;
                if !d.https_hosts.is_empty() {
                    println!("  downloads: https hosts {}", d.https_hosts.join(", "));
                }
                if let Some(k) = &d.keyserver {
                    println!("  downloads: key server {k} in place of {}", d.dead_keyservers.join(", "));
                }
            }
            Err(e) => {
                eprintln!("dopt: {e}");
                return EXIT_ERROR;
            }
        }
    }
    EXIT_OK
}

fn cmd_explain(key: &str) -> i32 {
    match transforms::find(key) {
        Some(r) => {
            let m = r.meta();
            println!("# {} {}\n\n{}\n\nFix: {}. Resolves hadolint: {}.\n\n{}", m.code, m.name, m.summary, m.fix.label(), if m.hadolint.is_empty() { "-".to_string() } else { m.hadolint.join(", ") }, m.docs.trim_end());
            EXIT_OK
        }
        None => {
            eprintln!("dopt: unknown rule `{key}` (see `dopt rules`)");
            EXIT_ERROR
        }
    }
}
