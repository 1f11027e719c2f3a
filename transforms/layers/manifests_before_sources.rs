//! DP205 manifests-before-sources
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Script, Sep};
use crate::syntax::{Instruction, Kind};
use crate::transforms::common::{glob_match, stage_chain_before, stage_shell, StageShell};
use crate::transforms::installs::{classify, covering_copy, dir_of, in_context, is_manifest_name, manifests, Class, Covering, Eco, Install};
use crate::transforms::programs::{cwd_before, join_abs, normalize, workdir_at};

pub struct ManifestsBeforeSources;

static META: RuleMeta = RuleMeta {
    code: "DP205",
    name: "manifests-before-sources",
    summary: "A dependency install runs after the sources are copied, so every source change reinstalls: copy the manifests first and install before the sources",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds a RUN that installs dependencies from manifests only — `pip install -r requirements*.txt`
(its `-r`/`-c` includes followed), `npm ci`/`npm install`, `yarn install`, `pnpm install`,
`pnpm fetch`, `go mod download`, `bundle install`, `composer install`, `mvn
dependency:go-offline` — whose manifests came into the image with the sources: a COPY or ADD of
a directory of the build context (`COPY . .`, `COPY src/ /app`, `ADD . .`) or of several files
besides them. The fix copies the manifests that exist in the build context first (requirements
files and their includes; package.json with the lockfile that exists and `.npmrc`; go.mod and
go.sum; Gemfile and Gemfile.lock; composer.json and composer.lock; pom.xml), to the same place
and with the same `--chown`/`--chmod`/`--link` flags, runs the install there, and copies the
sources right after it. Everything else keeps its order.

When the install shares its RUN with commands that may read the sources (`npm ci && npm run
build`), the RUN is split at the `&&` after the install: the install goes before the sources,
the rest stays after them.

For Go, where `go build` downloads the modules itself, a `COPY go.mod go.sum ./` and `RUN go
mod download` go before the copy of the sources (only when go.mod requires modules).

## Why
A layer is rebuilt when anything it copies changes. Installing after `COPY . .` reinstalls every
dependency on every edit of any source file; with the manifests copied first, the install layer
is reused until a manifest changes.

## Example
```dockerfile
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
```
becomes
```dockerfile
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
```

## Not flagged
- an install whose manifests are already copied on their own (`COPY package*.json ./`);
- `pip install .`, `pip install -e .` and other installs that build the project itself (they
  read the sources), `npm install <package>`, `yarn add`;
- a RUN whose first command already may read the sources (`python setup.py ... && pip install`),
  a RUN dopt's shell model does not fully understand, or a working directory set by a variable;
- ONBUILD RUN, exec-form RUN.

## Fix safety
Safe when dopt sees that the install reads nothing but the manifests it copies first. Unsafe
(the message says why) when it may read more: npm lifecycle scripts in package.json
(`preinstall`, `install`, `postinstall`, `prepare`) unless `--ignore-scripts`; workspaces;
local-path dependencies (`file:`, `-e .` or a path in a requirements file, a go.mod `replace`
with a directory, a Gemfile `path:`/`gemspec`); composer without `--no-scripts` and
`--no-autoloader`; a Maven project with modules; a `node_modules` in the context, which the copy
of the sources would put over the installed one; Yarn 2+. Unsafe too when there is no build
context to look at, or the context lacks the manifests (it may not be this Dockerfile's; the
copy then names the files with globs, `package*.json`, `go.sum*`, which BuildKit copies when they
exist), and when a RUN, COPY or ADD between the copy of the sources and the install would now
run before the sources are there. No fix when the destination is relative and no WORKDIR is set
(where the files go would depend on the base image: set a WORKDIR), when the copy has flags
other than `--chown`, `--chmod` and `--link`, or when a RUN that must be split changes directory
first.
"#,
};

impl Rule for ManifestsBeforeSources {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for r in 0..cx.file.instructions.len() {
            let ins = &cx.file.instructions[r];
            if ins.node.kind != Kind::Run || ins.node.json || ins.node.trigger.is_some() || cx.scripts(r).is_empty() {
                continue;
            }
            if !matches!(stage_shell(cx, r), StageShell::Posix(_)) {
                continue;
            }
            if let Some(d) = install_run(cx, r).or_else(|| go_build(cx, r)) {
                out.push(d);
            }
        }
    }
}

/// The commands of the RUN in the order they run, with their script: its command line and, when
/// the heredocs are scripts, their commands (the shell that reads them left out).
fn commands<'a>(cx: &'a Context, r: usize) -> Option<Vec<(&'a Script, &'a Command)>> {
    let scripts = cx.scripts(r);
    let heredoc = !cx.file.instructions[r].heredocs.is_empty();
    let mut out = Vec::new();
    if heredoc && scripts.len() > 1 {
        let line = &scripts[0];
        let reader = line.commands.iter().all(|c| c.words.is_empty() || c.argv().iter().skip(1).all(|w| w.text.starts_with('-')));
        if !reader {
            return None;
        }
        for s in &scripts[1..] {
            out.extend(s.commands.iter().map(|c| (s, c)));
        }
    } else {
        out.extend(scripts[0].commands.iter().map(|c| (&scripts[0], c)));
    }
    Some(out)
}

/// A COPY/ADD that brings the sources: the instruction and how the manifests map to it.
struct Plan<'a> {
    cov: Covering,
    copy: &'a Instruction,
    /// Install commands of the prefix, with the context paths of the manifests each names.
    installs: Vec<(&'a Command, Install, Vec<String>)>,
}

/// A RUN that begins with installs whose manifests came with the sources.
fn install_run(cx: &Context, r: usize) -> Option<Diagnostic> {
    let cmds = commands(cx, r)?;
    let classes: Vec<Class> = cmds.iter().map(|(_, c)| classify(c)).collect();
    let k = classes.iter().position(|c| *c == Class::Other).unwrap_or(classes.len());
    if !classes[..k].iter().any(|c| matches!(c, Class::Install(_))) {
        return None;
    }
    if cmds[..k].iter().any(|(s, c)| s.opaque.is_some() || c.opaque.is_some() || c.in_compound) {
        return None;
    }
    let wd = workdir_at(cx, r)?;
    let stage = cx.model.stage_of(r)?.index;
    let mut plan: Option<Plan> = None;
    for ((s, c), class) in cmds[..k].iter().zip(&classes) {
        let Class::Install(inst) = class else { continue };
        let cwd = cwd_before(s, c, Some(wd.clone()))?;
        let base = normalize(&join_abs(&cwd, &inst.dir));
        let mut mains = Vec::new();
        for f in &inst.files {
            let cov = covering_copy(cx, r, &normalize(&join_abs(&base, f)))?;
            if plan.as_ref().is_some_and(|p| p.cov.ins != cov.ins) || cx.model.stage_of(cov.ins)?.index != stage {
                return None;
            }
            mains.push(cov.ctx_path.clone());
            if plan.is_none() {
                plan = Some(Plan { copy: &cx.file.instructions[cov.ins], cov, installs: Vec::new() });
            }
        }
        plan.as_mut()?.installs.push((c, inst.clone(), mains));
    }
    let plan = plan?;
    let j = plan.cov.ins;

    // what the install reads, and whether dopt can see it
    let known = cx.build.is_known();
    let lacking: Option<String> = plan.installs.iter().flat_map(|(_, _, m)| m.iter()).find(|p| known && !in_context(cx, p)).cloned();
    let mut reasons: Vec<String> = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for (_, inst, mains) in &plan.installs {
        let fs: Vec<String> = if known && lacking.is_none() {
            let m = manifests(cx, inst, mains);
            reasons.extend(m.unsafe_reasons);
            m.files
        } else if inst.eco == Eco::Pip {
            mains.clone()
        } else {
            let d = dir_of(&mains[0]);
            inst.eco.blind_sources().iter().map(|b| installs_join(d, b)).collect()
        };
        for f in fs {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    if !busts_cache(cx, &plan.cov, plan.copy, &files) {
        return None;
    }
    if !known {
        reasons.insert(0, "the build context is not visible, so dopt cannot check what the install reads".into());
    } else if let Some(p) = &lacking {
        reasons.insert(0, format!("`{p}` is not in the build context dopt sees, which may not be this Dockerfile's"));
    }

    let (first_cmd, _, _) = &plan.installs[0];
    let what = format!(
        "`{}` runs after `{}` (line {}) copies the sources, so any source change reinstalls the dependencies: copy {} first and install before the sources",
        short(&cx.file.text[first_cmd.range.clone()]),
        short(plan.copy.line.text.trim()),
        plan.copy.start_line,
        files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
    );
    let range = first_cmd.range.clone();

    // the RUN: moved whole, or split after the installs
    let split = k < cmds.len();
    let ins = &cx.file.instructions[r];
    if split {
        let why_not = if !ins.heredocs.is_empty() {
            Some("the install shares a heredoc with other commands".to_string())
        } else if !matches!(cmds[k - 1].1.sep_after, Some((Sep::And, _))) {
            Some("the install is not joined to the next command by `&&`".to_string())
        } else if cmds[..k].iter().any(|(_, c)| matches!(c.program(), Some("cd" | "set" | "export")) || !c.assignments.is_empty() && c.words.is_empty()) {
            Some("the RUN changes directory or shell settings before the install, which the rest also needs".to_string())
        } else if cx.file.text[cmds[k - 1].1.range.end..cmds[k].1.range.start].contains('#') {
            Some("a comment sits between the install and the rest of the RUN".to_string())
        } else {
            None
        };
        if let Some(w) = why_not {
            return Some(cx.diag(&META, range, format!("{what} (no fix: {w}; split the RUN)"), None));
        }
    }
    match fix_text(cx, &plan.cov, plan.copy, &files) {
        Err(w) => Some(cx.diag(&META, range, format!("{what} (no fix: {w})"), None)),
        Ok(lines) => {
            match between(cx, j, r, plan.cov.dest_raw.starts_with('/'), false) {
                Err(w) => return Some(cx.diag(&META, range, format!("{what} (no fix: {w})"), None)),
                Ok(b) => reasons.extend(b),
            }
            let text = &cx.file.text;
            let j_text = &text[plan.copy.range.clone()];
            let mut edits = vec![Edit::replace(plan.copy.range.clone(), lines)];
            if split {
                let head = &text[ins.range.start..ins.line.to_source(ins.node.args.start)];
                let prefix = &text[ins.line.to_source(ins.node.args.start)..cmds[k - 1].1.range.end];
                let end = ins.range.end;
                let content_end = text[..end].trim_end_matches(['\r', '\n']).len();
                let rest = &text[cmds[k].1.range.start..content_end];
                let tail = &text[content_end..end];
                let eol = cx.style.eol();
                edits.push(Edit::replace(ins.range.clone(), format!("{head}{prefix}{eol}{j_text}{head}{rest}{tail}")));
            } else if text[..ins.range.end].ends_with('\n') {
                edits.push(Edit::insert(ins.range.end, j_text));
            } else {
                edits.push(Edit::insert(ins.range.end, format!("{}{}", cx.style.eol(), j_text.trim_end_matches(['\r', '\n']))));
            }
            let fix = if reasons.is_empty() { Fix::safe(edits) } else { Fix::unsafe_(edits) };
            let msg = if reasons.is_empty() { what } else { format!("{what} (unsafe: {})", reasons.join("; ")) };
            Some(cx.diag(&META, range, msg, Some(fix)))
        }
    }
}

/// `dir/name` for a context directory and a file name (or glob).
fn installs_join(dir: &str, name: &str) -> String {
    crate::transforms::common::join_path(dir, name)
}

/// The first line of a text, shortened for a message.
fn short(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim().trim_end_matches('\\').trim_end();
    if line.chars().count() > 60 {
        format!("{}...", line.chars().take(57).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Whether the copy brings more than the manifests `files`: a directory (other than one of
/// manifests only), or a file that is not a manifest.
fn busts_cache(cx: &Context, cov: &Covering, copy: &Instruction, files: &[String]) -> bool {
    let n = copy.effective();
    let srcs = &n.values[..n.values.len() - 1];
    srcs.iter().any(|s| {
        let s = crate::model::unquote(s);
        let rel = s.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
        let rel = if rel == "." { "" } else { rel };
        if rel.is_empty() {
            return true;
        }
        let is_dir = if cx.build.is_known() { cx.build.is_dir(rel) } else { s.ends_with('/') || cov.from_dir && cov.source == rel };
        if is_dir {
            // a directory of manifests only (`COPY requirements/ ./requirements/`) brings no sources
            return match cx.build.list(rel) {
                Some(names) => names.iter().any(|f| {
                    let p = format!("{rel}/{f}");
                    cx.build.is_dir(&p) || !(files.contains(&p) || is_manifest_name(&p))
                }),
                None => true,
            };
        }
        !(files.iter().any(|f| f == rel || glob_match(rel, f)) || is_manifest_name(rel))
    })
}

/// The COPY lines that bring `files` (context paths) to where the copy `cov` put them.
fn fix_text(cx: &Context, cov: &Covering, copy: &Instruction, files: &[String]) -> Result<String, String> {
    let n = copy.effective();
    let mut flags = String::new();
    for f in &n.flags {
        if !matches!(f.name(), "chown" | "chmod" | "link") {
            return Err(format!("the copy has `--{}`, which dopt does not carry over", f.name()));
        }
        let t = copy.line.source_range(f.range.clone()).map(|r| cx.file.text[r].to_string()).unwrap_or_else(|| f.text.clone());
        flags.push_str(&t);
        flags.push(' ');
    }
    let dest_rel = !cov.dest_raw.starts_with('/');
    if dest_rel && !workdir_set_before(cx, cov.ins) {
        return Err(format!("the destination `{}` is relative and no WORKDIR is set, so where it goes depends on the base image; set a WORKDIR", cov.dest_raw));
    }
    // group the files by destination, in order
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let srcs: Vec<String> = n.values[..n.values.len() - 1].iter().map(|s| crate::model::unquote(s).trim_start_matches("./").trim_start_matches('/').trim_end_matches('/').to_string()).collect();
    for f in files {
        if f.chars().any(|c| c.is_whitespace() || "\"'$\\`".contains(c) || c == cx.file.escape) {
            return Err(format!("`{f}` would need quoting"));
        }
        let dest = if cov.from_dir {
            let src = &cov.source;
            let d = dir_of(f);
            let sub = if src.is_empty() {
                d.to_string()
            } else if d == src {
                String::new()
            } else if let Some(x) = d.strip_prefix(&format!("{src}/")) {
                x.to_string()
            } else {
                return Err(format!("`{f}` is outside `{src}`, which the copy brings"));
            };
            dest_join(&cov.dest_raw, &sub)
        } else {
            // several files into a directory: only those the copy names
            if !srcs.iter().any(|s| s == f || glob_match(s, f)) {
                continue;
            }
            dest_join(&cov.dest_raw, "")
        };
        match groups.iter_mut().find(|(d, _)| *d == dest) {
            Some((_, v)) => v.push(f.clone()),
            None => groups.push((dest, vec![f.clone()])),
        }
    }
    if groups.is_empty() {
        return Err("the copy names none of the manifests".into());
    }
    let indent = &cx.file.text[copy.range.start..copy.keyword_start()];
    let kw = cx.style.keyword("COPY");
    let eol = cx.style.eol();
    Ok(groups.iter().map(|(d, fs)| format!("{indent}{kw} {flags}{} {d}{eol}", fs.join(" "))).collect())
}

/// A destination directory below a COPY destination: `./`, `./web/`, `/app/web/`.
fn dest_join(dest: &str, sub: &str) -> String {
    let base = dest.trim_end_matches('/');
    let base = if dest.starts_with('/') && base.is_empty() { "" } else { base };
    let base = if base.is_empty() && !dest.starts_with('/') { "." } else { base };
    if sub.is_empty() {
        format!("{base}/")
    } else {
        format!("{base}/{sub}/")
    }
}

/// Whether a WORKDIR is set before instruction `i` in its stage or a stage it is built FROM
/// (hadolint's DL3045 asks for one before a COPY to a relative destination).
fn workdir_set_before(cx: &Context, i: usize) -> bool {
    stage_chain_before(cx, i).into_iter().any(|k| cx.file.instructions[k].node.kind == Kind::Workdir)
}

/// What the instructions between the copy of the sources `j` and the RUN `r` say about moving
/// the sources after the RUN (`moves_sources`) or putting a download before them (not): Err when
/// there is no fix, else the reasons it is unsafe.
fn between(cx: &Context, j: usize, r: usize, dest_abs: bool, download: bool) -> Result<Vec<String>, String> {
    let mut reasons = Vec::new();
    for k in j + 1..r {
        let ins = &cx.file.instructions[k];
        let line = ins.start_line;
        match ins.node.kind {
            Kind::Run if download => reasons.push(format!("the RUN at line {line} runs between, and the download would now run before it")),
            // a RUN that reads nothing of the context (a venv at an absolute path, apt-get) does not mind
            Kind::Run if !reads_nothing(cx, k) => reasons.push(format!("the RUN at line {line} would now run before the sources are copied")),
            Kind::Copy | Kind::Add if !download => reasons.push(format!("the copy at line {line} would now come before the sources, not after them")),
            Kind::Workdir if !dest_abs && !download => return Err(format!("the WORKDIR at line {line} would change where the sources go")),
            Kind::Volume | Kind::Onbuild | Kind::Unknown if !download => reasons.push(format!("line {line} (`{}`) would now come before the sources", ins.node.keyword)),
            Kind::Env | Kind::Arg if download => {
                let n = ins.effective();
                let names: Vec<&str> = if n.kind == Kind::Env { n.values.iter().step_by(2).map(String::as_str).collect() } else { n.values.iter().map(|v| v.split('=').next().unwrap_or("")).collect() };
                if let Some(v) = names.iter().find(|v| v.starts_with("GO") || v.to_ascii_uppercase().contains("PROXY")) {
                    reasons.push(format!("`{v}` (line {line}) is set after the point where the download would run"));
                }
            }
            _ => {}
        }
    }
    Ok(reasons)
}

/// Whether every command of the RUN at `k` is understood and reads nothing of the build context.
fn reads_nothing(cx: &Context, k: usize) -> bool {
    let ins = &cx.file.instructions[k];
    !ins.node.json
        && ins.heredocs.is_empty()
        && cx.scripts(k).iter().all(|s| s.opaque.is_none() && s.commands.iter().all(|c| c.opaque.is_none() && classify(c) == Class::Neutral && c.program() != Some("cd")))
}

/// `go build` (or `install`, `test`, `vet`, `generate`) after the sources came in with go.mod,
/// and no `go mod download` before: download the modules before the sources.
fn go_build(cx: &Context, r: usize) -> Option<Diagnostic> {
    let cmds = commands(cx, r)?;
    let (s, c) = cmds.iter().find(|(_, c)| {
        c.program() == Some("go") && c.subcommand().is_some_and(|w| matches!(w.text.as_str(), "build" | "install" | "test" | "vet" | "generate")) && !c.argv().iter().any(|w| w.text.contains('@'))
    })?;
    let cwd = cwd_before(s, c, workdir_at(cx, r))?;
    let cov = covering_copy(cx, r, &normalize(&join_abs(&cwd, "go.mod")))?;
    let stage = cx.model.stage_of(r)?.index;
    if cx.model.stage_of(cov.ins)?.index != stage {
        return None;
    }
    // a download already runs before the build
    if stage_chain_before(cx, r).into_iter().any(|k| cx.file.instructions[k].node.kind == Kind::Run && cx.file.text[cx.file.instructions[k].range.clone()].contains("go mod download")) {
        return None;
    }
    let copy = &cx.file.instructions[cov.ins];
    let known = cx.build.is_known();
    let d = dir_of(&cov.ctx_path).to_string();
    let mut reasons = Vec::new();
    let files: Vec<String> = if known {
        let gomod = cx.build.read(&cov.ctx_path).filter(|_| in_context(cx, &cov.ctx_path))?;
        if !gomod.lines().any(|l| l.trim_start().starts_with("require")) {
            return None; // no module to download
        }
        if cx.build.is_dir(&installs_join(&d, "vendor")) {
            return None; // the build uses vendor/
        }
        let inst = Install { eco: Eco::Go, dir: String::new(), files: vec!["go.mod".into()], no_scripts: true, no_autoloader: false };
        let m = manifests(cx, &inst, std::slice::from_ref(&cov.ctx_path));
        reasons.extend(m.unsafe_reasons);
        m.files
    } else {
        reasons.push("the build context is not visible, so dopt cannot check go.mod".into());
        Eco::Go.blind_sources().iter().map(|b| installs_join(&d, b)).collect()
    };
    if !busts_cache(cx, &cov, copy, &files) {
        return None;
    }
    if cx.file.text[copy.range.clone()].contains("GOFLAGS") {
        return None;
    }
    let what = format!(
        "`{}` downloads the modules after `{}` (line {}) copies the sources, so any source change downloads them again: copy {} first and run `go mod download` before the sources",
        short(&cx.file.text[c.range.clone()]),
        short(copy.line.text.trim()),
        copy.start_line,
        files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
    );
    let range = c.range.clone();
    let lines = match fix_text(cx, &cov, copy, &files) {
        Ok(l) => l,
        Err(w) => return Some(cx.diag(&META, range, format!("{what} (no fix: {w})"), None)),
    };
    match between(cx, cov.ins, r, true, true) {
        Ok(b) => reasons.extend(b),
        Err(w) => return Some(cx.diag(&META, range, format!("{what} (no fix: {w})"), None)),
    }
    let ins = &cx.file.instructions[r];
    let flags: String = ins
        .node
        .flags
        .iter()
        .map(|f| format!(" {}", ins.line.source_range(f.range.clone()).map(|x| cx.file.text[x].to_string()).unwrap_or_else(|| f.text.clone())))
        .collect();
    let indent = &cx.file.text[copy.range.start..copy.keyword_start()];
    let run = format!("{indent}{}{flags} go mod download{}", cx.style.keyword("RUN"), cx.style.eol());
    let j_text = &cx.file.text[copy.range.clone()];
    let edits = vec![Edit::replace(copy.range.clone(), format!("{lines}{run}{j_text}"))];
    let fix = if reasons.is_empty() { Fix::safe(edits) } else { Fix::unsafe_(edits) };
    let msg = if reasons.is_empty() { what } else { format!("{what} (unsafe: {})", reasons.join("; ")) };
    Some(cx.diag(&META, range, msg, Some(fix)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{context, fix_with};

    fn safe(files: &[(&str, &str)], text: &str) -> String {
        let (_d, b) = context(files);
        fix_with(&ManifestsBeforeSources, text, false, &b)
    }
    fn unsafe_(files: &[(&str, &str)], text: &str) -> String {
        let (_d, b) = context(files);
        fix_with(&ManifestsBeforeSources, text, true, &b)
    }
    fn messages(files: &[(&str, &str)], text: &str) -> Vec<String> {
        let (_d, b) = context(files);
        let f = crate::syntax::parse(text).unwrap();
        crate::engine::check(&f, &[&ManifestsBeforeSources], &b).into_iter().map(|d| d.message).collect()
    }

    const PY: &[(&str, &str)] = &[("requirements.txt", "flask\n"), ("app.py", "print(1)\n")];

    #[test]
    fn moves_a_pip_install_before_the_sources() {
        assert_eq!(
            safe(PY, "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"),
            "FROM python:3.11\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
        );
        // an absolute destination, flags carried over, lower-case keywords
        assert_eq!(
            safe(PY, "from python\ncopy --chown=app:app . /srv/app\nrun cd /srv/app && pip install -r requirements.txt\n"),
            "from python\ncopy --chown=app:app requirements.txt /srv/app/\nrun cd /srv/app && pip install -r requirements.txt\ncopy --chown=app:app . /srv/app\n"
        );
        // includes are followed and copied to their own directory
        let files = [("requirements.txt", "-r requirements/base.txt\n"), ("requirements/base.txt", "flask\n"), ("app.py", "")];
        assert_eq!(
            safe(&files, "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"),
            "FROM python\nWORKDIR /app\nCOPY requirements.txt ./\nCOPY requirements/base.txt ./requirements/\nRUN pip install -r requirements.txt\nCOPY . .\n"
        );
    }

    #[test]
    fn splits_a_run_that_also_builds() {
        let files = [("package.json", r#"{"name":"a","scripts":{"build":"tsc"}}"#), ("package-lock.json", "{}"), ("src/a.ts", "")];
        assert_eq!(
            safe(&files, "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci \\\n    && npm run build\nCMD [\"node\", \"dist/a.js\"]\n"),
            "FROM node:18\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nCMD [\"node\", \"dist/a.js\"]\n"
        );
        // a cd before the install: reported, not split
        let m = messages(&files, "FROM node:18\nWORKDIR /\nCOPY . /app\nRUN cd /app && npm ci && npm run build\n");
        assert!(m[0].contains("no fix: the RUN changes directory"), "{m:?}");
    }

    #[test]
    fn unsafe_when_the_install_may_read_more() {
        let files = [("package.json", r#"{"scripts":{"postinstall":"node scripts/fix.js"}}"#), ("package-lock.json", "{}"), ("scripts/fix.js", "")];
        let t = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci\n";
        assert_eq!(safe(&files, t), t);
        assert_eq!(unsafe_(&files, t), "FROM node:18\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n");
        assert!(messages(&files, t)[0].contains("postinstall"));
        // `-e .` in requirements
        let files = [("requirements.txt", "-e .\n"), ("setup.py", "")];
        let t = "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n";
        assert_eq!(safe(&files, t), t);
        assert!(messages(&files, t)[0].contains("`-e .`"));
        // a RUN in between (one that reads nothing of the context does not matter)
        let t = "FROM python\nWORKDIR /app\nCOPY . .\nRUN python -m venv /opt/venv\nRUN pip install -r requirements.txt\n";
        assert_eq!(safe(PY, t), "FROM python\nWORKDIR /app\nCOPY requirements.txt ./\nRUN python -m venv /opt/venv\nRUN pip install -r requirements.txt\nCOPY . .\n");
        let t = "FROM python\nWORKDIR /app\nCOPY . .\nRUN ./gen.sh\nRUN pip install -r requirements.txt\n";
        assert_eq!(safe(PY, t), t);
        assert_eq!(unsafe_(PY, t), "FROM python\nWORKDIR /app\nCOPY requirements.txt ./\nRUN ./gen.sh\nRUN pip install -r requirements.txt\nCOPY . .\n");
    }

    #[test]
    fn without_a_context_the_copy_uses_globs() {
        let t = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN yarn install --frozen-lockfile\n";
        assert_eq!(fix_with(&ManifestsBeforeSources, t, false, &BuildContext::default()), t);
        assert_eq!(
            fix_with(&ManifestsBeforeSources, t, true, &BuildContext::default()),
            "FROM node:18\nWORKDIR /app\nCOPY package.json yarn.lock* ./\nRUN yarn install --frozen-lockfile\nCOPY . .\n"
        );
        // a context that lacks the manifest: not this Dockerfile's
        let m = messages(&[("other", "")], "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n");
        assert!(m[0].contains("unsafe: `requirements.txt` is not in the build context"), "{m:?}");
    }

    #[test]
    fn go_downloads_modules_first() {
        let files = [("go.mod", "module x\n\ngo 1.21\n\nrequire github.com/a/b v1.0.0\n"), ("go.sum", ""), ("main.go", "")];
        assert_eq!(
            safe(&files, "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n"),
            "FROM golang:1.21\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app .\n"
        );
        // a RUN's cache mount goes with the download
        assert_eq!(
            safe(&files, "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN --mount=type=cache,target=/go/pkg/mod go build .\n"),
            "FROM golang:1.21\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\nRUN --mount=type=cache,target=/go/pkg/mod go build .\n"
        );
        // an explicit download after the sources is moved instead
        assert_eq!(
            safe(&files, "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go mod download\nRUN go build .\n"),
            "FROM golang:1.21\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build .\n"
        );
        // nothing to download
        let none = [("go.mod", "module x\n\ngo 1.21\n"), ("main.go", "")];
        let t = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build .\n";
        assert!(messages(&none, t).is_empty());
    }

    #[test]
    fn leaves_alone() {
        for t in [
            // manifests copied on their own
            "FROM python\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
            // the project itself is installed
            "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install .\n",
            "FROM python\nWORKDIR /app\nCOPY . .\nRUN python setup.py build && pip install -r requirements.txt\n",
            // a working directory dopt does not know
            "FROM python\nWORKDIR $APP\nCOPY . .\nRUN pip install -r requirements.txt\n",
            // exec form, ONBUILD
            "FROM python\nWORKDIR /app\nCOPY . .\nRUN [\"pip\", \"install\", \"-r\", \"requirements.txt\"]\n",
            "FROM python\nWORKDIR /app\nONBUILD COPY . .\nONBUILD RUN pip install -r requirements.txt\n",
            // the copy comes from another stage
            "FROM python AS b\nFROM python\nWORKDIR /app\nCOPY --from=b /app .\nRUN pip install -r requirements.txt\n",
        ] {
            assert!(messages(PY, t).is_empty(), "{t}");
        }
    }

    #[test]
    fn no_fix_without_a_workdir_for_a_relative_destination() {
        let m = messages(PY, "FROM python\nCOPY . .\nRUN pip install -r requirements.txt\n");
        assert!(m[0].contains("no fix: the destination `.` is relative and no WORKDIR is set"), "{m:?}");
        // an absolute one is fine
        assert_eq!(
            safe(PY, "FROM python\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n"),
            "FROM python\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\nCOPY . /app\n"
        );
    }

    #[test]
    fn keeps_the_files_style() {
        // CRLF and a backtick escape
        assert_eq!(
            safe(PY, "# escape=`\r\nFROM python\r\nWORKDIR /app\r\nCOPY . .\r\nRUN pip install -r requirements.txt `\r\n    && python -m compileall .\r\n"),
            "# escape=`\r\nFROM python\r\nWORKDIR /app\r\nCOPY requirements.txt ./\r\nRUN pip install -r requirements.txt\r\nCOPY . .\r\nRUN python -m compileall .\r\n"
        );
        // a heredoc RUN moves whole; no final newline
        assert_eq!(
            safe(PY, "FROM python\nWORKDIR /app\nCOPY . .\nRUN <<EOF\npip install -r requirements.txt\nEOF"),
            "FROM python\nWORKDIR /app\nCOPY requirements.txt ./\nRUN <<EOF\npip install -r requirements.txt\nEOF\nCOPY . ."
        );
    }

    #[test]
    fn every_stage_counts() {
        let t = "FROM python AS build\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nFROM python:3.11-slim\nCOPY --from=build /app /app\n";
        assert_eq!(
            safe(PY, t),
            "FROM python AS build\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\nFROM python:3.11-slim\nCOPY --from=build /app /app\n"
        );
    }
}
