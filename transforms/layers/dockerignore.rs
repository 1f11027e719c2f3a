//! DP206 dockerignore
use std::path::Path;

use crate::engine::{Context, Diagnostic, FileChange, Fix, FixKind, Rule, RuleMeta};
use crate::syntax::Kind;
use crate::transforms::common::{base_image, dockerignored, glob_match, run_commands};
use crate::transforms::installs::{classify, Class};
use crate::transforms::programs::programs_of;

pub struct Dockerignore;

static META: RuleMeta = RuleMeta {
    code: "DP206",
    name: "dockerignore",
    summary: "The Dockerfile copies the whole build context and no `.dockerignore` keeps out what the image does not need: write one",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
When a COPY or ADD copies the whole build context (`COPY . .`) and the context has no
`.dockerignore`, writes one beside the Dockerfile (a second file of the fix: `--diff` shows it
as a new file, `--write` creates it; with `--write -` it is named on stderr and not written)
listing what the context holds and the image does not need:

- `.git`;
- `**/node_modules` when the Dockerfile installs the Node.js dependencies itself;
- `**/__pycache__` and `**/*.pyc` for a Python project;
- when they are in the context: `.venv`/`venv` (a virtual environment: it has `pyvenv.cfg`),
  `target/` when the Dockerfile runs Maven or Cargo, `build/` and `.gradle/` when it runs
  Gradle, test and lint caches (`.pytest_cache`, `.mypy_cache`, `.ruff_cache`, `.tox`, `.nox`,
  `htmlcov`, `.coverage`), npm and yarn logs, editor and OS files (`.idea`, `.vscode`,
  `.DS_Store`, `*.swp`, `Thumbs.db`);
- with `--unsafe-fixes` also, when they are in the context: `.env*`, `tests`/`test` and
  `docs`/`doc`.

An existing `.dockerignore` that lets `.git` through, or `node_modules` when the Dockerfile
installs them, gets them appended.

The message says how many files and bytes the entries hold in the context as it is now
(measured by walking it, without following symbolic links; the count stops after 20000
entries and then says "at least").

## Why
Everything the `.dockerignore` does not exclude is sent to the builder on every build, and a
`COPY . .` puts it into the image: the repository's history, a local `node_modules` built for
another platform (and copied over the one the image installed), caches, secrets in `.env`.
It also breaks the layer cache: any change to `.git` changes the copied layer.

## Example
```dockerfile
FROM node:18-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
```
with a context holding `.git` and `node_modules` gets a `.dockerignore`:
```
.git
**/node_modules
```

## Not flagged
- no COPY/ADD copies the whole context (BuildKit then sends only what the copies name);
- the build context is not visible (stdin without `--stdin-filename`), or it lacks a file the
  Dockerfile copies by name (it is then not this Dockerfile's context);
- the context has per-Dockerfile ignore files (`*.dockerignore`).

An entry is never one that the Dockerfile names in a COPY/ADD source, that a RUN, CMD,
ENTRYPOINT, ENV, WORKDIR or VOLUME names, or that the build reads: `.git` is left out when a RUN
runs git or the project derives its version from git (setuptools-scm, versioneer, hatch-vcs,
husky, ...); `tests` when a test runner runs; `docs` when a docs tool runs or a manifest
(pyproject.toml, setup.py, package.json, ...) names it.

## Fix safety
Entries that only shrink what is sent and copied are safe: the build and the image's programs do
not read them (`.git` is unsafe when dopt cannot see everything the RUNs run). `.env*`, tests
and docs are unsafe: a build or the app may read them. When the context holds other Dockerfiles,
the `.dockerignore` applies to their builds too: the whole fix is unsafe.
"#,
};

/// The most entries the walk that measures the context visits.
const WALK_LIMIT: usize = 20_000;

/// One line of the `.dockerignore` to write.
#[derive(Debug, Clone)]
struct Entry {
    pattern: &'static str,
    /// Why it is unsafe, if it is.
    unsafe_: Option<String>,
}

impl Rule for Dockerignore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(dir) = cx.build.dir().filter(|_| cx.build.is_known()) else { return };
        let Some((copy, _)) = whole_context_copy(cx) else { return };
        let Some(root) = cx.build.list_shared("") else { return };
        if root.iter().any(|n| n != ".dockerignore" && n.ends_with(".dockerignore")) || lacks_a_copied_file(cx) {
            return;
        }
        let existing = if cx.build.exists(".dockerignore") {
            match cx.build.read(".dockerignore") {
                Some(t) => Some(t),
                None => return,
            }
        } else {
            None
        };
        let facts = Facts::of(cx, &root);
        let mut entries = candidates(cx, &facts, &root);
        if let Some(ex) = &existing {
            // only what must never go through: `.git` and an installed node_modules
            entries.retain(|e| matches!(e.pattern, ".git" | "**/node_modules") && e.unsafe_.is_none());
            entries.retain(|e| !dockerignored(cx, e.pattern.trim_start_matches("**/")) && !ex.lines().any(|l| l.trim() == e.pattern));
        }
        if entries.is_empty() {
            return;
        }
        let others: Vec<&String> = root.iter().filter(|n| is_dockerfile_like(n) && !n.ends_with(".dockerignore")).collect();
        let shared = (others.len() > 1).then(|| {
            let names: Vec<String> = others.iter().take(3).map(|n| format!("`{n}`")).collect();
            format!(
                "the build context holds {} Dockerfiles ({}{}), and a .dockerignore applies to every build of this context",
                others.len(),
                names.join(", "),
                if others.len() > 3 { ", ..." } else { "" }
            )
        });
        let copy_ins = &cx.file.instructions[copy];
        let what = match &existing {
            None => format!("the build context has no .dockerignore, and `{}` (line {}) copies all of it", copy_ins.line.text.trim(), copy_ins.start_line),
            Some(_) => format!("`{}` (line {}) copies the whole build context, and its .dockerignore lets through", copy_ins.line.text.trim(), copy_ins.start_line),
        };
        let eol = cx.style.eol();
        let file = |es: &[&Entry]| -> FileChange {
            let lines: String = es.iter().map(|e| format!("{}{eol}", e.pattern)).collect();
            match &existing {
                None => FileChange {
                    path: ".dockerignore".into(),
                    before: None,
                    after: format!("# What the image does not need from the build context (written by dopt, DP206){eol}{lines}"),
                },
                Some(ex) => {
                    let sep = if ex.is_empty() || ex.ends_with('\n') { "" } else { eol };
                    FileChange { path: ".dockerignore".into(), before: Some(ex.clone()), after: format!("{ex}{sep}{lines}") }
                }
            }
        };
        let list = |es: &[&Entry]| es.iter().map(|e| format!("`{}`", e.pattern)).collect::<Vec<_>>().join(", ");
        let range = copy_ins.range.start..copy_ins.range.start;
        let safe: Vec<&Entry> = entries.iter().filter(|e| e.unsafe_.is_none()).collect();
        let all: Vec<&Entry> = entries.iter().collect();
        let measured = |es: &[&Entry]| measure_in(cx, dir, &es.iter().map(|e| e.pattern).collect::<Vec<_>>()).describe();
        let verb = if existing.is_some() { "append" } else { "write one with" };
        if let Some(why) = shared {
            let fix = Fix { files: vec![file(&all)], ..Fix::unsafe_(vec![]) };
            out.push(cx.diag(&META, range, format!("{what}: {verb} {} ({}) (unsafe: {why})", list(&all), measured(&all)), Some(fix)));
            return;
        }
        if safe.len() < all.len() {
            let extra: Vec<&Entry> = entries.iter().filter(|e| e.unsafe_.is_some()).collect();
            let whys: Vec<String> = extra.iter().filter_map(|e| e.unsafe_.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let fix = Fix { files: vec![file(&all)], ..Fix::unsafe_(vec![]) };
            out.push(cx.diag(&META, range.clone(), format!("{what}: {verb} {} ({}) (unsafe: {})", list(&all), measured(&all), whys.join("; ")), Some(fix)));
        }
        if !safe.is_empty() {
            let fix = Fix { files: vec![file(&safe)], ..Fix::safe(vec![]) };
            out.push(cx.diag(&META, range, format!("{what}: {verb} {} ({})", list(&safe), measured(&safe)), Some(fix)));
        }
    }
}

/// Whether a file name is a Dockerfile's (as the corpus tools and `dopt` itself look for them).
fn is_dockerfile_like(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.contains("dockerfile") || l.contains("containerfile")
}

/// The first COPY/ADD from the build context that copies all of it (`.`, `./`, `/`, `*`), and
/// its source.
fn whole_context_copy(cx: &Context) -> Option<(usize, String)> {
    for (i, ins) in cx.file.instructions.iter().enumerate() {
        let n = &ins.node;
        if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("from").is_some() || n.values.len() < 2 {
            continue;
        }
        for s in &n.values[..n.values.len() - 1] {
            let s = crate::model::unquote(s);
            if matches!(s.as_str(), "." | "./" | "/" | "*" | "./*") {
                return Some((i, s));
            }
        }
    }
    None
}

/// Whether a COPY/ADD names a context file (no glob, no variable) that the context lacks: then
/// the directory dopt sees is not this Dockerfile's build context.
fn lacks_a_copied_file(cx: &Context) -> bool {
    cx.file.instructions.iter().any(|ins| {
        let n = ins.effective();
        if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("from").is_some() || n.values.len() < 2 || ins.node.trigger.is_some() {
            return false;
        }
        n.values[..n.values.len() - 1].iter().any(|s| {
            let s = crate::model::unquote(s);
            !s.starts_with("<<") && !s.contains("://") && !s.contains(['$', '*', '?', '[']) && !cx.build.exists(s.trim_start_matches("./").trim_start_matches('/'))
        })
    })
}

/// What the Dockerfile and its context say about the project.
struct Facts {
    node_installs: bool,
    python: bool,
    /// Programs the RUNs run (scripts of the context followed).
    runs: Vec<(String, Vec<String>)>,
    /// What dopt could not see through.
    unseen: Option<String>,
    /// Paths the Dockerfile names: COPY/ADD sources from the context.
    copy_sources: Vec<String>,
    /// Words of RUN, CMD, ENTRYPOINT, ENV, WORKDIR, VOLUME and HEALTHCHECK arguments.
    words: Vec<String>,
    /// The text of the manifests and build files of the context's top directory.
    manifests: String,
}

impl Facts {
    fn of(cx: &Context, root: &[String]) -> Facts {
        let all: Vec<usize> = (0..cx.model.stages.len()).collect();
        let p = programs_of(cx, &all);
        let node_installs = run_commands(cx).iter().any(|rc| matches!(classify(rc.cmd), Class::Install(i) if i.eco.is_node()));
        let python = (0..cx.file.instructions.len()).any(|i| base_image(cx, i).is_some_and(|b| b.contains("python")))
            || p.runs.iter().any(|r| r.program.starts_with("pip") || r.program.starts_with("python"))
            || ["requirements.txt", "pyproject.toml", "setup.py", "Pipfile"].iter().any(|f| root.iter().any(|n| n == f));
        let mut copy_sources = Vec::new();
        let mut words = Vec::new();
        for ins in &cx.file.instructions {
            let n = ins.effective();
            match n.kind {
                Kind::Copy | Kind::Add if n.flag("from").is_none() && n.values.len() >= 2 => {
                    for s in &n.values[..n.values.len() - 1] {
                        let s = crate::model::unquote(s);
                        copy_sources.push(s.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/').to_string());
                    }
                }
                Kind::Run | Kind::Cmd | Kind::Entrypoint | Kind::Env | Kind::Workdir | Kind::Volume | Kind::Healthcheck => {
                    let start = ins.line.to_source(n.args.start).max(ins.range.start);
                    let text = &cx.file.text[start.min(ins.range.end)..ins.range.end];
                    words.extend(text.split(|c: char| c.is_whitespace() || "\"'`,;&|()[]{}=:<>".contains(c)).filter(|w| !w.is_empty()).map(str::to_string));
                }
                _ => {}
            }
        }
        let mut manifests = String::new();
        for f in ["package.json", "pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in", "tox.ini", "pytest.ini", "noxfile.py", "Makefile", "pom.xml", "build.gradle", "build.gradle.kts", "composer.json", "Gemfile", "Cargo.toml", "go.mod"] {
            if let Some(t) = cx.build.read(f) {
                manifests.push_str(&t);
                manifests.push('\n');
            }
        }
        Facts {
            node_installs,
            python,
            runs: p.runs.iter().map(|r| (r.program.clone(), r.args.clone())).collect(),
            unseen: p.unseen.first().map(|(_, w)| w.clone()),
            copy_sources,
            words,
            manifests,
        }
    }

    fn runs(&self, program: &str) -> bool {
        self.runs.iter().any(|(p, _)| p == program)
    }

    /// Whether a COPY/ADD source names the path `name` (or something in it), or a glob source
    /// matches it (`.` and `*` copy everything and name nothing).
    fn copied_by_name(&self, name: &str) -> bool {
        self.copy_sources.iter().any(|s| {
            !matches!(s.as_str(), "" | "." | "*")
                && (s.split('/').any(|c| c == name || c.contains(['*', '?', '[']) && glob_match(c, name)) || s.starts_with(&format!("{name}/")))
        })
    }

    /// Whether an instruction's words name a path with the component `name` (or starting with
    /// it, for `prefix`).
    fn named(&self, name: &str, prefix: bool) -> bool {
        self.words.iter().any(|w| w.split('/').any(|c| if prefix { c.starts_with(name) } else { c == name }))
    }

    /// Whether a manifest or build file mentions `word` (as a whole word).
    fn manifests_mention(&self, word: &str) -> bool {
        let t = &self.manifests;
        let mut from = 0;
        while let Some(k) = t[from..].find(word) {
            let a = from + k;
            let b = a + word.len();
            let ok_before = a == 0 || !t[..a].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
            let ok_after = !t[b..].chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if ok_before && ok_after {
                return true;
            }
            from = b;
        }
        false
    }
}

/// Tools that read a project's git metadata.
const GIT_READERS: &[&str] = &["setuptools_scm", "setuptools-scm", "hatch-vcs", "versioneer", "dunamai", "poetry-dynamic-versioning", "pbr", "git-commit-id", "gitVersion", "husky", "git rev-parse", "git describe", "simple-git-hooks", "lefthook"];

/// Test runners, which read `tests/` without naming it.
const TEST_RUNNERS: &[&str] = &["pytest", "py.test", "tox", "nox", "jest", "mocha", "vitest", "rspec", "phpunit", "unittest"];

/// The entries dopt would write, each decided on what the Dockerfile and context say.
fn candidates(cx: &Context, f: &Facts, root: &[String]) -> Vec<Entry> {
    let has = |n: &str| root.iter().any(|x| x == n);
    let is_dir = |n: &str| cx.build.is_dir(n);
    let mut out = Vec::new();
    let mut push = |pattern: &'static str, unsafe_: Option<String>| out.push(Entry { pattern, unsafe_ });

    // .git: unless the build reads it
    let git_run = f.runs.iter().any(|(p, args)| p == "git" && !args.iter().find(|a| !a.starts_with('-')).is_some_and(|s| s == "clone" || s == "config" || s == "init"));
    let git_read = git_run || GIT_READERS.iter().any(|g| f.manifests.contains(g)) || f.copied_by_name(".git") || f.named(".git", false);
    if !git_read {
        push(".git", f.unseen.as_ref().map(|w| format!("dopt cannot see everything the RUNs do, which may read `.git` ({w})")));
    }
    if f.node_installs && !f.copied_by_name("node_modules") {
        push("**/node_modules", None);
    }
    if f.python && !f.copied_by_name("__pycache__") {
        push("**/__pycache__", None);
        push("**/*.pyc", None);
    }
    for v in [".venv", "venv"] {
        if cx.build.exists(&format!("{v}/pyvenv.cfg")) && !f.copied_by_name(v) && !f.named(v, false) {
            push(if v == ".venv" { ".venv" } else { "venv" }, None);
        }
    }
    // outputs the Dockerfile builds again
    if is_dir("target") && (f.runs("mvn") || f.runs("mvnw") || f.runs("cargo")) && !f.copied_by_name("target") {
        push("target", None);
    }
    if (f.runs("gradle") || f.runs("gradlew")) && !f.copied_by_name("build") {
        if is_dir("build") {
            push("build", None);
        }
        if is_dir(".gradle") {
            push(".gradle", None);
        }
    }
    for (name, pattern) in [
        (".pytest_cache", ".pytest_cache"),
        (".mypy_cache", ".mypy_cache"),
        (".ruff_cache", ".ruff_cache"),
        (".tox", ".tox"),
        (".nox", ".nox"),
        ("htmlcov", "htmlcov"),
        (".coverage", ".coverage"),
        ("npm-debug.log", "npm-debug.log*"),
        ("yarn-error.log", "yarn-error.log"),
        (".idea", ".idea"),
        (".vscode", ".vscode"),
    ] {
        if has(name) && !f.copied_by_name(name) && !f.named(name, false) {
            push(pattern, None);
        }
    }
    // editor and OS files anywhere
    let dir = cx.build.dir().expect("a known context");
    for pattern in ["**/.DS_Store", "**/*.swp", "**/Thumbs.db"] {
        let name = pattern.trim_start_matches("**/");
        if !f.copied_by_name(name) && measure_in(cx, dir, &[pattern]).files > 0 {
            push(pattern, None);
        }
    }
    // what a build may read
    if root.iter().any(|n| n.starts_with(".env") && n != ".envrc") && !f.copied_by_name(".env") && !f.named(".env", true) && !root.iter().any(|n| n.starts_with(".env") && f.copied_by_name(n)) {
        push(".env*", Some("`.env*` files may be read by the build or the app".into()));
    }
    let tests_run = TEST_RUNNERS.iter().any(|t| f.runs(t) || f.runs.iter().any(|(p, a)| p.starts_with("python") && a.iter().any(|x| x == t)))
        || f.runs.iter().any(|(p, a)| matches!(p.as_str(), "npm" | "yarn" | "pnpm" | "go" | "cargo" | "bundle" | "rake" | "make") && a.iter().any(|x| x == "test"));
    for (name, runners) in [("tests", tests_run), ("test", tests_run), ("docs", ["mkdocs", "sphinx-build"].iter().any(|t| f.runs(t))), ("doc", false)] {
        if is_dir(name) && !runners && !f.copied_by_name(name) && !f.named(name, false) && !f.manifests_mention(name) {
            let pattern: &'static str = match name {
                "tests" => "tests",
                "test" => "test",
                "docs" => "docs",
                _ => "doc",
            };
            push(pattern, Some(format!("`{name}` may be read by the build")));
        }
    }
    out
}

/// Files and bytes the entries hold in a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measured {
    pub files: u64,
    pub bytes: u64,
    /// The walk stopped at [`WALK_LIMIT`] entries.
    pub capped: bool,
}

impl Measured {
    fn describe(&self) -> String {
        if self.files == 0 && !self.capped {
            return "nothing in the context matches them now".into();
        }
        let at_least = if self.capped { "at least " } else { "" };
        let s = if self.files == 1 { "" } else { "s" };
        let cap = if self.capped { format!("; counting stopped after {WALK_LIMIT} entries") } else { String::new() };
        format!("they hold {at_least}{} file{s}, {} in this context{cap}", self.files, human_bytes(self.bytes))
    }
}

/// `1.5 MB`, `12.0 kB`, `512 bytes`.
fn human_bytes(b: u64) -> String {
    match b {
        0..=999 => format!("{b} bytes"),
        1_000..=999_999 => format!("{:.1} kB", b as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.2} GB", b as f64 / 1e9),
    }
}

/// Walks the context `dir` (symbolic links are counted, not followed) and counts the files and
/// bytes that the `.dockerignore` patterns exclude, visiting at most [`WALK_LIMIT`] entries.
pub fn measure(dir: &Path, patterns: &[&str]) -> Measured {
    Tree::walk(dir, WALK_LIMIT).measure(patterns)
}

/// Like [`measure`], with the walk of the context done once per context, and each list of
/// patterns measured once: both are shared by the Dockerfiles of one directory.
fn measure_in(cx: &Context, dir: &Path, patterns: &[&str]) -> Measured {
    #[derive(Default)]
    struct Measures {
        tree: std::sync::OnceLock<Tree>,
        by_patterns: std::sync::Mutex<std::collections::HashMap<String, Measured>>,
    }
    let ms = cx.build.memo("dockerignore-measures", Measures::default);
    let key = patterns.join("\n");
    if let Some(m) = ms.by_patterns.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return *m;
    }
    let m = ms.tree.get_or_init(|| Tree::walk(dir, WALK_LIMIT)).measure(patterns);
    ms.by_patterns.lock().unwrap_or_else(|e| e.into_inner()).insert(key, m);
    m
}

/// The entries of a context, depth first in name order, up to a number of entries.
#[derive(Debug, Default)]
struct Tree {
    /// (path relative to the context, its parent's index in `entries`, is a directory, bytes)
    entries: Vec<(String, Option<usize>, bool, u64)>,
    /// The walk stopped at its limit.
    capped: bool,
}

impl Tree {
    fn walk(dir: &Path, limit: usize) -> Tree {
        let mut t = Tree::default();
        t.visit(dir, "", None, &mut (0, limit));
        t
    }

    fn visit(&mut self, dir: &Path, rel: &str, parent: Option<usize>, budget: &mut (usize, usize)) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if budget.0 >= budget.1 {
                self.capped = true;
                return;
            }
            budget.0 += 1;
            let name = e.file_name().to_string_lossy().into_owned();
            let p = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else { continue };
            let k = self.entries.len();
            self.entries.push((p.clone(), parent, meta.is_dir(), meta.len()));
            if meta.is_dir() {
                self.visit(&e.path(), &p, Some(k), budget);
                if self.capped {
                    return;
                }
            }
        }
    }

    /// The files and bytes that `patterns` exclude: an entry they match, or one inside a
    /// directory they match.
    fn measure(&self, patterns: &[&str]) -> Measured {
        let mut m = Measured { capped: self.capped, ..Measured::default() };
        let mut hit = vec![false; self.entries.len()];
        for (k, (p, parent, is_dir, len)) in self.entries.iter().enumerate() {
            hit[k] = parent.is_some_and(|q| hit[q]) || patterns.iter().any(|pat| glob_match(pat, p));
            if hit[k] && !is_dir {
                m.files += 1;
                m.bytes += len;
            }
        }
        m
    }
}

#[cfg(test)]
fn measure_up_to(dir: &Path, patterns: &[&str], limit: usize) -> Measured {
    Tree::walk(dir, limit).measure(patterns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, Options};
    use crate::transforms::testing::context;

    /// The `.dockerignore` the rule writes (safe fixes, or with unsafe ones), and the messages.
    fn run(files: &[(&str, &str)], text: &str, unsafe_fixes: bool) -> (Option<String>, Vec<String>) {
        let (_d, b) = context(files);
        let o = engine::run(text, &[&Dockerignore], &b, &Options { unsafe_fixes, ..Options::default() }).unwrap();
        assert_eq!(o.output, text);
        (o.files.first().map(|f| f.after.clone()), o.diagnostics.iter().map(|d| d.message.clone()).collect())
    }

    fn lines(f: &Option<String>) -> Vec<&str> {
        f.as_deref().unwrap_or("").lines().filter(|l| !l.starts_with('#')).collect()
    }

    const NODE: &str = "FROM node:18\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD [\"node\", \"server.js\"]\n";

    #[test]
    fn writes_one_for_a_node_project() {
        let files = [("package.json", "{}"), ("package-lock.json", "{}"), ("server.js", "x"), (".git/HEAD", "ref: x\n"), (".git/config", "[core]\n"), ("node_modules/a/index.js", "12345"), (".DS_Store", "ab")];
        let (f, m) = run(&files, NODE, false);
        assert_eq!(lines(&f), vec![".git", "**/node_modules", "**/.DS_Store"]);
        assert!(m[0].contains("they hold 4 files, 21 bytes in this context"), "{m:?}");
    }

    #[test]
    fn python_project_with_unsafe_entries() {
        let files = [("requirements.txt", "flask\n"), ("app.py", ""), (".env", "SECRET=1\n"), ("tests/test_a.py", ""), ("a/__pycache__/x.pyc", "123"), (".venv/pyvenv.cfg", "")];
        let t = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n";
        let (f, m) = run(&files, t, false);
        assert_eq!(lines(&f), vec![".git", "**/__pycache__", "**/*.pyc", ".venv"]);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].contains("unsafe: `.env*` files may be read"), "{m:?}");
        let (f, _) = run(&files, t, true);
        assert_eq!(lines(&f), vec![".git", "**/__pycache__", "**/*.pyc", ".venv", ".env*", "tests"]);
    }

    #[test]
    fn never_what_the_build_reads() {
        let files = [("requirements.txt", "x\n"), ("tests/a.py", ""), ("docs/README.md", ""), (".env", ""), ("pyproject.toml", "[project]\nreadme = \"docs/README.md\"\n[tool.setuptools_scm]\n")];
        // tests run, docs named by pyproject.toml, .env copied, git read by setuptools-scm
        let t = "FROM python:3.11\nWORKDIR /app\nCOPY .env /etc/app.env\nCOPY . .\nRUN pip install . && pytest\n";
        let (f, _) = run(&files, t, true);
        assert_eq!(lines(&f), vec!["**/__pycache__", "**/*.pyc"]);
        // a RUN that runs git
        let t = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN git rev-parse HEAD > /version\n";
        let (f, _) = run(&[("requirements.txt", "")], t, false);
        assert!(!lines(&f).contains(&".git"), "{f:?}");
        // node_modules copied by name
        let t = "FROM node:18\nWORKDIR /app\nCOPY node_modules ./node_modules\nCOPY . .\nRUN npm ci\n";
        let (f, _) = run(&[("package.json", "{}"), ("node_modules/x", "")], t, false);
        assert_eq!(lines(&f), vec![".git"]);
    }

    #[test]
    fn appends_to_an_existing_file() {
        let files = [("package.json", "{}"), (".dockerignore", "*.log")];
        let (f, m) = run(&files, NODE, false);
        assert_eq!(f.as_deref(), Some("*.log\n.git\n**/node_modules\n"));
        assert!(m[0].contains("lets through: append"), "{m:?}");
        // nothing missing
        let (f, m) = run(&[("package.json", "{}"), (".dockerignore", ".git\nnode_modules\n")], NODE, false);
        assert_eq!((f, m.len()), (None, 0));
        // a whitelist ignores both already
        let (f, _) = run(&[("package.json", "{}"), (".dockerignore", "*\n!server.js\n!package*.json\n")], NODE, false);
        assert_eq!(f, None);
    }

    #[test]
    fn shared_or_foreign_contexts() {
        // other Dockerfiles use this context: unsafe
        let files = [("package.json", "{}"), ("Dockerfile", ""), ("Dockerfile.dev", ""), ("a__Dockerfile", "")];
        let (f, m) = run(&files, NODE, false);
        assert_eq!(f, None);
        assert!(m[0].contains("unsafe: the build context holds 3 Dockerfiles"), "{m:?}");
        assert!(run(&files, NODE, true).0.is_some());
        // a context without the files the Dockerfile copies by name is not its context
        let t = "FROM python\nWORKDIR /app\nCOPY requirements.txt .\nCOPY . .\n";
        assert_eq!(run(&[("other.txt", "")], t, true), (None, vec![]));
        // per-Dockerfile ignore files
        assert_eq!(run(&[("package.json", "{}"), ("Dockerfile.dockerignore", "x\n")], NODE, true), (None, vec![]));
        // no whole-context copy
        let t = "FROM node:18\nWORKDIR /app\nCOPY package*.json server.js ./\nRUN npm ci\n";
        assert_eq!(run(&[("package.json", "{}"), ("server.js", "")], t, true), (None, vec![]));
    }

    #[test]
    fn the_walk_counts_without_following_links_and_stops() {
        let (d, _) = context(&[("a/b/c", "123"), ("a/d", "45"), ("e", "6")]);
        #[cfg(unix)]
        std::os::unix::fs::symlink("/usr", d.0.join("a/link")).unwrap();
        let m = measure(&d.0, &["a"]);
        assert_eq!((m.files, m.capped), (if cfg!(unix) { 3 } else { 2 }, false));
        assert!(m.bytes >= 5);
        let many: Vec<(String, String)> = (0..25).map(|k| (format!("x/{k}"), String::new())).collect();
        let refs: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (d, _) = context(&refs);
        let m = measure_up_to(&d.0, &["x"], 20);
        assert!(m.capped);
        assert_eq!(m.files, 19);
        assert!(!measure_up_to(&d.0, &["x"], 30).capped);
        assert!(m.describe().starts_with("they hold at least"), "{}", m.describe());
    }
}
