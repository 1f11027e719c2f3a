//! Dependency installs: which RUN commands install a project's dependencies from its manifests
//! (requirements files, package.json, go.mod, Gemfile, composer.json, pom.xml), which files of
//! the build context they read, and which COPY/ADD brought those files into the image.
//!
//! `manifests-before-sources` (DP205) moves such installs above the copy of the sources,
//! `dockerignore` (DP206) keeps what they read out of the `.dockerignore` it writes, and
//! `production-install` (DP120) reads the npm, yarn and pnpm installs.

use serde_json::Value;

use crate::engine::Context;
use crate::model::shell::{self, Command, Word};
use crate::syntax::Kind;
use crate::transforms::common::{dir_flag, dockerignored, glob_match, join_path, operands, stage_chain_before};
use crate::transforms::packages::npm_ci::{npm_install_project, VALUE_FLAGS as NPM_VALUE_FLAGS};
use crate::transforms::packages::pip_no_cache_dir::pip_install_word;
use crate::transforms::packages::yarn_frozen_lockfile::{yarn_install_at, VALUE_FLAGS as YARN_VALUE_FLAGS};
use crate::transforms::programs::{join_abs, normalize, workdir_at};

/// A package ecosystem whose installs read manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eco {
    Pip,
    Npm,
    Yarn,
    Pnpm,
    Go,
    Bundle,
    Composer,
    Maven,
}

impl Eco {
    pub fn is_node(self) -> bool {
        matches!(self, Eco::Npm | Eco::Yarn | Eco::Pnpm)
    }

    /// The manifest the install cannot do without (pip names its own files).
    pub fn main_file(self) -> &'static str {
        match self {
            Eco::Pip => "requirements.txt",
            Eco::Npm | Eco::Yarn | Eco::Pnpm => "package.json",
            Eco::Go => "go.mod",
            Eco::Bundle => "Gemfile",
            Eco::Composer => "composer.json",
            Eco::Maven => "pom.xml",
        }
    }

    /// Files beside the main manifest that the install reads when they exist.
    pub fn companions(self) -> &'static [&'static str] {
        match self {
            Eco::Pip => &[],
            Eco::Npm => &["package-lock.json", "npm-shrinkwrap.json", ".npmrc"],
            Eco::Yarn => &["yarn.lock", ".yarnrc", ".npmrc"],
            Eco::Pnpm => &["pnpm-lock.yaml", ".npmrc", ".pnpmfile.cjs"],
            Eco::Go => &["go.sum"],
            Eco::Bundle => &["Gemfile.lock"],
            Eco::Composer => &["composer.lock"],
            Eco::Maven => &[],
        }
    }

    /// The sources a COPY names when dopt cannot see the context: globs for the files that
    /// may be missing (BuildKit copies what a wildcard matches, nothing when it matches nothing).
    pub fn blind_sources(self) -> &'static [&'static str] {
        match self {
            Eco::Pip => &[],
            Eco::Npm => &["package*.json"],
            Eco::Yarn => &["package.json", "yarn.lock*"],
            Eco::Pnpm => &["package.json", "pnpm-lock.yaml*"],
            Eco::Go => &["go.mod", "go.sum*"],
            Eco::Bundle => &["Gemfile", "Gemfile.lock*"],
            Eco::Composer => &["composer.json", "composer.lock*"],
            Eco::Maven => &["pom.xml"],
        }
    }
}

/// Names of files that only describe dependencies (a COPY of them alone does not bring sources).
const MANIFEST_NAMES: &[&str] = &[
    "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", ".npmrc", ".yarnrc", ".pnpmfile.cjs", "go.mod", "go.sum",
    "Gemfile", "Gemfile.lock", "composer.json", "composer.lock", "pom.xml", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", ".python-version",
    ".ruby-version", ".nvmrc", ".node-version",
];

/// Whether a file name (or a COPY source glob) is a dependency manifest: one of
/// [`MANIFEST_NAMES`], or a requirements/constraints text file.
pub fn is_manifest_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    if base.contains(['*', '?', '[']) {
        // a glob is a manifest when it matches one and no typical source file
        let sources = ["app.py", "main.py", "main.go", "index.js", "server.js", "main.rb", "index.php", "Main.java", "src", "README.md", "notes.txt"];
        return MANIFEST_NAMES.iter().any(|m| glob_match(base, m)) && !sources.iter().any(|s| glob_match(base, s));
    }
    if MANIFEST_NAMES.contains(&base) {
        return true;
    }
    let b = base.to_ascii_lowercase();
    b.ends_with(".txt") && (b.contains("requirements") || b.contains("constraints")) || name.starts_with("requirements/") && b.ends_with(".txt")
}

/// What a RUN command is, for moving it above the copy of the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Installs dependencies from manifests.
    Install(Install),
    /// Reads nothing from the build context: a system package install, `cd`, `pip install
    /// <name>`, `npm install -g <name>`, `mkdir`.
    Neutral,
    /// Anything else: it may read the sources.
    Other,
}

/// A dependency install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    pub eco: Eco,
    /// The directory it works in, relative to its working directory or absolute (`""`: there).
    pub dir: String,
    /// The files it names, relative to `dir` or absolute: pip's `-r`/`-c` files, the main
    /// manifest for the others.
    pub files: Vec<String>,
    /// Its lifecycle scripts do not run (`--ignore-scripts`; composer `--no-scripts`).
    pub no_scripts: bool,
    /// composer `--no-autoloader`.
    pub no_autoloader: bool,
}

/// pip flags whose value may be the next word.
const PIP_VALUE_FLAGS: &[&str] = &[
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-f", "--find-links", "-i", "--index-url", "--extra-index-url", "-t", "--target",
    "--prefix", "--root", "--src", "--trusted-host", "--platform", "--python-version", "--implementation", "--abi", "--no-binary", "--only-binary",
    "--progress-bar", "--upgrade-strategy", "--global-option", "--install-option", "--config-settings", "-C", "--cache-dir", "--log", "--proxy",
    "--retries", "--timeout", "--exists-action", "--cert", "--client-cert", "--report", "--python", "--keyring-provider", "--use-feature",
    "--use-deprecated", "--root-user-action",
];

/// Whether a requirement (a pip operand or a line of a requirements file) names something on
/// the local disk rather than a package of an index or a URL.
pub fn is_local_requirement(spec: &str) -> bool {
    let s = spec.trim();
    if s.contains("://") {
        return s.contains("file://") || s.starts_with("file:");
    }
    let name_part = s.split(['=', '<', '>', '!', '~', ';', '[', ' ']).next().unwrap_or(s);
    s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with("file:")
        || name_part.contains('/')
        || [".whl", ".tar.gz", ".zip", ".tar.bz2"].iter().any(|e| name_part.ends_with(e))
        || s.contains("@ file:")
}

/// What command `cmd` is (see [`Class`]).
pub fn classify(cmd: &Command) -> Class {
    let argv = cmd.argv();
    let Some(first) = argv.first() else { return Class::Neutral };
    if argv.iter().any(|w| w.dynamic) && shell::base(&first.text) != "cd" {
        // a `$VAR` may name anything
        return if is_system_installer(shell::base(&first.text)) { Class::Neutral } else { Class::Other };
    }
    let prog = shell::base(&first.text);
    if let Some(c) = pip(cmd) {
        return c;
    }
    // a virtual environment at an absolute path: `python -m venv /opt/venv`, `virtualenv /venv`
    let abs_only = |ws: &[Word]| !ws.is_empty() && ws.iter().all(|w| w.text.starts_with('-') || w.text.starts_with('/'));
    if prog.starts_with("python") && argv.len() >= 3 && argv[1].text == "-m" && argv[2].text == "venv" && abs_only(&argv[3..]) || prog == "virtualenv" && abs_only(&argv[1..]) {
        return Class::Neutral;
    }
    match prog {
        "cd" => Class::Neutral,
        "true" | ":" | "echo" | "mkdir" | "set" | "useradd" | "groupadd" | "adduser" | "addgroup" | "corepack" => Class::Neutral,
        "rm" if argv[1..].iter().all(|w| w.text.starts_with('-') || w.text.starts_with('/')) => Class::Neutral,
        p if is_system_installer(p) => {
            if argv[1..].iter().any(|w| !w.text.starts_with('-') && (w.text.starts_with('.') || w.text.starts_with('/') || w.text.ends_with(".deb") || w.text.ends_with(".rpm"))) {
                Class::Other
            } else {
                Class::Neutral
            }
        }
        "npm" => npm(cmd),
        "yarn" => yarn(cmd),
        "pnpm" => pnpm(cmd),
        "go" => go(cmd),
        "bundle" | "bundler" => bundle(cmd),
        "gem" => {
            let ops = operands(cmd, &["-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s", "--source"]);
            let sub = ops.first().map(|w| w.text.as_str());
            let local = ops.iter().skip(1).any(|w| w.text.contains('/') || w.text.ends_with(".gem")) || cmd.has_flag(&["-g", "--file"]);
            if matches!(sub, Some("install" | "update")) && !local { Class::Neutral } else { Class::Other }
        }
        "composer" => composer(cmd),
        "mvn" => maven(cmd),
        _ => Class::Other,
    }
}

fn is_system_installer(p: &str) -> bool {
    matches!(p, "apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf" | "zypper")
}

fn pip(cmd: &Command) -> Option<Class> {
    let w = pip_install_word(cmd)?;
    let argv = cmd.argv();
    let k = argv.iter().position(|x| std::ptr::eq(x, w))?;
    let mut files = Vec::new();
    let mut i = k + 1;
    while i < argv.len() {
        let t = argv[i].text.as_str();
        let value = |i: &mut usize| -> Option<String> {
            for (short, long) in [("-r", "--requirement"), ("-c", "--constraint"), ("-e", "--editable"), ("-f", "--find-links")] {
                if t == short || t == long {
                    *i += 1;
                    return argv.get(*i).map(|w| w.text.clone());
                }
                if let Some(v) = t.strip_prefix(&format!("{long}=")) {
                    return Some(v.to_string());
                }
                if t.len() > 2 && t.starts_with(short) && !t.starts_with("--") {
                    return Some(t[2..].to_string());
                }
            }
            None
        };
        if t.starts_with('-') {
            let is = |s: &str, l: &str| t == s || t == l || t.starts_with(&format!("{l}=")) || (t.len() > 2 && t.starts_with(s) && !t.starts_with("--"));
            if is("-r", "--requirement") || is("-c", "--constraint") {
                let Some(v) = value(&mut i) else { return Some(Class::Other) };
                files.push(v);
            } else if is("-e", "--editable") {
                return Some(Class::Other);
            } else if is("-f", "--find-links") {
                match value(&mut i) {
                    Some(v) if !v.contains("://") => return Some(Class::Other),
                    _ => {}
                }
            } else if PIP_VALUE_FLAGS.contains(&t) {
                i += 1;
            }
        } else if is_local_requirement(t) {
            return Some(Class::Other);
        }
        i += 1;
    }
    if files.is_empty() {
        return Some(Class::Neutral);
    }
    Some(Class::Install(Install { eco: Eco::Pip, dir: String::new(), files, no_scripts: false, no_autoloader: false }))
}

fn npm(cmd: &Command) -> Class {
    let ops = operands(cmd, NPM_VALUE_FLAGS);
    let sub = ops.first().map(|w| w.text.as_str());
    let dir = || dir_flag(cmd, &["--prefix", "-C"], &["--prefix"]).unwrap_or_default();
    let no_scripts = cmd.has_flag(&["--ignore-scripts"]);
    let global = cmd.has_flag(&["-g", "--global"]);
    if npm_install_project(cmd).is_some() && !global || matches!(sub, Some("ci" | "clean-install" | "ic" | "install-clean" | "isntall-clean")) && ops.len() == 1 {
        return Class::Install(Install { eco: Eco::Npm, dir: dir(), files: vec!["package.json".into()], no_scripts, no_autoloader: false });
    }
    match sub {
        Some(s) if crate::transforms::packages::npm_ci::INSTALL.contains(&s) && global => Class::Neutral,
        Some("cache" | "config" | "set") => Class::Neutral,
        _ => Class::Other,
    }
}

fn yarn(cmd: &Command) -> Class {
    if yarn_install_at(cmd).is_some() {
        let dir = dir_flag(cmd, &["--cwd"], &["--cwd"]).unwrap_or_default();
        return Class::Install(Install { eco: Eco::Yarn, dir, files: vec!["package.json".into()], no_scripts: cmd.has_flag(&["--ignore-scripts"]), no_autoloader: false });
    }
    let ops = operands(cmd, YARN_VALUE_FLAGS);
    match ops.first().map(|w| w.text.as_str()) {
        Some("global" | "cache" | "config") => Class::Neutral,
        _ => Class::Other,
    }
}

fn pnpm(cmd: &Command) -> Class {
    let ops = operands(cmd, &["--dir", "-C", "--filter", "-F", "--store-dir", "--reporter", "--registry"]);
    let dir = dir_flag(cmd, &["--dir", "-C"], &["--dir"]).unwrap_or_default();
    let no_scripts = cmd.has_flag(&["--ignore-scripts"]);
    match ops.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().as_slice() {
        ["install" | "i"] if !cmd.has_flag(&["--filter", "-F", "-r", "--recursive"]) => {
            Class::Install(Install { eco: Eco::Pnpm, dir, files: vec!["package.json".into()], no_scripts, no_autoloader: false })
        }
        ["fetch"] => Class::Install(Install { eco: Eco::Pnpm, dir, files: vec!["pnpm-lock.yaml".into()], no_scripts: true, no_autoloader: false }),
        ["add", ..] if cmd.has_flag(&["-g", "--global"]) => Class::Neutral,
        ["store" | "config" | "setup", ..] => Class::Neutral,
        _ => Class::Other,
    }
}

fn go(cmd: &Command) -> Class {
    let ops = operands(cmd, &["-modfile", "-C"]);
    let words: Vec<&str> = ops.iter().map(|w| w.text.as_str()).collect();
    if cmd.argv().iter().any(|w| w.text == "-C" || w.text.starts_with("-modfile")) {
        return Class::Other;
    }
    match words.as_slice() {
        ["mod", "download", rest @ ..] if rest.iter().all(|r| !r.starts_with('.') && !r.starts_with('/')) => {
            Class::Install(Install { eco: Eco::Go, dir: String::new(), files: vec!["go.mod".into()], no_scripts: true, no_autoloader: false })
        }
        ["env", ..] | ["version"] => Class::Neutral,
        ["install", pkgs @ ..] if !pkgs.is_empty() && pkgs.iter().all(|p| p.contains('@')) => Class::Neutral,
        _ => Class::Other,
    }
}

fn bundle(cmd: &Command) -> Class {
    let ops = operands(cmd, &["--gemfile", "--path", "--jobs", "-j", "--retry", "--without", "--with", "--deployment-path"]);
    match ops.first().map(|w| w.text.as_str()) {
        None | Some("install") if ops.len() <= 1 => {
            let gemfile = cmd.argv().iter().enumerate().find_map(|(k, w)| {
                if w.text == "--gemfile" {
                    cmd.argv().get(k + 1).map(|x| x.text.clone())
                } else {
                    w.text.strip_prefix("--gemfile=").map(str::to_string)
                }
            });
            Class::Install(Install { eco: Eco::Bundle, dir: String::new(), files: vec![gemfile.unwrap_or_else(|| "Gemfile".into())], no_scripts: true, no_autoloader: false })
        }
        Some("config") => Class::Neutral,
        _ => Class::Other,
    }
}

fn composer(cmd: &Command) -> Class {
    let ops = operands(cmd, &["--working-dir", "-d"]);
    match ops.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().as_slice() {
        ["install"] => {
            let dir = dir_flag(cmd, &["--working-dir", "-d"], &["--working-dir"]).unwrap_or_default();
            Class::Install(Install {
                eco: Eco::Composer,
                dir,
                files: vec!["composer.json".into()],
                no_scripts: cmd.has_flag(&["--no-scripts"]),
                no_autoloader: cmd.has_flag(&["--no-autoloader"]),
            })
        }
        ["self-update", ..] | ["diagnose"] => Class::Neutral,
        _ => Class::Other,
    }
}

fn maven(cmd: &Command) -> Class {
    let argv = cmd.argv();
    let mut file = None;
    let mut goals = Vec::new();
    let mut k = 1;
    while k < argv.len() {
        let t = argv[k].text.as_str();
        match t {
            "-f" | "--file" => {
                file = argv.get(k + 1).map(|w| w.text.clone());
                k += 1;
            }
            "-s" | "--settings" | "-gs" | "--global-settings" | "-t" | "--toolchains" => {
                if argv.get(k + 1).is_none_or(|w| !w.text.starts_with('/')) {
                    return Class::Other; // a settings file of the context
                }
                k += 1;
            }
            "-P" | "--activate-profiles" | "-pl" | "--projects" | "-rf" | "--resume-from" | "-T" | "--threads" | "-l" | "--log-file" | "-b" | "--builder" => k += 1,
            _ if t.starts_with('-') => {}
            _ => goals.push(t),
        }
        k += 1;
    }
    let deps_only = !goals.is_empty() && goals.iter().all(|g| g.starts_with("dependency:") && matches!(*g, "dependency:go-offline" | "dependency:resolve" | "dependency:resolve-plugins"));
    if deps_only {
        Class::Install(Install { eco: Eco::Maven, dir: String::new(), files: vec![file.unwrap_or_else(|| "pom.xml".into())], no_scripts: true, no_autoloader: false })
    } else {
        Class::Other
    }
}

/// The COPY/ADD from the build context that last put a file at an image path, before an
/// instruction (in its stage or a stage it is built FROM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covering {
    /// Index of the COPY/ADD.
    pub ins: usize,
    /// The context path of the file (relative, no `./`), as the copy maps it; it may not exist.
    pub ctx_path: String,
    /// The source the file comes through: a directory of the context (`""` for the context
    /// itself) when `from_dir`, else the file's own source as written (perhaps a glob).
    pub source: String,
    pub from_dir: bool,
    /// The destination as written (quotes removed).
    pub dest_raw: String,
    /// The directory of the file below the destination (for a directory source; `""` when the
    /// file lands in the destination itself).
    pub sub: String,
}

/// Which COPY/ADD from the context last put a file at the absolute image path `path`, before
/// instruction `i`. A directory source covers every path below its destination (whether the
/// file exists in the context or not: see [`Covering::ctx_path`]); a file source covers the
/// path it copies to. None when no copy is known to, or a WORKDIR or destination uses a variable.
pub fn covering_copy(cx: &Context, i: usize, path: &str) -> Option<Covering> {
    let path = normalize(path);
    for j in stage_chain_before(cx, i).into_iter().rev() {
        let ins = &cx.file.instructions[j];
        let n = ins.effective();
        if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("from").is_some() || n.values.len() < 2 || ins.node.trigger.is_some() {
            continue;
        }
        let dest_raw = crate::model::unquote(n.values.last().unwrap());
        if dest_raw.contains('$') {
            return None;
        }
        let dest = if dest_raw.starts_with('/') { normalize(&dest_raw) } else { normalize(&join_abs(&workdir_at(cx, j)?, &dest_raw)) };
        let srcs = &n.values[..n.values.len() - 1];
        let into_dir = dest_raw.ends_with('/') || srcs.len() > 1;
        for s in srcs.iter().rev() {
            if s.starts_with("<<") || s.contains("://") || s.contains('$') {
                continue;
            }
            let s = crate::model::unquote(s);
            let rel = s.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
            let rel = if rel == "." { "" } else { rel };
            let glob = rel.contains(['*', '?', '[']);
            let is_dir = !glob && (rel.is_empty() || if cx.build.is_known() { cx.build.is_dir(rel) } else { s.ends_with('/') });
            if is_dir {
                let inside = if dest == "/" { path.strip_prefix('/') } else { path.strip_prefix(&dest).and_then(|r| r.strip_prefix('/')) };
                if let Some(r) = inside {
                    let sub = r.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
                    return Some(Covering { ins: j, ctx_path: join_path(rel, r), source: rel.to_string(), from_dir: true, dest_raw, sub });
                }
                continue;
            }
            let (sdir, sbase) = rel.rsplit_once('/').unwrap_or(("", rel));
            let pbase = path.rsplit('/').next().unwrap_or("");
            let pdir = normalize(&path[..path.len() - pbase.len()]);
            if (into_dir || glob) && pdir == dest && glob_match(sbase, pbase) {
                return Some(Covering { ins: j, ctx_path: join_path(sdir, pbase), source: rel.to_string(), from_dir: false, dest_raw, sub: String::new() });
            }
            if !into_dir && !glob && path == dest {
                return Some(Covering { ins: j, ctx_path: rel.to_string(), source: rel.to_string(), from_dir: false, dest_raw, sub: String::new() });
            }
        }
    }
    None
}

/// Whether a context file can be read by the build: it exists and `.dockerignore` keeps it.
pub fn in_context(cx: &Context, rel: &str) -> bool {
    cx.build.exists(rel) && !dockerignored(cx, rel)
}

/// The directory part of a context path (`""` at the top).
pub fn dir_of(p: &str) -> &str {
    p.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// A relative path made plain: `.` and `..` resolved (None when it leaves the top).
pub fn clean_rel(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// What dopt found reading the manifests of an install in the build context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifests {
    /// Context paths of the files the install reads, main manifest first.
    pub files: Vec<String>,
    /// Why the install may read more than these files (each makes a move unsafe).
    pub unsafe_reasons: Vec<String>,
}

/// The files an install whose main manifests are at context paths `mains` reads, and why it
/// may read others. The context must be known and hold the main manifests.
pub fn manifests(cx: &Context, inst: &Install, mains: &[String]) -> Manifests {
    let mut m = Manifests::default();
    let push = |m: &mut Manifests, p: String| {
        if !m.files.contains(&p) {
            m.files.push(p);
        }
    };
    match inst.eco {
        Eco::Pip => {
            let mut todo: Vec<(String, usize)> = mains.iter().map(|p| (p.clone(), 0)).collect();
            while let Some((p, depth)) = todo.pop() {
                if m.files.contains(&p) {
                    continue;
                }
                push(&mut m, p.clone());
                let Some(text) = cx.build.read(&p) else {
                    m.unsafe_reasons.push(format!("`{p}` could not be read"));
                    continue;
                };
                for (inc, why) in requirement_lines(&text) {
                    if let Some(w) = why {
                        m.unsafe_reasons.push(format!("`{p}` has `{w}`, which reads files of the context"));
                        continue;
                    }
                    let Some(q) = clean_rel(&join_path(dir_of(&p), &inc)) else {
                        m.unsafe_reasons.push(format!("`{p}` includes `{inc}`, outside the context"));
                        continue;
                    };
                    if depth >= 5 {
                        m.unsafe_reasons.push(format!("`{p}` includes files deeper than dopt follows"));
                    } else if !in_context(cx, &q) {
                        m.unsafe_reasons.push(format!("`{p}` includes `{inc}`, which is not in the build context"));
                    } else {
                        todo.push((q, depth + 1));
                    }
                }
            }
            // the order pip reads them in, for a stable COPY
            let first: Vec<String> = mains.to_vec();
            m.files.sort_by_key(|f| (first.iter().position(|x| x == f).unwrap_or(usize::MAX), f.clone()));
        }
        eco => {
            let main = &mains[0];
            let dir = dir_of(main).to_string();
            push(&mut m, main.clone());
            if eco == Eco::Pnpm && main.ends_with("pnpm-lock.yaml") {
                // `pnpm fetch` reads the lockfile alone
            } else {
                for c in eco.companions() {
                    let p = join_path(&dir, c);
                    if in_context(cx, &p) {
                        push(&mut m, p);
                    }
                }
            }
            m.unsafe_reasons.extend(other_reads(cx, inst, main, &dir));
        }
    }
    m
}

/// The `-r`/`-c` includes of a requirements file (None), and lines that read local files (Some:
/// the line).
fn requirement_lines(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for line in joined.lines() {
        let l = match line.find(" #") {
            Some(k) => &line[..k],
            None => line,
        };
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = l.split_whitespace().collect();
        let w0 = words[0];
        let value = |long: &str, short: &str| -> Option<String> {
            if w0 == long || w0 == short {
                return words.get(1).map(|s| s.to_string());
            }
            if let Some(v) = w0.strip_prefix(&format!("{long}=")) {
                return Some(v.to_string());
            }
            w0.strip_prefix(short).filter(|v| !v.is_empty() && !short.is_empty() && !w0.starts_with("--")).map(str::to_string)
        };
        if let Some(v) = value("--requirement", "-r").or_else(|| value("--constraint", "-c")) {
            out.push((v, None));
        } else if value("--editable", "-e").is_some() {
            out.push((String::new(), Some(l.to_string())));
        } else if let Some(v) = value("--find-links", "-f") {
            if !v.contains("://") {
                out.push((String::new(), Some(l.to_string())));
            }
        } else if !w0.starts_with('-') && is_local_requirement(l) {
            out.push((String::new(), Some(l.to_string())));
        }
    }
    out
}

/// Why an install of `eco` reading `main` (in context directory `dir`) may read files other than
/// its manifests.
fn other_reads(cx: &Context, inst: &Install, main: &str, dir: &str) -> Vec<String> {
    let mut why = Vec::new();
    let text = cx.build.read(main).unwrap_or_default();
    match inst.eco {
        Eco::Npm | Eco::Yarn | Eco::Pnpm => {
            let Ok(pkg) = serde_json::from_str::<Value>(&text) else {
                if !main.ends_with("pnpm-lock.yaml") {
                    why.push(format!("`{main}` could not be read"));
                }
                return why;
            };
            if pkg.get("workspaces").is_some() || cx.build.exists(&join_path(dir, "pnpm-workspace.yaml")) {
                why.push("the project has workspaces, whose package.json files the install also reads".into());
            }
            if !inst.no_scripts {
                for s in ["preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"] {
                    if let Some(v) = pkg.pointer(&format!("/scripts/{s}")).and_then(Value::as_str) {
                        why.push(format!("package.json runs `{s}` (`{v}`) on install, which may read other files"));
                    }
                }
            }
            for k in ["dependencies", "devDependencies", "optionalDependencies"] {
                if let Some(deps) = pkg.get(k).and_then(Value::as_object) {
                    for (name, spec) in deps {
                        let s = spec.as_str().unwrap_or("");
                        if ["file:", "link:", "portal:", "workspace:"].iter().any(|p| s.starts_with(p)) || s.starts_with("./") || s.starts_with("../") || s.starts_with('/') {
                            why.push(format!("the dependency `{name}` is a local path (`{s}`)"));
                        }
                    }
                }
            }
            let nm = join_path(dir, "node_modules");
            if cx.build.is_dir(&nm) && !dockerignored(cx, &nm) {
                why.push(format!("the context has `{nm}`, which the copy of the sources would then put over the installed one (add it to .dockerignore)"));
            }
            if inst.eco == Eco::Yarn && (cx.build.exists(&join_path(dir, ".yarnrc.yml")) || pkg.get("packageManager").and_then(Value::as_str).is_some_and(|p| p.starts_with("yarn@") && !p.starts_with("yarn@1"))) {
                why.push("Yarn 2+ also reads `.yarnrc.yml` and `.yarn/`".into());
            }
            if inst.eco == Eco::Pnpm && cx.build.exists(&join_path(dir, ".pnpmfile.cjs")) {
                why.push("`.pnpmfile.cjs` runs code during the install".into());
            }
        }
        Eco::Go => {
            for line in text.lines() {
                let l = line.trim();
                if l.contains("=>") && l.split("=>").nth(1).is_some_and(|t| {
                    let t = t.trim();
                    t.starts_with('.') || t.starts_with('/')
                }) {
                    why.push(format!("go.mod replaces a module with a local directory (`{l}`)"));
                }
            }
            if cx.build.exists(&join_path(dir, "go.work")) {
                why.push("`go.work` makes it a workspace of several modules".into());
            }
        }
        Eco::Bundle => {
            for (pat, what) in [("gemspec", "`gemspec`"), ("path:", "a `path:` gem"), (":path", "a `:path` gem"), ("eval_gemfile", "`eval_gemfile`"), ("require_relative", "`require_relative`"), ("File.", "file reads")] {
                if text.lines().any(|l| !l.trim_start().starts_with('#') && l.contains(pat)) {
                    why.push(format!("the Gemfile has {what}, which reads other files"));
                }
            }
        }
        Eco::Composer => {
            if !inst.no_scripts {
                why.push("`composer install` runs the project's scripts (add `--no-scripts`)".into());
            }
            if !inst.no_autoloader {
                why.push("`composer install` writes an autoloader from the sources (add `--no-autoloader`, and `composer dump-autoload` after the sources)".into());
            }
            if text.contains("\"path\"") {
                why.push("composer.json has a `path` repository".into());
            }
        }
        Eco::Maven => {
            if text.contains("<modules>") {
                why.push("pom.xml has modules, whose pom.xml files Maven also reads".into());
            }
            if text.contains("<relativePath>") {
                why.push("pom.xml names a parent by a relative path".into());
            }
            if cx.build.is_dir(&join_path(dir, ".mvn")) {
                why.push("Maven also reads `.mvn/`".into());
            }
        }
        Eco::Pip => {}
    }
    why
}

/// The words of a command that do not start with `-`, after the program.
pub fn plain_args(cmd: &Command) -> Vec<&Word> {
    cmd.argv().iter().skip(1).filter(|w| !w.text.starts_with('-')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::model::Model;
    use crate::syntax::parse;
    use crate::transforms::testing::context;

    fn class(s: &str) -> Class {
        let f = parse(&format!("RUN {s}\n")).unwrap();
        let sc = crate::model::shell::scripts(&f, &f.instructions[0]);
        classify(&sc[0].commands[0])
    }

    fn install(s: &str) -> Install {
        match class(s) {
            Class::Install(i) => i,
            c => panic!("{s}: {c:?}"),
        }
    }

    #[test]
    fn classifies_commands() {
        assert_eq!(install("pip install -r requirements.txt").files, vec!["requirements.txt"]);
        assert_eq!(install("pip3 install --no-cache-dir -r req/base.txt -c constraints.txt gunicorn").files, vec!["req/base.txt", "constraints.txt"]);
        assert_eq!(install("python -m pip install --requirement=r.txt").files, vec!["r.txt"]);
        assert_eq!(install("pip install -rr.txt").files, vec!["r.txt"]);
        assert_eq!(class("pip install -r r.txt -e ."), Class::Other);
        assert_eq!(class("pip install ."), Class::Other);
        assert_eq!(class("pip install -r r.txt ./dist/x.whl"), Class::Other);
        assert_eq!(class("pip install -r r.txt -f ./wheels"), Class::Other);
        assert_eq!(install("pip install -r r.txt -f https://x/simple").files, vec!["r.txt"]);
        assert_eq!(class("pip install --upgrade pip setuptools"), Class::Neutral);
        assert_eq!(class("pip install git+https://github.com/a/b"), Class::Neutral);
        let n = install("npm ci --prefix web --ignore-scripts");
        assert_eq!((n.eco, n.dir.as_str(), n.no_scripts), (Eco::Npm, "web", true));
        assert_eq!(install("npm install").eco, Eco::Npm);
        assert_eq!(class("npm install express"), Class::Other);
        assert_eq!(class("npm install -g pm2"), Class::Neutral);
        assert_eq!(class("npm run build"), Class::Other);
        assert_eq!(install("yarn --cwd app").dir, "app");
        assert_eq!(install("yarn install --frozen-lockfile").eco, Eco::Yarn);
        assert_eq!(class("yarn build"), Class::Other);
        assert_eq!(install("pnpm install --frozen-lockfile").eco, Eco::Pnpm);
        assert_eq!(install("pnpm fetch").files, vec!["pnpm-lock.yaml"]);
        assert_eq!(install("go mod download").eco, Eco::Go);
        assert_eq!(class("go build ./..."), Class::Other);
        assert_eq!(class("go install golang.org/x/tools/gopls@latest"), Class::Neutral);
        assert_eq!(install("bundle install --jobs 4").eco, Eco::Bundle);
        assert_eq!(install("bundle install --gemfile=gems/Gemfile").files, vec!["gems/Gemfile"]);
        let c = install("composer install --no-dev --no-scripts --no-autoloader");
        assert!(c.no_scripts && c.no_autoloader);
        assert_eq!(install("mvn -B -f app/pom.xml dependency:go-offline").files, vec!["app/pom.xml"]);
        assert_eq!(class("mvn package"), Class::Other);
        assert_eq!(class("mvn -s settings.xml dependency:go-offline"), Class::Other);
        assert_eq!(class("apt-get install -y curl"), Class::Neutral);
        assert_eq!(class("apt-get install -y ./x.deb"), Class::Other);
        assert_eq!(class("rm -rf /var/lib/apt/lists/*"), Class::Neutral);
        assert_eq!(class("rm -rf build"), Class::Other);
        assert_eq!(class("python setup.py install"), Class::Other);
        assert_eq!(class("python -m venv /opt/venv"), Class::Neutral);
        assert_eq!(class("python3 -m venv --copies /venv"), Class::Neutral);
        assert_eq!(class("python -m venv venv"), Class::Other);
        assert_eq!(class("pip install -r $REQS"), Class::Other);
    }

    #[test]
    fn local_requirements() {
        for l in [".", "./pkg", "../lib", "/wheels/x.whl", "dist/a-1.0.tar.gz", "file:///x", "pkg @ file:///x", "x.whl"] {
            assert!(is_local_requirement(l), "{l}");
        }
        for l in ["flask==3.0", "requests[socks]>=2", "git+https://github.com/a/b", "pkg @ https://x/y.whl", "numpy; python_version<'3.12'"] {
            assert!(!is_local_requirement(l), "{l}");
        }
    }

    #[test]
    fn reads_requirement_includes() {
        let lines = requirement_lines("# c\nflask  # web\n-r base.txt\n--constraint=c.txt\n-e .\n./local\n-f ./w\n-i https://x\nx \\\n  ==1\n");
        assert_eq!(
            lines,
            vec![
                ("base.txt".into(), None),
                ("c.txt".into(), None),
                (String::new(), Some("-e .".into())),
                (String::new(), Some("./local".into())),
                (String::new(), Some("-f ./w".into())),
            ]
        );
    }

    fn with<T>(files: &[(&str, &str)], text: &str, f: impl FnOnce(&Context) -> T) -> T {
        let (_d, b) = context(files);
        let file = parse(text).unwrap();
        let m = Model::new(&file);
        let cx = Context::new(&file, &m, &b);
        f(&cx)
    }

    #[test]
    fn finds_the_covering_copy() {
        let files = [("requirements.txt", "flask\n"), ("web/package.json", "{}"), ("app.py", "")];
        with(&files, "FROM a\nWORKDIR /app\nCOPY requirements.txt ./\nCOPY . .\nRUN x\n", |cx| {
            let c = covering_copy(cx, 4, "/app/requirements.txt").unwrap();
            assert_eq!((c.ins, c.from_dir, c.ctx_path.as_str(), c.dest_raw.as_str()), (3, true, "requirements.txt", "."));
            let c = covering_copy(cx, 4, "/app/web/package.json").unwrap();
            assert_eq!((c.ctx_path.as_str(), c.sub.as_str()), ("web/package.json", "web"));
            assert_eq!(covering_copy(cx, 4, "/elsewhere/x"), None);
        });
        with(&files, "FROM a\nCOPY web/ /srv/\nCOPY requirements.txt app.py /app/\nRUN x\n", |cx| {
            let c = covering_copy(cx, 3, "/app/requirements.txt").unwrap();
            assert_eq!((c.ins, c.from_dir, c.source.as_str()), (2, false, "requirements.txt"));
            let c = covering_copy(cx, 3, "/srv/package.json").unwrap();
            assert_eq!((c.from_dir, c.ctx_path.as_str(), c.source.as_str()), (true, "web/package.json", "web"));
        });
        // a WORKDIR with a variable: not known
        with(&files, "FROM a\nWORKDIR $D\nCOPY . .\nRUN x\n", |cx| assert_eq!(covering_copy(cx, 3, "/app/requirements.txt"), None));
        // no context: `.` and `dir/` are directories
        let f = parse("FROM a\nWORKDIR /app\nCOPY src/ ./src/\nRUN x\n").unwrap();
        let m = Model::new(&f);
        let b = BuildContext::default();
        let cx = Context::new(&f, &m, &b);
        assert_eq!(covering_copy(&cx, 3, "/app/src/go.mod").unwrap().ctx_path, "src/go.mod");
    }

    #[test]
    fn gathers_manifests_and_what_else_is_read() {
        let files = [
            ("requirements.txt", "-r requirements/base.txt\nflask\n"),
            ("requirements/base.txt", "-c ../constraints.txt\nrequests\n"),
            ("constraints.txt", "requests<3\n"),
            ("package.json", r#"{"scripts":{"postinstall":"node x.js"},"dependencies":{"a":"file:../a"}}"#),
            ("package-lock.json", "{}"),
            (".npmrc", ""),
            ("go.mod", "module x\nreplace a => ./a\n"),
            ("go.sum", ""),
        ];
        with(&files, "FROM a\n", |cx| {
            let pip = install("pip install -r requirements.txt");
            let m = manifests(cx, &pip, &["requirements.txt".into()]);
            assert_eq!(m.files, vec!["requirements.txt", "constraints.txt", "requirements/base.txt"]);
            assert!(m.unsafe_reasons.is_empty(), "{:?}", m.unsafe_reasons);
            let npm = install("npm ci");
            let m = manifests(cx, &npm, &["package.json".into()]);
            assert_eq!(m.files, vec!["package.json", "package-lock.json", ".npmrc"]);
            assert_eq!(m.unsafe_reasons.len(), 2, "{:?}", m.unsafe_reasons);
            assert!(m.unsafe_reasons[0].contains("postinstall"));
            let m = manifests(cx, &install("npm ci --ignore-scripts"), &["package.json".into()]);
            assert_eq!(m.unsafe_reasons.len(), 1, "{:?}", m.unsafe_reasons);
            let m = manifests(cx, &install("go mod download"), &["go.mod".into()]);
            assert_eq!(m.files, vec!["go.mod", "go.sum"]);
            assert!(m.unsafe_reasons[0].contains("replace"), "{:?}", m.unsafe_reasons);
        });
        let bad = [("requirements.txt", "-e .\n-r missing.txt\n")];
        with(&bad, "FROM a\n", |cx| {
            let m = manifests(cx, &install("pip install -r requirements.txt"), &["requirements.txt".into()]);
            assert_eq!(m.unsafe_reasons.len(), 2, "{:?}", m.unsafe_reasons);
        });
    }

    #[test]
    fn manifest_names() {
        for n in ["package.json", "package*.json", "requirements-dev.txt", "requirements/prod.txt", "go.sum", "Gemfile.lock", "dev-constraints.txt"] {
            assert!(is_manifest_name(n), "{n}");
        }
        for n in ["app.py", "src", ".", "notes.txt", "*"] {
            assert!(!is_manifest_name(n), "{n}");
        }
    }
}
