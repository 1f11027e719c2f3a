//! DP301 slim-base-image
use regex::Captures;

use crate::config::ImageMapping;
use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::{ImageRef, Stage};
use crate::syntax::words::{parse_words, split_whitespace};
use crate::syntax::Kind;
use crate::transforms::common::run_commands;

pub struct SlimBaseImage;

static META: RuleMeta = RuleMeta {
    code: "DP301",
    name: "slim-base-image",
    summary: "The final image is built on a full base image: use its slim (or alpine, JRE) variant",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Moves the base of the final image to a smaller variant, using the base-image mappings of the
preset in force (`--preset`, `dopt.toml`): `python:3.11` to `python:3.11-slim-bookworm`,
`node:18` to `node:18-alpine` (or `node:18-slim`), `openjdk:17` to `eclipse-temurin:17-jre-alpine`
for a stage that only runs a jar, `debian:12` to `debian:12-slim`, `ruby:3.2` to `ruby:3.2-slim`.

Only stages whose filesystem reaches the final image are changed: the final stage and the
chain of stages it is built `FROM`. Stages used only as `COPY --from` sources keep their
toolchains. A base named through `ARG` is changed where the ARG gets its default (or in a
`${VAR:-default}`); registry prefixes, `--platform` and stage names are kept.

## Why
The base is most of an image: a full Debian-based `python:3.11` is about 1 GB, its
`-slim-bookworm` variant about 130 MB.

## Example
```dockerfile
FROM python:3.11
RUN pip install --no-cache-dir -r requirements.txt
```
becomes
```dockerfile
FROM python:3.11-slim-bookworm
RUN pip install --no-cache-dir -r requirements.txt
```

## How it decides
The build context beside the Dockerfile is read: `requirements*.txt`, `pyproject.toml`,
`Pipfile`, `Pipfile.lock`, `poetry.lock`, `setup.py`, `setup.cfg` and `package.json`; the
stages' RUN, CMD and ENTRYPOINT instructions are read for the tools they use, the packages they
install and whether they compile. What was read and what it decided is part of the message.
- Python never goes to Alpine when a package with C extensions is used (numpy, pandas,
  psycopg2, pillow, cryptography, grpcio, ...): those have glibc wheels only.
- Node goes to `-alpine` only when `package.json` shows no native addon (sharp, bcrypt, canvas,
  sqlite3, node-gyp builds, ...) and the Dockerfile installs no build tools; otherwise `-slim`.
- A JDK becomes a JRE only for a stage that runs a jar and compiles nothing.

## Not flagged
Stages that do not reach the final image; `FROM scratch`; bases already slim, alpine or
distroless; bases the preset has no mapping for; untagged or `latest` bases (see DP302).
A base pinned by digest is reported with no fix: dopt never rewrites digests.

## Fix safety
Safe when dopt can see the build context and nothing the stage runs needs what the slim
image lacks. Unsafe, with the reason in the message, when a later RUN uses a tool the slim
image does not have (gcc, make, git, curl, wget, ...) without installing it, when a package
is known to need compiling (psycopg2 from source, mysqlclient, ...), when the build context
cannot be seen, and for Alpine (musl libc) and distroless targets.
"#,
};

/// Tools the full (buildpack-deps based) images have and their slim variants lack.
const FULL_IMAGE_TOOLS: &[&str] = &[
    "gcc", "g++", "cc", "c++", "make", "cmake", "git", "curl", "wget", "pkg-config", "autoconf", "automake", "libtool", "patch",
    "unzip", "bzip2", "ssh", "scp", "svn", "hg", "file", "gpg",
];

/// Python packages without glibc-independent wheels: never Alpine.
const PY_C_EXTENSIONS: &[&str] = &[
    "numpy", "pandas", "scipy", "psycopg2", "psycopg2-binary", "psycopg", "pillow", "cryptography", "grpcio", "lxml",
    "matplotlib", "scikit-learn", "torch", "tensorflow", "pyarrow", "bcrypt", "cffi", "orjson", "ujson", "pyyaml",
];

/// Python packages that build from source and need a compiler and headers the full image has.
const PY_NEEDS_COMPILER: &[&str] = &["psycopg2", "mysqlclient", "python-ldap", "uwsgi", "pycurl", "pyodbc", "gssapi"];

/// npm packages with native code.
const NODE_NATIVE: &[&str] = &[
    "sharp", "bcrypt", "canvas", "sqlite3", "better-sqlite3", "node-gyp", "argon2", "bufferutil", "utf-8-validate", "node-sass",
    "grpc", "@tensorflow/tfjs-node", "re2", "leveldown", "deasync", "kerberos", "libxmljs", "node-canvas", "zeromq", "serialport",
    "cpu-features", "ssh2",
];

impl Rule for SlimBaseImage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let chain = cx.model.final_chain();
        for &si in &chain {
            let stage = &cx.model.stages[si];
            if stage.parent.is_some() || stage.is_scratch() {
                continue;
            }
            let Some(image) = stage.image() else { continue };
            let Some(tag) = image.tag.clone() else { continue };
            let facts = Facts::gather(cx, &chain);
            let Some((m, caps_new)) = pick(cx, &image, &tag, &facts) else { continue };
            let (new_tag, new_repo) = caps_new;
            let new_ref = render_ref(&image, &new_repo, &new_tag);
            let from = &cx.file.instructions[stage.from];
            let mut reasons = facts.reasons.clone();
            if let (Some(n), false) = (&m.note, m.unsafe_) {
                reasons.push(n.clone());
            }
            if image.digest.is_some() {
                let msg = format!("`{}` is pinned by digest; its smaller variant is `{new_ref}` (dopt does not rewrite digests)", stage.base_resolved);
                out.push(cx.diag(&META, from.range.start..from.header_end, msg, None));
                continue;
            }
            let mut hazards = facts.hazards.clone();
            if m.unsafe_ {
                hazards.push(m.note.clone().unwrap_or_else(|| "the preset marks this change unsafe".into()));
            }
            let edit = edit_for(cx, stage, &new_ref, &image, &tag, &new_tag);
            let applicability = if hazards.is_empty() { Applicability::Safe } else { Applicability::Unsafe };
            let mut msg = format!("final image built on `{}`: use `{new_ref}`", stage.base_resolved);
            if !reasons.is_empty() {
                msg.push_str(&format!(" ({})", reasons.join("; ")));
            }
            if applicability == Applicability::Unsafe {
                msg.push_str(&format!("; unsafe: {}", hazards.join("; ")));
            }
            let fix = match edit {
                Ok(e) => Some(Fix::with(applicability, vec![e])),
                Err(why) => {
                    msg.push_str(&format!("; no fix: {why}"));
                    None
                }
            };
            let range = from.range.start..from.header_end;
            out.push(cx.diag(&META, range, msg, fix));
        }
    }
}

/// What the stages that reach the final image, and the build context, show.
#[derive(Default, Clone)]
struct Facts {
    /// Why the change could break the build.
    hazards: Vec<String>,
    /// What was read and decided.
    reasons: Vec<String>,
    native_addons: bool,
    build_tools_installed: bool,
    compiles: bool,
    runs_java: bool,
    has_run: bool,
    shell_needed: bool,
    context_unknown: bool,
    py_c_ext: Vec<String>,
}

impl Facts {
    fn gather(cx: &Context, chain: &[usize]) -> Facts {
        let mut f = Facts { context_unknown: !cx.build.is_known(), ..Facts::default() };
        let in_chain = |i: usize| cx.model.stage_of(i).is_some_and(|s| chain.contains(&s.index));
        // packages installed by apt-get/apk/yum in the chain, in order, with the RUN they are in
        let mut installed: Vec<String> = Vec::new();
        let mut pip = false;
        let mut npm = false;
        let mut missing: Vec<(String, usize)> = Vec::new();
        for rc in run_commands(cx) {
            if !in_chain(rc.ins) {
                continue;
            }
            f.has_run = true;
            let Some(prog) = rc.cmd.program() else { continue };
            let args: Vec<&str> = rc.cmd.args_without_flags().iter().map(|w| w.text.as_str()).collect();
            if matches!(prog, "apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf") && args.first().is_some_and(|a| matches!(*a, "install" | "add")) {
                installed.extend(args[1..].iter().map(|s| s.split('=').next().unwrap_or(s).to_string()));
                continue;
            }
            if matches!(prog, "pip" | "pip3") || prog.starts_with("python") && rc.cmd.words.iter().any(|w| w.text == "pip") {
                pip = true;
            }
            if matches!(prog, "npm" | "yarn" | "pnpm") {
                npm = true;
            }
            if matches!(prog, "javac" | "mvn" | "mvnw" | "gradle" | "gradlew" | "go" | "cargo" | "gcc" | "g++" | "make" | "cmake") {
                f.compiles = true;
            }
            if FULL_IMAGE_TOOLS.contains(&prog) && !provides(&installed, prog) {
                missing.push((prog.to_string(), cx.file.instructions[rc.ins].start_line));
            }
        }
        f.build_tools_installed = ["build-essential", "g++", "gcc", "make", "python3", "build-base"].iter().any(|p| installed.iter().any(|i| i == p));
        for (tool, line) in missing {
            let h = format!("`{tool}` (line {line}) is not in the slim image and is not installed first");
            if !f.hazards.contains(&h) {
                f.hazards.push(h);
            }
        }
        // CMD/ENTRYPOINT/SHELL/HEALTHCHECK of the chain
        for (i, ins) in cx.file.instructions.iter().enumerate() {
            if !in_chain(i) {
                continue;
            }
            let n = ins.effective();
            match n.kind {
                Kind::Cmd | Kind::Entrypoint => {
                    if n.values.iter().any(|v| v.split_whitespace().any(|w| w == "java" || w.ends_with("/java"))) {
                        f.runs_java = true;
                    }
                    if !n.json {
                        f.shell_needed = true;
                    }
                }
                Kind::Healthcheck if !n.json && n.values.first().is_some_and(|v| v.eq_ignore_ascii_case("cmd")) => f.shell_needed = true,
                Kind::Shell | Kind::Run => f.shell_needed = true,
                _ => {}
            }
        }
        // the build context
        if f.context_unknown {
            if pip || npm {
                f.hazards.push("the build context is not visible, so dopt cannot check which packages need a compiler".into());
            }
            return f;
        }
        let py = python_packages(cx);
        if !py.0.is_empty() {
            let c_ext: Vec<String> = py.1.iter().filter(|p| PY_C_EXTENSIONS.contains(&p.as_str())).cloned().collect();
            if !c_ext.is_empty() {
                f.reasons.push(format!("{} lists {}: glibc wheels, so never Alpine", py.0.join(", "), c_ext.join(", ")));
            }
            f.py_c_ext = c_ext;
            let compile: Vec<&String> = py.1.iter().filter(|p| PY_NEEDS_COMPILER.contains(&p.as_str())).collect();
            if !compile.is_empty() && !f.build_tools_installed {
                f.hazards.push(format!(
                    "{} builds from source and needs a compiler and headers the slim image lacks",
                    compile.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if let Some(pj) = cx.build.read("package.json") {
            let found: Vec<&str> = NODE_NATIVE.iter().copied().filter(|n| pj.contains(&format!("\"{n}\""))).collect();
            if !found.is_empty() {
                f.native_addons = true;
                f.reasons.push(format!("package.json lists {} (native code), so not Alpine", found.join(", ")));
                if !f.build_tools_installed {
                    f.hazards.push(format!("{} may need python3, make and g++ to build, which -slim lacks", found.join(", ")));
                }
            } else {
                f.reasons.push("package.json lists no native addon".into());
            }
        }
        if f.build_tools_installed {
            f.native_addons = true;
        }
        f
    }

    fn holds(&self, cond: &str) -> bool {
        match cond {
            "native-addons" => self.native_addons,
            "build-tools" => !self.hazards.is_empty(),
            "runs-jar-only" => self.runs_java && !self.compiles,
            "compiles" => self.compiles,
            "context-unknown" => self.context_unknown,
            "no-shell-needed" => !self.shell_needed,
            _ => false,
        }
    }
}

/// Whether `installed` packages provide `tool`.
fn provides(installed: &[String], tool: &str) -> bool {
    let via: &[&str] = match tool {
        "gcc" | "cc" | "make" | "g++" | "c++" => &["build-essential", "build-base", "gcc", "g++", "make", "clang"],
        "ssh" | "scp" => &["openssh-client", "openssh"],
        "hg" => &["mercurial"],
        "svn" => &["subversion"],
        "gpg" => &["gnupg", "gpg"],
        _ => &[],
    };
    installed.iter().any(|p| p == tool || via.contains(&p.as_str()))
}

/// Python package names from the build context, and the files read.
fn python_packages(cx: &Context) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut pkgs = Vec::new();
    let mut names: Vec<String> = ["pyproject.toml", "Pipfile", "Pipfile.lock", "poetry.lock", "setup.py", "setup.cfg"].iter().map(|s| s.to_string()).collect();
    if let Some(list) = cx.build.list_shared("") {
        let reqs: Vec<String> = list.iter().filter(|n| n.starts_with("requirements") && n.ends_with(".txt")).cloned().collect();
        names.splice(0..0, reqs);
    }
    for n in names {
        let Some(text) = cx.build.read(&n) else { continue };
        files.push(n);
        let lower = text.to_ascii_lowercase();
        for p in PY_C_EXTENSIONS.iter().chain(PY_NEEDS_COMPILER) {
            if mentions_package(&lower, p) && !pkgs.iter().any(|x| x == p) {
                pkgs.push(p.to_string());
            }
        }
    }
    (files, pkgs)
}

/// Whether `text` names package `p` as a whole word (`psycopg2` is not `psycopg2-binary`).
fn mentions_package(text: &str, p: &str) -> bool {
    let mut from = 0;
    while let Some(k) = text[from..].find(p) {
        let s = from + k;
        let e = s + p.len();
        let before = text[..s].chars().next_back();
        let after = text[e..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !word(before) && !word(after) {
            return true;
        }
        from = e;
    }
    false
}

/// The first mapping that applies: the mapping and (new tag, new repository).
fn pick<'c>(cx: &'c Context, image: &ImageRef, tag: &str, facts: &Facts) -> Option<(&'c ImageMapping, (String, Option<String>))> {
    for m in &cx.config.images {
        if m.image != image.short_name() {
            continue;
        }
        let Some(caps) = m.tag.captures(tag) else { continue };
        if m.unless.iter().any(|c| facts.holds(c)) || !m.when.iter().all(|c| facts.holds(c)) {
            continue;
        }
        let new_tag = expand(&m.to, &caps);
        let new_repo = m.to_image.as_ref().map(|r| expand(r, &caps));
        // never Alpine for Python packages with C extensions
        if image.short_name() == "python" && new_tag.contains("alpine") && !facts.py_c_ext.is_empty() {
            continue;
        }
        if new_tag == tag && new_repo.is_none() {
            continue;
        }
        return Some((m, (new_tag, new_repo)));
    }
    None
}

fn expand(template: &str, caps: &Captures) -> String {
    let mut out = String::new();
    caps.expand(template, &mut out);
    out
}

/// The new image reference, keeping the registry and `library/` prefix as written.
fn render_ref(image: &ImageRef, new_repo: &Option<String>, new_tag: &str) -> String {
    match new_repo {
        Some(r) if ImageRef::parse(r).is_some_and(|x| x.registry.is_some()) => format!("{r}:{new_tag}"),
        Some(r) => {
            let mut s = String::new();
            if let Some(reg) = &image.registry {
                s.push_str(reg);
                s.push('/');
            }
            if image.repository.starts_with("library/") {
                s.push_str("library/");
            }
            s.push_str(r);
            format!("{s}:{new_tag}")
        }
        None => {
            let mut s = String::new();
            if let Some(reg) = &image.registry {
                s.push_str(reg);
                s.push('/');
            }
            s.push_str(&image.repository);
            format!("{s}:{new_tag}")
        }
    }
}

/// Where to make the change: the image word of FROM, the default of the ARG that names it,
/// or the default of a `${VAR:-default}`.
fn edit_for(cx: &Context, stage: &Stage, new_ref: &str, image: &ImageRef, tag: &str, new_tag: &str) -> Result<Edit, String> {
    let from = &cx.file.instructions[stage.from];
    let args = from.node.args.clone();
    let words = split_whitespace(&from.line.text[args.clone()]);
    let Some(w) = words.first() else { return Err("the FROM has no image".into()) };
    let logical = args.start + w.range.start..args.start + w.range.end;
    let Some(src) = from.line.source_range(logical) else { return Err("the image name is split across lines".into()) };
    let written = &cx.file.text[src.clone()];
    if !written.contains('$') {
        return Ok(Edit::replace(src, new_ref));
    }
    // `$VAR` or `${VAR}`: the global ARG default
    let var = written.strip_prefix("${").and_then(|r| r.strip_suffix('}')).or_else(|| written.strip_prefix('$'));
    if let Some(v) = var.filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
        return arg_default_edit(cx, v, new_ref);
    }
    // `${VAR:-default}`
    if let Some(inner) = written.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        if let Some((v, d)) = inner.split_once(":-").or_else(|| inner.split_once('-')) {
            if cx.model.global_default(v).is_none() && !d.contains('$') {
                let start = src.start + written.find(d).unwrap_or(0);
                return Ok(Edit::replace(start..start + d.len(), new_ref));
            }
            return arg_default_edit(cx, v, new_ref);
        }
    }
    // `repo:${TAG}`: append the variant's suffix after the variable
    if let Some((repo_written, tag_written)) = written.rsplit_once(':') {
        if !repo_written.contains('$') && repo_written.ends_with(image.repository.as_str()) && new_ref.starts_with(&format!("{repo_written}:")) {
            if let Some(suffix) = new_tag.strip_prefix(tag) {
                let at = src.start + repo_written.len() + 1 + tag_written.len();
                return Ok(Edit::insert(at, suffix));
            }
        }
    }
    Err(format!("the base `{written}` is built from ARGs in a way dopt does not rewrite"))
}

/// Replace the default of global ARG `var` with `new_ref` (quotes kept).
fn arg_default_edit(cx: &Context, var: &str, new_ref: &str) -> Result<Edit, String> {
    let Some(decl) = cx.model.global_args.iter().rev().find(|a| a.name == var) else {
        return Err(format!("the base comes from ARG {var}, which is not declared before the first FROM"));
    };
    let Some(default) = &decl.default else { return Err(format!("ARG {var} has no default")) };
    if default.contains('$') {
        return Err(format!("the default of ARG {var} is built from other ARGs"));
    }
    let ins = &cx.file.instructions[decl.instruction];
    let a = ins.node.args.clone();
    for w in parse_words(&ins.line.text[a.clone()], cx.file.escape) {
        if w.text.split('=').next() != Some(var) {
            continue;
        }
        let eq = w.text.find('=').unwrap_or(0) + 1;
        let mut vs = a.start + w.range.start + eq;
        let mut ve = a.start + w.range.end;
        let v = &ins.line.text[vs..ve];
        if v.len() >= 2 && (v.starts_with('"') || v.starts_with('\'')) && v.ends_with(&v[..1]) {
            vs += 1;
            ve -= 1;
        }
        return match ins.line.source_range(vs..ve) {
            Some(r) => Ok(Edit::replace(r, new_ref)),
            None => Err(format!("the default of ARG {var} is split across lines")),
        };
    }
    Err(format!("ARG {var} could not be read"))
}

#[cfg(test)]
mod tests;
