//! DP109 yarn-frozen-lockfile
use serde_json::Value;

use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::syntax::Kind;
use crate::transforms::common::{
    any_in_scope,
    context_file, dir_flag, join_path, operands, package_json_beside, run_commands_incl, var_set_before, work_subdir, ContextFile, InnerScripts,
};

pub struct YarnFrozenLockfile;

static META: RuleMeta = RuleMeta {
    code: "DP109",
    name: "yarn-frozen-lockfile",
    summary: "`yarn install` may change the lockfile: add `--frozen-lockfile` (`--immutable` for Yarn 2+)",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `yarn install` and bare `yarn` (flags allowed) in RUN instructions (heredoc scripts,
ONBUILD RUN and `sh -c '...'` strings included) and adds `--frozen-lockfile`, or
`--immutable` when the project uses Yarn 2+ ("berry": `.yarnrc.yml` in the build context,
a `packageManager` of `yarn@2` or later in `package.json`, or a Dockerfile that copies
`.yarnrc.yml` or runs `yarn set version`).

## Why
Without it, yarn resolves ranges that are not in `yarn.lock` anew and writes the lockfile:
the image may get other versions than the ones that were tested. With it, yarn installs what
`yarn.lock` says and fails when the lockfile is out of date.

## Example
```dockerfile
COPY package.json yarn.lock ./
RUN yarn install --production
```
becomes
```dockerfile
COPY package.json yarn.lock ./
RUN yarn install --frozen-lockfile --production
```

## Not flagged
- `--frozen-lockfile` or `--immutable` is there already, or `--no-lockfile`;
- `YARN_FROZEN_LOCKFILE` or `YARN_ENABLE_IMMUTABLE_INSTALLS` is set by ENV/ARG or in front
  of the command;
- `yarn add`, `yarn run` and other subcommands; exec-form RUN.

## Fix safety
- Safe when `yarn.lock` is in the build context, a COPY/ADD before the RUN (or a bind mount of
  the RUN) brings it in, and it has an entry for every dependency of the `package.json` beside
  it.
- Unsafe (applied with `--unsafe-fixes`; the message says why) when there is no build context
  to look at (also for ONBUILD, which runs in another build's context), when `yarn.lock` may be out of date, when the project has workspaces (not
  checked), or when corepack might run a Yarn whose flag is the other one.
- No fix when the context is known and has no `yarn.lock`, or it is not copied before the RUN.
"#,
};

/// yarn flags whose value may be the next word.
pub(crate) const VALUE_FLAGS: &[&str] = &[
    "--cwd", "--modules-folder", "--cache-folder", "--network-timeout", "--mutex", "--registry", "--global-folder", "--link-folder", "--network-concurrency",
    "--preferred-cache-folder", "--use-yarnrc", "--otp", "--https-proxy", "--proxy",
];

impl Rule for YarnFrozenLockfile {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let Some(at) = yarn_install_at(rc.cmd) else { continue };
            if rc.cmd.has_flag(&["--frozen-lockfile", "--immutable", "--no-lockfile"]) {
                continue;
            }
            let env = ["YARN_FROZEN_LOCKFILE", "YARN_ENABLE_IMMUTABLE_INSTALLS"];
            if env.iter().any(|v| var_set_before(cx, rc.ins, v) || rc.cmd.assignments.iter().any(|a| a.text.starts_with(&format!("{v}=")))) {
                continue;
            }
            let sub_dir = work_subdir(&rc, dir_flag(rc.cmd, &["--cwd"], &["--cwd"]));
            let berry = yarn_berry(cx, rc.ins, &sub_dir);
            let flag = if matches!(berry, Berry::Yes(_)) { "--immutable" } else { "--frozen-lockfile" };
            let base = format!("`yarn install` without `{flag}`");
            if let Some(r) = rc.opaque() {
                out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{base} (no fix: {r})"), None));
                continue;
            }
            let edit = vec![Edit::insert(at, format!(" {flag}"))];
            let (msg, fix) = match context_file(cx, rc.ins, &["yarn.lock"], &sub_dir) {
                ContextFile::Unknown => (format!("{base} (unsafe: the build context could not be checked for yarn.lock)"), Some(Fix::unsafe_(edit))),
                ContextFile::Missing => (format!("{base} (no fix: no yarn.lock in the build context; commit one)"), None),
                ContextFile::NotCopied(p) => (format!("{base} (no fix: `{p}` is not copied into the image before this RUN)"), None),
                ContextFile::Copied(p) => match yarn_lock_agrees(cx, &p).and_then(|_| match berry {
                    Berry::Maybe(why) => Err(why.to_string()),
                    _ => Ok(()),
                }) {
                    Ok(()) => (base.clone(), Some(Fix::safe(edit))),
                    Err(why) => (format!("{base} (unsafe: {why})"), Some(Fix::unsafe_(edit))),
                },
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, fix));
        }
    }
}

/// Where a flag goes in `yarn install` (after `install`) or bare `yarn` (after `yarn`).
pub(crate) fn yarn_install_at(cmd: &Command) -> Option<usize> {
    if cmd.program() != Some("yarn") {
        return None;
    }
    let ops = operands(cmd, VALUE_FLAGS);
    match ops.as_slice() {
        [] => Some(cmd.argv()[0].range.end),
        [sub] if sub.text == "install" => Some(sub.range.end),
        _ => None,
    }
}

/// Which Yarn a project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Berry {
    /// Yarn 2+, for this reason.
    Yes(&'static str),
    /// Perhaps Yarn 2+, for this reason.
    Maybe(&'static str),
    /// Yarn 1 as far as can be seen.
    No,
}

/// Whether the RUN at instruction `i` (in `subdir` of its working directory) runs Yarn 2+.
pub(crate) fn yarn_berry(cx: &Context, i: usize, subdir: &str) -> Berry {
    if cx.build.exists(".yarnrc.yml") || cx.build.exists(&join_path(subdir, ".yarnrc.yml")) {
        return Berry::Yes("`.yarnrc.yml` is in the build context (Yarn 2+)");
    }
    for p in [join_path(subdir, "package.json"), "package.json".to_string()] {
        let pm = cx.build.read(&p).and_then(|t| serde_json::from_str::<Value>(&t).ok()).and_then(|v| v.get("packageManager")?.as_str().map(str::to_string));
        if let Some(pm) = pm {
            if let Some(v) = pm.strip_prefix("yarn@") {
                if v.split('.').next().and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| m >= 2) {
                    return Berry::Yes("package.json asks for Yarn 2+");
                }
                return Berry::No;
            }
        }
    }
    // the instructions that set up Yarn 2+, and those that mention corepack, found once per file
    struct Marks {
        berry: Vec<usize>,
        corepack: Vec<usize>,
    }
    let marks = cx.memo(|| {
        let mut m = Marks { berry: Vec::new(), corepack: Vec::new() };
        for (j, ins) in cx.file.instructions.iter().enumerate() {
            if !matches!(ins.effective().kind, Kind::Run | Kind::Copy | Kind::Add | Kind::Env) {
                continue;
            }
            let t = &cx.file.text[ins.range.clone()];
            if t.contains(".yarnrc.yml") || t.contains("yarn set version") || t.contains("yarnPath") || t.contains("YARN_NODE_LINKER") {
                m.berry.push(j);
            }
            if t.contains("corepack") {
                m.corepack.push(j);
            }
        }
        m
    });
    // before `i` in its stage or a stage it is built FROM, or `i` itself
    let seen = |list: &[usize]| any_in_scope(cx, i, list) || list.binary_search(&i).is_ok();
    if seen(&marks.berry) {
        return Berry::Yes("the Dockerfile sets up Yarn 2+");
    }
    if seen(&marks.corepack) {
        return Berry::Maybe("corepack may run Yarn 2+, which wants `--immutable`");
    }
    Berry::No
}

/// Whether `yarn.lock` at context path `lock` has an entry for every dependency of the
/// `package.json` beside it.
fn yarn_lock_agrees(cx: &Context, lock: &str) -> Result<(), String> {
    let pkg = package_json_beside(cx, lock)?;
    let text = cx.build.read(lock).ok_or(format!("`{lock}` could not be read"))?;
    if pkg.get("workspaces").is_some() {
        return Err("the project has workspaces, which dopt does not check against yarn.lock".into());
    }
    let mut keys = std::collections::HashSet::new();
    for line in text.lines() {
        if line.starts_with([' ', '#', '\t']) || !line.ends_with(':') {
            continue;
        }
        for k in line.trim_end_matches(':').split(", ") {
            keys.insert(k.trim().trim_matches('"').to_string());
        }
    }
    for kind in ["dependencies", "devDependencies", "optionalDependencies"] {
        let Some(deps) = pkg.get(kind).and_then(Value::as_object) else { continue };
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or("");
            if !keys.contains(&format!("{name}@{spec}")) && !keys.contains(&format!("{name}@npm:{spec}")) {
                return Err(format!("`{lock}` may be out of date (no entry for `{name}@{spec}`), and the install fails then"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{context, count, fix, fix_with};

    const PKG: &str = r#"{"name":"a","dependencies":{"express":"^4.18.0","@babel/core":"^7.0.0"}}"#;
    const LOCK: &str = "# yarn lockfile v1\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1.0\":\n  version \"7.2.0\"\n\nexpress@^4.18.0:\n  version \"4.18.2\"\n";

    fn run(ctx: &[(&str, &str)], text: &str, unsafe_fixes: bool) -> String {
        let (_d, b) = context(ctx);
        fix_with(&YarnFrozenLockfile, text, unsafe_fixes, &b)
    }

    #[test]
    fn adds_the_flag() {
        let ok = [("package.json", PKG), ("yarn.lock", LOCK)];
        assert_eq!(run(&ok, "FROM node\nCOPY . .\nRUN yarn install\n", false), "FROM node\nCOPY . .\nRUN yarn install --frozen-lockfile\n");
        assert_eq!(run(&ok, "FROM node\nCOPY package.json yarn.lock ./\nRUN yarn\n", false), "FROM node\nCOPY package.json yarn.lock ./\nRUN yarn --frozen-lockfile\n");
        assert_eq!(
            run(&ok, "FROM node\nCOPY . .\nRUN yarn --production --network-timeout 100000 && yarn build\n", false),
            "FROM node\nCOPY . .\nRUN yarn --frozen-lockfile --production --network-timeout 100000 && yarn build\n"
        );
        assert_eq!(
            run(&ok, "FROM node\nCOPY . .\nRUN <<EOF\nyarn install --production\nEOF\n", false),
            "FROM node\nCOPY . .\nRUN <<EOF\nyarn install --frozen-lockfile --production\nEOF\n"
        );
        assert_eq!(run(&ok, "FROM node\nCOPY . .\nRUN sh -c 'yarn install'\n", false), "FROM node\nCOPY . .\nRUN sh -c 'yarn install --frozen-lockfile'\n");
        // ONBUILD runs in another build's context
        let s = "FROM node\nCOPY . .\nONBUILD RUN yarn install\n";
        assert_eq!(run(&ok, s, false), s);
        assert_eq!(run(&ok, s, true), "FROM node\nCOPY . .\nONBUILD RUN yarn install --frozen-lockfile\n");
        // Yarn 2+
        let berry = [("package.json", PKG), ("yarn.lock", "__metadata:\n  version: 6\n\n\"express@npm:^4.18.0\":\n  version: 4.18.2\n\n\"@babel/core@npm:^7.0.0\":\n  version: 7.2.0\n"), (".yarnrc.yml", "nodeLinker: pnp\n")];
        assert_eq!(run(&berry, "FROM node\nCOPY . .\nRUN yarn install\n", false), "FROM node\nCOPY . .\nRUN yarn install --immutable\n");
    }

    #[test]
    fn unsafe_or_no_fix() {
        let s = "FROM node\nCOPY . .\nRUN yarn install\n";
        assert_eq!(fix(&YarnFrozenLockfile, s), s);
        assert_eq!(fix_with(&YarnFrozenLockfile, s, true, &BuildContext::default()), "FROM node\nCOPY . .\nRUN yarn install --frozen-lockfile\n");
        // out of date
        let stale = [("package.json", PKG), ("yarn.lock", "express@^4.18.0:\n  version \"4.18.2\"\n")];
        assert_eq!(run(&stale, s, false), s);
        assert_eq!(run(&stale, s, true), "FROM node\nCOPY . .\nRUN yarn install --frozen-lockfile\n");
        // no yarn.lock, or not copied
        assert_eq!(run(&[("package.json", PKG)], s, true), s);
        let t = "FROM node\nCOPY package.json ./\nRUN yarn install\n";
        assert_eq!(run(&[("package.json", PKG), ("yarn.lock", LOCK)], t, true), t);
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM node\nRUN yarn install --frozen-lockfile\n",
            "FROM node\nRUN yarn install --immutable\n",
            "FROM node\nRUN yarn add express\n",
            "FROM node\nRUN yarn build\n",
            "FROM node\nENV YARN_FROZEN_LOCKFILE=true\nRUN yarn\n",
            "FROM node\nRUN [\"yarn\", \"install\"]\n",
        ] {
            assert_eq!(count(&YarnFrozenLockfile, s), 0, "{s}");
        }
    }
}
