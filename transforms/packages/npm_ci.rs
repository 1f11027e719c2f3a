//! DP108 npm-ci
use serde_json::Value;

use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Word};
use crate::syntax::Kind;
use crate::transforms::common::{
    any_in_scope,
    base_image, context_file, dir_flag, operands, package_json_beside, run_commands_incl, work_subdir, ContextFile, InnerScripts, RunCommand,
};

pub struct NpmCi;

static META: RuleMeta = RuleMeta {
    code: "DP108",
    name: "npm-ci",
    summary: "`npm install` of a project's dependencies: use `npm ci`, which installs exactly what the lockfile says",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `npm install` (or `npm i`, `npm add` and npm's other spellings of it) without package
names, flags allowed, in RUN instructions (heredoc scripts, ONBUILD RUN and `sh -c '...'`
strings included), and replaces `install` with `ci`. Flags that `npm ci` takes are kept as
they are (`--production`, `--only=production`, `--omit=dev`, `--ignore-scripts`,
`--legacy-peer-deps`, `--no-audit`, `--prefix dir`, ...).

## Why
`npm install` resolves the dependency ranges of `package.json` again and may install other
versions than the lockfile names, and rewrites the lockfile. `npm ci` installs exactly what
`package-lock.json` (or `npm-shrinkwrap.json`) says, fails when it does not match
`package.json`, and is faster: the image is reproducible.

## Example
```dockerfile
COPY package.json package-lock.json ./
RUN npm install --production
```
becomes
```dockerfile
COPY package.json package-lock.json ./
RUN npm ci --production
```

## Not flagged
- `npm install <package>` (installs something else than the project's lockfile);
- `npm install -g`, `--package-lock-only`, `--no-package-lock`, `--package-lock=false`
  (no lockfile is meant to be used);
- exec-form RUN.

## Fix safety
`npm ci` fails when there is no lockfile, so dopt looks at the build context:
- Safe when the lockfile is in the context, a COPY/ADD before the RUN (or a bind mount of the
  RUN) brings it in, `.dockerignore` does not leave it out, and it agrees with the
  `package.json` beside it (the dependency lists of `package.json` equal those the lockfile
  recorded; for an old v1 lockfile every dependency is in it). A v3 lockfile also needs npm 7
  or later: an official `node` image of Node.js 15 or later.
- Unsafe (applied with `--unsafe-fixes`; the message says why) when there is no build context
  to look at (also for ONBUILD, which runs in another build's context), when the lockfile may be out of date, when the project has workspaces (not
  checked), or when an earlier step already put packages into `node_modules` (`npm ci` deletes
  it first).
- No fix when the context is known and has no lockfile, or the lockfile is not copied before
  the RUN: `npm ci` would fail. Flags `npm ci` does not take (`--save`, `--global-style`, ...)
  also leave the command as it is.
"#,
};

/// npm's spellings of `install`.
pub(crate) const INSTALL: &[&str] = &["install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"];

/// npm flags whose value may be the next word.
pub(crate) const VALUE_FLAGS: &[&str] = &[
    "--prefix", "-C", "--cache", "--registry", "--loglevel", "--omit", "--include", "--only", "--workspace", "-w", "--userconfig", "--globalconfig",
    "--fetch-retries", "--fetch-timeout", "--maxsockets", "--tag", "--before", "--install-strategy", "--script-shell", "--node-options", "--scope",
];

/// Flags that mean no lockfile is meant to be used: not flagged.
const NOT_LOCKFILE: &[&str] = &["-g", "--global", "--location", "--package-lock-only", "--no-package-lock", "--package-lock", "--no-shrinkwrap", "--shrinkwrap"];

/// Flags `npm ci` takes as `npm install` does.
const CI_FLAGS: &[&str] = &[
    "--production", "--only", "--omit", "--include", "--ignore-scripts", "--no-audit", "--audit", "--no-fund", "--fund", "--legacy-peer-deps",
    "--strict-peer-deps", "--no-optional", "--optional", "--loglevel", "--silent", "-s", "--quiet", "-q", "--verbose", "-d", "-dd", "-ddd",
    "--unsafe-perm", "--registry", "--prefix", "-C", "--progress", "--no-progress", "--foreground-scripts", "--cache", "--prefer-offline", "--offline",
    "--prefer-online", "--update-notifier", "--no-update-notifier", "--install-links", "--force", "-f", "--workspace", "-w", "--workspaces", "-ws",
    "--include-workspace-root", "--bin-links", "--no-bin-links", "--engine-strict", "--build-from-source", "--userconfig", "--globalconfig",
    "--fetch-retries", "--fetch-timeout", "--maxsockets", "--color", "--no-color", "--no-save", "--script-shell", "--node-options", "--before",
    "--install-strategy", "--dry-run", "--timing", "--no-package-lock-only", "--unicode", "--no-unicode",
];

impl Rule for NpmCi {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let Some(sub) = npm_install_project(rc.cmd) else { continue };
            let flags: Vec<&Word> = rc.cmd.argv()[1..].iter().filter(|w| w.text.starts_with('-') && w.text.len() > 1).collect();
            if flags.iter().any(|w| NOT_LOCKFILE.iter().any(|f| flag_is(&w.text, f))) {
                continue;
            }
            let base = "`npm install` of the project: use `npm ci`";
            let odd: Vec<&str> = flags.iter().filter(|w| !CI_FLAGS.iter().any(|f| flag_is(&w.text, f))).map(|w| w.text.as_str()).collect();
            let why_not: Option<String> = match rc.opaque() {
                Some(r) => Some(r.to_string()),
                None => odd.first().map(|f| format!("`{f}` has no `npm ci` equivalent")),
            };
            if let Some(w) = why_not {
                out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{base} (no fix: {w})"), None));
                continue;
            }
            let sub_dir = work_subdir(&rc, dir_flag(rc.cmd, &["--prefix", "-C"], &["--prefix"]));
            let edit = vec![Edit::replace(sub.range.clone(), "ci")];
            let (msg, fix) = match context_file(cx, rc.ins, &["npm-shrinkwrap.json", "package-lock.json"], &sub_dir) {
                ContextFile::Unknown => (
                    format!("{base} (unsafe: the build context could not be checked for a lockfile; `npm ci` fails without one)"),
                    Some(Fix::unsafe_(edit)),
                ),
                ContextFile::Missing => (format!("{base} (no fix: no package-lock.json in the build context, so `npm ci` would fail; commit one)"), None),
                ContextFile::NotCopied(p) => (format!("{base} (no fix: `{p}` is not copied into the image before this RUN, so `npm ci` would fail)"), None),
                ContextFile::Copied(p) => match lock_agrees(cx, rc.ins, &p).and_then(|_| node_modules_untouched(cx, &rc)) {
                    Ok(()) => (base.to_string(), Some(Fix::safe(edit))),
                    Err(why) => (format!("{base} (unsafe: {why})"), Some(Fix::unsafe_(edit))),
                },
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, fix));
        }
    }
}

/// Whether argument `arg` is flag `f` (`--f` or `--f=value`).
fn flag_is(arg: &str, f: &str) -> bool {
    arg == f || arg.strip_prefix(f).is_some_and(|r| r.starts_with('='))
}

/// The `install` word of `npm install` with no package names.
pub(crate) fn npm_install_project(cmd: &Command) -> Option<&Word> {
    if cmd.program() != Some("npm") {
        return None;
    }
    let ops = operands(cmd, VALUE_FLAGS);
    match ops.as_slice() {
        [sub] if INSTALL.contains(&sub.text.as_str()) => Some(sub),
        _ => None,
    }
}

/// Whether the lockfile at context path `lock` agrees with the `package.json` beside it.
fn lock_agrees(cx: &Context, i: usize, lock: &str) -> Result<(), String> {
    let pkg = package_json_beside(cx, lock)?;
    let lk: Value = cx.build.read(lock).and_then(|t| serde_json::from_str(&t).ok()).ok_or(format!("`{lock}` could not be read"))?;
    if pkg.get("workspaces").is_some() {
        return Err("the project has workspaces, which dopt does not check against the lockfile".into());
    }
    let version = lk.get("lockfileVersion").and_then(Value::as_u64).unwrap_or(1);
    if version >= 3 && !npm7_or_later(base_image(cx, i).as_deref()) {
        return Err(format!("`{lock}` is a v3 lockfile, which npm 6 and older (Node.js 14 and older) cannot install from, and the base image may have such an npm"));
    }
    let empty = serde_json::Map::new();
    let kinds = ["dependencies", "devDependencies", "optionalDependencies"];
    if version >= 2 {
        let root = lk.pointer("/packages/").and_then(Value::as_object).ok_or(format!("`{lock}` has no root package entry"))?;
        for k in kinds {
            let a = pkg.get(k).and_then(Value::as_object).unwrap_or(&empty);
            let b = root.get(k).and_then(Value::as_object).unwrap_or(&empty);
            if a != b {
                return Err(format!("`{lock}` may be out of date with package.json ({k} differ), and `npm ci` fails then"));
            }
        }
    } else {
        let deps = lk.get("dependencies").and_then(Value::as_object).unwrap_or(&empty);
        for k in kinds {
            for name in pkg.get(k).and_then(Value::as_object).unwrap_or(&empty).keys() {
                if !deps.contains_key(name) {
                    return Err(format!("`{lock}` may be out of date with package.json (no `{name}`), and `npm ci` fails then"));
                }
            }
        }
    }
    Ok(())
}

/// Whether the base image is an official Node.js image whose npm is 7 or later (Node.js 15 or
/// later, or a tag naming no version: the current releases).
pub(crate) fn npm7_or_later(base: Option<&str>) -> bool {
    let Some(b) = base else { return false };
    let Some(tag) = b.strip_prefix("node:").or((b == "node").then_some("")) else { return false };
    match tag.split(['.', '-']).next().unwrap_or("").parse::<u32>() {
        Ok(major) => major >= 15,
        // `lts`, `current`, `alpine`, `slim`, `bookworm`, `latest`, or no tag; old code names
        // (`argon` .. `fermium`) are Node.js 14 and older
        Err(_) => !["argon", "boron", "carbon", "dubnium", "erbium", "fermium"].iter().any(|n| tag.starts_with(n)),
    }
}

/// Err when an earlier step of the stage already put packages into `node_modules`, which
/// `npm ci` deletes first: an `npm install <pkg>`, or a COPY of `node_modules`.
fn node_modules_untouched(cx: &Context, rc: &RunCommand) -> Result<(), String> {
    let err = || Err("`npm ci` first deletes node_modules, which an earlier step filled".to_string());
    let fills = |c: &Command| {
        c.program() == Some("npm")
            && operands(c, VALUE_FLAGS).first().is_some_and(|s| INSTALL.contains(&s.text.as_str()))
            && npm_install_project(c).is_none()
            && !c.has_flag(&["-g", "--global"])
    };
    // the instructions that fill node_modules, found once per file
    struct Fills(Vec<usize>);
    let filling = cx.memo(|| {
        Fills(
            (0..cx.file.instructions.len())
                .filter(|&j| {
                    let n = cx.file.instructions[j].effective();
                    match n.kind {
                        Kind::Copy | Kind::Add => n.values.iter().any(|v| v.contains("node_modules")),
                        Kind::Run => cx.scripts(j).iter().any(|s| s.commands.iter().any(fills)),
                        _ => false,
                    }
                })
                .collect(),
        )
    });
    if any_in_scope(cx, rc.ins, &filling.0) {
        return err();
    }
    for c in &rc.script.commands {
        if std::ptr::eq(c, rc.cmd) {
            break;
        }
        if fills(c) {
            return err();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{context, count, fix, fix_with};

    const PKG: &str = r#"{"name":"a","dependencies":{"express":"^4.18.0"}}"#;
    const LOCK: &str = r#"{"lockfileVersion":3,"packages":{"":{"name":"a","dependencies":{"express":"^4.18.0"}}}}"#;
    const STALE: &str = r#"{"lockfileVersion":3,"packages":{"":{"name":"a","dependencies":{"express":"^4.17.0"}}}}"#;

    fn safe(ctx: &[(&str, &str)], text: &str) -> String {
        let (_d, b) = context(ctx);
        fix_with(&NpmCi, text, false, &b)
    }
    fn unsafe_(ctx: &[(&str, &str)], text: &str) -> String {
        let (_d, b) = context(ctx);
        fix_with(&NpmCi, text, true, &b)
    }

    #[test]
    fn safe_with_a_copied_lockfile() {
        let ok = [("package.json", PKG), ("package-lock.json", LOCK)];
        assert_eq!(safe(&ok, "FROM node\nCOPY package*.json ./\nRUN npm install\n"), "FROM node\nCOPY package*.json ./\nRUN npm ci\n");
        assert_eq!(safe(&ok, "FROM node\nCOPY . .\nRUN npm i --production\n"), "FROM node\nCOPY . .\nRUN npm ci --production\n");
        assert_eq!(
            safe(&ok, "FROM node\nCOPY package.json package-lock.json ./\nRUN npm install --only=production --no-audit && npm run build\n"),
            "FROM node\nCOPY package.json package-lock.json ./\nRUN npm ci --only=production --no-audit && npm run build\n"
        );
        assert_eq!(
            safe(&ok, "FROM node\nRUN --mount=type=bind,target=. npm install\n"),
            "FROM node\nRUN --mount=type=bind,target=. npm ci\n"
        );
        let sub = [("web/package.json", PKG), ("web/package-lock.json", LOCK)];
        assert_eq!(safe(&sub, "FROM node\nCOPY . .\nRUN cd web && npm install\n"), "FROM node\nCOPY . .\nRUN cd web && npm ci\n");
        assert_eq!(safe(&sub, "FROM node\nCOPY web/package*.json ./\nRUN npm install\n"), "FROM node\nCOPY web/package*.json ./\nRUN npm ci\n");
        assert_eq!(
            safe(&ok, "FROM node\nCOPY . .\nRUN <<EOF\nnpm install\nEOF\n"),
            "FROM node\nCOPY . .\nRUN <<EOF\nnpm ci\nEOF\n"
        );
    }

    #[test]
    fn unsafe_where_it_may_fail() {
        // no context
        let s = "FROM node\nCOPY . .\nRUN npm install\n";
        assert_eq!(fix(&NpmCi, s), s);
        assert_eq!(fix_with(&NpmCi, s, true, &BuildContext::default()), "FROM node\nCOPY . .\nRUN npm ci\n");
        // stale lockfile
        let stale = [("package.json", PKG), ("package-lock.json", STALE)];
        assert_eq!(safe(&stale, s), s);
        assert_eq!(unsafe_(&stale, s), "FROM node\nCOPY . .\nRUN npm ci\n");
        // a v3 lockfile where npm may be too old
        let ok = [("package.json", PKG), ("package-lock.json", LOCK)];
        let old = "FROM node:14-alpine\nCOPY . .\nRUN npm install\n";
        assert_eq!(safe(&ok, old), old);
        assert_eq!(unsafe_(&ok, old), "FROM node:14-alpine\nCOPY . .\nRUN npm ci\n");
        let deb = "FROM debian:12\nCOPY . .\nRUN npm install\n";
        assert_eq!(safe(&ok, deb), deb);
        assert_eq!(safe(&ok, "FROM node:lts-slim\nCOPY . .\nRUN npm install\n"), "FROM node:lts-slim\nCOPY . .\nRUN npm ci\n");
        // node_modules filled before
        let ok = [("package.json", PKG), ("package-lock.json", LOCK)];
        let t = "FROM node\nCOPY . .\nRUN npm install typescript && npm install\n";
        assert_eq!(safe(&ok, t), t);
        assert_eq!(unsafe_(&ok, t), "FROM node\nCOPY . .\nRUN npm install typescript && npm ci\n");
    }

    #[test]
    fn no_fix_when_it_would_fail() {
        let ok = [("package.json", PKG), ("package-lock.json", LOCK)];
        // the lockfile is not copied
        let s = "FROM node\nCOPY package.json ./\nRUN npm install\n";
        assert_eq!(unsafe_(&ok, s), s);
        // left out by .dockerignore
        let ig = [("package.json", PKG), ("package-lock.json", LOCK), (".dockerignore", "node_modules\n*.json\n!package.json\n")];
        let s = "FROM node\nCOPY . .\nRUN npm install\n";
        assert_eq!(unsafe_(&ig, s), s);
        // no lockfile at all
        assert_eq!(unsafe_(&[("package.json", PKG)], s), s);
        // a flag npm ci does not take
        assert_eq!(unsafe_(&ok, "FROM node\nCOPY . .\nRUN npm install --global-style\n"), "FROM node\nCOPY . .\nRUN npm install --global-style\n");
        let (_d, b) = context(&[("package.json", PKG)]);
        let f = crate::syntax::parse(s).unwrap();
        let d = crate::engine::check(&f, &[&NpmCi], &b);
        assert!(d[0].message.contains("no package-lock.json"), "{}", d[0].message);
        assert!(d[0].fix.is_none());
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM node\nRUN npm install express\n",
            "FROM node\nRUN npm install -g npm@10\n",
            "FROM node\nRUN npm install --package-lock-only\n",
            "FROM node\nRUN npm ci\n",
            "FROM node\nRUN npm run build\n",
            "FROM node\nRUN [\"npm\", \"install\"]\n",
        ] {
            assert_eq!(count(&NpmCi, s), 0, "{s}");
        }
        assert_eq!(count(&NpmCi, "FROM node\nRUN npm install --prefix app\n"), 1);
    }
}
