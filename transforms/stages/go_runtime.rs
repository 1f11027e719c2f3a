//! DP401 go-scratch-runtime
use crate::config::GoRuntime;
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::syntax::Kind;
use crate::transforms::common::{env_value_before, run_commands, RunCommand};
use crate::transforms::programs::{context_source, cwd_before, join_abs, normalize, programs_of, workdir_at};
use crate::transforms::stages::split::{
    apt_split, command_words, context_files, copy_from, entry_instructions, json_array, kw, on_path, root_image, tag_release, unsplittable, Anchor,
    Place, Split,
};

pub struct GoScratchRuntime;

static META: RuleMeta = RuleMeta {
    code: "DP401",
    name: "go-scratch-runtime",
    summary: "The final image builds a Go program and ships the Go toolchain: build in a builder stage, run the binary on `scratch`",
    fix: FixKind::Unsafe,
    hadolint: &[],
    docs: r#"## What it does
When the final stage runs `go build` (or `go install`) on a `golang` image, splits it in two:
the original stage becomes the `builder` (`builder-2`, ... when the name is taken), its build
command gets `CGO_ENABLED=0`, `-trimpath` and `-ldflags="-s -w"` and an explicit `-o` when it
had none; a new final stage on `scratch` (or `gcr.io/distroless/static-debian12:nonroot` under
`[go] runtime = "distroless"`, as in the `distroless` preset) gets the binary at the same path,
the CA bundle (`/etc/ssl/certs/ca-certificates.crt`), `/usr/share/zoneinfo` when the code loads
time zones, and `/etc/passwd` and `/etc/group` when a `USER` names a user. `ENTRYPOINT`/`CMD`
run the binary by its absolute path in exec form; `EXPOSE`, `ENV`, `LABEL`, `WORKDIR`,
`VOLUME`, `STOPSIGNAL` and `USER` carry over with their comments.

Directories the program may read at run time from the build context (`templates/`,
`static/`, `public/`, `assets/`, `views/`, `config/`, ..., unless a `//go:embed` names them) and
configuration files beside the main package are copied too, and the message says so.

## Why
`golang:1.21` is about 800 MB of compiler, module cache and Debian; a static Go binary on
`scratch` is the binary alone, typically 10-25 MB.

## Example
```dockerfile
FROM golang:1.21
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/app .
EXPOSE 8080
CMD app
```
becomes
```dockerfile
FROM golang:1.21 AS builder
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /usr/local/bin/app .

FROM scratch
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
WORKDIR /src
COPY --from=builder /usr/local/bin/app /usr/local/bin/app
EXPOSE 8080
CMD ["/usr/local/bin/app"]
```

## When not scratch
The runtime is `debian:<release>-slim` (the builder's Debian release) instead, and the message
says why, when the program needs cgo (`import "C"` in the context's Go files, a cgo-only module
such as `github.com/mattn/go-sqlite3` in `go.mod`, `CGO_ENABLED=1`), when `CMD`/`ENTRYPOINT`
need a shell (variables, operators, a script), when a later `RUN` or a `HEALTHCHECK` runs tools
(`curl`, `sh`), or when an apt install of the stage puts packages the program may use at run
time. On an Alpine-based `golang` image that needs this, there is no fix.

## Not flagged
A final stage that is not on a `golang` image (a file that already copies its binary into a
`scratch`, distroless or slim runtime); a build with no `go build`/`go install`. Reported with no
fix, saying why: a build inside a script dopt does not edit, an output dopt cannot name (`-o`
with a variable, `./...`), a `CMD` that runs something other than the binary (`go run`).

## Fix safety
Always unsafe: the image no longer has a shell, a package manager or the Go toolchain, and
files the program reads at run time that dopt did not find are not copied.
"#,
};

/// Modules that need cgo.
const CGO_MODULES: &[&str] = &[
    "github.com/mattn/go-sqlite3",
    "github.com/confluentinc/confluent-kafka-go",
    "gopkg.in/gographics/imagick",
    "github.com/tecbot/gorocksdb",
    "github.com/linxGnu/grocksdb",
    "github.com/mattn/go-oci8",
    "github.com/godror/godror",
    "github.com/miekg/pkcs11",
    "github.com/DataDog/zstd",
    "github.com/valyala/gozstd",
    "github.com/go-gl/glfw",
    "github.com/ibmdb/go_ibm_db",
    "github.com/h2non/bimg",
    "github.com/davidbyttow/govips",
];

/// Directories a Go program commonly reads at run time.
const RUNTIME_DIRS: &[&str] = &["templates", "static", "public", "assets", "views", "config", "configs", "migrations", "i18n", "locales"];

/// Configuration files beside the main package.
const CONFIG_EXTS: &[&str] = &[".yaml", ".yml", ".toml", ".ini", ".conf"];

/// Flags of `go build` that take a value as the next word.
const VALUE_FLAGS: &[&str] = &[
    "-o", "-ldflags", "-gcflags", "-asmflags", "-tags", "-mod", "-modfile", "-p", "-C", "-buildmode", "-compiler", "-gccgoflags", "-installsuffix",
    "-overlay", "-pgo", "-pkgdir", "-toolexec", "-covermode", "-coverpkg", "-buildvcs",
];

/// One `go build` or `go install`, read.
struct Build<'a> {
    rc: &'a RunCommand<'a>,
    /// The binary's absolute path in the image.
    out: String,
    /// `-o NAME` to add (a build with no `-o`).
    add_o: Option<String>,
}

impl Rule for GoScratchRuntime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(stage) = cx.model.final_stage() else { return };
        let si = stage.index;
        let Some((root, image)) = root_image(cx, si) else { return };
        if image.short_name() != "golang" {
            return;
        }
        let from = &cx.file.instructions[stage.from];
        let range = from.range.start..from.header_end;
        let base = cx.model.stages[root].base_resolved.clone();
        let cmds = run_commands(cx);
        let builds: Vec<&RunCommand> =
            cmds.iter().filter(|rc| stage.instructions.contains(&rc.ins) && rc.cmd.program() == Some("go") && is_build(rc.cmd)).collect();
        let report = |out: &mut Vec<Diagnostic>, why: String| {
            out.push(cx.diag(&META, range.clone(), format!("the final image builds Go on `{base}` and ships the toolchain; no fix: {why}"), None));
        };
        if builds.is_empty() {
            let p = programs_of(cx, &[si]);
            if let Some(r) = p.runs.iter().find(|r| r.program == "go" && r.via.is_some() && r.args.iter().find(|a| !a.starts_with('-')).is_some_and(|a| a == "build" || a == "install")) {
                report(out, format!("`go {}` runs inside `{}`, which dopt does not edit", r.args[0], r.via.as_deref().unwrap_or("?")));
            }
            return;
        }
        if let Some(why) = unsplittable(cx, si) {
            return report(out, why);
        }
        let mut read = Vec::new();
        for rc in &builds {
            match read_build(cx, rc) {
                Ok(b) => read.push(b),
                Err(why) => return report(out, why),
            }
        }
        let last_build = read.iter().map(|b| b.rc.ins).max().unwrap();
        let tag = image.tag.clone().unwrap_or_default();
        let release = tag_release(&tag).unwrap_or("bookworm");
        let alpine = tag.contains("alpine");

        // reasons the runtime cannot be scratch
        let mut no_scratch: Vec<String> = Vec::new();
        let cgo = cgo_reasons(cx, si, &read);
        no_scratch.extend(cgo.iter().cloned());
        // the program's entry
        let (ep, cmd) = entry_instructions(cx, si);
        let Some(entry) = ep.or(cmd) else { return report(out, "no CMD or ENTRYPOINT runs the binary".into()) };
        let entry_line = cx.file.instructions[entry].start_line;
        let entry_words = command_words(cx, entry);
        let mut rewrite: Option<(usize, Vec<String>)> = None;
        match &entry_words {
            None => no_scratch.push(format!("the {} at line {entry_line} needs a shell", keyword_of(cx, entry))),
            Some(w) if w.is_empty() => return report(out, format!("the {} at line {entry_line} is empty", keyword_of(cx, entry))),
            Some(w) => {
                let prog = &w[0];
                if prog == "go" {
                    return report(out, format!("the {} at line {entry_line} runs `go`: the toolchain is needed at run time", keyword_of(cx, entry)));
                }
                match resolve_program(cx, entry, prog, &read) {
                    Some(abs) => {
                        let mut nw = w.clone();
                        nw[0] = abs;
                        rewrite = Some((entry, nw));
                    }
                    None if matches!(crate::model::shell::base(prog), "sh" | "bash" | "ash" | "dash") => {
                        no_scratch.push(format!("the {} at line {entry_line} runs `{prog}`", keyword_of(cx, entry)))
                    }
                    None => return report(out, format!("the {} at line {entry_line} runs `{prog}`, which is not the binary the build makes", keyword_of(cx, entry))),
                }
            }
        }
        let mut split = Split::new(si, String::new());
        // later RUNs
        for i in last_build + 1..stage.instructions.end {
            let ins = &cx.file.instructions[i];
            if ins.kind() != Kind::Run {
                continue;
            }
            let mut progs: Vec<&str> = cmds.iter().filter(|rc| rc.ins == i).filter_map(|rc| rc.cmd.program()).collect();
            progs.dedup();
            if !progs.is_empty() && progs.iter().all(|p| *p == "go") {
                continue;
            }
            split.set(i, Place::Runtime);
            no_scratch.push(format!("the RUN at line {} runs {} in the image", ins.start_line, if progs.is_empty() { "commands".to_string() } else { format!("`{}`", progs.join("`, `")) }));
        }
        // HEALTHCHECK
        for i in stage.instructions.clone() {
            let ins = &cx.file.instructions[i];
            if ins.kind() != Kind::Healthcheck {
                continue;
            }
            let n = ins.effective();
            if n.values.first().is_some_and(|v| v.eq_ignore_ascii_case("none")) {
                continue;
            }
            let runs_binary = n.json && n.values.get(1).is_some_and(|p| read.iter().any(|b| b.out == *p));
            if !runs_binary {
                no_scratch.push(format!("the HEALTHCHECK at line {} runs a command the runtime would not have", ins.start_line));
            }
        }
        // apt packages for run time
        let moved: Vec<usize> = split.places.iter().filter(|(_, p)| *p == Place::Runtime).map(|(i, _)| *i).collect();
        let apt = apt_split(cx, si, release, &|i| !moved.contains(&i));
        let runtime_pkgs: Vec<String> = apt.runtime.iter().filter(|p| !matches!(p.as_str(), "ca-certificates" | "tzdata")).cloned().collect();
        if !runtime_pkgs.is_empty() {
            no_scratch.push(format!("the stage installs {} with apt, which the program may use", runtime_pkgs.join(", ")));
        }
        let on_scratch = no_scratch.is_empty();
        if !on_scratch && alpine {
            return report(out, format!("the runtime would need more than scratch ({}), and the builder is Alpine-based", no_scratch.join("; ")));
        }
        let distroless = on_scratch && cx.config.go_runtime == GoRuntime::Distroless;
        split.runtime_image = if on_scratch {
            if distroless { "gcr.io/distroless/static-debian12:nonroot".into() } else { "scratch".into() }
        } else {
            format!("debian:{release}-slim")
        };
        let builder = split.builder_name(cx);
        let mut notes: Vec<String> = Vec::new();
        // builder edits
        for b in &read {
            let rc = b.rc;
            let argv = rc.cmd.argv();
            let sub = argv.iter().skip(1).find(|w| !w.text.starts_with('-')).unwrap();
            let mut add = String::new();
            if !has_go_flag(rc.cmd, "trimpath") {
                add.push_str(" -trimpath");
            }
            if !has_go_flag(rc.cmd, "ldflags") {
                add.push_str(" -ldflags=\"-s -w\"");
            }
            if let Some(o) = &b.add_o {
                add.push_str(&format!(" -o {o}"));
            }
            if !add.is_empty() {
                split.builder_edits.push(Edit::insert(sub.range.end, add));
            }
            if cgo.is_empty() && !rc.cmd.assignments.iter().any(|a| a.text.starts_with("CGO_ENABLED=")) && env_value_before(cx, rc.ins, "CGO_ENABLED").is_none() {
                split.builder_edits.push(Edit::insert(argv[0].range.start, "CGO_ENABLED=0 "));
            }
        }
        // runtime
        let user_named = stage.instructions.clone().any(|i| {
            let n = cx.file.instructions[i].effective();
            n.kind == Kind::User && n.values.first().is_some_and(|u| !u.split(':').next().unwrap_or("").chars().all(|c| c.is_ascii_digit()))
        });
        if on_scratch {
            if !distroless {
                split.runtime_head.push(copy_from(cx, &builder, &["/etc/ssl/certs/ca-certificates.crt"], "/etc/ssl/certs/"));
                if loads_time_zones(cx, si) {
                    split.runtime_head.push(copy_from(cx, &builder, &["/usr/share/zoneinfo"], "/usr/share/zoneinfo"));
                    notes.push("the code loads time zones: /usr/share/zoneinfo is copied".into());
                }
            }
            if user_named {
                split.runtime_head.push(copy_from(cx, &builder, &["/etc/passwd", "/etc/group"], "/etc/"));
            }
            for i in stage.instructions.clone() {
                if cx.file.instructions[i].kind() == Kind::Shell {
                    split.set(i, Place::Builder);
                }
            }
        } else if !runtime_pkgs.is_empty() {
            split.runtime_head.push(crate::transforms::stages::split::apt_install_line(cx, &apt.runtime));
        }
        for b in &read {
            split.runtime_lines.push((Anchor::BeforeFiles, copy_from(cx, &builder, &[&b.out], &b.out)));
        }
        // files read at run time
        let copied = runtime_files(cx, &read);
        for p in &copied {
            split.runtime_lines.push((Anchor::BeforeFiles, copy_from(cx, &builder, &[p], p)));
        }
        let mut copied = copied;
        for i in stage.instructions.clone() {
            let n = cx.file.instructions[i].effective();
            if n.kind != Kind::Copy || n.flag("from").is_none() || n.values.len() < 2 {
                continue;
            }
            let dest = crate::model::unquote(n.values.last().unwrap());
            let Some(wd) = workdir_at(cx, i) else { continue };
            if dest.contains('$') {
                continue;
            }
            let p = normalize(&join_abs(&wd, &dest));
            if !copied.contains(&p) && !read.iter().any(|b| b.out == p) && p != "/" && Some(p.as_str()) != workdir_at(cx, i).as_deref() {
                split.runtime_lines.push((Anchor::BeforeFiles, copy_from(cx, &builder, &[&p], &p)));
                copied.push(p);
            }
        }
        if !copied.is_empty() {
            notes.push(format!("copies {} (from the build context or other stages), which the program may read at run time", copied.join(", ")));
        }
        if let Some((i, words)) = &rewrite {
            let k = keyword_of(cx, *i);
            split.runtime_replace.push((*i, format!("{} {}", kw(cx, &k), json_array(words))));
            if ep.is_some() {
                if let Some(c) = cmd.filter(|c| c > i) {
                    match command_words(cx, c) {
                        Some(w) => split.runtime_replace.push((c, format!("{} {}", kw(cx, "CMD"), json_array(&w)))),
                        None if on_scratch => return report(out, format!("the CMD at line {} needs a shell", cx.file.instructions[c].start_line)),
                        None => {}
                    }
                }
            }
        }
        let mut msg = format!(
            "the final image builds Go on `{base}` and ships the toolchain: build in a `{builder}` stage and run the binary on `{}`",
            split.runtime_image
        );
        if !on_scratch {
            msg.push_str(&format!(" (not scratch: {})", no_scratch.join("; ")));
        }
        for n in &notes {
            msg.push_str(&format!("; {n}"));
        }
        if !cx.build.is_known() {
            msg.push_str("; the build context is not visible, so dopt could not check the Go files for cgo");
        }
        msg.push_str(&format!(
            "; unsafe: the runtime image has no {}Go toolchain, and files the program reads at run time that dopt did not find are not copied",
            if on_scratch { "shell, package manager or " } else { "" }
        ));
        let fix = Fix::unsafe_(split.edits(cx)).foundation();
        out.push(cx.diag(&META, range, msg, Some(fix)));
    }
}

fn keyword_of(cx: &Context, i: usize) -> String {
    match cx.file.instructions[i].kind() {
        Kind::Entrypoint => "ENTRYPOINT".into(),
        _ => "CMD".into(),
    }
}

/// Whether a go command has flag `-name` (also `--name`, `-name=value`).
fn has_go_flag(cmd: &Command, name: &str) -> bool {
    cmd.argv().iter().any(|w| {
        let t = w.text.trim_start_matches('-');
        w.text.starts_with('-') && (t == name || t.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
    })
}

/// `go build` or `go install` (not `go install pkg@version` of a tool: that is still a build).
fn is_build(cmd: &Command) -> bool {
    cmd.argv().iter().skip(1).find(|w| !w.text.starts_with('-')).is_some_and(|w| w.text == "build" || w.text == "install")
}

/// Reads a build: its output path in the image.
fn read_build<'a>(cx: &Context, rc: &'a RunCommand<'a>) -> Result<Build<'a>, String> {
    let line = cx.file.instructions[rc.ins].start_line;
    if let Some(why) = rc.opaque() {
        return Err(format!("the build at line {line} is not fully understood ({why})"));
    }
    let argv = rc.cmd.argv();
    let k = argv.iter().skip(1).position(|w| !w.text.starts_with('-')).unwrap() + 1;
    let install = argv[k].text == "install";
    let mut o: Option<String> = None;
    let mut pkgs: Vec<&str> = Vec::new();
    let mut j = k + 1;
    while j < argv.len() {
        let w = &argv[j];
        if w.dynamic {
            return Err(format!("the build at line {line} uses a variable (`{}`)", w.text));
        }
        let t = w.text.as_str();
        if t == "-o" {
            o = argv.get(j + 1).map(|x| x.text.clone());
            if argv.get(j + 1).is_some_and(|x| x.dynamic) {
                return Err(format!("the output of the build at line {line} is named by a variable"));
            }
            j += 2;
            continue;
        }
        if let Some(v) = t.strip_prefix("-o=").or_else(|| t.strip_prefix("--o=")) {
            o = Some(v.to_string());
        } else if t.starts_with('-') {
            let flag = format!("-{}", t.trim_start_matches('-'));
            if VALUE_FLAGS.contains(&flag.as_str()) {
                j += 1;
            }
        } else {
            pkgs.push(t);
        }
        j += 1;
    }
    if pkgs.iter().any(|p| p.contains("...")) || pkgs.len() > 1 && !pkgs.iter().all(|p| p.ends_with(".go")) {
        return Err(format!("the build at line {line} builds several packages"));
    }
    let cwd = cwd_before(rc.script, rc.cmd, workdir_at(cx, rc.ins));
    let pkg = pkgs.first().copied().unwrap_or(".");
    let name = || -> Result<String, String> {
        if pkg.ends_with(".go") {
            return Ok(pkg.rsplit('/').next().unwrap().trim_end_matches(".go").to_string());
        }
        let p = pkg.split('@').next().unwrap().trim_end_matches('/');
        let elem = |path: &str| -> Option<String> {
            let mut parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
            if parts.len() > 1 && parts.last().is_some_and(|l| l.len() > 1 && l.starts_with('v') && l[1..].chars().all(|c| c.is_ascii_digit())) {
                parts.pop();
            }
            parts.last().map(|s| s.to_string())
        };
        if p == "." || p.is_empty() {
            // the module's last path element, from go.mod
            let dir = cwd.as_deref().ok_or_else(|| format!("the build at line {line} runs in a directory dopt does not know"))?;
            let gomod = context_source(cx, rc.ins, &join_abs(dir, "go.mod")).and_then(|s| cx.build.read(&s));
            let module = gomod.as_deref().and_then(|t| t.lines().find_map(|l| l.trim().strip_prefix("module ").map(|m| m.trim().trim_matches('"').to_string())));
            return module.as_deref().and_then(elem).ok_or_else(|| format!("the build at line {line} names no output and dopt cannot read the module's name from go.mod"));
        }
        elem(p).ok_or_else(|| format!("the build at line {line}: dopt cannot name its output"))
    };
    if install {
        let gobin = env_value_before(cx, rc.ins, "GOBIN").or_else(|| env_value_before(cx, rc.ins, "GOPATH").map(|g| format!("{g}/bin"))).unwrap_or("/go/bin".into());
        if gobin.contains('$') || !gobin.starts_with('/') {
            return Err(format!("`go install` at line {line} installs into `{gobin}`, which dopt cannot resolve"));
        }
        return Ok(Build { rc, out: normalize(&format!("{gobin}/{}", name()?)), add_o: None });
    }
    let (out, add_o) = match o {
        Some(o) => {
            let o = if o.ends_with('/') { format!("{o}{}", name()?) } else { o };
            let abs = if o.starts_with('/') {
                o
            } else {
                join_abs(cwd.as_deref().ok_or_else(|| format!("the build at line {line} runs in a directory dopt does not know"))?, &o)
            };
            (normalize(&abs), None)
        }
        None => {
            let n = name()?;
            let dir = cwd.ok_or_else(|| format!("the build at line {line} runs in a directory dopt does not know"))?;
            (normalize(&join_abs(&dir, &n)), Some(n))
        }
    };
    Ok(Build { rc, out, add_o })
}

/// The absolute path of the binary a CMD/ENTRYPOINT runs, when it runs one the build makes.
fn resolve_program(cx: &Context, i: usize, prog: &str, builds: &[Build]) -> Option<String> {
    let cand = if prog.starts_with('/') {
        normalize(prog)
    } else if prog.contains('/') {
        normalize(&join_abs(&workdir_at(cx, i)?, prog))
    } else {
        // a bare name: a binary in a directory of PATH (the golang image adds /go/bin and /usr/local/go/bin)
        return builds
            .iter()
            .find(|b| {
                let (dir, base) = b.out.rsplit_once('/').unwrap_or(("", &b.out));
                base == prog && (on_path(cx, i, dir) || dir == "/go/bin")
            })
            .map(|b| b.out.clone());
    };
    builds.iter().find(|b| b.out == cand).map(|b| b.out.clone())
}

/// Why the program needs cgo, if it does.
fn cgo_reasons(cx: &Context, si: usize, builds: &[Build]) -> Vec<String> {
    let mut out = Vec::new();
    for b in builds {
        if b.rc.cmd.assignments.iter().any(|a| a.text == "CGO_ENABLED=1") || env_value_before(cx, b.rc.ins, "CGO_ENABLED").as_deref() == Some("1") {
            out.push(format!("CGO_ENABLED=1 for the build at line {}", cx.file.instructions[b.rc.ins].start_line));
            return out;
        }
    }
    let st = &cx.model.stages[si];
    if st.args.iter().any(|a| a.name == "CGO_ENABLED" && a.resolved.as_deref() == Some("1")) {
        out.push("ARG CGO_ENABLED=1".into());
        return out;
    }
    if !cx.build.is_known() {
        return out;
    }
    for f in context_files(cx, ".go", 3000) {
        if f.ends_with("_test.go") {
            continue;
        }
        if let Some(t) = cx.build.read(&f) {
            if t.contains("import \"C\"") || t.lines().any(|l| l.trim() == "\"C\"") {
                out.push(format!("`{f}` imports \"C\" (cgo)"));
                return out;
            }
        }
    }
    for gomod in context_files(cx, "go.mod", 50) {
        if let Some(t) = cx.build.read(&gomod) {
            if let Some(m) = CGO_MODULES.iter().find(|m| t.contains(&format!("{m} ")) || t.contains(&format!("{m}/"))) {
                out.push(format!("`{gomod}` requires {m}, which needs cgo"));
                return out;
            }
        }
    }
    out
}

/// Whether the program loads time zones (and does not embed them).
fn loads_time_zones(cx: &Context, si: usize) -> bool {
    let st = &cx.model.stages[si];
    if st.instructions.clone().any(|i| env_value_before(cx, i, "TZ").is_some()) {
        return true;
    }
    let files = context_files(cx, ".go", 3000);
    let texts: Vec<String> = files.iter().filter_map(|f| cx.build.read(f)).collect();
    let embeds = texts.iter().any(|t| t.contains("\"time/tzdata\""));
    !embeds && texts.iter().any(|t| t.contains("time.LoadLocation"))
}

/// Directories and configuration files of the main package's directory that the program may
/// read at run time, as absolute image paths.
fn runtime_files(cx: &Context, builds: &[Build]) -> Vec<String> {
    let mut out = Vec::new();
    if !cx.build.is_known() {
        return out;
    }
    let go_texts: Vec<String> = context_files(cx, ".go", 3000).iter().filter_map(|f| cx.build.read(f)).collect();
    let embedded = |name: &str| go_texts.iter().any(|t| t.lines().any(|l| l.trim_start().starts_with("//go:embed") && l.split_whitespace().skip(1).any(|p| p.trim_matches('"').split('/').next() == Some(name))));
    for b in builds {
        let Some(cwd) = cwd_before(b.rc.script, b.rc.cmd, workdir_at(cx, b.rc.ins)) else { continue };
        for d in RUNTIME_DIRS {
            let p = normalize(&join_abs(&cwd, d));
            if let Some(src) = context_source(cx, b.rc.ins, &p) {
                if cx.build.is_dir(&src) && !embedded(d) && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        let Some(dir_src) = context_source(cx, b.rc.ins, &normalize(&join_abs(&cwd, "go.mod"))).map(|s| s.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default()) else { continue };
        for n in cx.build.list(&dir_src).unwrap_or_default() {
            if CONFIG_EXTS.iter().any(|e| n.ends_with(e)) && !n.starts_with('.') && !embedded(&n) {
                let p = normalize(&join_abs(&cwd, &n));
                if context_source(cx, b.rc.ins, &p).is_some() && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{context, fix_with};

    const MAIN: &str = "package main\nfunc main() {}\n";

    fn fixed(text: &str, files: &[(&str, &str)]) -> String {
        let (_d, b) = context(files);
        fix_with(&GoScratchRuntime, text, true, &b)
    }

    #[test]
    fn splits_a_go_build_onto_scratch() {
        let t = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /usr/local/bin/app .\nEXPOSE 8080\nCMD app\n";
        let out = fixed(t, &[("go.mod", "module example.com/x\n"), ("main.go", MAIN)]);
        assert_eq!(
            out,
            "FROM golang:1.21 AS builder\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /usr/local/bin/app .\n\nFROM scratch\nCOPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\nWORKDIR /src\nCOPY --from=builder /usr/local/bin/app /usr/local/bin/app\nEXPOSE 8080\nCMD [\"/usr/local/bin/app\"]\n"
        );
        // safe fixes only: nothing changes
        let (_d, b) = context(&[("go.mod", "module example.com/x\n")]);
        assert_eq!(fix_with(&GoScratchRuntime, t, false, &b), t);
    }

    #[test]
    fn names_the_output_from_go_mod() {
        let t = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build\nCMD [\"./svc\"]\n";
        let out = fixed(t, &[("go.mod", "module example.com/svc/v2\n"), ("main.go", MAIN)]);
        assert!(out.contains("go build -trimpath -ldflags=\"-s -w\" -o svc\n"), "{out}");
        assert!(out.contains("COPY --from=builder /src/svc /src/svc\nCMD [\"/src/svc\"]\n"), "{out}");
    }

    #[test]
    fn cgo_goes_to_debian_slim() {
        let t = "FROM golang:1.21-bookworm\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n";
        let out = fixed(t, &[("go.mod", "module x\nrequire github.com/mattn/go-sqlite3 v1.14.0\n"), ("main.go", MAIN)]);
        assert!(out.contains("\nFROM debian:bookworm-slim\n"), "{out}");
        assert!(!out.contains("CGO_ENABLED=0"), "{out}");
        let out = fixed(t, &[("go.mod", "module x\n"), ("main.go", "package main\nimport \"C\"\nfunc main() {}\n")]);
        assert!(out.contains("\nFROM debian:bookworm-slim\n"), "{out}");
    }

    #[test]
    fn a_shell_command_needs_a_shell() {
        let t = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD /app --port $PORT\n";
        let out = fixed(t, &[("go.mod", "module x\n")]);
        assert!(out.contains("\nFROM debian:bookworm-slim\n") && out.ends_with("CMD /app --port $PORT\n"), "{out}");
        // alpine: no fix
        let t = t.replace("golang:1.21", "golang:1.21-alpine");
        assert_eq!(fixed(&t, &[("go.mod", "module x\n")]), t);
    }

    #[test]
    fn copies_runtime_directories_and_zoneinfo() {
        let t = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n";
        let main = "package main\nimport \"time\"\nfunc main() { time.LoadLocation(\"UTC\") }\n";
        let out = fixed(t, &[("go.mod", "module x\n"), ("main.go", main), ("templates/a.html", "x"), ("assets/b.css", ""), ("config.yaml", "a: 1")]);
        assert!(out.contains("COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo\n"), "{out}");
        assert!(out.contains("COPY --from=builder /src/templates /src/templates\n"), "{out}");
        assert!(out.contains("COPY --from=builder /src/config.yaml /src/config.yaml\n"), "{out}");
        // an embedded directory is not copied
        let main = "package main\nimport \"embed\"\n//go:embed assets\nvar f embed.FS\nfunc main() {}\n";
        let out = fixed(t, &[("go.mod", "module x\n"), ("main.go", main), ("assets/b.css", "")]);
        assert!(!out.contains("/src/assets"), "{out}");
    }

    #[test]
    fn already_split_or_unknown_outputs() {
        let t = "FROM golang:1.21 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nCMD [\"/app\"]\n";
        assert_eq!(crate::transforms::testing::count(&GoScratchRuntime, t), 0);
        let t = "FROM golang:1.21\nRUN go build -o $OUT ./...\nCMD [\"/app\"]\n";
        let (_d, b) = context(&[]);
        let f = crate::syntax::parse(t).unwrap();
        let d = crate::engine::check(&f, &[&GoScratchRuntime], &b);
        assert!(d[0].fix.is_none() && d[0].message.contains("no fix"), "{:?}", d);
        let t = "FROM golang:1.21\nRUN go build -o /app .\nCMD [\"go\", \"run\", \".\"]\n";
        let f = crate::syntax::parse(t).unwrap();
        assert!(crate::engine::check(&f, &[&GoScratchRuntime], &b)[0].fix.is_none());
    }

    #[test]
    fn distroless_preset() {
        let (_d, b) = context(&[("go.mod", "module x\n")]);
        let t = "FROM golang:1.21\nRUN go install ./cmd/srv\nUSER app\nCMD [\"srv\"]\n";
        let opts = crate::engine::Options { unsafe_fixes: true, config: std::sync::Arc::new(crate::config::Config::preset("distroless").unwrap()), ..Default::default() };
        let out = crate::engine::run(t, &[&GoScratchRuntime], &b, &opts).unwrap().output;
        assert!(out.contains("\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=builder /etc/passwd /etc/group /etc/\nCOPY --from=builder /go/bin/srv /go/bin/srv\nUSER app\nCMD [\"/go/bin/srv\"]\n"), "{out}");
    }
}
