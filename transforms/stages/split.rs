//! The stage-building helper the DP4xx rules share: it turns the final stage of a file into a
//! builder stage (the original stage, renamed, with what it builds) and a runtime stage on a
//! smaller image that gets only what runs, as byte-range edits.
//!
//! A rule fills a [`Split`]: where each instruction of the final stage goes ([`Place`]), edits
//! inside the builder (flags on a build command), instructions to add to the builder, the
//! runtime's image and the lines it generates for it. [`Split::edits`] then writes it in the
//! file's own style (keyword case, escape character, line endings):
//!
//! - the stage's FROM gets `AS builder` (`builder-2`, ... when the name is taken; a stage that
//!   already has a name keeps it); its image, `--platform`, registry prefix and digest stay;
//! - instructions that move to the runtime (`CMD`, `EXPOSE`, ...) leave the builder with the
//!   comment lines right above them, and are written in the runtime with those comments;
//! - the runtime is appended after the builder: `FROM <image>` (with the builder's
//!   `--platform`), the generated head lines, the instructions it shares with the builder (`ARG`,
//!   `ENV`, `WORKDIR`) or takes from it, in file order, with the generated `COPY --from` lines
//!   before or after the replayed file instructions, then the moved instructions.
//!
//! Other stages and the bytes before the final stage are not touched.

use crate::config::ImageMapping;
use crate::engine::{Context, Edit};
use crate::model::ImageRef;
use crate::syntax::{ItemKind, Kind};
use crate::transforms::common::run_commands;
use crate::transforms::packages::apt::{package_name, Apt};

/// Where an instruction of the split stage goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// It stays in the builder only.
    Builder,
    /// It moves to the runtime (with its comments).
    Runtime,
    /// It stays in the builder and is repeated in the runtime.
    Both,
}

/// Where the runtime's generated lines go among the replayed instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Before the first replayed COPY, ADD or RUN (after the replayed ARG/ENV/WORKDIR before it).
    BeforeFiles,
    /// After the last replayed instruction other than the moved settings (CMD, EXPOSE, ...).
    AfterFiles,
}

/// What a rule asks of a split.
#[derive(Debug, Clone)]
pub struct Split {
    /// The stage split (the final one).
    pub stage: usize,
    /// Where each instruction of the stage goes (FROM left out), by instruction index; those
    /// not listed go where [`default_place`] says.
    pub places: Vec<(usize, Place)>,
    /// Edits inside instructions that stay in the builder.
    pub builder_edits: Vec<Edit>,
    /// Instruction lines (no line ending) to add to the builder before instruction `.0`.
    pub builder_before: Vec<(usize, Vec<String>)>,
    /// Instruction lines added at the end of the builder.
    pub builder_append: Vec<String>,
    /// The runtime's image reference, as written in its FROM.
    pub runtime_image: String,
    /// Lines right after the runtime's FROM.
    pub runtime_head: Vec<String>,
    /// Generated lines among the replayed instructions.
    pub runtime_lines: Vec<(Anchor, String)>,
    /// The runtime's text of instruction `.0` (no line ending), instead of its own.
    pub runtime_replace: Vec<(usize, String)>,
}

impl Split {
    pub fn new(stage: usize, runtime_image: impl Into<String>) -> Split {
        Split {
            stage,
            places: Vec::new(),
            builder_edits: Vec::new(),
            builder_before: Vec::new(),
            builder_append: Vec::new(),
            runtime_image: runtime_image.into(),
            runtime_head: Vec::new(),
            runtime_lines: Vec::new(),
            runtime_replace: Vec::new(),
        }
    }

    /// Where instruction `i` goes.
    pub fn place(&self, cx: &Context, i: usize) -> Place {
        self.places.iter().rev().find(|(j, _)| *j == i).map(|(_, p)| *p).unwrap_or_else(|| default_place(cx.file.instructions[i].kind()))
    }

    pub fn set(&mut self, i: usize, p: Place) {
        self.places.push((i, p));
    }

    /// The builder's name: the stage's own, or `builder` (`builder-2`, ... when taken).
    pub fn builder_name(&self, cx: &Context) -> String {
        builder_name(cx, self.stage)
    }

    /// The edits that make the split.
    pub fn edits(&self, cx: &Context) -> Vec<Edit> {
        let st = &cx.model.stages[self.stage];
        let file = cx.file;
        let text = &file.text;
        let eol = cx.style.eol();
        let mut edits = self.builder_edits.clone();
        // FROM ... AS builder
        let from = &file.instructions[st.from];
        if st.name.is_none() {
            let at = from.line.to_source_end(from.node.args.end);
            edits.push(Edit::insert(at, format!(" {} {}", cx.style.keyword("AS"), self.builder_name(cx))));
        }
        let range = st.instructions.clone();
        let mut deleted_to_end = false;
        for i in range.start + 1..range.end {
            if let Some((_, lines)) = self.builder_before.iter().find(|(j, _)| *j == i) {
                let at = comments_start(cx, i);
                edits.push(Edit::insert(at, lines.iter().map(|l| format!("{l}{eol}")).collect::<String>()));
            }
            if self.place(cx, i) == Place::Runtime {
                let r = comments_start(cx, i)..file.instructions[i].range.end;
                deleted_to_end |= r.end == text.len();
                edits.push(Edit::delete(r));
            }
        }
        // the end: builder additions, then the runtime
        let mut out = String::new();
        if !text.ends_with('\n') && !deleted_to_end {
            out.push_str(eol);
        }
        for l in &self.builder_append {
            out.push_str(l);
            out.push_str(eol);
        }
        out.push_str(eol);
        out.push_str(&self.runtime_text(cx));
        edits.push(Edit::insert(text.len(), out));
        edits
    }

    /// The runtime stage's text, ending with a line ending.
    fn runtime_text(&self, cx: &Context) -> String {
        let st = &cx.model.stages[self.stage];
        let file = cx.file;
        let eol = cx.style.eol();
        let from = &file.instructions[st.from];
        let mut out = cx.style.keyword("FROM");
        for f in &from.node.flags {
            out.push(' ');
            out.push_str(&from.line.text[f.range.clone()]);
        }
        out.push(' ');
        out.push_str(&self.runtime_image);
        out.push_str(eol);
        for l in &self.runtime_head {
            out.push_str(l);
            out.push_str(eol);
        }
        // what the stage inherits from the stages it is built FROM: their ENV and WORKDIR
        let mut has_workdir = false;
        let mut chain = Vec::new();
        let mut p = st.parent;
        while let Some(s) = p.filter(|s| !chain.contains(s)) {
            chain.push(s);
            p = cx.model.stages[s].parent;
        }
        for &s in chain.iter().rev() {
            let r = cx.model.stages[s].instructions.clone();
            for i in r.start + 1..r.end {
                let ins = &file.instructions[i];
                if matches!(ins.kind(), Kind::Env | Kind::Workdir) {
                    has_workdir |= ins.kind() == Kind::Workdir;
                    out.push_str(&file.text[ins.range.start..ins.header_end]);
                    if !out.ends_with('\n') {
                        out.push_str(eol);
                    }
                }
            }
        }
        let lines = |a: Anchor| self.runtime_lines.iter().filter(move |(x, _)| *x == a).map(|(_, l)| l.clone());
        let is_file = |k: Kind| matches!(k, Kind::Copy | Kind::Add | Kind::Run);
        let is_setting = |k: Kind| !matches!(k, Kind::Arg | Kind::Env | Kind::Workdir | Kind::Shell | Kind::Copy | Kind::Add | Kind::Run);
        let replayed: Vec<usize> = (st.instructions.start + 1..st.instructions.end).filter(|&i| self.place(cx, i) != Place::Builder).collect();
        let (settings, body): (Vec<usize>, Vec<usize>) = replayed.iter().partition(|&&i| is_setting(file.instructions[i].kind()));
        let first_file = body.iter().position(|&i| is_file(file.instructions[i].kind())).unwrap_or(body.len());
        let mut before_done = false;
        for (k, &i) in body.iter().enumerate() {
            if k == first_file {
                for l in lines(Anchor::BeforeFiles) {
                    out.push_str(&l);
                    out.push_str(eol);
                }
                before_done = true;
            }
            has_workdir |= file.instructions[i].kind() == Kind::Workdir;
            out.push_str(&self.instruction_text(cx, i, !has_workdir));
        }
        if !before_done {
            for l in lines(Anchor::BeforeFiles) {
                out.push_str(&l);
                out.push_str(eol);
            }
        }
        for l in lines(Anchor::AfterFiles) {
            out.push_str(&l);
            out.push_str(eol);
        }
        for &i in &settings {
            out.push_str(&self.instruction_text(cx, i, false));
        }
        out
    }

    /// Instruction `i` as the runtime has it: its comments when it moves, its text (or the
    /// replacement), with a line ending. With `absolute`, a COPY or ADD to a relative
    /// destination gets the absolute one it had in the original stage (the runtime has no
    /// WORKDIR before it).
    fn instruction_text(&self, cx: &Context, i: usize, absolute: bool) -> String {
        let file = cx.file;
        let ins = &file.instructions[i];
        let eol = cx.style.eol();
        let mut out = String::new();
        if self.place(cx, i) == Place::Runtime {
            out.push_str(&file.text[comments_start(cx, i)..ins.range.start]);
        }
        match self.runtime_replace.iter().rev().find(|(j, _)| *j == i) {
            Some((_, t)) => {
                out.push_str(&file.text[ins.range.start..ins.keyword_start()]);
                out.push_str(t);
                out.push_str(eol);
            }
            None => {
                let mut t = file.text[ins.range.clone()].to_string();
                if absolute && matches!(ins.kind(), Kind::Copy | Kind::Add) {
                    if let Some((r, abs)) = absolute_dest(cx, i) {
                        t.replace_range(r.start - ins.range.start..r.end - ins.range.start, &abs);
                    }
                }
                out.push_str(&t);
                if !out.ends_with('\n') {
                    out.push_str(eol);
                }
            }
        }
        out
    }
}

/// The source range of the relative destination of COPY/ADD `i` (shell form), and the absolute
/// path it stands for; None when it is absolute or dopt cannot tell.
fn absolute_dest(cx: &Context, i: usize) -> Option<(std::ops::Range<usize>, String)> {
    let ins = &cx.file.instructions[i];
    let n = &ins.node;
    if n.json || n.trigger.is_some() || !ins.heredocs.is_empty() {
        return None;
    }
    let words = crate::syntax::words::split_whitespace(&ins.line.text[n.args.clone()]);
    let w = words.last()?;
    let dest = &ins.line.text[n.args.start + w.range.start..n.args.start + w.range.end];
    if dest.starts_with('/') || dest.contains(['$', '"', '\'', '\\']) || words.len() < 2 {
        return None;
    }
    let wd = crate::transforms::programs::workdir_at(cx, i)?;
    let mut abs = crate::transforms::programs::normalize(&crate::transforms::programs::join_abs(&wd, dest));
    if (dest.ends_with('/') || dest == "." || words.len() > 2) && !abs.ends_with('/') {
        abs.push('/');
    }
    let src = ins.line.source_range(n.args.start + w.range.start..n.args.start + w.range.end)?;
    Some((src, abs))
}

/// Where an instruction goes when the rule does not say: `ARG`, `ENV`, `WORKDIR` and `SHELL` in
/// both stages; what configures the running container (`CMD`, `ENTRYPOINT`, `EXPOSE`, `USER`,
/// `VOLUME`, `STOPSIGNAL`, `HEALTHCHECK`, `LABEL`, `MAINTAINER`) in the runtime; what builds
/// (`RUN`, `COPY`, `ADD`, `ONBUILD`) in the builder.
pub fn default_place(k: Kind) -> Place {
    match k {
        Kind::Arg | Kind::Env | Kind::Workdir | Kind::Shell => Place::Both,
        Kind::Cmd | Kind::Entrypoint | Kind::Expose | Kind::User | Kind::Volume | Kind::Stopsignal | Kind::Healthcheck | Kind::Label | Kind::Maintainer => {
            Place::Runtime
        }
        _ => Place::Builder,
    }
}

/// Where the comment lines directly above instruction `i` start (its own start when none).
pub fn comments_start(cx: &Context, i: usize) -> usize {
    let file = cx.file;
    let start = file.instructions[i].range.start;
    let Some(pos) = file.items.iter().position(|it| it.range.start == start) else { return start };
    let mut s = start;
    for it in file.items[..pos].iter().rev() {
        match it.kind {
            ItemKind::Comment => s = it.range.start,
            _ => break,
        }
    }
    s
}

/// The builder's name for stage `stage`: its own name, or `builder`, `builder-2`, ... (the first
/// that no stage of the file uses).
pub fn builder_name(cx: &Context, stage: usize) -> String {
    if let Some(n) = &cx.model.stages[stage].name {
        return n.clone();
    }
    let taken = |n: &str| cx.model.stages.iter().any(|s| s.name.as_deref() == Some(n));
    if !taken("builder") {
        return "builder".into();
    }
    (2..).map(|k| format!("builder-{k}")).find(|n| !taken(n)).unwrap()
}

/// The image at the root of the final stage's chain (following `FROM <stage>`), with the
/// stage whose FROM names it; None for scratch or a base dopt cannot read.
pub fn root_image(cx: &Context, stage: usize) -> Option<(usize, ImageRef)> {
    let mut s = stage;
    for _ in 0..cx.model.stages.len() {
        match cx.model.stages[s].parent {
            Some(p) => s = p,
            None => return cx.model.stages[s].image().map(|i| (s, i)),
        }
    }
    None
}

/// Why the final stage cannot be split at all, if it cannot: no final stage, an ONBUILD
/// instruction (its triggers belong to the image others build on), or a stage that later
/// stages are built on (none can be: it is the last).
pub fn unsplittable(cx: &Context, stage: usize) -> Option<String> {
    let st = &cx.model.stages[stage];
    for i in st.instructions.start + 1..st.instructions.end {
        if cx.file.instructions[i].kind() == Kind::Onbuild {
            return Some(format!("the stage has an ONBUILD at line {}, whose triggers belong to the image others build on", cx.file.instructions[i].start_line));
        }
    }
    None
}

/// An image reference derived from the base as written: when the base's tag is one ARG
/// (`python:${PY}`) whose value `new_tag` extends (`3.11` -> `3.11-slim`), the ARG is kept
/// (`python:${PY}-slim`) so that the two stages move together; otherwise the resolved
/// reference with the new tag, registry prefix kept and digest dropped.
pub fn derived_ref(cx: &Context, root_stage: usize, image: &ImageRef, new_repo: Option<&str>, new_tag: &str) -> String {
    let written = &cx.model.stages[root_stage].base;
    let tag = image.tag.clone().unwrap_or_default();
    if new_repo.is_none() {
        if let Some((repo_w, tag_w)) = written.rsplit_once(':') {
            let is_var = tag_w.strip_prefix("${").and_then(|r| r.strip_suffix('}')).or_else(|| tag_w.strip_prefix('$')).is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if is_var && !repo_w.contains('$') && !tag_w.contains('@') {
                if let Some(suffix) = new_tag.strip_prefix(tag.as_str()) {
                    return format!("{repo_w}:{tag_w}{suffix}");
                }
            }
        }
    }
    let mut s = String::new();
    if let Some(r) = &image.registry {
        s.push_str(r);
        s.push('/');
    }
    match new_repo {
        Some(r) => s.push_str(r),
        None => s.push_str(&image.repository),
    }
    format!("{s}:{new_tag}")
}

/// The Debian release a tag names (`3.11-bookworm`, `1.21-bullseye`), if it names one.
pub fn tag_release(tag: &str) -> Option<&'static str> {
    ["bookworm", "bullseye", "buster", "trixie"].into_iter().find(|r| tag.split('-').any(|p| p == *r))
}

/// A keyword in the file's case.
pub fn kw(cx: &Context, k: &str) -> String {
    cx.style.keyword(k)
}

/// A JSON (exec form) array of `words`.
pub fn json_array(words: &[String]) -> String {
    format!("[{}]", words.iter().map(|w| serde_json::to_string(w).unwrap()).collect::<Vec<_>>().join(", "))
}

/// `COPY --from=<builder> <src> <dst>` in the file's style.
pub fn copy_from(cx: &Context, builder: &str, srcs: &[&str], dst: &str) -> String {
    format!("{} --from={builder} {} {dst}", kw(cx, "COPY"), srcs.join(" "))
}

/// The first base-image mapping of the configuration that applies to `image:tag`, with the
/// conditions decided by `holds`: (new repository if any, new tag, whether the mapping is
/// unsafe, its note).
pub fn mapped<'c>(cx: &'c Context, image: &ImageRef, tag: &str, holds: &dyn Fn(&str) -> bool) -> Option<(Option<String>, String, &'c ImageMapping)> {
    for m in &cx.config.images {
        if m.image != image.short_name() {
            continue;
        }
        let Some(caps) = m.tag.captures(tag) else { continue };
        if m.unless.iter().any(|c| holds(c)) || !m.when.iter().all(|c| holds(c)) {
            continue;
        }
        let mut new_tag = String::new();
        caps.expand(&m.to, &mut new_tag);
        let new_repo = m.to_image.as_ref().map(|r| {
            let mut s = String::new();
            caps.expand(r, &mut s);
            s
        });
        if new_tag == tag && new_repo.is_none() {
            continue;
        }
        return Some((new_repo, new_tag, m));
    }
    None
}

/// The apt packages a stage installs, split for a runtime: what only builds (compilers,
/// `build-essential`, `-dev` headers, `git`, `pkg-config`) stays in the builder; the runtime
/// gets the other packages and the shared libraries the `-dev` packages stand for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AptSplit {
    /// Packages for the runtime, in install order.
    pub runtime: Vec<String>,
    /// Packages left in the builder.
    pub build_only: Vec<String>,
    /// `-dev` packages whose library dopt does not know.
    pub unknown_dev: Vec<String>,
    /// Lines of apt installs dopt could not read (a variable, an opaque command).
    pub unread: Vec<usize>,
}

/// Packages that only build.
const BUILD_ONLY: &[&str] = &[
    "build-essential", "gcc", "g++", "cpp", "c++", "cc", "clang", "llvm", "make", "cmake", "ninja-build", "autoconf", "automake", "libtool",
    "libtool-bin", "pkg-config", "pkgconf", "git", "patch", "swig", "bison", "flex", "gfortran", "nasm", "yasm", "cargo", "rustc", "meson",
    "python3-dev", "python-dev", "python3-pip", "python3-venv", "python3-setuptools", "python3-wheel", "libc6-dev", "libc-dev",
    "linux-libc-dev", "dpkg-dev", "node-gyp",
];

/// `-dev` packages and the runtime libraries they stand for, per Debian release (bookworm first,
/// then bullseye where the name differs).
const DEV_LIBS: &[(&str, &[&str], &[&str])] = &[
    ("libpq-dev", &["libpq5"], &["libpq5"]),
    ("libjpeg-dev", &["libjpeg62-turbo"], &["libjpeg62-turbo"]),
    ("libjpeg62-turbo-dev", &["libjpeg62-turbo"], &["libjpeg62-turbo"]),
    ("zlib1g-dev", &["zlib1g"], &["zlib1g"]),
    ("libpng-dev", &["libpng16-16"], &["libpng16-16"]),
    ("libfreetype6-dev", &["libfreetype6"], &["libfreetype6"]),
    ("libfreetype-dev", &["libfreetype6"], &["libfreetype6"]),
    ("libxml2-dev", &["libxml2"], &["libxml2"]),
    ("libxslt1-dev", &["libxslt1.1"], &["libxslt1.1"]),
    ("libxslt-dev", &["libxslt1.1"], &["libxslt1.1"]),
    ("libffi-dev", &["libffi8"], &["libffi7"]),
    ("libssl-dev", &["libssl3"], &["libssl1.1"]),
    ("libmariadb-dev", &["libmariadb3"], &["libmariadb3"]),
    ("libmariadb-dev-compat", &["libmariadb3"], &["libmariadb3"]),
    ("default-libmysqlclient-dev", &["libmariadb3"], &["libmariadb3"]),
    ("libsqlite3-dev", &["libsqlite3-0"], &["libsqlite3-0"]),
    ("libcurl4-openssl-dev", &["libcurl4"], &["libcurl4"]),
    ("libyaml-dev", &["libyaml-0-2"], &["libyaml-0-2"]),
    ("libldap2-dev", &["libldap-2.5-0"], &["libldap-2.4-2"]),
    ("libsasl2-dev", &["libsasl2-2"], &["libsasl2-2"]),
    ("libmagic-dev", &["libmagic1"], &["libmagic1"]),
    ("libpcre3-dev", &["libpcre3"], &["libpcre3"]),
    ("libwebp-dev", &["libwebp7"], &["libwebp6"]),
    ("liblcms2-dev", &["liblcms2-2"], &["liblcms2-2"]),
    ("libopenjp2-7-dev", &["libopenjp2-7"], &["libopenjp2-7"]),
    ("libtiff-dev", &["libtiff6"], &["libtiff5"]),
    ("libtiff5-dev", &["libtiff6"], &["libtiff5"]),
    ("libzstd-dev", &["libzstd1"], &["libzstd1"]),
    ("libbz2-dev", &["libbz2-1.0"], &["libbz2-1.0"]),
    ("liblzma-dev", &["liblzma5"], &["liblzma5"]),
    ("libsnappy-dev", &["libsnappy1v5"], &["libsnappy1v5"]),
    ("libgmp-dev", &["libgmp10"], &["libgmp10"]),
    ("libgeos-dev", &["libgeos-c1v5"], &["libgeos-c1v5"]),
    ("libkrb5-dev", &["libkrb5-3", "libgssapi-krb5-2"], &["libkrb5-3", "libgssapi-krb5-2"]),
    ("unixodbc-dev", &["unixodbc"], &["unixodbc"]),
    ("libevent-dev", &["libevent-2.1-7"], &["libevent-2.1-7"]),
    ("libsodium-dev", &["libsodium23"], &["libsodium23"]),
    ("libmemcached-dev", &["libmemcached11"], &["libmemcached11"]),
    ("libhdf5-dev", &["libhdf5-103-1"], &["libhdf5-103-1"]),
    ("libcairo2-dev", &["libcairo2"], &["libcairo2"]),
    ("libpango1.0-dev", &["libpango-1.0-0", "libpangocairo-1.0-0"], &["libpango-1.0-0", "libpangocairo-1.0-0"]),
    ("libgdk-pixbuf2.0-dev", &["libgdk-pixbuf-2.0-0"], &["libgdk-pixbuf-2.0-0"]),
    ("libblas-dev", &["libblas3"], &["libblas3"]),
    ("liblapack-dev", &["liblapack3"], &["liblapack3"]),
    ("libopenblas-dev", &["libopenblas0"], &["libopenblas0"]),
    ("libgl1-mesa-dev", &["libgl1"], &["libgl1"]),
    ("libglib2.0-dev", &["libglib2.0-0"], &["libglib2.0-0"]),
    ("libsm-dev", &["libsm6"], &["libsm6"]),
    ("libxext-dev", &["libxext6"], &["libxext6"]),
    ("libxrender-dev", &["libxrender1"], &["libxrender1"]),
    ("libncurses-dev", &["libncursesw6"], &["libncursesw6"]),
    ("libreadline-dev", &["libreadline8"], &["libreadline8"]),
    ("libgdbm-dev", &["libgdbm6"], &["libgdbm6"]),
    ("uuid-dev", &["libuuid1"], &["libuuid1"]),
    ("libacl1-dev", &["libacl1"], &["libacl1"]),
];

/// The runtime libraries of a `-dev` package on `release`; None when dopt does not know it.
pub fn dev_libs(pkg: &str, release: &str) -> Option<&'static [&'static str]> {
    DEV_LIBS.iter().find(|(d, _, _)| *d == pkg).map(|(_, bookworm, bullseye)| if matches!(release, "bullseye" | "buster") { *bullseye } else { *bookworm })
}

/// Whether an apt package only builds.
pub fn build_only(pkg: &str) -> bool {
    BUILD_ONLY.contains(&pkg) || pkg.starts_with("gcc-") || pkg.starts_with("g++-") || pkg.starts_with("clang-") || pkg.starts_with("linux-headers")
}

/// The apt packages the RUNs of `stage` for which `keep` holds install, split for a runtime on
/// Debian `release`.
pub fn apt_split(cx: &Context, stage: usize, release: &str, keep: &dyn Fn(usize) -> bool) -> AptSplit {
    let mut out = AptSplit::default();
    let range = cx.model.stages[stage].instructions.clone();
    let push = |v: &mut Vec<String>, p: &str| {
        if !v.iter().any(|x| x == p) {
            v.push(p.to_string());
        }
    };
    for rc in run_commands(cx) {
        if !range.contains(&rc.ins) || !keep(rc.ins) {
            continue;
        }
        let Some(apt) = Apt::of(rc.cmd) else { continue };
        if apt.sub() != "install" {
            continue;
        }
        let line = cx.file.instructions[rc.ins].start_line;
        if rc.opaque().is_some() && !out.unread.contains(&line) {
            out.unread.push(line);
        }
        for w in apt.operands() {
            if w.dynamic {
                if !out.unread.contains(&line) {
                    out.unread.push(line);
                }
                continue;
            }
            let Some(name) = package_name(&w.text) else { continue };
            if build_only(name) {
                push(&mut out.build_only, name);
            } else if name.ends_with("-dev") {
                push(&mut out.build_only, name);
                match dev_libs(name, release) {
                    Some(libs) => libs.iter().for_each(|l| push(&mut out.runtime, l)),
                    None => push(&mut out.unknown_dev, name),
                }
            } else {
                push(&mut out.runtime, &w.text);
            }
        }
    }
    if out.runtime.iter().any(|p| matches!(package_name(p), Some("curl" | "wget" | "git"))) && !out.runtime.iter().any(|p| p == "ca-certificates") {
        out.runtime.push("ca-certificates".into());
    }
    out
}

/// A RUN that installs `pkgs` with apt-get without recommended packages and cleans the lists,
/// in the file's style.
pub fn apt_install_line(cx: &Context, pkgs: &[String]) -> String {
    format!(
        "{} apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
        kw(cx, "RUN"),
        pkgs.join(" ")
    )
}

/// The words of a CMD or ENTRYPOINT: exec form as is; shell form when it is one simple command
/// with no variable, quote trick or operator (so that it runs the same without a shell). None
/// when the shell is needed.
pub fn command_words(cx: &Context, i: usize) -> Option<Vec<String>> {
    let ins = &cx.file.instructions[i];
    let n = ins.effective();
    if n.json {
        return Some(n.values.clone());
    }
    let s = crate::model::shell::shell_form(cx.file, ins)?;
    if s.opaque.is_some() || s.commands.len() != 1 || s.background || !s.comments.is_empty() {
        return None;
    }
    let c = &s.commands[0];
    if c.opaque.is_some() || !c.assignments.is_empty() || c.in_compound || c.words.iter().any(|w| w.dynamic) {
        return None;
    }
    // redirections are left out of words: the command's text must be its words alone
    let raw = &cx.file.text[c.range.clone()];
    if raw.contains(['>', '<', '*', '?', '~']) {
        return None;
    }
    Some(c.words.iter().map(|w| w.text.clone()).collect())
}

/// The CMD and ENTRYPOINT instructions of a stage that take effect (the last of each).
pub fn entry_instructions(cx: &Context, stage: usize) -> (Option<usize>, Option<usize>) {
    let r = cx.model.stages[stage].instructions.clone();
    let last = |k: Kind| r.clone().rev().find(|&i| cx.file.instructions[i].kind() == k && cx.file.instructions[i].node.trigger.is_none());
    (last(Kind::Entrypoint), last(Kind::Cmd))
}

/// Context files (relative paths) whose names end with `suffix`, found by walking the build
/// context (hidden directories, `node_modules` and `testdata` skipped; at most `limit` files).
pub fn context_files(cx: &Context, suffix: &str, limit: usize) -> Vec<String> {
    // a fact of the context: listed once for the Dockerfiles that share it
    cx.build.memo_by("context-files", &format!("{suffix}\n{limit}"), || list_context_files(cx, suffix, limit))
}

fn list_context_files(cx: &Context, suffix: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![String::new()];
    let mut seen_dirs = 0;
    while let Some(d) = todo.pop() {
        seen_dirs += 1;
        if seen_dirs > 5000 || out.len() >= limit {
            break;
        }
        let Some(names) = cx.build.list(&d) else { continue };
        for n in names {
            if n.starts_with('.') || n == "node_modules" || n == "testdata" {
                continue;
            }
            let p = crate::transforms::common::join_path(&d, &n);
            if cx.build.is_dir(&p) {
                if p.matches('/').count() < 12 {
                    todo.push(p);
                }
            } else if n.ends_with(suffix) && out.len() < limit {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Whether `path` is an absolute path in one of the directories of `PATH` for the stage of
/// instruction `i` (the image's usual `PATH`, with what ENV adds to it).
pub fn on_path(cx: &Context, i: usize, dir: &str) -> bool {
    const DEFAULT: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    if DEFAULT.contains(&dir) {
        return true;
    }
    crate::transforms::common::env_value_before(cx, i, "PATH").is_some_and(|p| p.split(':').any(|d| d == dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::model::Model;
    use crate::syntax::parse;

    fn with<T>(text: &str, f: impl FnOnce(&Context) -> T) -> T {
        let file = parse(text).unwrap();
        let model = Model::new(&file);
        let b = BuildContext::default();
        let cx = Context::new(&file, &model, &b);
        f(&cx)
    }

    fn apply(text: &str, f: impl FnOnce(&Context) -> Split) -> String {
        with(text, |cx| {
            let s = f(cx);
            crate::engine::splice(text, &s.edits(cx))
        })
    }

    #[test]
    fn splits_a_stage_into_builder_and_runtime() {
        let t = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n# the port\nEXPOSE 8080\nCMD [\"/app\"]\n";
        let out = apply(t, |cx| {
            let mut s = Split::new(0, "scratch");
            s.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, "builder", &["/app"], "/app")));
            s
        });
        assert_eq!(
            out,
            "FROM golang:1.21 AS builder\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n\nFROM scratch\nWORKDIR /src\nCOPY --from=builder /app /app\n# the port\nEXPOSE 8080\nCMD [\"/app\"]\n"
        );
        parse(&out).unwrap();
    }

    #[test]
    fn follows_the_files_style_and_keeps_platform() {
        let t = "from --platform=linux/amd64 node:18\r\nworkdir /app\r\nrun npm ci\r\ncmd node x.js";
        let out = apply(t, |cx| {
            let mut s = Split::new(0, "node:18-slim");
            s.runtime_lines.push((Anchor::BeforeFiles, format!("{} NODE_ENV=production", kw(cx, "ENV"))));
            s.builder_append.push(format!("{} npm prune --omit=dev", kw(cx, "RUN")));
            s
        });
        assert_eq!(
            out,
            "from --platform=linux/amd64 node:18 as builder\r\nworkdir /app\r\nrun npm ci\r\nrun npm prune --omit=dev\r\n\r\nfrom --platform=linux/amd64 node:18-slim\r\nworkdir /app\r\nenv NODE_ENV=production\r\ncmd node x.js\r\n"
        );
    }

    #[test]
    fn the_runtime_inherits_env_and_workdir_and_copies_to_absolute_paths() {
        let t = "FROM python:3.11 AS base\nENV A=1\nWORKDIR /srv\nFROM base\nCOPY . app/\nRUN x\n";
        let out = apply(t, |_| {
            let mut s = Split::new(1, "python:3.11-slim");
            s.set(4, Place::Both);
            s
        });
        assert!(out.ends_with("FROM python:3.11-slim\nENV A=1\nWORKDIR /srv\nCOPY . app/\n"), "{out}");
        let t = "FROM python:3.11\nCOPY a.txt b.txt ./\nCOPY . .\nRUN x\n";
        let out = apply(t, |_| {
            let mut s = Split::new(0, "python:3.11-slim");
            s.set(1, Place::Both);
            s.set(2, Place::Both);
            s
        });
        assert!(out.ends_with("FROM python:3.11-slim\nCOPY a.txt b.txt /\nCOPY . /\n"), "{out}");
    }

    #[test]
    fn names_the_builder_and_keeps_other_stages() {
        let t = "FROM alpine AS builder\nRUN x\nFROM golang:1.21\nRUN go build -o /a\nCMD [\"/a\"]\n";
        with(t, |cx| assert_eq!(builder_name(cx, 1), "builder-2"));
        let out = apply(t, |_| Split::new(1, "scratch"));
        assert!(out.starts_with("FROM alpine AS builder\nRUN x\nFROM golang:1.21 AS builder-2\n"), "{out}");
        with("FROM golang AS Build\n", |cx| assert_eq!(builder_name(cx, 0), "build"));
    }

    #[test]
    fn derives_references_keeping_args() {
        let t = "ARG PY=3.11\nFROM python:${PY}\nFROM reg.io/library/python:3.11@sha256:ab\n";
        with(t, |cx| {
            let (s, img) = root_image(cx, 0).unwrap();
            assert_eq!(derived_ref(cx, s, &img, None, "3.11-slim"), "python:${PY}-slim");
            let (s, img) = root_image(cx, 1).unwrap();
            assert_eq!(derived_ref(cx, s, &img, None, "3.11-slim"), "reg.io/library/python:3.11-slim");
        });
    }

    #[test]
    fn splits_apt_packages() {
        let t = "FROM python:3.11-bullseye\nRUN apt-get update && apt-get install -y gcc libpq-dev libffi-dev curl libfoo-dev\n";
        with(t, |cx| {
            let s = apt_split(cx, 0, "bullseye", &|_| true);
            assert_eq!(s.runtime, vec!["libpq5", "libffi7", "curl", "ca-certificates"]);
            assert_eq!(s.build_only, vec!["gcc", "libpq-dev", "libffi-dev", "libfoo-dev"]);
            assert_eq!(s.unknown_dev, vec!["libfoo-dev"]);
            assert_eq!(apt_split(cx, 0, "bookworm", &|_| true).runtime[1], "libffi8");
        });
    }

    #[test]
    fn reads_commands_that_need_no_shell() {
        with("FROM a\nCMD app --port 80\nCMD app $PORT\nCMD [\"a\", \"$X\"]\nCMD a && b\nCMD a > log\n", |cx| {
            assert_eq!(command_words(cx, 1), Some(vec!["app".into(), "--port".into(), "80".into()]));
            assert_eq!(command_words(cx, 2), None);
            assert_eq!(command_words(cx, 3), Some(vec!["a".into(), "$X".into()]));
            assert_eq!(command_words(cx, 4), None);
            assert_eq!(command_words(cx, 5), None);
        });
    }
}
