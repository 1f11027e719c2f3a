//! The command line: arguments, file discovery, input checks, modes, exit codes.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::engine::{self, Applicability, Options, Rule};
use crate::model::context::BuildContext;
use crate::output::{diff, parse_json, report, write};
use crate::syntax;
use crate::transforms;

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
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
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
    let paint = report::Paint(match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
    });
    let mut run = Run { cli: &cli, fixed_config, configs: HashMap::new(), paint, exit: EXIT_OK, findings: 0, fixable: 0, unsafe_fixable: 0, changed: 0, fixed: 0, files: 0, json: Vec::new() };
    let paths = if cli.paths.is_empty() { vec![PathBuf::from(".")] } else { cli.paths.clone() };
    let mut targets = Vec::new();
    for p in &paths {
        if p.as_os_str() == "-" {
            targets.push(Target::Stdin);
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut seen = Vec::new();
                if let Err(e) = discover(p, &mut targets, &mut seen, &[]) {
                    eprintln!("dopt: {e}");
                    run.exit = run.exit.max(EXIT_ERROR);
                }
            }
            Ok(_) => targets.push(Target::File(p.clone())),
            Err(e) => {
                eprintln!("dopt: {}: {}", p.display(), io_msg(&e));
                run.exit = run.exit.max(EXIT_ERROR);
            }
        }
    }
    for t in targets {
        run.one(t);
    }
    run.finish()
}

/// A configuration and the rules it selects (after `--select` and `--ignore`).
type ConfigAndRules = (Arc<Config>, Vec<&'static dyn Rule>);

enum Target {
    Stdin,
    File(PathBuf),
}

struct Run<'a> {
    cli: &'a Cli,
    /// `--config` or `--preset`, when given.
    fixed_config: Option<Arc<Config>>,
    /// Configurations found upward from Dockerfiles, by directory.
    configs: HashMap<PathBuf, Result<ConfigAndRules, String>>,
    paint: report::Paint,
    exit: i32,
    findings: usize,
    fixable: usize,
    unsafe_fixable: usize,
    changed: usize,
    fixed: usize,
    files: usize,
    json: Vec<serde_json::Value>,
}

impl Run<'_> {
    /// The configuration and rules for a Dockerfile in `dir`: `--config`/`--preset`, else the
    /// nearest `dopt.toml` above it, else the default preset; then `--select`/`--ignore`.
    fn config_for(&mut self, dir: Option<&Path>) -> Result<ConfigAndRules, String> {
        let cli = self.cli;
        let key = dir.map(Path::to_path_buf).unwrap_or_default();
        if let Some(r) = self.configs.get(&key) {
            return r.clone();
        }
        let config = match &self.fixed_config {
            Some(c) => Ok(c.clone()),
            None => match dir.and_then(crate::config::find_config) {
                Some(p) => Config::file(&p).map(Arc::new),
                None => Ok(Arc::new(Config::default_ref().clone())),
            },
        };
        let r = config.and_then(|c| {
            let select = if cli.select.is_empty() { c.select.clone() } else { cli.select.clone() };
            let mut ignore = c.ignore.clone();
            ignore.extend(cli.ignore.iter().cloned());
            let rules = select_rules(&select, &ignore).map_err(|e| format!("{}: {e}", c.source))?;
            Ok((c, rules))
        });
        self.configs.insert(key, r.clone());
        r
    }

    fn fail(&mut self, name: &str, msg: &str) {
        eprintln!("dopt: {name}: {msg}");
        self.exit = self.exit.max(EXIT_ERROR);
    }

    fn one(&mut self, t: Target) {
        let cli = self.cli;
        let (name, bytes, ctx_dir, path) = match &t {
            Target::Stdin => {
                let mut b = Vec::new();
                let limit = cli.max_file_size;
                if let Err(e) = std::io::stdin().take(limit + 1).read_to_end(&mut b) {
                    self.fail("-", &io_msg(&e));
                    return;
                }
                let name = cli.stdin_filename.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into());
                let dir = cli.stdin_filename.as_ref().and_then(|p| p.parent().map(Path::to_path_buf)).map(|d| if d.as_os_str().is_empty() { PathBuf::from(".") } else { d });
                (name, b, dir, None)
            }
            Target::File(p) => {
                let name = p.display().to_string();
                let meta = match std::fs::metadata(p) {
                    Ok(m) => m,
                    Err(e) => return self.fail(&name, &io_msg(&e)),
                };
                if meta.len() > cli.max_file_size {
                    return self.fail(&name, &format!("file is {} bytes, over the limit of {} (raise it with --max-file-size)", meta.len(), cli.max_file_size));
                }
                let b = match std::fs::read(p) {
                    Ok(b) => b,
                    Err(e) => return self.fail(&name, &io_msg(&e)),
                };
                let dir = p.parent().map(|d| if d.as_os_str().is_empty() { PathBuf::from(".") } else { d.to_path_buf() });
                (name, b, dir, Some(p.clone()))
            }
        };
        if bytes.len() as u64 > cli.max_file_size {
            return self.fail(&name, &format!("input is over the limit of {} bytes (raise it with --max-file-size)", cli.max_file_size));
        }
        let text = match check_text(&bytes) {
            Ok(t) => t,
            Err(m) => return self.fail(&name, m),
        };
        self.files += 1;
        let ctx = BuildContext::new(cli.context.clone().or(ctx_dir));
        let (config, rules) = match self.config_for(ctx.dir()) {
            Ok(c) => c,
            Err(e) => return self.fail(&name, &e),
        };
        let fix = cli.diff || cli.write || cli.check;
        let opts = Options { unsafe_fixes: cli.unsafe_fixes, fix, config, ..Options::default() };
        let out = match engine::run(text, &rules, &ctx, &opts) {
            Ok(o) => o,
            Err(e) => return self.fail(&name, &format!("BuildKit would refuse this file: {e}")),
        };
        for p in &out.problems {
            eprintln!("dopt: {name}: {p}");
        }
        let has_problems = !out.problems.is_empty();
        if has_problems {
            self.exit = self.exit.max(EXIT_ERROR);
        }
        let count = |a: Applicability| out.diagnostics.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.applicability == a)).count();
        self.findings += out.diagnostics.len();
        self.fixable += count(Applicability::Safe) + if cli.unsafe_fixes { count(Applicability::Unsafe) } else { 0 };
        if !cli.unsafe_fixes {
            self.unsafe_fixable += count(Applicability::Unsafe);
        }
        let changed = out.changed() && !has_problems;
        if changed {
            self.changed += 1;
            self.fixed += out.applied.len();
        }
        let ctx_dir_str = ctx.dir().map(|d| d.display().to_string());
        if cli.write {
            match &path {
                None => {
                    // like a file, stdin's text is not rewritten when dopt refused a fix as a bug
                    let text = if has_problems { &out.input.text } else { &out.output };
                    let _ = std::io::stdout().write_all(text.as_bytes());
                }
                Some(p) if changed && out.output != out.input.text => {
                    if let Err(e) = write::write_atomic(p, out.output.as_bytes()) {
                        return self.fail(&name, &format!("could not write: {}", io_msg(&e)));
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
                for fc in &out.files {
                    let target = ctx.dir().map(|d| d.join(&fc.path)).unwrap_or_else(|| PathBuf::from(&fc.path));
                    if let Err(e) = write::write_atomic(&target, fc.after.as_bytes()) {
                        self.fail(&target.display().to_string(), &format!("could not write: {}", io_msg(&e)));
                    }
                }
            }
            if !cli.quiet {
                for d in &out.remaining {
                    let line = report::line(&name, &syntax::parse(&out.output).unwrap_or_else(|_| out.input.clone()), d, report::Paint(false), cli.unsafe_fixes);
                    eprintln!("{line}");
                }
            }
        } else if cli.diff {
            if changed {
                let mut s = diff::unified(&out.input.text, &out.output, &name);
                for fc in &out.files {
                    let p = match &ctx_dir_str {
                        Some(d) => Path::new(d).join(&fc.path).display().to_string(),
                        None => fc.path.clone(),
                    };
                    s.push_str(&diff::new_file(fc.before.as_deref(), &fc.after, &p));
                }
                print!("{s}");
                self.exit = self.exit.max(EXIT_FINDINGS);
            }
        } else if cli.check {
            if changed {
                if !cli.quiet {
                    println!("would rewrite {name}");
                }
                self.exit = self.exit.max(EXIT_FINDINGS);
            }
        } else {
            if !out.diagnostics.is_empty() {
                self.exit = self.exit.max(EXIT_FINDINGS);
            }
            match cli.format {
                Format::Text => {
                    for d in &out.diagnostics {
                        println!("{}", report::line(&name, &out.input, d, self.paint, cli.unsafe_fixes));
                    }
                }
                Format::Json => {
                    for d in &out.diagnostics {
                        self.json.push(serde_json::to_value(report::json_finding(&name, &out.input, d)).unwrap_or_default());
                    }
                }
            }
        }
    }

    fn finish(self) -> i32 {
        let cli = self.cli;
        if !cli.diff && !cli.write && !cli.check && cli.format == Format::Json {
            println!("{}", serde_json::to_string_pretty(&self.json).unwrap_or_default());
            return self.exit;
        }
        if cli.quiet {
            return self.exit;
        }
        let s = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        if cli.write {
            eprintln!("Fixed {} in {} ({} checked).", s(self.fixed, "finding"), s(self.changed, "file"), s(self.files, "file"));
        } else if cli.check || cli.diff {
            let msg = if self.changed == 0 {
                format!("{} checked, nothing to rewrite.", s(self.files, "file"))
            } else {
                format!("{} would be rewritten ({} checked).", s(self.changed, "file"), s(self.files, "file"))
            };
            if cli.check { println!("{msg}") } else { eprintln!("{msg}") }
        } else {
            let mut msg = format!("Found {} in {}", s(self.findings, "finding"), s(self.files, "file"));
            if self.fixable > 0 {
                msg.push_str(&format!("; {} fixable with --write", self.fixable));
            }
            if self.unsafe_fixable > 0 {
                msg.push_str(&format!("; {} more with --write --unsafe-fixes", self.unsafe_fixable));
            }
            println!("{msg}.");
        }
        self.exit
    }
}

/// Checks that the bytes are a text file dopt may read: UTF-8, no NUL bytes.
pub fn check_text(bytes: &[u8]) -> Result<&str, &'static str> {
    if bytes.contains(&0) {
        return Err("binary file (it holds NUL bytes); not a Dockerfile");
    }
    std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text; dopt reads UTF-8 Dockerfiles only")
}

fn io_msg(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Whether a file name is a Dockerfile dopt looks for in directories.
pub fn is_dockerfile_name(name: &str) -> bool {
    name == "Dockerfile"
        || name == "Containerfile"
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
}

const SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", "vendor"];

/// Walks `dir`, collecting Dockerfiles. `seen` holds the canonical directories on the current
/// path, to detect loops through symbolic links; `ignores` the .gitignore patterns in force.
fn discover(dir: &Path, out: &mut Vec<Target>, seen: &mut Vec<PathBuf>, ignores: &[(PathBuf, Vec<String>)]) -> Result<(), String> {
    let canon = std::fs::canonicalize(dir).map_err(|e| format!("{}: {}", dir.display(), io_msg(&e)))?;
    if seen.contains(&canon) {
        return Err(format!("{}: directory loop (it leads back to {})", dir.display(), canon.display()));
    }
    seen.push(canon);
    let mut ignores = ignores.to_vec();
    if let Ok(gi) = std::fs::read_to_string(dir.join(".gitignore")) {
        let pats: Vec<String> = gi.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!')).map(String::from).collect();
        ignores.push((dir.to_path_buf(), pats));
    }
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {}", dir.display(), io_msg(&e)))?;
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    let mut result = Ok(());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let is_dir = std::fs::metadata(&path).map(|m| m.is_dir()).unwrap_or(false);
        if is_ignored(&path, is_dir, &ignores) {
            continue;
        }
        if is_dir {
            if SKIP_DIRS.contains(&name.as_str()) {
                continue;
            }
            if let Err(err) = discover(&path, out, seen, &ignores) {
                eprintln!("dopt: {err}");
                result = Err("some directories could not be searched".to_string());
            }
        } else if is_dockerfile_name(&name) {
            out.push(Target::File(path));
        }
    }
    seen.pop();
    result
}

/// A small subset of .gitignore: `name`, `*.ext`, `dir/`, `/anchored`, `a/b`, with `*` and `?`.
fn is_ignored(path: &Path, is_dir: bool, ignores: &[(PathBuf, Vec<String>)]) -> bool {
    for (base, pats) in ignores {
        let Ok(rel) = path.strip_prefix(base) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        for p in pats {
            let (p, dir_only) = match p.strip_suffix('/') {
                Some(x) => (x, true),
                None => (p.as_str(), false),
            };
            if dir_only && !is_dir {
                continue;
            }
            let anchored = p.starts_with('/') || p.trim_start_matches('/').contains('/');
            let p = p.trim_start_matches('/');
            let hit = if anchored { glob(p, &rel) } else { glob(p, name) };
            if hit {
                return true;
            }
        }
    }
    false
}

fn glob(p: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && s[0] != b'/' && go(p, &s[1..])),
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(p.as_bytes(), s.as_bytes())
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
