//! What the final image is and runs, for the DP5xx rules: the stages that make it, its base
//! image and what dopt knows of that base's users and shell, the command the container starts
//! (CMD and ENTRYPOINT, read through the scripts they run from the build context), the ports it
//! exposes and the user it runs as.

use crate::engine::Context;
use crate::model::shell::{self, parse_script, Script};
use crate::model::ImageRef;
use crate::syntax::Kind;
use crate::transforms::common::{is_windows_image, stage_chain};
use crate::transforms::programs::{context_source, join_abs, normalize, workdir_at};

/// How a user can be created on a base image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distro {
    /// Debian or Ubuntu: `groupadd` and `useradd` (the `passwd` package, in every variant).
    Debian,
    /// Alpine: BusyBox `addgroup` and `adduser`.
    Alpine,
    /// No shell (`scratch`, distroless): a numeric USER only, no RUN.
    NoShell,
    /// Some other system (RHEL, Amazon Linux, BusyBox...): dopt does not write a user for it.
    Other,
}

/// An unprivileged user: ids and the name the base (or the file) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub uid: u32,
    /// None when only the uid is known (`USER 1001`).
    pub gid: Option<u32>,
    pub name: String,
}

impl Account {
    fn new(uid: u32, gid: u32, name: &str) -> Account {
        Account { uid, gid: Some(gid), name: name.to_string() }
    }
    /// `uid:gid` (or `uid` when the group is not known), for USER and `--chown`.
    pub fn spec(&self) -> String {
        match self.gid {
            Some(g) => format!("{}:{g}", self.uid),
            None => self.uid.to_string(),
        }
    }
}

/// What dopt knows of the base image at the root of the final stage chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// As written, lower-cased (`python:3.11-slim`, `scratch`).
    pub name: String,
    /// Whether a container of the base runs as root when no USER is set: Some(true) for
    /// `scratch` and the images known to set no USER, Some(false) for images known to set a
    /// non-root one, None when dopt does not know the image.
    pub runs_as_root: Option<bool>,
    /// The base's own unprivileged user (node images: `node`, 1000; distroless: `nonroot`,
    /// 65532; .NET 8+: `app`, 1654).
    pub own_user: Option<Account>,
    pub distro: Distro,
    pub windows: bool,
}

/// Official images that set no USER and whose default variants are Debian or Ubuntu.
const DEBIAN_IMAGES: &[&str] = &[
    "python", "pypy", "node", "golang", "rust", "eclipse-temurin", "ruby", "php", "perl", "erlang", "elixir", "gcc", "buildpack-deps",
    "debian", "ubuntu", "julia", "r-base", "haskell", "clojure", "maven", "gradle", "tomcat", "nginx", "httpd", "mono", "swift", "dart",
    "sapmachine", "ibm-semeru-runtimes", "groovy", "kong",
];

/// Official images that set no USER, on another system (or one whose variants differ).
const OTHER_ROOT_IMAGES: &[&str] = &[
    "openjdk", "amazoncorretto", "ibmjava", "centos", "fedora", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "archlinux",
    "photon", "busybox", "clearlinux",
];

/// Tag words that name a Debian release or variant (`openjdk:11-jdk-slim-buster`).
const DEBIAN_TAGS: &[&str] = &["slim", "stretch", "buster", "bullseye", "bookworm", "trixie", "jessie"];

/// Tag words that name a system other than Debian or Ubuntu.
const OTHER_TAGS: &[&str] = &["corretto", "oracle", "ubi", "centos", "amazon", "ibm", "mariner", "azurelinux", "rocky", "alma", "fedora"];

impl Base {
    fn unknown(name: String) -> Base {
        Base { name, runs_as_root: None, own_user: None, distro: Distro::Other, windows: false }
    }

    pub fn scratch() -> Base {
        Base { name: "scratch".into(), runs_as_root: Some(true), own_user: None, distro: Distro::NoShell, windows: false }
    }

    /// What dopt knows of `img`.
    pub fn of(img: &ImageRef) -> Base {
        let tag = img.tag.as_deref().unwrap_or("latest").to_ascii_lowercase();
        let name = format!("{}{}", img.repository, img.tag.as_ref().map(|t| format!(":{t}")).unwrap_or_default()).to_ascii_lowercase();
        let full = match &img.registry {
            Some(r) => format!("{r}/{name}"),
            None => name.clone(),
        };
        let mut b = Base::unknown(full.clone());
        if is_windows_image(&full) {
            b.windows = true;
            return b;
        }
        let registry = img.registry.as_deref().unwrap_or("docker.io");
        let repo = img.repository.to_ascii_lowercase();
        let alpine = tag.contains("alpine");
        let other_tag = OTHER_TAGS.iter().any(|t| tag.contains(t));
        match registry {
            "docker.io" | "index.docker.io" if !repo.contains('/') || repo.starts_with("library/") => {
                let short = img.short_name();
                if short == "alpine" || DEBIAN_IMAGES.contains(&short) || OTHER_ROOT_IMAGES.contains(&short) {
                    b.runs_as_root = Some(true);
                    b.distro = if short == "alpine" || alpine {
                        Distro::Alpine
                    } else if (DEBIAN_IMAGES.contains(&short) || (short == "openjdk" && DEBIAN_TAGS.iter().any(|t| tag.contains(t)))) && !other_tag {
                        Distro::Debian
                    } else {
                        Distro::Other
                    };
                    if short == "node" {
                        b.own_user = Some(Account::new(1000, 1000, "node"));
                    }
                }
            }
            "gcr.io" if repo.starts_with("distroless/") => {
                b.distro = Distro::NoShell;
                if tag.contains("nonroot") {
                    b.runs_as_root = Some(false);
                } else {
                    b.runs_as_root = Some(true);
                    b.own_user = Some(Account::new(65532, 65532, "nonroot"));
                }
            }
            "mcr.microsoft.com" if repo.starts_with("dotnet/") && !repo.contains("framework") => {
                if tag.contains("chiseled") || tag.contains("distroless") {
                    // the chiseled images set `USER app`
                    b.runs_as_root = Some(false);
                    b.distro = Distro::NoShell;
                } else {
                    b.runs_as_root = Some(true);
                    b.distro = if alpine {
                        Distro::Alpine
                    } else if other_tag {
                        Distro::Other
                    } else {
                        Distro::Debian
                    };
                    let major = tag.split(['.', '-']).next().and_then(|m| m.parse::<u32>().ok());
                    if major.is_some_and(|m| m >= 8) {
                        b.own_user = Some(Account::new(1654, 1654, "app"));
                    }
                }
            }
            "registry.access.redhat.com" | "registry.redhat.io" if repo.starts_with("ubi") && (!repo.contains('/') || ["/ubi", "/ubi-minimal", "/ubi-micro", "/ubi-init"].iter().any(|s| repo.ends_with(s))) => {
                b.runs_as_root = Some(true);
                b.distro = Distro::Other;
            }
            "cgr.dev" => {
                // Chainguard images run as `nonroot` (65532), their `-dev` variants too
                b.runs_as_root = Some(false);
                b.distro = if tag.contains("dev") { Distro::Other } else { Distro::NoShell };
            }
            _ => {}
        }
        b
    }

    /// Whether `name` is a user the base defines, with its ids.
    pub fn named_user(&self, name: &str) -> Option<Account> {
        if let Some(u) = self.own_user.as_ref().filter(|u| u.name == name) {
            return Some(u.clone());
        }
        match name {
            "nobody" if matches!(self.distro, Distro::Debian | Distro::Alpine) => Some(Account::new(65534, 65534, "nobody")),
            _ => None,
        }
    }

    /// Whether the base image has a shell that RUN can use.
    pub fn has_shell(&self) -> bool {
        self.distro != Distro::NoShell
    }
}

/// The final image: the final stage and the stages it is built FROM.
pub struct FinalImage {
    /// The instructions of those stages, in build order (ONBUILD triggers included).
    pub instructions: Vec<usize>,
    /// The instructions of the final stage itself, FROM included.
    pub own: std::ops::Range<usize>,
    /// None when the root of the chain is named through an ARG dopt cannot resolve.
    pub base: Option<Base>,
}

impl FinalImage {
    pub fn of(cx: &Context) -> Option<FinalImage> {
        let last = cx.model.final_stage()?;
        let chain = stage_chain(cx, last.from);
        let mut instructions = Vec::new();
        for &s in chain.iter().rev() {
            instructions.extend(cx.model.stages[s].instructions.clone());
        }
        let root = &cx.model.stages[*chain.last()?];
        let base = if root.is_scratch() { Some(Base::scratch()) } else { root.image().map(|r| Base::of(&r)) };
        Some(FinalImage { instructions, own: last.instructions.clone(), base })
    }

    /// The instructions of `kind` that apply to the image (ONBUILD triggers left out).
    pub fn of_kind<'a>(&'a self, cx: &'a Context, kind: Kind) -> impl Iterator<Item = usize> + 'a {
        self.instructions.iter().copied().filter(move |&i| cx.file.instructions[i].node.kind == kind)
    }

    /// The last instruction of `kind`.
    pub fn last(&self, cx: &Context, kind: Kind) -> Option<usize> {
        self.of_kind(cx, kind).last()
    }

    /// The ports the image EXPOSEs, with the instruction: `80`, `8080/tcp`, the first port of a
    /// range; ports named by a variable are left out.
    pub fn exposed(&self, cx: &Context) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        for i in self.of_kind(cx, Kind::Expose) {
            for v in &cx.file.instructions[i].node.values {
                let p = v.split('/').next().unwrap_or("");
                let p = p.split('-').next().unwrap_or("");
                if let Ok(n) = p.parse::<u32>() {
                    out.push((i, n));
                }
            }
        }
        out
    }

    /// The instruction that decides what the container runs: the last ENTRYPOINT, else the
    /// last CMD.
    pub fn main_command(&self, cx: &Context) -> Option<usize> {
        self.last(cx, Kind::Entrypoint).or_else(|| self.last(cx, Kind::Cmd))
    }
}

/// One program the container's command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    /// The program's basename (`node`, `nginx`, `docker-entrypoint.sh`).
    pub program: String,
    /// As written (`/usr/local/bin/app`, `./start.sh`).
    pub path: String,
    pub args: Vec<String>,
    /// The context path of the script it was found in, when it was found in one.
    pub via: Option<String>,
}

/// What a CMD or ENTRYPOINT runs.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub runs: Vec<Launched>,
    /// What dopt could not read (a script outside the build context, say).
    pub unseen: Vec<String>,
}

/// The directories of the default PATH.
const PATH_DIRS: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// Process wrappers that run the command after their options (`tini --`, `dumb-init`).
const INITS: &[&str] = &["tini", "dumb-init", "catatonit", "tini-static"];

pub const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "fish"];

/// What the CMD or ENTRYPOINT at instruction `i` runs: its command (exec or shell form), the
/// commands of `sh -c` strings, and the commands of scripts it runs from the build context.
pub fn launch(cx: &Context, i: usize) -> Launch {
    let ins = &cx.file.instructions[i];
    let n = &ins.node;
    let mut out = Launch::default();
    if n.json {
        argv_runs(cx, i, n.values.clone(), None, 0, &mut out);
    } else if let Some(s) = shell::shell_form(cx.file, ins) {
        script_runs(cx, i, &s, None, 0, &mut out);
    }
    out
}

fn script_runs(cx: &Context, i: usize, s: &Script, via: Option<&str>, depth: usize, out: &mut Launch) {
    if let Some(why) = s.opaque {
        out.unseen.push(format!("the command is not fully understood ({why})"));
    }
    for c in &s.commands {
        let argv: Vec<String> = c.words.iter().map(|w| w.text.clone()).collect();
        argv_runs(cx, i, argv, via, depth, out);
    }
}

/// The programs an argument vector runs, following wrappers, `sh -c` and context scripts.
fn argv_runs(cx: &Context, i: usize, argv: Vec<String>, via: Option<&str>, depth: usize, out: &mut Launch) {
    let mut k = 0;
    // wrappers: exec, env, nice..., and init processes
    while k < argv.len() {
        let b = shell::base(&argv[k]);
        if matches!(b, "exec" | "nice" | "nohup" | "time" | "stdbuf" | "command") {
            k += 1;
        } else if b == "env" {
            k += 1;
            while k < argv.len() && (argv[k].starts_with('-') || argv[k].contains('=')) {
                k += 1;
            }
        } else if b == "npx" || ((b == "bundle" || b == "npm" || b == "pnpm") && argv.get(k + 1).is_some_and(|a| a == "exec")) {
            // `npx next start`, `bundle exec puma`: the tool they run
            k += if b == "npx" { 1 } else { 2 };
            while k < argv.len() && argv[k].starts_with('-') {
                k += 1;
            }
        } else if INITS.contains(&b) {
            out.runs.push(Launched { program: b.to_string(), path: argv[k].clone(), args: Vec::new(), via: via.map(str::to_string) });
            k += 1;
            while k < argv.len() && argv[k].starts_with('-') {
                let stop = argv[k] == "--";
                k += 1;
                if stop {
                    break;
                }
            }
        } else {
            break;
        }
    }
    let Some(first) = argv.get(k) else { return };
    let program = shell::base(first).to_string();
    let args = argv[k + 1..].to_vec();
    out.runs.push(Launched { program: program.clone(), path: first.clone(), args: args.clone(), via: via.map(str::to_string) });
    if depth >= 3 {
        return;
    }
    // `sh -c 'script'`
    if SHELLS.contains(&program.as_str()) {
        let mut j = 0;
        let mut has_c = false;
        while j < args.len() && args[j].starts_with('-') && args[j].len() > 1 {
            has_c |= !args[j].starts_with("--") && args[j][1..].contains('c');
            if args[j] == "-o" {
                j += 1;
            }
            j += 1;
        }
        if has_c {
            if let Some(text) = args.get(j) {
                let s = parse_script(text, 0);
                script_runs(cx, i, &s, via, depth + 1, out);
            }
            return;
        }
        if let Some(script) = args.get(j) {
            follow_script(cx, i, script, depth, out);
        }
        return;
    }
    if first.contains('/') {
        follow_script(cx, i, first, depth, out);
    } else if let Some(p) = PATH_DIRS.iter().map(|d| format!("{d}/{first}")).find(|p| context_source(cx, i, p).is_some()) {
        // a script the file copied into a directory of PATH (`COPY entrypoint.sh /usr/local/bin/`)
        follow_script(cx, i, &p, depth, out);
    } else if program.ends_with(".sh") {
        follow_script(cx, i, first, depth, out);
    }
}

/// Reads a script the command runs from the build context, when it is one.
fn follow_script(cx: &Context, i: usize, path: &str, depth: usize, out: &mut Launch) {
    if path.contains('$') {
        out.unseen.push(format!("`{path}` is named by a variable"));
        return;
    }
    let abs = match workdir_at(cx, i) {
        Some(wd) => normalize(&join_abs(&wd, path)),
        None if path.starts_with('/') => normalize(path),
        None => {
            out.unseen.push(format!("`{path}` is run from a directory dopt does not know"));
            return;
        }
    };
    let Some(src) = context_source(cx, i, &abs) else {
        // a program of the image, or a file a RUN made: dopt cannot read it
        if path.ends_with(".sh") {
            out.unseen.push(format!("dopt cannot find `{path}` in the build context"));
        }
        return;
    };
    let Some(text) = cx.build.read(&src) else {
        out.unseen.push(format!("dopt cannot read `{src}`"));
        return;
    };
    let interp = text.lines().next().and_then(|l| l.strip_prefix("#!")).map(|l| {
        let mut ws = l.split_whitespace();
        let a = ws.next().map(shell::base).unwrap_or("");
        if a == "env" { ws.next().unwrap_or("").to_string() } else { a.to_string() }
    });
    if let Some(p) = interp.as_deref().filter(|p| !SHELLS.contains(p)) {
        out.runs.push(Launched { program: p.to_string(), path: p.to_string(), args: vec![src.clone()], via: Some(src) });
        return;
    }
    let s = parse_script(&text, 0);
    script_runs(cx, i, &s, Some(&src), depth + 1, out);
}

/// The ids given by `-u N`/`--uid N`/`--uid=N`-style options of a command's arguments.
pub fn numeric_opt(args: &[String], short: &str, long: &str) -> Option<u32> {
    for (k, a) in args.iter().enumerate() {
        if a == short || a == long {
            return args.get(k + 1).and_then(|v| v.parse().ok());
        }
        if let Some(v) = a.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
            return v.parse().ok();
        }
        if let Some(v) = a.strip_prefix(short).filter(|v| !v.is_empty() && short.len() == 2 && !a.starts_with("--")) {
            if let Ok(n) = v.parse() {
                return Some(n);
            }
        }
    }
    None
}

/// Whether a USER value names root (`root`, `0`, `root:root`, `0:0`).
pub fn is_root_user(v: &str) -> bool {
    let u = v.split(':').next().unwrap_or(v);
    u == "root" || u == "0"
}

/// Whether an absolute image path lies inside directory `dir` (or is it).
pub fn inside(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}
