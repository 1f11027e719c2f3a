//! DP207 cache-mounts (opt-in: the `ci` preset)
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Sep};
use crate::syntax::Kind;
use crate::transforms::common::{
    base_image, earlier_text_any, env_value_before, has_cache_mount, instructions_in_scope, operands, remove_command, removal_keeps_dl3059, run_commands_incl, stage_chain_before, stage_shell,
    var_set_before, InnerScripts, RunCommand, StageShell,
};
use crate::transforms::packages::apt::{Apt, Tool as AptTool};
use crate::transforms::packages::npm_ci::{INSTALL as NPM_INSTALL, VALUE_FLAGS as NPM_VALUE_FLAGS};
use crate::transforms::packages::pip_no_cache_dir::pip_install_word;
use crate::transforms::packages::yarn_frozen_lockfile::{yarn_berry, Berry, VALUE_FLAGS as YARN_VALUE_FLAGS};

pub struct CacheMounts;

static META: RuleMeta = RuleMeta {
    code: "DP207",
    name: "cache-mounts",
    summary: "Package managers and build tools download into caches that every build starts without: mount BuildKit caches (opt-in: the `ci` preset)",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
An opt-in rule: `ALL` and code prefixes do not select it; the `ci` preset, `--select DP207`
or `select = ["DP207"]` do.

Adds a BuildKit cache mount to each RUN that downloads with
- pip (`--mount=type=cache,target=/root/.cache/pip`),
- npm (`/root/.npm`), yarn 1 (`/usr/local/share/.cache/yarn`), pnpm
  (`/root/.local/share/pnpm/store`),
- apt-get (`/var/lib/apt/lists` and `/var/cache/apt`, the latter with `sharing=locked`: apt
  takes locks there, and as every apt RUN mounts both, one lock serializes them; it is the last
  mount, as buildah before 1.29 releases only the lock of a RUN's last mount); the Debian
  images' `/etc/apt/apt.conf.d/docker-clean`, which deletes every
  downloaded package after the install, is removed first in the RUN (`rm -f ... &&`), once per
  stage,
- Go (the module cache, `/go/pkg/mod` on `golang` images and `/root/go/pkg/mod` elsewhere, and
  the build cache `/root/.cache/go-build`),
- Maven (`/root/.m2`) and Gradle (`/root/.gradle`),

adds `# syntax=docker/dockerfile:1` at the top when the file has no `syntax` directive, and
removes what the mount makes pointless in that RUN: pip's `--no-cache-dir`, `pip cache purge`,
`npm cache clean`, `yarn cache clean`, `pnpm store prune`, `apt-get clean`, `rm -rf` of the
package lists or of the cache itself, `go clean -modcache`.

## Why
A cache mount keeps the downloads outside the image, shared between builds: a rebuild reuses
what earlier builds downloaded instead of fetching it again, and the image holds none of it
(no `--no-cache-dir` or cache clean needed). On CI with a persistent builder this cuts most of
the time of dependency steps.

## Example
```dockerfile
RUN pip install --no-cache-dir -r requirements.txt
```
becomes
```dockerfile
# syntax=docker/dockerfile:1
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
```

## Not flagged
- a RUN that already mounts a cache at the target; ONBUILD RUN; a stage whose shell is not a
  POSIX shell (Windows);
- a RUN under a non-root USER (the caches are root's, and the mount is owned by root);
- a tool whose cache the Dockerfile moves (`PIP_CACHE_DIR`, `PIP_NO_CACHE_DIR`,
  `npm_config_cache`, `YARN_CACHE_FOLDER`, `GOMODCACHE`, `GOPATH`, `GOCACHE`, `GRADLE_USER_HOME`,
  `MAVEN_OPTS`), and Yarn 2+;
- the Go module, Maven or Gradle cache when the image needs it at run time: the final image's
  CMD/ENTRYPOINT runs the tool (`go run`, `mvn spring-boot:run`), or another instruction names
  the cache directory (a later stage copies `/root/.m2` from this one).

## Fix safety
Safe where the build runs on BuildKit (Docker 18.09 and later with BuildKit, `docker buildx`,
buildah and podman), which `# syntax=docker/dockerfile:1` also asks for: the legacy builder does
not know `--mount`. What the image holds does not change, but for the caches themselves. With
`docker-clean` removed, an image built FROM this one keeps downloaded `.deb` files in
`/var/cache/apt` unless its own RUNs mount that cache too. That is why the rule is opt-in.
"#,
};

/// A cache a tool writes, and what the mount of it makes pointless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cache {
    Pip,
    Npm,
    Yarn,
    Pnpm,
    Apt,
    GoMod,
    GoBuild,
    Maven,
    Gradle,
}

impl Cache {
    fn needed_at_run_time(self) -> Option<&'static [&'static str]> {
        match self {
            Cache::GoMod => Some(&["go"]),
            Cache::Maven => Some(&["mvn", "mvnw"]),
            Cache::Gradle => Some(&["gradle", "gradlew"]),
            _ => None,
        }
    }

    /// Variables that move or turn off the cache.
    fn vars(self) -> &'static [&'static str] {
        match self {
            Cache::Pip => &["PIP_CACHE_DIR", "PIP_NO_CACHE_DIR"],
            Cache::Npm => &["npm_config_cache", "NPM_CONFIG_CACHE"],
            Cache::Yarn => &["YARN_CACHE_FOLDER"],
            Cache::Pnpm => &["PNPM_HOME", "npm_config_store_dir"],
            Cache::Apt => &[],
            Cache::GoMod => &["GOMODCACHE", "GOPATH", "GOFLAGS"],
            Cache::GoBuild => &["GOCACHE"],
            Cache::Maven => &["MAVEN_OPTS", "MAVEN_CONFIG"],
            Cache::Gradle => &["GRADLE_USER_HOME"],
        }
    }
}

/// The caches a command writes.
fn caches_of(cx: &Context, i: usize, cmd: &Command) -> Vec<Cache> {
    let Some(p) = cmd.program() else { return Vec::new() };
    if pip_install_word(cmd).is_some() {
        return vec![Cache::Pip];
    }
    let sub = |flags: &[&str]| operands(cmd, flags).first().map(|w| w.text.clone());
    match p {
        "npm" => match sub(NPM_VALUE_FLAGS).as_deref() {
            Some(s) if NPM_INSTALL.contains(&s) || matches!(s, "ci" | "clean-install" | "install-clean" | "update") => vec![Cache::Npm],
            _ => vec![],
        },
        "yarn" => match sub(YARN_VALUE_FLAGS).as_deref() {
            None | Some("install" | "add" | "global") if yarn_berry(cx, i, "") == Berry::No => vec![Cache::Yarn],
            _ => vec![],
        },
        "pnpm" => match sub(&["--dir", "-C", "--filter", "-F"]).as_deref() {
            Some("install" | "i" | "add" | "fetch") if !cmd.has_flag(&["--store-dir"]) => vec![Cache::Pnpm],
            _ => vec![],
        },
        "apt-get" => match Apt::of(cmd) {
            Some(a) if a.tool == AptTool::AptGet && matches!(a.sub(), "update" | "install" | "upgrade" | "dist-upgrade" | "full-upgrade" | "build-dep" | "source") => vec![Cache::Apt],
            _ => vec![],
        },
        "go" => match cmd.subcommand().map(|w| w.text.as_str()) {
            Some("build" | "install" | "test" | "run" | "vet" | "generate") => vec![Cache::GoMod, Cache::GoBuild],
            Some("mod" | "get" | "list") => vec![Cache::GoMod],
            _ => vec![],
        },
        "mvn" | "mvnw" => {
            if cmd.argv().iter().any(|w| w.text.contains("maven.repo.local")) {
                vec![]
            } else {
                vec![Cache::Maven]
            }
        }
        "gradle" | "gradlew" if !cmd.has_flag(&["--gradle-user-home", "-g"]) => vec![Cache::Gradle],
        _ => vec![],
    }
}

/// Where the cache is, for the RUN at `i` (as root).
fn targets(cx: &Context, i: usize, c: Cache) -> Vec<&'static str> {
    match c {
        Cache::Pip => vec!["/root/.cache/pip"],
        Cache::Npm => vec!["/root/.npm"],
        Cache::Yarn => vec!["/usr/local/share/.cache/yarn"],
        Cache::Pnpm => vec!["/root/.local/share/pnpm/store"],
        // the lists first: the locked mount goes last (see `check_run`)
        Cache::Apt => vec!["/var/lib/apt/lists", "/var/cache/apt"],
        Cache::GoMod => {
            if base_image(cx, i).is_some_and(|b| b.starts_with("golang")) {
                vec!["/go/pkg/mod"]
            } else {
                vec!["/root/go/pkg/mod"]
            }
        }
        Cache::GoBuild => vec!["/root/.cache/go-build"],
        Cache::Maven => vec!["/root/.m2"],
        Cache::Gradle => vec!["/root/.gradle"],
    }
}

/// Whether a command only empties a cache that is mounted: it is pointless with the mount.
fn empties(cmd: &Command, c: Cache, targets: &[&str]) -> bool {
    let Some(p) = cmd.program() else { return false };
    let ops: Vec<&str> = cmd.argv().iter().skip(1).map(|w| w.text.as_str()).filter(|w| !w.starts_with('-')).collect();
    if p == "rm" {
        let under = |o: &str| {
            let o = o.trim_end_matches("/*").trim_end_matches('/');
            let o = o.strip_prefix("~").map(|r| format!("/root{r}")).unwrap_or_else(|| o.to_string());
            targets.iter().any(|t| o == *t || o.starts_with(&format!("{t}/")))
        };
        return !ops.is_empty() && ops.iter().all(|o| under(o));
    }
    match c {
        Cache::Pip => (p.starts_with("pip") || p.starts_with("python")) && ops.windows(2).any(|w| w == ["cache", "purge"]),
        Cache::Npm => p == "npm" && ops.first() == Some(&"cache") && matches!(ops.get(1), Some(&("clean" | "clear" | "rm"))),
        Cache::Yarn => p == "yarn" && ops.starts_with(&["cache", "clean"]),
        Cache::Pnpm => p == "pnpm" && ops.starts_with(&["store", "prune"]),
        Cache::Apt => p == "apt-get" && ops == ["clean"],
        Cache::GoMod => p == "go" && ops == ["clean"] && cmd.has_flag(&["-modcache"]),
        Cache::GoBuild => p == "go" && ops == ["clean"] && cmd.has_flag(&["-cache"]),
        _ => false,
    }
}

impl Rule for CacheMounts {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let all = run_commands_incl(cx, &inner);
        let mut any_mount = false;
        for (i, ins) in cx.file.instructions.iter().enumerate() {
            if ins.node.kind != Kind::Run || ins.node.trigger.is_some() {
                continue;
            }
            any_mount |= has_cache_mount(&ins.node, &[]);
            if !matches!(stage_shell(cx, i), StageShell::Posix(_)) || !runs_as_root(cx, i) {
                continue;
            }
            let cmds: Vec<&RunCommand> = all.iter().filter(|rc| rc.ins == i).collect();
            if let Some(d) = check_run(cx, i, &cmds) {
                any_mount = true;
                out.push(d);
            }
        }
        if any_mount && !cx.file.directives.iter().any(|d| d.name.eq_ignore_ascii_case("syntax")) {
            // after a BOM, which stays first
            let bom = if cx.file.text.starts_with('\u{feff}') { "\u{feff}" } else { "" };
            let line = format!("{bom}# syntax=docker/dockerfile:1{}", cx.style.eol());
            out.push(cx.diag(
                &META,
                0..0,
                "`RUN --mount` needs BuildKit's Dockerfile syntax 1.2 or later: add `# syntax=docker/dockerfile:1`",
                Some(Fix::safe(vec![Edit::replace(0..bom.len(), line)])),
            ));
        }
    }
}

/// Whether the RUN at `i` runs as root (no USER in scope, or `USER root`/`0`).
fn runs_as_root(cx: &Context, i: usize) -> bool {
    for k in instructions_in_scope(cx, i) {
        let n = &cx.file.instructions[k].node;
        if n.kind == Kind::User && n.trigger.is_none() {
            let u = n.values.first().map(|v| v.split(':').next().unwrap_or("")).unwrap_or("");
            return u == "root" || u == "0";
        }
    }
    true
}

fn check_run(cx: &Context, i: usize, cmds: &[&RunCommand]) -> Option<Diagnostic> {
    let ins = &cx.file.instructions[i];
    let node = &ins.node;
    // the caches this RUN writes, and which it needs mounted
    let mut caches: Vec<Cache> = Vec::new();
    for rc in cmds {
        for c in caches_of(cx, i, rc.cmd) {
            if !caches.contains(&c) {
                caches.push(c);
            }
        }
    }
    if node.json && !cx.file.instructions[i].node.values.is_empty() {
        // exec form: the program alone
        let v = &node.values;
        let p = crate::model::shell::base(&v[0]);
        if matches!(p, "mvn" | "mvnw") {
            caches.push(Cache::Maven);
        } else if matches!(p, "gradle" | "gradlew") {
            caches.push(Cache::Gradle);
        }
    }
    caches.retain(|&c| usable(cx, i, c));
    if caches.is_empty() {
        return None;
    }
    let mut new_mounts: Vec<String> = Vec::new();
    let mut mounted: Vec<(Cache, Vec<&'static str>)> = Vec::new();
    for &c in &caches {
        let ts = targets(cx, i, c);
        for t in &ts {
            if !has_cache_mount(node, &[t]) {
                // one lock per apt RUN: every apt RUN mounts both caches, so locking the
                // downloads serializes them (buildah before 1.29 releases only the lock of a
                // RUN's last mount, and would hang on a second locked one)
                let lock = if *t == "/var/cache/apt" { ",sharing=locked" } else { "" };
                new_mounts.push(format!("--mount=type=cache,target={t}{lock}"));
            }
        }
        mounted.push((c, ts));
    }
    let mut edits = Vec::new();
    let mut done: Vec<String> = Vec::new();
    if !new_mounts.is_empty() {
        // after the RUN's own flags (so that a locked mount stays the last one), or right after
        // the keyword: either way an edit that joins this RUN to the one before it (DP201)
        // overlaps this one, and one of them waits for the next round
        let at = match node.flags.last() {
            Some(f) => ins.line.to_source_end(f.range.end),
            None => ins.line.to_source_end(node.keyword_range.end),
        };
        edits.push(Edit::insert(at, format!(" {}", new_mounts.join(" "))));
        let names: Vec<String> = new_mounts.iter().map(|m| format!("`{}`", m.trim_start_matches("--mount=type=cache,target=").trim_end_matches(",sharing=locked"))).collect();
        done.push(format!("mount caches at {}", names.join(", ")));
    }
    // docker-clean deletes apt's downloads after each install
    // (in the first RUN of the stage, and the stages it is built FROM, that runs apt-get)
    let earlier_apt = stage_chain_before(cx, i).into_iter().any(|k| cx.scripts(k).iter().any(|s| s.commands.iter().any(|c| caches_of(cx, k, c).contains(&Cache::Apt))));
    if caches.contains(&Cache::Apt) && !earlier_apt && !earlier_text_any(cx, i, |t| t.contains("docker-clean")) && !cx.file.text[ins.range.clone()].contains("docker-clean") {
        if let Some(rc) = cmds.iter().find(|rc| caches_of(cx, i, rc.cmd).contains(&Cache::Apt)) {
            let ok = rc.opaque().is_none() && !rc.cmd.in_compound && matches!(rc.cmd.sep_before, None | Some(Sep::And | Sep::Semi | Sep::Newline));
            let top = cx.scripts(i).iter().any(|s| std::ptr::eq(s, rc.script));
            if ok && top {
                edits.push(Edit::insert(rc.cmd.range.start, "rm -f /etc/apt/apt.conf.d/docker-clean && "));
                done.push("remove `/etc/apt/apt.conf.d/docker-clean` (it deletes the downloaded packages)".into());
            }
        }
    }
    // what the mounts make pointless
    let mut dropped: Vec<String> = Vec::new();
    if caches.contains(&Cache::Pip) {
        for rc in cmds {
            if rc.opaque().is_some() || pip_install_word(rc.cmd).is_none() {
                continue;
            }
            for w in rc.cmd.argv() {
                if w.text == "--no-cache-dir" && w.range.start > 0 {
                    let t = &cx.file.text;
                    let start = t[..w.range.start].trim_end_matches([' ', '\t']).len();
                    if start < w.range.start && !t[start..w.range.start].contains('\n') {
                        edits.push(Edit::delete(start..w.range.end));
                        if !dropped.contains(&"`--no-cache-dir`".to_string()) {
                            dropped.push("`--no-cache-dir`".into());
                        }
                    }
                }
            }
        }
    }
    let mut removals = 0;
    let mut removal_edits = Vec::new();
    for rc in cmds {
        if !mounted.iter().any(|(c, ts)| empties(rc.cmd, *c, ts)) {
            continue;
        }
        let Some(k) = rc.script.commands.iter().position(|x| std::ptr::eq(x, rc.cmd)) else { continue };
        if rc.opaque().is_some() {
            continue;
        }
        if let Some(e) = remove_command(cx, rc.script, k) {
            if removal_edits.iter().any(|x: &Edit| x.range.start < e.range.end && e.range.start < x.range.end) {
                continue;
            }
            removal_edits.push(e);
            removals += 1;
            dropped.push(format!("`{}`", cx.file.text[rc.cmd.range.clone()].trim()));
        }
    }
    if removals > 0 && removal_keeps_dl3059(cx, i, removals) && !removal_edits.iter().any(|r| edits.iter().any(|e| e.range.start < r.range.end && r.range.start < e.range.end.max(e.range.start + 1))) {
        edits.extend(removal_edits);
    } else {
        dropped.retain(|d| d == "`--no-cache-dir`");
    }
    if !dropped.is_empty() {
        done.push(format!("drop {}, which would empty the cache", dropped.join(", ")));
    }
    if edits.is_empty() {
        return None;
    }
    let tools: Vec<&str> = caches.iter().map(|c| match c {
        Cache::Pip => "pip",
        Cache::Npm => "npm",
        Cache::Yarn => "yarn",
        Cache::Pnpm => "pnpm",
        Cache::Apt => "apt-get",
        Cache::GoMod | Cache::GoBuild => "go",
        Cache::Maven => "Maven",
        Cache::Gradle => "Gradle",
    }).fold(Vec::new(), |mut v, t| {
        if !v.contains(&t) {
            v.push(t);
        }
        v
    });
    let msg = format!("{} download{} into caches that every build starts without: {}", tools.join(", "), if tools.len() == 1 { "s" } else { "" }, done.join("; "));
    let range = ins.range.start..ins.line.to_source_end(node.args.end).max(ins.range.start);
    Some(cx.diag(&META, range, msg, Some(Fix::safe(edits))))
}

/// Whether the cache may be mounted for the RUN at `i`: the Dockerfile does not move it, and
/// the image does not need it at run time.
fn usable(cx: &Context, i: usize, c: Cache) -> bool {
    if c.vars().iter().any(|v| var_set_before(cx, i, v) || env_value_before(cx, i, v).is_some()) {
        return false;
    }
    let Some(progs) = c.needed_at_run_time() else { return true };
    let ts = targets(cx, i, c);
    // another instruction names the cache (a COPY --from of /root/.m2, a RUN that lists it)
    let named = cx.file.instructions.iter().enumerate().any(|(k, x)| {
        k != i && matches!(x.node.kind, Kind::Copy | Kind::Add | Kind::Run | Kind::Cmd | Kind::Entrypoint | Kind::Volume) && !has_cache_mount(&x.node, &[]) && ts.iter().any(|t| cx.file.text[x.range.clone()].contains(t))
    });
    if named {
        return false;
    }
    let chain = cx.model.final_chain();
    if cx.model.stage_of(i).is_some_and(|s| chain.contains(&s.index)) {
        let runs = cx.file.instructions.iter().enumerate().any(|(k, x)| {
            matches!(x.node.kind, Kind::Cmd | Kind::Entrypoint | Kind::Healthcheck)
                && cx.model.stage_of(k).is_some_and(|s| chain.contains(&s.index))
                && x.node.values.iter().flat_map(|v| v.split_whitespace()).any(|w| progs.contains(&crate::model::shell::base(w)))
        });
        if runs {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    fn f(s: &str) -> String {
        fix(&CacheMounts, s)
    }

    #[test]
    fn mounts_caches_and_drops_what_empties_them() {
        assert_eq!(
            f("FROM python:3.11\nRUN pip install --no-cache-dir -r requirements.txt\n"),
            "# syntax=docker/dockerfile:1\nFROM python:3.11\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n"
        );
        assert_eq!(
            f("# syntax=docker/dockerfile:1.4\nFROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n    && apt-get clean \\\n    && rm -rf /var/lib/apt/lists/*\n"),
            "# syntax=docker/dockerfile:1.4\nFROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists --mount=type=cache,target=/var/cache/apt,sharing=locked rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && apt-get install -y --no-install-recommends curl\n"
        );
        assert_eq!(
            f("# syntax=docker/dockerfile:1\nFROM node:18\nRUN npm ci && npm cache clean --force && node build.js\n"),
            "# syntax=docker/dockerfile:1\nFROM node:18\nRUN --mount=type=cache,target=/root/.npm npm ci && node build.js\n"
        );
        assert_eq!(
            f("# syntax=docker/dockerfile:1\nFROM golang:1.21 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n"),
            "# syntax=docker/dockerfile:1\nFROM golang:1.21 AS build\nRUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n"
        );
        // docker-clean once per stage; existing flags kept after the mounts
        assert_eq!(
            f("# syntax=docker/dockerfile:1\nFROM debian:12\nRUN --network=host apt-get update\nRUN apt-get install -y curl\n"),
            "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN --network=host --mount=type=cache,target=/var/lib/apt/lists --mount=type=cache,target=/var/cache/apt,sharing=locked rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update\nRUN --mount=type=cache,target=/var/lib/apt/lists --mount=type=cache,target=/var/cache/apt,sharing=locked apt-get install -y curl\n"
        );
        // CRLF, a BOM
        assert_eq!(f("\u{feff}FROM maven:3\r\nRUN mvn -B package\r\n"), "\u{feff}# syntax=docker/dockerfile:1\r\nFROM maven:3\r\nRUN --mount=type=cache,target=/root/.m2 mvn -B package\r\n");
    }

    #[test]
    fn composes_with_merging_runs() {
        use crate::engine::{run, Options};
        use crate::model::context::BuildContext;
        let rules: Vec<&dyn crate::engine::Rule> = vec![&crate::transforms::layers::merge_consecutive_runs::MergeConsecutiveRuns, &CacheMounts];
        let out = run("# syntax=docker/dockerfile:1\nFROM maven:3\nRUN mvn clean\n\nRUN mvn package\n", &rules, &BuildContext::default(), &Options::default()).unwrap();
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(out.output, "# syntax=docker/dockerfile:1\nFROM maven:3\nRUN --mount=type=cache,target=/root/.m2 mvn clean && \\\n    mvn package\n");
        // an apt RUN merged into another in the same round still gets docker-clean removed
        let rules: Vec<&dyn crate::engine::Rule> = vec![&crate::transforms::packages::apt_get_update_merge::AptGetUpdateMerge, &CacheMounts];
        let out = run("# syntax=docker/dockerfile:1\nFROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n", &rules, &BuildContext::default(), &Options::default()).unwrap();
        assert!(out.output.contains("sharing=locked rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update"), "{}", out.output);
    }

    #[test]
    fn leaves_alone() {
        for t in [
            "# syntax=docker/dockerfile:1\nFROM python\nRUN --mount=type=cache,target=/root/.cache/pip pip install x\n",
            "FROM python\nUSER app\nRUN pip install --user x\n",
            "FROM python\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n",
            "FROM node:18\nONBUILD RUN npm ci\n",
            "FROM node:18\nRUN npm run build\n",
            // the image runs Maven at run time, or copies its repository out
            "FROM maven:3\nRUN mvn dependency:go-offline\nCMD [\"mvn\", \"spring-boot:run\"]\n",
            "FROM maven:3 AS b\nRUN mvn package\nFROM maven:3\nCOPY --from=b /root/.m2 /root/.m2\n",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN pip install x\n",
        ] {
            assert_eq!(count(&CacheMounts, t), 0, "{t}");
        }
    }

    #[test]
    fn an_apt_run_the_model_cannot_edit_still_gets_the_mounts() {
        assert_eq!(
            f("# syntax=docker/dockerfile:1\nFROM debian:12\nRUN if true; then apt-get update; fi\n"),
            "# syntax=docker/dockerfile:1\nFROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists --mount=type=cache,target=/var/cache/apt,sharing=locked if true; then apt-get update; fi\n"
        );
    }
}
