//! Presets and configuration files.
//!
//! A preset (`presets/*.toml`, compiled into the binary) and a `dopt.toml` share one format:
//!
//! ```toml
//! extends = "glibc"          # a preset name, or a path relative to this file
//! description = "..."
//! [rules]
//! select = ["ALL"]           # codes, code prefixes or names
//! ignore = ["DP201"]
//! [[images]]                 # base-image mappings, first match wins
//! id = "python-slim"
//! image = "python"           # the repository (registry and `library/` prefixes are kept as written)
//! tag = '^(\d+(?:\.\d+)*)$'  # a regex on the tag; its groups are `$1`, `$2`, ... in `to`
//! to = "$1-slim-bookworm"    # the new tag
//! to_image = "eclipse-temurin"   # optional: a new repository
//! unless = ["native-addons"] # conditions under which the entry does not apply
//! when = ["runs-jar-only"]   # conditions that must hold
//! safety = "safe"            # "safe" (default) or "unsafe" (always needs --unsafe-fixes)
//! note = "..."               # shown with the finding
//! ```
//! A configuration's mappings come before the ones it extends; an entry with the `id` of an
//! inherited entry replaces it in place, and `disable = true` removes it. Unknown keys are
//! errors that name the file, line and key.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

/// The presets compiled into the binary: name, text.
pub const PRESETS: &[(&str, &str)] = &[
    ("default", include_str!("../presets/default.toml")),
    ("glibc", include_str!("../presets/glibc.toml")),
    ("distroless", include_str!("../presets/distroless.toml")),
    ("minimal", include_str!("../presets/minimal.toml")),
    ("ci", include_str!("../presets/ci.toml")),
];

/// Named conditions a mapping can test (see `transforms/images/slim_base_image.rs`).
pub const CONDITIONS: &[&str] = &["native-addons", "build-tools", "runs-jar-only", "compiles", "context-unknown", "no-shell-needed"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    extends: Option<String>,
    description: Option<String>,
    rules: Option<RawRules>,
    #[serde(default)]
    images: Vec<RawImage>,
    go: Option<RawRuntime>,
    java: Option<RawRuntime>,
    downloads: Option<RawDownloads>,
}

/// `[go]` and `[java]`: the runtime image the builder/runtime split (DP401, DP402) moves to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntime {
    runtime: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDownloads {
    #[serde(default)]
    https_hosts: Vec<String>,
    #[serde(default)]
    dead_keyservers: Vec<String>,
    keyserver: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawImage {
    id: Option<String>,
    image: Option<String>,
    tag: Option<String>,
    to: Option<String>,
    to_image: Option<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    when: Vec<String>,
    safety: Option<String>,
    note: Option<String>,
    #[serde(default)]
    disable: bool,
}

/// A base-image mapping.
#[derive(Debug, Clone)]
pub struct ImageMapping {
    pub id: Option<String>,
    /// Repository short name (`python`).
    pub image: String,
    pub tag: Regex,
    /// The new tag, with `$1`... from `tag`.
    pub to: String,
    pub to_image: Option<String>,
    pub unless: Vec<String>,
    pub when: Vec<String>,
    /// Always unsafe.
    pub unsafe_: bool,
    pub note: Option<String>,
}

/// A resolved configuration: rule selection and the base-image mappings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from: `preset default`, or a file path.
    pub source: String,
    pub description: String,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub images: Vec<ImageMapping>,
    /// `[go] runtime`: what DP401 puts a Go binary on.
    pub go_runtime: GoRuntime,
    /// `[java] runtime`: what DP402 runs a jar on.
    pub java_runtime: JavaRuntime,
    pub downloads: Downloads,
}

/// What the download rules (DP511, DP513) know about hosts: the `[downloads]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Downloads {
    /// Hosts known to serve over https what they serve over http, at the same paths: exact
    /// names, or `*.domain` for any one label in front of `domain` (as in TLS certificates).
    pub https_hosts: Vec<String>,
    /// Key servers that no longer answer (same patterns).
    pub dead_keyservers: Vec<String>,
    /// The key server that replaces a dead one (a host name).
    pub keyserver: Option<String>,
}

impl Downloads {
    /// Whether `host` serves https, by the list.
    pub fn serves_https(&self, host: &str) -> bool {
        self.https_hosts.iter().any(|p| host_matches(p, host))
    }

    /// Whether `host` is a dead key server, by the list.
    pub fn dead_keyserver(&self, host: &str) -> bool {
        self.dead_keyservers.iter().any(|p| host_matches(p, host))
    }
}

/// Whether a host pattern (`example.org`, or `*.example.org` for one label in front) matches
/// a host name, ignoring case and a trailing dot.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host.strip_suffix(rest).and_then(|h| h.strip_suffix('.')).is_some_and(|label| !label.is_empty() && !label.contains('.')),
        None => host == pattern,
    }
}

/// The runtime image of a Go build split (DP401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoRuntime {
    /// `scratch`, with the CA bundle (and time zones) copied from the builder.
    Scratch,
    /// `gcr.io/distroless/static-debian12:nonroot`.
    Distroless,
}

/// The runtime of a Java build split (DP402).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JavaRuntime {
    /// The JRE the base-image mappings give a JDK that only runs a jar (`eclipse-temurin:N-jre`,
    /// `-jre-alpine`, or distroless Java).
    Jre,
    /// A runtime made by `jlink` in the builder with the modules `jdeps` finds, on
    /// `debian:<release>-slim`.
    Jlink,
}

pub const GO_RUNTIMES: &[&str] = &["scratch", "distroless"];
pub const JAVA_RUNTIMES: &[&str] = &["jre", "jlink"];

impl Default for Config {
    fn default() -> Self {
        Config::default_ref().clone()
    }
}

impl Config {
    /// The default preset, loaded once.
    pub fn default_ref() -> &'static Config {
        static D: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
        D.get_or_init(|| Config::preset("default").expect("the default preset is valid"))
    }

    /// A compiled-in preset by name.
    pub fn preset(name: &str) -> Result<Config, String> {
        let text = PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).ok_or_else(|| {
            format!("unknown preset `{name}` (known: {})", PRESETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))
        })?;
        load(text, &format!("preset {name}"), None, 0)
    }

    /// A preset name, or the path of a configuration file.
    pub fn preset_or_file(spec: &str) -> Result<Config, String> {
        let p = Path::new(spec);
        if PRESETS.iter().any(|(n, _)| *n == spec) || (!p.exists() && !spec.contains(['/', '\\']) && !spec.ends_with(".toml")) {
            return Config::preset(spec);
        }
        Config::file(p)
    }

    /// A configuration file (`dopt.toml`).
    pub fn file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        load(&text, &path.display().to_string(), path.parent(), 0)
    }
}

/// Finds `dopt.toml` in `dir` or the nearest directory above it.
pub fn find_config(dir: &Path) -> Option<PathBuf> {
    let mut cur = std::fs::canonicalize(dir).ok();
    while let Some(d) = cur {
        let p = d.join("dopt.toml");
        if p.is_file() {
            return Some(p);
        }
        cur = d.parent().map(Path::to_path_buf);
    }
    None
}

/// The hadolint codes the nearest `.hadolint.yaml` (or `.hadolint.yml`) in `dir` or above it
/// lists under `ignored:`; none when there is no such file. The CLI reads it only when no
/// `dopt.toml` or `--config` applies, and leaves out the rules that resolve those codes.
pub fn hadolint_ignored(dir: &Path) -> Result<Vec<String>, String> {
    let mut cur = std::fs::canonicalize(dir).ok();
    while let Some(d) = cur {
        for name in [".hadolint.yaml", ".hadolint.yml"] {
            let p = d.join(name);
            if p.is_file() {
                let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                return parse_hadolint_ignored(&text).map_err(|e| format!("{}: {e}", p.display()));
            }
        }
        cur = d.parent().map(Path::to_path_buf);
    }
    Ok(Vec::new())
}

/// The `ignored:` list of a hadolint configuration: a block list (`- DL3008`) or a flow list
/// (`[DL3008, DL3015]`). Only this key is read; the rest of the YAML is left alone.
pub fn parse_hadolint_ignored(text: &str) -> Result<Vec<String>, String> {
    let clean = |s: &str| s.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
    let strip_comment = |l: &str| -> String {
        match l.find(" #") {
            Some(i) => l[..i].to_string(),
            None if l.trim_start().starts_with('#') => String::new(),
            None => l.to_string(),
        }
    };
    let lines: Vec<String> = text.lines().map(strip_comment).collect();
    let Some(k) = lines.iter().position(|l| l.starts_with("ignored:")) else { return Ok(Vec::new()) };
    let rest = lines[k]["ignored:".len()..].trim();
    if let Some(flow) = rest.strip_prefix('[') {
        let body = flow.strip_suffix(']').ok_or("line `ignored:`: a flow list must close on its line")?;
        return Ok(body.split(',').map(clean).filter(|c| !c.is_empty()).collect());
    }
    if !rest.is_empty() {
        return Err(format!("line {}: `ignored:` must be a list", k + 1));
    }
    let mut out = Vec::new();
    for l in &lines[k + 1..] {
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        match t.strip_prefix("- ").or_else(|| (t == "-").then_some("")) {
            Some(item) if l.starts_with([' ', '-']) => out.push(clean(item)),
            _ => break,
        }
    }
    out.retain(|c| !c.is_empty());
    Ok(out)
}

fn load(text: &str, source: &str, dir: Option<&Path>, depth: usize) -> Result<Config, String> {
    if depth > 8 {
        return Err(format!("{source}: `extends` goes more than 8 levels deep (a cycle?)"));
    }
    let raw: RawConfig = toml::from_str(text).map_err(|e| format!("{source}: {}", e.to_string().trim_end()))?;
    let mut base = match &raw.extends {
        Some(e) if PRESETS.iter().any(|(n, _)| n == e) => {
            let t = PRESETS.iter().find(|(n, _)| n == e).unwrap().1;
            load(t, &format!("preset {e}"), None, depth + 1)?
        }
        Some(e) => {
            let p = dir.map(|d| d.join(e)).unwrap_or_else(|| PathBuf::from(e));
            let t = std::fs::read_to_string(&p).map_err(|err| format!("{source}: extends `{e}`: {err}"))?;
            load(&t, &p.display().to_string(), p.parent(), depth + 1)?
        }
        None => Config {
            source: String::new(),
            description: String::new(),
            select: vec!["ALL".into()],
            ignore: vec![],
            images: vec![],
            go_runtime: GoRuntime::Scratch,
            java_runtime: JavaRuntime::Jre,
            downloads: Downloads::default(),
        },
    };
    if let Some(g) = raw.go.as_ref().and_then(|g| g.runtime.as_deref()) {
        base.go_runtime = match g {
            "scratch" => GoRuntime::Scratch,
            "distroless" => GoRuntime::Distroless,
            o => return Err(format!("{source}: [go] runtime is one of {}, not {o:?}", GO_RUNTIMES.join(", "))),
        };
    }
    if let Some(j) = raw.java.as_ref().and_then(|j| j.runtime.as_deref()) {
        base.java_runtime = match j {
            "jre" => JavaRuntime::Jre,
            "jlink" => JavaRuntime::Jlink,
            o => return Err(format!("{source}: [java] runtime is one of {}, not {o:?}", JAVA_RUNTIMES.join(", "))),
        };
    }
    base.source = source.to_string();
    if let Some(d) = raw.description {
        base.description = d;
    }
    if let Some(r) = raw.rules {
        if let Some(s) = r.select {
            base.select = s;
        }
        base.ignore.extend(r.ignore);
    }
    if let Some(d) = raw.downloads {
        for (k, list) in [("https_hosts", &d.https_hosts), ("dead_keyservers", &d.dead_keyservers)] {
            if let Some(bad) = list.iter().find(|h| !valid_host_pattern(h)) {
                return Err(format!("{source}: downloads.{k}: `{bad}` is not a host name or `*.domain` pattern"));
            }
        }
        base.downloads.https_hosts.extend(d.https_hosts);
        base.downloads.dead_keyservers.extend(d.dead_keyservers);
        if let Some(k) = d.keyserver {
            if !valid_host_pattern(&k) || k.starts_with("*.") {
                return Err(format!("{source}: downloads.keyserver: `{k}` is not a host name"));
            }
            base.downloads.keyserver = Some(k);
        }
    }
    let mut front = Vec::new();
    for (n, im) in raw.images.into_iter().enumerate() {
        let at = format!("{source}: images[{n}]");
        if im.disable {
            let id = im.id.ok_or_else(|| format!("{at}: `disable` needs the `id` of an inherited entry"))?;
            let before = base.images.len();
            base.images.retain(|m| m.id.as_deref() != Some(id.as_str()));
            if base.images.len() == before {
                return Err(format!("{at}: no inherited entry has id `{id}`"));
            }
            continue;
        }
        let m = mapping(im, &at)?;
        match m.id.as_ref().and_then(|id| base.images.iter().position(|x| x.id.as_ref() == Some(id))) {
            Some(i) => base.images[i] = m,
            None => front.push(m),
        }
    }
    front.append(&mut base.images);
    base.images = front;
    Ok(base)
}

/// A host name (letters, digits, `-`, `.`), possibly `*.` in front.
fn valid_host_pattern(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h);
    !h.is_empty() && h.contains('.') && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') && !h.starts_with('.') && !h.contains("..")
}

fn mapping(im: RawImage, at: &str) -> Result<ImageMapping, String> {
    let need = |v: Option<String>, k: &str| v.ok_or_else(|| format!("{at}: missing `{k}`"));
    let tag = need(im.tag, "tag")?;
    let tag = Regex::new(&tag).map_err(|e| format!("{at}: `tag` is not a valid regex: {e}"))?;
    for c in im.unless.iter().chain(&im.when) {
        if !CONDITIONS.contains(&c.as_str()) {
            return Err(format!("{at}: unknown condition `{c}` (known: {})", CONDITIONS.join(", ")));
        }
    }
    let unsafe_ = match im.safety.as_deref() {
        None | Some("safe") => false,
        Some("unsafe") => true,
        Some(o) => return Err(format!("{at}: `safety` is \"safe\" or \"unsafe\", not {o:?}")),
    };
    Ok(ImageMapping {
        id: im.id,
        image: need(im.image, "image")?,
        tag,
        to: need(im.to, "to")?,
        to_image: im.to_image,
        unless: im.unless,
        when: im.when,
        unsafe_,
        note: im.note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_load() {
        for (n, _) in PRESETS {
            let c = Config::preset(n).unwrap();
            assert!(!c.images.is_empty(), "{n}");
            assert!(!c.description.is_empty(), "{n}");
        }
    }

    #[test]
    fn unknown_keys_name_file_line_and_key() {
        let e = load("[rules]\nselect = [\"ALL\"]\nbogus = 1\n", "x/dopt.toml", None, 0).unwrap_err();
        assert!(e.starts_with("x/dopt.toml: "), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("bogus"), "{e}");
        let e = load("[[images]]\nimage = \"a\"\ntag = \".*\"\nto = \"b\"\nwhen = [\"sunny\"]\n", "f", None, 0).unwrap_err();
        assert!(e.contains("unknown condition `sunny`"), "{e}");
    }

    #[test]
    fn runtimes_of_the_stage_splits() {
        assert_eq!(Config::preset("default").unwrap().go_runtime, GoRuntime::Scratch);
        assert_eq!(Config::preset("distroless").unwrap().go_runtime, GoRuntime::Distroless);
        assert_eq!(Config::preset("glibc").unwrap().java_runtime, JavaRuntime::Jre);
        assert_eq!(Config::preset("minimal").unwrap().java_runtime, JavaRuntime::Jlink);
        let c = load("extends = \"distroless\"\n[java]\nruntime = \"jlink\"\n", "t", None, 0).unwrap();
        assert_eq!((c.go_runtime, c.java_runtime), (GoRuntime::Distroless, JavaRuntime::Jlink));
        let e = load("[java]\nruntime = \"graal\"\n", "t", None, 0).unwrap_err();
        assert!(e.contains("[java] runtime is one of jre, jlink"), "{e}");
        assert!(load("[go]\nimage = \"x\"\n", "t", None, 0).is_err());
    }

    #[test]
    fn downloads_extend_the_inherited_lists() {
        let d = Config::preset("default").unwrap().downloads;
        assert!(d.serves_https("nodejs.org"));
        assert!(d.serves_https("NodeJS.org."));
        assert!(!d.serves_https("example.org"));
        assert!(d.dead_keyserver("ha.pool.sks-keyservers.net"));
        assert_eq!(d.keyserver.as_deref(), Some("keyserver.ubuntu.com"));
        let c = load("extends = \"glibc\"\n[downloads]\nhttps_hosts = [\"example.org\", \"*.cdn.example.net\"]\nkeyserver = \"keys.openpgp.org\"\n", "t", None, 0).unwrap();
        assert!(c.downloads.serves_https("nodejs.org"));
        assert!(c.downloads.serves_https("example.org"));
        assert!(c.downloads.serves_https("eu.cdn.example.net"));
        assert!(!c.downloads.serves_https("a.eu.cdn.example.net"));
        assert!(!c.downloads.serves_https("cdn.example.net"));
        assert_eq!(c.downloads.keyserver.as_deref(), Some("keys.openpgp.org"));
        let e = load("[downloads]\nhttps_hosts = [\"http://x.org\"]\n", "f", None, 0).unwrap_err();
        assert!(e.contains("downloads.https_hosts"), "{e}");
        let e = load("[downloads]\nmirrors = []\n", "f", None, 0).unwrap_err();
        assert!(e.contains("mirrors"), "{e}");
    }

    #[test]
    fn host_patterns() {
        assert!(host_matches("*.s3.amazonaws.com", "bucket.s3.amazonaws.com"));
        assert!(!host_matches("*.s3.amazonaws.com", "my.bucket.s3.amazonaws.com"));
        assert!(!host_matches("*.s3.amazonaws.com", "s3.amazonaws.com"));
        assert!(host_matches("github.com", "GitHub.com"));
        assert!(!host_matches("github.com", "api.github.com"));
    }

    #[test]
    fn extends_overrides_and_disables() {
        let c = load(
            "extends = \"default\"\n[rules]\nignore = [\"DP101\"]\n[[images]]\nid = \"debian-slim\"\ndisable = true\n[[images]]\nimage = \"mine\"\ntag = \"^(.*)$\"\nto = \"$1-small\"\n",
            "t",
            None,
            0,
        )
        .unwrap();
        let d = Config::preset("default").unwrap();
        assert_eq!(c.ignore, vec!["DP101"]);
        assert_eq!(c.images[0].image, "mine");
        assert_eq!(c.images.len(), d.images.len());
        assert!(c.images.iter().all(|m| m.id.as_deref() != Some("debian-slim")));
        assert!(load("extends = \"nope.toml\"\n", "t", None, 0).is_err());
    }

    #[test]
    fn hadolint_ignored_lists() {
        let y = "failure-threshold: warning\nignored:\n  - DL3008   # pins\n  - 'DL3015'\n# done\ntrustedRegistries:\n  - docker.io\n";
        assert_eq!(parse_hadolint_ignored(y).unwrap(), vec!["DL3008", "DL3015"]);
        assert_eq!(parse_hadolint_ignored("ignored: [DL3008, \"DL3059\"]\n").unwrap(), vec!["DL3008", "DL3059"]);
        assert_eq!(parse_hadolint_ignored("override:\n  error:\n    - DL3001\n").unwrap(), Vec::<String>::new());
        assert!(parse_hadolint_ignored("ignored: DL3008\n").is_err());
        // a list at the top level: `-` at the start of the line
        assert_eq!(parse_hadolint_ignored("ignored:\n- DL3042\nother: 1\n").unwrap(), vec!["DL3042"]);
    }
}
