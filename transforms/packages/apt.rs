//! The apt vocabulary the apt rules (DP102 to DP105) share: reading `apt-get` and `apt`
//! command lines (options, subcommand, packages), which stages and instructions a RUN's
//! package lists reach, whether a RUN cleans them, whether later instructions still read them,
//! and where a package goes in a package list.

use std::collections::HashSet;

use crate::engine::{Context, Edit};
use crate::model::ImageRef;
use crate::model::shell::{base, flag_matches, Command, Script, Sep, Word};
use crate::syntax::Kind;
use crate::transforms::common::{mount_targets, mounts, stage_chain};

/// The two apt front-ends the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    AptGet,
    Apt,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::AptGet => "apt-get",
            Tool::Apt => "apt",
        }
    }
}

/// Options of apt-get and apt that take their value as the next word.
const VALUE_OPTIONS: &[&str] = &["-o", "-c", "-t", "-a", "--option", "--config-file", "--target-release", "--default-release", "--host-architecture"];

/// Subcommands that read the package lists (`/var/lib/apt/lists`).
pub const READS_LISTS: &[&str] = &[
    "install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall", "satisfy", "search", "show",
    "showsrc", "policy", "list", "changelog", "depends", "rdepends", "madison",
];

/// The path of the package lists.
pub const LISTS: &str = "/var/lib/apt/lists";

/// The cleanup the rules add.
pub const CLEANUP: &str = "rm -rf /var/lib/apt/lists/*";

/// An `apt-get` or `apt` command: its words from the program on, and its subcommand.
#[derive(Debug, Clone, Copy)]
pub struct Apt<'a> {
    pub tool: Tool,
    pub cmd: &'a Command,
    /// The words from the program on (wrappers such as `sudo` left out).
    pub argv: &'a [Word],
    /// Index of the subcommand in `argv`.
    pub sub: usize,
}

impl<'a> Apt<'a> {
    /// The command read as `apt-get`/`apt` with a subcommand, if it is one.
    pub fn of(cmd: &'a Command) -> Option<Apt<'a>> {
        let argv = cmd.argv();
        let prog = argv.first()?;
        if prog.quoted || prog.dynamic {
            return None;
        }
        let tool = match base(&prog.text) {
            "apt-get" => Tool::AptGet,
            "apt" => Tool::Apt,
            _ => return None,
        };
        let mut i = 1;
        while i < argv.len() {
            let t = argv[i].text.as_str();
            if t == "--" {
                return None;
            }
            if t.len() > 1 && t.starts_with('-') {
                i += if VALUE_OPTIONS.contains(&t) { 2 } else { 1 };
                continue;
            }
            if argv[i].dynamic {
                return None;
            }
            return Some(Apt { tool, cmd, argv, sub: i });
        }
        None
    }

    pub fn program(&self) -> &'a Word {
        &self.argv[0]
    }

    pub fn sub_word(&self) -> &'a Word {
        &self.argv[self.sub]
    }

    pub fn sub(&self) -> &'a str {
        &self.argv[self.sub].text
    }

    /// Its options, before and after the subcommand, as `(option, value)`: the value of
    /// `-o X`, `-oX`, `--option=X` and the other options that take one.
    pub fn options(&self) -> Vec<(&'a str, Option<&'a str>)> {
        let mut out = Vec::new();
        let mut i = 1;
        while i < self.argv.len() {
            let t = self.argv[i].text.as_str();
            if t == "--" {
                break;
            }
            if t.len() > 1 && t.starts_with('-') {
                if VALUE_OPTIONS.contains(&t) {
                    out.push((t, self.argv.get(i + 1).map(|w| w.text.as_str())));
                    i += 2;
                    continue;
                }
                if let Some(v) = t.strip_prefix("--option=") {
                    out.push(("-o", Some(v)));
                } else if t.len() > 2 && !t.starts_with("--") && matches!(&t[..2], "-o" | "-c" | "-t" | "-a") {
                    // a value written against its option: `-oAPT::Get::Assume-Yes=1`, `-tjammy`
                    out.push((&t[..2], Some(&t[2..])));
                } else {
                    out.push((t, None));
                }
            }
            i += 1;
        }
        out
    }

    /// The words after the subcommand that are not options or option values: packages,
    /// `.deb` files, `pkg=version`, `pkg/release`.
    pub fn operands(&self) -> Vec<&'a Word> {
        let mut out = Vec::new();
        let mut i = self.sub + 1;
        let mut opts = true;
        while i < self.argv.len() {
            let w = &self.argv[i];
            let t = w.text.as_str();
            if opts && t == "--" {
                opts = false;
            } else if opts && t.len() > 1 && t.starts_with('-') {
                if VALUE_OPTIONS.contains(&t) {
                    i += 1;
                }
            } else {
                out.push(w);
            }
            i += 1;
        }
        out
    }

    /// `-y`, `--yes`, `--assume-yes`, quiet level 2 (`-qq`, `-q -q`, `-q=2`, which imply `-y`)
    /// or `-o APT::Get::Assume-Yes=true`.
    pub fn assumes_yes(&self) -> bool {
        let mut quiet = 0;
        for (o, v) in self.options() {
            if let Some(v) = o.strip_prefix("--yes=").or_else(|| o.strip_prefix("--assume-yes=")) {
                if is_true(v) {
                    return true;
                }
            } else if flag_matches(o, &["-y", "--yes", "--assume-yes"]) {
                return true;
            }
            if let Some(n) = o.strip_prefix("-q=").or_else(|| o.strip_prefix("--quiet=")) {
                quiet += n.parse::<i32>().unwrap_or(0);
            } else if o == "--quiet" {
                quiet += 1;
            } else if !o.starts_with("--") && o[1..].chars().all(|c| c.is_ascii_alphabetic()) {
                quiet += o.matches('q').count() as i32;
            }
            if let (Some((k, val)), "-o") = (v.and_then(|v| v.split_once('=')), o) {
                if k.eq_ignore_ascii_case("APT::Get::Assume-Yes") && is_true(val) {
                    return true;
                }
                if k.eq_ignore_ascii_case("quiet") {
                    quiet += val.trim().parse::<i32>().unwrap_or(0);
                }
            }
        }
        quiet >= 2
    }

    /// `--no-install-recommends` or `-o APT::Install-Recommends=false` (or `0`, `no`, `off`).
    pub fn skips_recommends(&self) -> bool {
        self.options().iter().any(|&(o, v)| match o {
            "--no-install-recommends" => true,
            _ if o.starts_with("--no-install-recommends=") => is_true(&o["--no-install-recommends=".len()..]),
            _ if o.starts_with("--install-recommends=") => is_false(&o["--install-recommends=".len()..]),
            "-o" => v.and_then(|v| v.split_once('=')).is_some_and(|(k, val)| k.eq_ignore_ascii_case("APT::Install-Recommends") && is_false(val)),
            _ => false,
        })
    }

    /// The end of the subcommand and of the options right after it: where a new option goes
    /// so that it lands after `-y` (`install -y --no-install-recommends curl`).
    pub fn option_insert_point(&self) -> usize {
        let mut end = self.sub_word().range.end;
        let mut i = self.sub + 1;
        while i < self.argv.len() {
            let t = self.argv[i].text.as_str();
            if t.len() < 2 || !t.starts_with('-') || t == "--" {
                break;
            }
            if VALUE_OPTIONS.contains(&t) {
                i += 1;
            }
            match self.argv.get(i) {
                Some(w) => end = w.range.end,
                None => break,
            }
            i += 1;
        }
        end
    }

    /// Whether hadolint reads this command as `apt-get`: it does not see through wrappers
    /// such as `sudo`, and knows the program only by the exact name.
    pub fn hadolint_sees_as_apt_get(&self) -> bool {
        self.cmd.words.first().map(|w| w.range.clone()) == Some(self.program().range.clone()) && self.program().text == "apt-get"
    }

    /// Whether hadolint would read this command as `apt-get` once `apt` is replaced.
    pub fn hadolint_would_see(&self) -> bool {
        self.cmd.words.first().map(|w| w.range.clone()) == Some(self.program().range.clone())
            && matches!(self.program().text.as_str(), "apt-get" | "apt")
    }

    /// Whether hadolint's DL3008 (pin versions) holds this install command unpinned: an
    /// operand without `=version`, `/release` or a `.deb` ending.
    pub fn has_unpinned_operand(&self) -> bool {
        self.sub() == "install" && self.operands().iter().any(|w| !w.text.contains('=') && !w.text.contains('/') && !w.text.ends_with(".deb"))
    }
}

fn is_true(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on" | "enable")
}

fn is_false(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off" | "disable")
}

/// The package a word names: `curl` for `curl=7.88.1-10`, `curl/bookworm-backports` or
/// `curl:amd64`; None for `.deb` files and paths.
pub fn package_name(w: &str) -> Option<&str> {
    if w.ends_with(".deb") || w.starts_with('/') || w.starts_with('.') || w.is_empty() {
        return None;
    }
    let end = w.find(['=', '/', ':']).unwrap_or(w.len());
    Some(&w[..end])
}

/// The commands of every shell script of instruction `i`, in order, with their script.
pub fn commands_of<'a>(cx: &'a Context, i: usize) -> Vec<(&'a Script, &'a Command)> {
    cx.scripts(i).iter().flat_map(|s| s.commands.iter().map(move |c| (s, c))).collect()
}

/// The instructions after `i` that see its results: later in its stage, and every
/// instruction of the stages built FROM it (directly or not).
pub fn later_in_chain(cx: &Context, i: usize) -> Vec<usize> {
    let Some(stage) = cx.model.stage_of(i) else { return Vec::new() };
    let mut out: Vec<usize> = (i + 1..stage.instructions.end).collect();
    for s in &cx.model.stages {
        if s.index != stage.index && stage_chain(cx, s.from).contains(&stage.index) {
            out.extend(s.instructions.clone());
        }
    }
    out
}

/// Whether the stage's filesystem counts for hadolint's DL3009: the final stage, a stage
/// another stage is built FROM, or a stage with the same FROM as the final one.
pub fn lists_matter_in_stage(cx: &Context, stage: usize) -> bool {
    let stages = &cx.model.stages;
    let Some(last) = stages.last() else { return false };
    // the stages of the final chain, and those another stage is built FROM, found once per file
    struct Matter(Vec<bool>);
    let matter = cx.memo(|| {
        let mut m = vec![false; stages.len()];
        for s in cx.model.final_chain() {
            m[s] = true;
        }
        for s in stages {
            if let Some(p) = s.parent.filter(|&p| p < m.len()) {
                m[p] = true;
            }
        }
        Matter(m)
    });
    if matter.0.get(stage).copied().unwrap_or(false) {
        return true;
    }
    let from = |s: usize| {
        let n = &cx.file.instructions[stages[s].from].node;
        (n.values.clone(), n.flag("platform").map(|f| f.text.clone()))
    };
    from(stage) == from(last.index)
}

/// Debian packages the official images built on `buildpack-deps` ship: its `curl`, `scm`
/// and full variants, and the images built FROM the full one (`python`, `node`, `ruby`,
/// `rust`, `gcc`, not their `-slim` or `-alpine` tags; `golang` is built FROM `scm` and adds a
/// C toolchain). `python:*-slim` keeps `ca-certificates`. Other images count as empty.
pub fn image_packages(img: &ImageRef) -> Vec<&'static str> {
    const CURL: &[&str] = &["ca-certificates", "curl", "gnupg", "dirmngr", "netbase", "wget"];
    const SCM: &[&str] = &["git", "mercurial", "openssh-client", "subversion", "procps"];
    const FULL: &[&str] = &[
        "autoconf", "automake", "bzip2", "dpkg-dev", "file", "g++", "gcc", "imagemagick", "libc6-dev", "libtool", "make", "patch", "unzip", "xz-utils",
        "zlib1g-dev",
    ];
    if img.registry.as_deref().is_some_and(|r| r != "docker.io" && r != "index.docker.io") {
        return Vec::new();
    }
    let tag = img.tag.as_deref().unwrap_or("latest");
    let variant = |t: &str| ["slim", "alpine", "windows", "nanoserver", "servercore"].iter().any(|v| t.contains(v));
    let mut out: Vec<&'static str> = Vec::new();
    match img.short_name() {
        "buildpack-deps" => {
            out.extend(CURL);
            if !(tag == "curl" || tag.ends_with("-curl")) {
                out.extend(SCM);
                if !(tag == "scm" || tag.ends_with("-scm")) {
                    out.extend(FULL);
                }
            }
        }
        "python" | "node" | "ruby" | "rust" | "gcc" if !variant(tag) => {
            out.extend(CURL);
            out.extend(SCM);
            out.extend(FULL);
        }
        "golang" if !variant(tag) => {
            out.extend(CURL);
            out.extend(SCM);
            out.extend(["g++", "gcc", "libc6-dev", "make", "pkg-config"]);
        }
        "python" if tag.contains("slim") => out.extend(["ca-certificates", "netbase", "tzdata"]),
        _ => {}
    }
    out
}

/// The packages installed before a point: in the base image of the stage chain of `i` (see
/// [`image_packages`]), by apt in earlier instructions of the chain, and by the commands of `i`
/// before `upto`. A query rather than a set: it looks names up in an index of the file built
/// once, so that asking at every `apt-get install` of a long file stays linear.
pub fn installed_before(cx: &Context, i: usize, upto: &Command) -> Installed {
    installed_before_on(cx, i, upto, None)
}

/// [`installed_before`], with the base image of the stage chain replaced by `base` when given
/// (what a base swap would leave).
pub fn installed_before_on(cx: &Context, i: usize, upto: &Command, base: Option<&ImageRef>) -> Installed {
    let mut out: HashSet<String> = HashSet::new();
    let root = match base {
        Some(b) => Some(b.clone()),
        None => stage_chain(cx, i).last().and_then(|&s| cx.model.stages[s].image()),
    };
    if let Some(root) = root {
        out.extend(image_packages(&root).into_iter().map(str::to_string));
    }
    Installed { index: cx.memo(|| AptInstalls::of(cx)), scope: crate::transforms::common::scope_ranges(cx, i), here: (i, upto.range.start), base: out }
}

/// The packages an `apt-get install` (or reinstall) command names, lower-cased.
fn apt_installs(c: &Command) -> Vec<String> {
    match Apt::of(c) {
        Some(a) if matches!(a.sub(), "install" | "reinstall") => a.operands().iter().filter_map(|w| package_name(&w.text)).map(|n| n.to_ascii_lowercase()).collect(),
        _ => Vec::new(),
    }
}

/// Which commands install which packages with apt: for each package, the instructions and the
/// offsets of the commands, in order. Built once per file.
pub struct AptInstalls {
    by_package: std::collections::HashMap<String, Vec<(usize, usize)>>,
}

impl AptInstalls {
    fn of(cx: &Context) -> AptInstalls {
        let mut by_package: std::collections::HashMap<String, Vec<(usize, usize)>> = Default::default();
        for j in 0..cx.file.instructions.len() {
            for (_, c) in commands_of(cx, j) {
                for n in apt_installs(c) {
                    by_package.entry(n).or_default().push((j, c.range.start));
                }
            }
        }
        for v in by_package.values_mut() {
            v.sort_unstable();
        }
        AptInstalls { by_package }
    }
}

/// The packages installed before a point (see [`installed_before`]).
pub struct Installed {
    index: std::rc::Rc<AptInstalls>,
    /// The instructions before the point, as ranges.
    scope: Vec<std::ops::Range<usize>>,
    /// The instruction of the point, and its offset: commands of it before the offset count.
    here: (usize, usize),
    /// The base image's packages.
    base: HashSet<String>,
}

impl Installed {
    fn in_scope(&self, list: &[(usize, usize)]) -> bool {
        let before_here = {
            let k = list.partition_point(|&x| x < (self.here.0, 0));
            list.get(k).is_some_and(|&(j, off)| j == self.here.0 && off < self.here.1)
        };
        before_here
            || self.scope.iter().any(|r| {
                let k = list.partition_point(|&(j, _)| j < r.start);
                list.get(k).is_some_and(|&(j, _)| j < r.end)
            })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.base.contains(name) || self.index.by_package.get(name).is_some_and(|l| self.in_scope(l))
    }

    /// Whether a package whose name satisfies `pred` is installed.
    pub fn any(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.base.iter().any(|n| pred(n)) || self.index.by_package.iter().any(|(n, l)| pred(n) && self.in_scope(l))
    }
}

/// The text a RUN (or ONBUILD RUN) runs: its command line (continuations joined) and its
/// heredoc bodies; the words of the exec form.
pub fn run_text(cx: &Context, i: usize) -> Option<String> {
    let ins = &cx.file.instructions[i];
    let n = ins.effective();
    if n.kind != Kind::Run {
        return None;
    }
    if n.json {
        return Some(n.values.join(" "));
    }
    let mut t = ins.line.text[n.args.clone()].to_string();
    for h in &ins.heredocs {
        t.push('\n');
        t.push_str(&h.content);
    }
    Some(t)
}

/// Splits shell text into rough tokens: on blanks, operators, quotes and backslashes; a
/// token that starts with `#` starts a comment, to the end of its line.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        for t in line.split(|c: char| c.is_whitespace() || ";&|()`'\"{}\\".contains(c)).filter(|t| !t.is_empty()) {
            if t.starts_with('#') {
                break;
            }
            out.push(t);
        }
    }
    out
}

/// Whether a token names an apt front-end as a program: `apt-get`, `/usr/bin/apt`.
fn apt_token(t: &str) -> Option<&'static str> {
    ["apt-get", "apt", "aptitude"].into_iter().find(|&name| t == name || t.strip_suffix(name).is_some_and(|p| p.ends_with("/bin/")))
}

/// What a piece of shell text does with the package lists, read token by token (so that
/// `sh -c "apt-get install x"` and `xargs apt-get install` count too).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ListUse {
    /// Runs `apt-get update` (or `apt update`).
    pub updates: bool,
    /// Reads the lists before any update in the same text (install, upgrade, apt-cache...).
    pub reads_before_update: bool,
    /// Mentions an apt front-end or another tool that reads the lists.
    pub mentions_apt: bool,
}

pub fn list_use(text: &str) -> ListUse {
    let toks = tokens(text);
    let mut u = ListUse::default();
    for (k, t) in toks.iter().enumerate() {
        let verb = |from: usize| {
            let mut j = from;
            while j < toks.len() && toks[j].starts_with('-') {
                j += if VALUE_OPTIONS.contains(&toks[j]) { 2 } else { 1 };
            }
            toks.get(j).copied()
        };
        let reads = if apt_token(t).is_some() {
            u.mentions_apt = true;
            match verb(k + 1) {
                Some("update") => {
                    u.updates = true;
                    false
                }
                Some(v) => READS_LISTS.contains(&v),
                None => false,
            }
        } else {
            match base(t) {
                "apt-cache" | "gdebi" | "mk-build-deps" | "apt-file" => {
                    u.mentions_apt = true;
                    true
                }
                "rosdep" if matches!(verb(k + 1), Some("install" | "check" | "resolve")) => {
                    u.mentions_apt = true;
                    true
                }
                "add-apt-repository" => {
                    u.mentions_apt = true;
                    false
                }
                _ => false,
            }
        };
        if reads && !u.updates {
            u.reads_before_update = true;
        }
    }
    u
}

/// The command's words joined, as rough shell text, for commands that may run apt through
/// another program (`xargs apt-get ...`, `sh -c "apt-get ..."`); None for commands that only
/// print text.
pub fn words_text(cmd: &Command) -> Option<String> {
    let argv = cmd.argv();
    if argv.first().is_some_and(|w| matches!(base(&w.text), "echo" | "printf" | "cat" | "tee")) {
        return None;
    }
    Some(argv.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "))
}

/// Whether the command runs `apt-get update` (or `apt update`), itself or through another
/// program (`sh -c "apt-get update"`).
pub fn runs_update(cmd: &Command) -> bool {
    match Apt::of(cmd) {
        Some(a) => a.sub() == "update",
        // only an apt front-end updates: no word naming one, no need to read the text
        None => mentions(cmd, &["apt"]) && words_text(cmd).is_some_and(|t| list_use(&t).updates),
    }
}

/// Whether any word of the command contains one of `needles` (a cheap test before reading its
/// text token by token: most commands of a large file mention no apt program).
fn mentions(cmd: &Command, needles: &[&str]) -> bool {
    cmd.argv().iter().any(|w| needles.iter().any(|n| w.text.contains(n)))
}

/// False when no word of the command could name a program [`list_use`] knows (apt-get, apt,
/// aptitude, apt-cache, apt-file, add-apt-repository, gdebi, mk-build-deps, rosdep): then its
/// text need not be read.
pub fn may_use_apt(cmd: &Command) -> bool {
    mentions(cmd, &["apt", "gdebi", "mk-build-deps", "rosdep"])
}

/// Whether the command works with apt's package lists: an apt front-end, `apt-cache`,
/// `add-apt-repository` and the like, or a command that runs one.
pub fn uses_apt(cmd: &Command) -> bool {
    Apt::of(cmd).is_some()
        || may_use_apt(cmd) && words_text(cmd).is_some_and(|t| list_use(&t).mentions_apt)
}

/// Whether the command removes the package lists: `rm` of `/var/lib/apt/lists...` (or of
/// `/var/lib/apt`), `find /var/lib/apt/lists ... -delete`, `apt-get dist-clean`, or a shell
/// `-c` string doing one of these.
pub fn cleans_lists(cmd: &Command) -> bool {
    let argv = cmd.argv();
    let Some(prog) = argv.first().map(|w| base(&w.text)) else { return false };
    let covers = |t: &str| {
        let t = t.trim_end_matches('*').trim_end_matches('/');
        t.starts_with(LISTS) || t == "/var/lib/apt"
    };
    match prog {
        "rm" => argv[1..].iter().any(|w| covers(&w.text) || (w.dynamic && w.text.to_ascii_lowercase().contains("apt"))),
        "find" => {
            argv[1..].iter().find(|w| !w.text.starts_with('-')).is_some_and(|w| covers(&w.text))
                && argv.iter().any(|w| w.text == "-delete" || w.text == "-exec")
        }
        "sh" | "bash" | "ash" | "dash" | "zsh" => argv[1..].iter().any(|w| {
            let t = &w.text;
            (t.contains(LISTS) && (t.contains("rm ") || t.contains("-delete"))) || t.contains("dist-clean") || t.contains("distclean")
        }),
        _ => Apt::of(cmd).is_some_and(|a| matches!(a.sub(), "dist-clean" | "distclean")),
    }
}

/// Whether a RUN's mounts keep the package lists out of its layer: a cache or tmpfs mount on
/// `/var/lib/apt/lists` or a directory above it.
pub fn lists_mounted(node: &crate::syntax::Node) -> bool {
    mounts(node).any(|kv| {
        (kv.contains(&"type=cache") || kv.contains(&"type=tmpfs"))
            && mount_targets(&kv).iter().any(|t| {
                let t = t.trim_end_matches('/');
                !t.is_empty() && (LISTS == t || LISTS.starts_with(&format!("{t}/")))
            })
    })
}

/// Whether the command sits inside a `while`/`until`/`for` loop body of its script.
pub fn in_loop(cx: &Context, script: &Script, cmd: &Command) -> bool {
    if !cmd.in_compound && cmd.opaque.is_none() {
        return false;
    }
    let before = &cx.file.text[script.range.start..cmd.range.start];
    let mut depth = 0i32;
    for line in before.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for t in tokens(line) {
            match t {
                "do" => depth += 1,
                "done" => depth -= 1,
                _ => {}
            }
        }
    }
    depth > 0
}

/// Where `cmd`'s pipeline ends: the last command of `a | b | cmd...`.
pub fn pipeline_end<'a>(script: &'a Script, cmd: &'a Command) -> &'a Command {
    let Some(mut k) = script.commands.iter().position(|c| std::ptr::eq(c, cmd)) else { return cmd };
    while matches!(script.commands[k].sep_after, Some((Sep::Pipe, _))) && k + 1 < script.commands.len() {
        k += 1;
    }
    &script.commands[k]
}

/// Edits that add `names` to the package list of `apt` (an install command), in the list's
/// style: one package a line (in sorted position when the list is sorted) or on the line of
/// the last package.
pub fn add_packages(cx: &Context, script: &Script, apt: &Apt, names: &[&str]) -> Vec<Edit> {
    let ops: Vec<&Word> = apt.operands();
    let Some(last) = ops.last() else {
        // no package yet (`apt-get install -f`): after the options
        return vec![Edit::insert(apt.option_insert_point(), format!(" {}", names.join(" ")))];
    };
    let text = &cx.file.text;
    let line_of = |p: usize| text[..p].matches('\n').count();
    let own_line = |w: &Word| {
        let ls = text[..w.range.start].rfind('\n').map(|k| k + 1).unwrap_or(0);
        text[ls..w.range.start].trim().is_empty()
    };
    let one_a_line = ops.len() >= 2 && ops.windows(2).all(|p| line_of(p[0].range.start) != line_of(p[1].range.start)) && own_line(last);
    if !one_a_line {
        return vec![Edit::insert(last.range.end, format!(" {}", names.join(" ")))];
    }
    let esc = if script.heredoc { '\\' } else { cx.file.escape };
    let eol = cx.style.eol();
    let indent_of = |w: &Word| cx.file.indent_at(w.range.start).to_string();
    let keys: Vec<String> = ops.iter().map(|w| w.text.to_ascii_lowercase()).collect();
    let sorted = keys.windows(2).all(|p| p[0] <= p[1]);
    let mut edits = Vec::new();
    for name in names {
        let before = if sorted { ops.iter().zip(&keys).find(|(w, k)| k.as_str() > *name && own_line(w)).map(|(w, _)| *w) } else { None };
        match before {
            Some(w) => {
                // above the comment lines that describe the next package
                let mut at = text[..w.range.start].rfind('\n').map(|k| k + 1).unwrap_or(0);
                while at > 0 {
                    let prev = text[..at - 1].rfind('\n').map(|k| k + 1).unwrap_or(0);
                    if !text[prev..at].trim_start().starts_with('#') || script.heredoc {
                        break;
                    }
                    at = prev;
                }
                let indent = indent_of(w);
                edits.push(Edit::insert(at, format!("{indent}{name} {esc}{eol}")))
            }
            None => edits.push(Edit::insert(last.range.end, format!(" {esc}{eol}{}{name}", indent_of(last)))),
        }
    }
    // several insertions at one point: one edit, in order
    let mut merged: Vec<Edit> = Vec::new();
    for e in edits {
        match merged.iter_mut().find(|m| m.range == e.range) {
            Some(m) => m.content.push_str(&e.content),
            None => merged.push(e),
        }
    }
    merged
}

/// Whether RUN `i` has an `apt-get install` that hadolint's DL3008 already reports (an
/// unpinned package): one more unpinned package then adds no finding.
pub fn run_has_unpinned_install(cx: &Context, i: usize) -> bool {
    commands_of(cx, i).iter().any(|(_, c)| Apt::of(c).is_some_and(|a| a.hadolint_sees_as_apt_get() && a.has_unpinned_operand()))
}

/// Whether an earlier instruction of the stage chain turns an apt setting off in a
/// configuration file (`echo 'APT::Install-Recommends "0";' > /etc/apt/apt.conf.d/...`).
pub fn apt_config_before(cx: &Context, i: usize, key: &str) -> bool {
    // the RUNs that write apt configuration at all, found once per file
    struct AptConf(Vec<usize>);
    let conf = cx.memo(|| AptConf((0..cx.file.instructions.len()).filter(|&j| run_text(cx, j).is_some_and(|t| t.contains("apt.conf"))).collect()));
    let key = key.to_ascii_lowercase();
    crate::transforms::common::scope_ranges(cx, i).into_iter().any(|r| {
        let k = conf.0.partition_point(|&j| j < r.start);
        conf.0[k..].iter().take_while(|&&j| j < r.end).any(|&j| {
            run_text(cx, j).is_some_and(|t| {
                t.lines().any(|l| {
                    let l = l.to_ascii_lowercase();
                    l.contains(&key) && (l.contains("\"0\"") || l.contains("false") || l.contains("\\\"0\\\""))
                })
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shell::parse_script;

    #[test]
    fn updates_and_apt_use_through_other_programs() {
        let first = |t: &str| parse_script(t, 0).commands.into_iter().next().unwrap();
        assert!(runs_update(&first("apt-get update")));
        assert!(runs_update(&first("sh -c 'apt-get -q update'")));
        assert!(runs_update(&first("sudo sh -c \"/usr/bin/apt update\"")));
        assert!(!runs_update(&first("sh -c 'apt-get install -y x'")));
        assert!(!runs_update(&first("sh -c 'mybin/apt update'")));
        assert!(!runs_update(&first("echo apt-get update")));
        assert!(!runs_update(&first("dnf update")));
        assert!(uses_apt(&first("xargs apt-cache policy")));
        assert!(uses_apt(&first("sh -c 'rosdep install --from-paths src'")));
        assert!(uses_apt(&first("bash -c 'gdebi -n x.deb'")));
        assert!(!uses_apt(&first("sh -c 'make install'")));
        assert!(!uses_apt(&first("gem install aptly")));
    }

    #[test]
    fn reads_apt_command_lines() {
        let s = parse_script("DEBIAN_FRONTEND=x sudo -E apt-get -o Dpkg::Options::=--force-confold -qq install -t bookworm-backports curl=1 ./x.deb git", 0);
        let a = Apt::of(&s.commands[0]).unwrap();
        assert_eq!((a.tool, a.sub()), (Tool::AptGet, "install"));
        let ops: Vec<&str> = a.operands().iter().map(|w| w.text.as_str()).collect();
        assert_eq!(ops, vec!["curl=1", "./x.deb", "git"]);
        assert!(a.assumes_yes());
        assert!(!a.skips_recommends());
        assert_eq!(a.cmd.user_wrapper().iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["sudo", "-E"]);
        assert!(!a.hadolint_sees_as_apt_get());
        let s = parse_script("apt -y update", 0);
        let a = Apt::of(&s.commands[0]).unwrap();
        assert_eq!((a.tool, a.sub()), (Tool::Apt, "update"));
        assert!(Apt::of(&parse_script("apt-cache show x", 0).commands[0]).is_none());
        assert!(Apt::of(&parse_script("apt-get -y", 0).commands[0]).is_none());
    }

    #[test]
    fn yes_and_recommends_spellings() {
        let yes = |s: &str| Apt::of(&parse_script(s, 0).commands[0]).unwrap().assumes_yes();
        for s in ["apt-get install -y x", "apt-get -y install x", "apt-get install --yes x", "apt-get install --assume-yes x", "apt-get install -qy x",
            "apt-get install -yq x", "apt-get install -qq x", "apt-get install -q -q x", "apt-get install -q=2 x", "apt-get install --quiet=2 x",
            "apt-get install -o APT::Get::Assume-Yes=true x", "apt-get install -oAPT::Get::Assume-Yes=1 x"] {
            assert!(yes(s), "{s}");
        }
        for s in ["apt-get install x", "apt-get install -q x", "apt-get install --force-yes x", "apt-get install -o APT::Get::Assume-Yes=false x", "apt-get install yes",
            "apt-get install -tjammy x", "apt-get install --yes=no x"] {
            assert!(!yes(s), "{s}");
        }
        let norec = |s: &str| Apt::of(&parse_script(s, 0).commands[0]).unwrap().skips_recommends();
        for s in ["apt-get install --no-install-recommends x", "apt-get --no-install-recommends install x", "apt-get install -o APT::Install-Recommends=false x",
            "apt-get install -o \"APT::Install-Recommends=0\" x", "apt-get -oAPT::Install-Recommends=no install x", "apt-get install --install-recommends=no x"] {
            assert!(norec(s), "{s}");
        }
        for s in ["apt-get install x", "apt-get install --no-install-suggests x", "apt-get install -o APT::Install-Recommends=true x"] {
            assert!(!norec(s), "{s}");
        }
    }

    #[test]
    fn option_insert_point_skips_the_options_after_the_subcommand() {
        let t = "apt-get install -y -o Dpkg::Options::=--force-confnew curl";
        let s = parse_script(t, 0);
        let a = Apt::of(&s.commands[0]).unwrap();
        assert_eq!(&t[..a.option_insert_point()], "apt-get install -y -o Dpkg::Options::=--force-confnew");
        let t = "apt-get install curl -y";
        let s = parse_script(t, 0);
        assert_eq!(&t[..Apt::of(&s.commands[0]).unwrap().option_insert_point()], "apt-get install");
    }

    #[test]
    fn list_use_reads_tokens() {
        let u = list_use("apt-get update && apt-get install -y x");
        assert!(u.updates && !u.reads_before_update && u.mentions_apt);
        assert!(list_use("apt-get install -y x && apt-get update").reads_before_update);
        assert!(list_use("sh -c 'apt-get -q install x'").reads_before_update);
        assert!(list_use("cat p | xargs apt-get install -y").reads_before_update);
        assert!(list_use("apt-cache policy x").reads_before_update);
        assert!(list_use("rosdep install --from-paths src").reads_before_update);
        assert!(!list_use("apt-get purge -y x && apt-get autoremove -y && apt-get clean").reads_before_update);
        assert!(!list_use("mkdir -p /etc/apt install && echo apt > /x").reads_before_update);
        assert!(!list_use("pip install x").mentions_apt);
    }

    #[test]
    fn cleanups() {
        let c = |s: &str| cleans_lists(&parse_script(s, 0).commands[0]);
        for s in ["rm -rf /var/lib/apt/lists/*", "rm -r /var/lib/apt/lists", "rm /var/lib/apt/lists/*_*", "sudo rm -fr /tmp/x /var/lib/apt/lists/",
            "rm -rf /var/lib/apt/*", "find /var/lib/apt/lists -type f -delete", "apt-get dist-clean", "apt-get distclean", "rm -rf \"$APT_LISTS\"",
            "sh -c 'rm -rf /var/lib/apt/lists/*'"] {
            assert!(c(s), "{s}");
        }
        for s in ["rm -rf /tmp/x", "apt-get clean", "ls /var/lib/apt/lists", "rm -rf /var/cache/apt/*", "rm -rf $TMP"] {
            assert!(!c(s), "{s}");
        }
    }

    #[test]
    fn official_images_built_on_buildpack_deps() {
        let p = |s: &str| image_packages(&ImageRef::parse(s).unwrap());
        assert!(p("python:3.11").contains(&"gcc"));
        assert!(p("docker.io/library/node:18-bookworm").contains(&"git"));
        assert!(p("buildpack-deps:bookworm-curl").contains(&"ca-certificates"));
        assert!(!p("buildpack-deps:bookworm-curl").contains(&"git"));
        assert!(!p("buildpack-deps:bookworm-scm").contains(&"gcc"));
        assert_eq!(p("python:3.11-slim"), vec!["ca-certificates", "netbase", "tzdata"]);
        assert!(p("node:18-slim").is_empty());
        assert!(p("debian:12").is_empty());
        assert!(p("ghcr.io/x/python:3.11").is_empty());
        assert!(p("golang:1.22").contains(&"libc6-dev"));
    }

    #[test]
    fn package_names() {
        assert_eq!(package_name("curl=7.1"), Some("curl"));
        assert_eq!(package_name("curl/bookworm-backports"), Some("curl"));
        assert_eq!(package_name("libc6:i386"), Some("libc6"));
        assert_eq!(package_name("./x.deb"), None);
        assert_eq!(package_name("/tmp/x.deb"), None);
    }
}
