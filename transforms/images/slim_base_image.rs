//! DP301 slim-base-image
use regex::Captures;

use crate::config::ImageMapping;
use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::{ImageRef, Stage};
use crate::syntax::words::{parse_words, split_whitespace};
use crate::syntax::Kind;
use crate::transforms::common::run_commands;
use crate::transforms::packages::apt::{add_packages, apt_config_before, image_packages, Apt};
use crate::transforms::packages::apt_get_no_install_recommends::plan_on;
use crate::transforms::programs::{programs_of, Programs};

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
- Never Alpine for a stage that installs with apt (Alpine has apk, not apt).

What the stages run is read through the scripts they run from the build context
(`RUN ./build.sh`, `RUN sh scripts/setup.sh`, found through the COPY that put them there and
the WORKDIR), so a `javac` inside `build.sh` keeps the JDK.

A base swap is a *foundation* fix: the engine applies it alone, and the other rules then decide
on the new base (`--no-install-recommends` adds `libc6-dev` for `gcc` on a slim image, where
the full one had it). An install that already skips recommended packages gets what the old
image gave it in the swap's own fix (`libc6-dev` for `gcc`, `ca-certificates` for `curl` on
`node:N-slim`, which has no CA bundle).

## Not flagged
Stages that do not reach the final image; `FROM scratch`; bases already slim, alpine or
distroless; bases the preset has no mapping for; untagged or `latest` bases (see DP302).
A base pinned by digest is reported with no fix: dopt never rewrites digests.

## Fix safety
Safe when dopt can see the build context and every RUN of the stages is understood not to need
what the smaller image lacks: the tools of the full `buildpack-deps` images (gcc, make, git,
curl, wget, pg_config, ...; for `node`, also python3) for a slim swap, the JDK's tools (javac,
jar, jlink, ..., and Maven or Gradle) for a JRE. Unsafe, with the reason in the message, when a
RUN or a script it runs uses such a tool without installing it first; when dopt cannot see
through what runs (a script that is not in the build context, `make` and other build runners, a
command inside `for` or `$(...)`); when a package is known to need compiling (psycopg2 from
source, mysqlclient, ...) and no compiler is installed; when the build context cannot be seen;
when an install whose package versions are pinned would need an unpinned package added; and for
Alpine (musl libc) and distroless targets.
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
pub(crate) const PY_NEEDS_COMPILER: &[&str] = &["psycopg2", "mysqlclient", "python-ldap", "uwsgi", "pycurl", "pyodbc", "gssapi"];

/// npm packages with native code.
pub(crate) const NODE_NATIVE: &[&str] = &[
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
        let mut facts: Option<Facts> = None;
        for &si in &chain {
            let stage = &cx.model.stages[si];
            if stage.parent.is_some() || stage.is_scratch() {
                continue;
            }
            let Some(image) = stage.image() else { continue };
            let Some(tag) = image.tag.clone() else { continue };
            if !could_map(cx, &image, &tag) {
                continue; // no mapping changes this image: no need to read what the stages run
            }
            let facts = facts.get_or_insert_with(|| Facts::gather(cx, &chain));
            let Some((m, caps_new)) = pick(cx, &image, &tag, facts) else { continue };
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
            let new_image = ImageRef::parse(&new_ref);
            let lacking = lacking_tools(&image, new_image.as_ref());
            let mut hazards = facts.hazards_for(cx, &lacking, &new_ref);
            if m.unsafe_ {
                hazards.push(m.note.clone().unwrap_or_else(|| "the preset marks this change unsafe".into()));
            }
            let edit = edit_for(cx, stage, &new_ref, &image, &tag, &new_tag);
            // installs that already skip recommended packages lose what the full image gave them
            let (adds, add_hazards) = match &new_image {
                Some(ni) => recommends_on(cx, &chain, ni),
                None => (Vec::new(), Vec::new()),
            };
            hazards.extend(add_hazards);
            let applicability = if hazards.is_empty() { Applicability::Safe } else { Applicability::Unsafe };
            let mut msg = format!("final image built on `{}`: use `{new_ref}`", stage.base_resolved);
            if !reasons.is_empty() {
                msg.push_str(&format!(" ({})", reasons.join("; ")));
            }
            for (_, why) in &adds {
                msg.push_str(&format!("; {why}"));
            }
            if applicability == Applicability::Unsafe {
                msg.push_str(&format!("; unsafe: {}", hazards.join("; ")));
            }
            // distroless Java images start `java -jar` themselves: a `CMD ["java", ...]` would
            // become its arguments, so it becomes the ENTRYPOINT
            let entry = match &new_image {
                Some(ni) if ni.short_name().starts_with("distroless/java") => java_cmd_to_entrypoint(cx, &chain),
                _ => None,
            };
            if entry.is_some() {
                msg.push_str("; the java CMD becomes the ENTRYPOINT, as the distroless image's own ENTRYPOINT is `java -jar`");
            }
            let fix = match edit {
                Ok(e) => {
                    let mut edits = vec![e];
                    edits.extend(entry);
                    edits.extend(adds.into_iter().flat_map(|(es, _)| es));
                    Some(Fix::with(applicability, edits).foundation())
                }
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

/// The edit that turns the exec-form `CMD ["java", ...]` of the final image into its
/// ENTRYPOINT, when the stages set no ENTRYPOINT of their own.
fn java_cmd_to_entrypoint(cx: &Context, chain: &[usize]) -> Option<Edit> {
    let in_chain = |i: usize| cx.model.stage_of(i).is_some_and(|s| chain.contains(&s.index));
    let mut cmd = None;
    for (i, ins) in cx.file.instructions.iter().enumerate() {
        if !in_chain(i) || ins.node.trigger.is_some() {
            continue;
        }
        match ins.kind() {
            Kind::Entrypoint => return None,
            Kind::Cmd => cmd = Some(i),
            _ => {}
        }
    }
    let ins = &cx.file.instructions[cmd?];
    let n = &ins.node;
    if !n.json || !n.values.first().is_some_and(|v| v == "java" || v.ends_with("/java")) {
        return None;
    }
    let k = ins.keyword_start();
    let written = &cx.file.text[k..k + "CMD".len()];
    let kw = if written == "cmd" { "entrypoint".to_string() } else if written == "CMD" { "ENTRYPOINT".to_string() } else { cx.style.keyword("ENTRYPOINT") };
    Some(Edit::replace(k..k + "CMD".len(), kw))
}

/// For every `apt-get install` of the stages that already skips recommended packages: the
/// packages it needs on `new` that the image it is on now gave it (`libc6-dev` for `gcc`,
/// `ca-certificates` for `curl`), as edits adding them with why; and why adding them would not
/// be safe, if it would not (a pinned list).
fn recommends_on(cx: &Context, chain: &[usize], new: &ImageRef) -> (Vec<(Vec<Edit>, String)>, Vec<String>) {
    let mut adds = Vec::new();
    let mut hazards = Vec::new();
    for rc in run_commands(cx) {
        if !cx.model.stage_of(rc.ins).is_some_and(|s| chain.contains(&s.index)) {
            continue;
        }
        let Some(apt) = Apt::of(rc.cmd) else { continue };
        if apt.sub() != "install" || !(apt.skips_recommends() || apt_config_before(cx, rc.ins, "Install-Recommends")) {
            continue;
        }
        let hadolint_sees = apt.hadolint_sees_as_apt_get();
        let before = plan_on(cx, rc.ins, rc.cmd, &apt, hadolint_sees, None);
        let after = plan_on(cx, rc.ins, rc.cmd, &apt, hadolint_sees, Some(new));
        let line = cx.file.instructions[rc.ins].start_line;
        let new_adds: Vec<&(&'static str, String)> = after.adds.iter().filter(|a| !before.adds.iter().any(|b| b.0 == a.0)).collect();
        if let Some(r) = after.unsafe_reason.filter(|r| before.unsafe_reason.as_ref() != Some(r)) {
            hazards.push(format!("the install at line {line} skips recommended packages: {r}"));
        }
        if new_adds.is_empty() {
            continue;
        }
        let names: Vec<&str> = new_adds.iter().map(|(n, _)| *n).collect();
        let why = new_adds.iter().map(|(n, w)| format!("adds `{n}` to the install at line {line}: {w}")).collect::<Vec<_>>().join("; ");
        match rc.opaque() {
            None => adds.push((add_packages(cx, rc.script, &apt, &names), why)),
            Some(r) => hazards.push(format!("the install at line {line} would need {} and dopt cannot edit it ({r})", names.join(", "))),
        }
    }
    (adds, hazards)
}

/// What the stages that reach the final image, and the build context, show.
#[derive(Default, Clone)]
struct Facts {
    /// Why the change could break the build whatever the new image (the build context).
    ctx_hazards: Vec<String>,
    /// What was read and decided.
    reasons: Vec<String>,
    native_addons: bool,
    build_tools_installed: bool,
    compiles: bool,
    runs_java: bool,
    shell_needed: bool,
    context_unknown: bool,
    py_c_ext: Vec<String>,
    /// What the stages run, scripts from the context followed.
    programs: Programs,
    /// Packages installed by apt-get, apk, yum or dnf in the stages, with the instruction.
    installed: Vec<(usize, String)>,
}

/// Programs that compile, or need a JDK.
const COMPILERS: &[&str] = &[
    "javac", "jar", "jlink", "jdeps", "mvn", "mvnw", "gradle", "gradlew", "go", "cargo", "rustc", "gcc", "g++", "cc", "c++", "clang", "make",
    "cmake", "sbt", "lein", "ant", "kotlinc", "scalac",
];

/// Tools of a JDK that a JRE does not have.
const JDK_TOOLS: &[&str] = &[
    "javac", "jar", "jlink", "jdeps", "jshell", "javadoc", "jmod", "jarsigner", "jpackage", "jcmd", "jmap", "jstack", "jps", "jstat", "jhsdb",
    "jconsole", "serialver", "javap", "jdb", "jinfo", "jimage", "mvn", "mvnw", "gradle", "gradlew",
];

/// More programs of the `buildpack-deps` package set that a slim image lacks.
const BUILDPACK_MORE: &[&str] = &[
    "xz", "unxz", "ps", "pgrep", "pkill", "convert", "identify", "mogrify", "magick", "autoreconf", "aclocal", "libtoolize", "pg_config",
    "mysql_config", "mariadb_config", "dpkg-architecture", "dpkg-buildpackage", "xml2-config", "xslt-config", "curl-config", "sq",
    "ssh-keygen", "ssh-keyscan", "sftp", "bunzip2", "ld", "as", "ar", "strip", "cpp", "gpgv", "dirmngr",
];

/// The programs a RUN may use on `from` that `to` does not have.
fn lacking_tools(from: &ImageRef, to: Option<&ImageRef>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let from_pkgs = image_packages(from);
    let to_tag = to.and_then(|t| t.tag.clone()).unwrap_or_default();
    let to_name = to.map(|t| t.short_name().to_string()).unwrap_or_default();
    if !from_pkgs.is_empty() {
        // a buildpack-deps based image
        out.extend(FULL_IMAGE_TOOLS);
        out.extend(BUILDPACK_MORE);
        if from.short_name() == "node" {
            out.extend(["python3", "python"]); // node-gyp's, from the full image
        }
    }
    let jdk = matches!(from.short_name(), "openjdk" | "amazoncorretto" | "eclipse-temurin" | "ibmjava" | "sapmachine")
        && !from.tag.as_deref().unwrap_or("").contains("jre");
    let to_jre = to_tag.contains("jre") || to_name.starts_with("distroless/java");
    if jdk && to_jre {
        out.extend(JDK_TOOLS);
        if from.short_name() == "openjdk" {
            out.extend(FULL_IMAGE_TOOLS); // another distribution: its tools are not the JRE image's
        }
    }
    if to_tag.contains("alpine") {
        out.extend(["bash", "apt-get", "apt", "dpkg", "apt-cache", "useradd", "groupadd", "adduser"]);
        out.retain(|t| *t != "adduser"); // busybox has adduser
    }
    if to_name.contains("distroless") {
        out.extend(["sh", "bash"]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl Facts {
    fn gather(cx: &Context, chain: &[usize]) -> Facts {
        let mut f = Facts { context_unknown: !cx.build.is_known(), programs: programs_of(cx, chain), ..Facts::default() };
        let mut pip = false;
        let mut npm = false;
        for r in &f.programs.runs {
            let prog = r.program.as_str();
            if matches!(prog, "apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf") {
                let args: Vec<&str> = r.args.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
                if args.first().is_some_and(|a| matches!(*a, "install" | "add")) {
                    f.installed.extend(args[1..].iter().map(|s| (r.ins, s.split('=').next().unwrap_or(s).to_string())));
                }
                continue;
            }
            if matches!(prog, "pip" | "pip3") || prog.starts_with("python") && r.args.iter().any(|w| w == "pip") {
                pip = true;
            }
            if matches!(prog, "npm" | "yarn" | "pnpm") {
                npm = true;
            }
            if COMPILERS.contains(&prog) {
                f.compiles = true;
            }
        }
        f.build_tools_installed =
            ["build-essential", "g++", "gcc", "make", "python3", "build-base"].iter().any(|p| f.installed.iter().any(|(_, i)| i == p));
        // CMD/ENTRYPOINT/SHELL/HEALTHCHECK of the chain
        let in_chain = |i: usize| cx.model.stage_of(i).is_some_and(|s| chain.contains(&s.index));
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
                f.ctx_hazards.push("the build context is not visible, so dopt cannot check which packages need a compiler".into());
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
                f.ctx_hazards.push(format!(
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
                    f.ctx_hazards.push(format!("{} may need python3, make and g++ to build, which -slim lacks", found.join(", ")));
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

    /// Why moving to an image without the programs `lacking` could break the build: a RUN uses
    /// one of them without installing it first, or runs what dopt cannot see through.
    fn hazards_for(&self, cx: &Context, lacking: &[&str], new: &str) -> Vec<String> {
        let mut out = Vec::new();
        if lacking.is_empty() {
            return self.ctx_hazards.clone();
        }
        for r in &self.programs.runs {
            if !lacking.contains(&r.program.as_str()) {
                continue;
            }
            let before: Vec<String> = self.installed.iter().filter(|(i, _)| *i <= r.ins).map(|(_, p)| p.clone()).collect();
            if provides(&before, &r.program) {
                continue;
            }
            let line = cx.file.instructions[r.ins].start_line;
            let h = match &r.via {
                Some(s) => format!("`{}` (run by `{s}`, line {line}) is not in `{new}` and is not installed first", r.program),
                None => format!("`{}` (line {line}) is not in `{new}` and is not installed first", r.program),
            };
            if !out.contains(&h) {
                out.push(h);
            }
        }
        for (_, why) in &self.programs.unseen {
            let h = format!("{why}, so dopt cannot tell whether it needs what `{new}` lacks");
            if !out.contains(&h) {
                out.push(h);
            }
        }
        out.extend(self.ctx_hazards.iter().cloned());
        out
    }

    fn holds(&self, cond: &str, cx: &Context) -> bool {
        match cond {
            "native-addons" => self.native_addons,
            "build-tools" => {
                let generic: Vec<&str> = FULL_IMAGE_TOOLS.to_vec();
                !self.hazards_for(cx, &generic, "the slim image").is_empty()
            }
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
pub(crate) fn python_packages(cx: &Context) -> (Vec<String>, Vec<String>) {
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
/// Whether some mapping of the preset would change `image:tag`, whatever the facts: [`pick`]
/// finds nothing otherwise.
fn could_map(cx: &Context, image: &ImageRef, tag: &str) -> bool {
    cx.config.images.iter().any(|m| {
        m.image == image.short_name()
            && m.tag.captures(tag).is_some_and(|caps| m.to_image.is_some() || expand(&m.to, &caps) != tag)
    })
}

fn pick<'c>(cx: &'c Context, image: &ImageRef, tag: &str, facts: &Facts) -> Option<(&'c ImageMapping, (String, Option<String>))> {
    for m in &cx.config.images {
        if m.image != image.short_name() {
            continue;
        }
        let Some(caps) = m.tag.captures(tag) else { continue };
        if m.unless.iter().any(|c| facts.holds(c, cx)) || !m.when.iter().all(|c| facts.holds(c, cx)) {
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
        // never Alpine for a stage that installs with apt: Alpine has apk
        if new_tag.contains("alpine") && facts.programs.runs.iter().any(|r| matches!(r.program.as_str(), "apt-get" | "apt" | "dpkg" | "apt-cache")) {
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
