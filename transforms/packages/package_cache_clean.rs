//! DP110 package-cache-clean
use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::syntax::Node;
use crate::transforms::common::{append_blocker, append_command, cd_subdir, env_value_before, mount_targets, mounts, operands, per_run, run_commands_incl, sudo_prefix, InnerScripts, RunCommand};
use crate::transforms::packages::yarn_frozen_lockfile::{yarn_berry, Berry, VALUE_FLAGS as YARN_VALUE_FLAGS};

pub struct PackageCacheClean;

static META: RuleMeta = RuleMeta {
    code: "DP110",
    name: "package-cache-clean",
    summary: "yarn and npm keep their download cache in the image: clean it in the same RUN",
    fix: FixKind::Safe,
    hadolint: &["DL3060"],
    docs: r#"## What it does
After the last `yarn install` (also bare `yarn`, `yarn add`, `yarn global add`) of a RUN
with no `yarn cache clean` after it, appends `yarn cache clean` to the same RUN. After the
last `npm install` / `npm i` / `npm ci` / `npm update` of a RUN with no `npm cache clean`
after it, appends `npm cache clean --force`. The new command is chained with `&&` right
after the install, in the RUN's own continuation style (heredoc scripts get it on a line of
its own); under `sudo` it runs under `sudo` too.

## Why
yarn keeps every package it downloads in `/usr/local/share/.cache/yarn` (or
`~/.cache/yarn`), npm in `~/.npm/_cacache`: often as big as `node_modules` itself, and
useless in the image.

## Example
```dockerfile
RUN yarn install --frozen-lockfile && yarn build
```
becomes
```dockerfile
RUN yarn install --frozen-lockfile && yarn cache clean && yarn build
```

## Not flagged
- a `yarn cache clean` / `npm cache clean` (or an `rm -rf` of the cache directory) already
  follows the last install in the RUN;
- the RUN has a BuildKit cache mount on the cache (a target naming yarn or npm, or the
  directory `YARN_CACHE_FOLDER` / `npm_config_cache` names): cleaning would empty the
  cache the mount is there to keep;
- exec-form RUN.

## Fix safety
Safe: the caches only hold downloaded archives; `node_modules` and globally installed
packages stay. Reported without a fix: Yarn 2+ (berry; its cache may be where Plug'n'Play
reads packages from, so cleaning it breaks the app: use a cache mount instead), an install
with its own `--cache-folder`/`--cache`, and commands dopt cannot safely chain after (piped,
in the background, followed by `||`, in a `for` loop or `$(...)`).
"#,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Yarn,
    Npm,
}

impl Rule for PackageCacheClean {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let all = run_commands_incl(cx, &inner);
        for cmds in per_run(&all) {
            for tool in [Tool::Yarn, Tool::Npm] {
                check_run(cx, cmds, tool, out);
            }
        }
    }
}

fn check_run(cx: &Context, cmds: &[RunCommand], tool: Tool, out: &mut Vec<Diagnostic>) {
    let Some(last) = cmds.iter().filter(|rc| installs(rc.cmd, tool)).max_by_key(|rc| rc.cmd.range.start) else { return };
    if cmds.iter().any(|rc| rc.cmd.range.start > last.cmd.range.start && cleans(rc.cmd, tool)) {
        return;
    }
    let node = cx.file.instructions[last.ins].effective();
    if cache_mounted(cx, last.ins, node, tool) {
        return;
    }
    let (prog, clean, flags) = match tool {
        Tool::Yarn => ("yarn", "yarn cache clean", YARN_VALUE_FLAGS),
        Tool::Npm => ("npm", "npm cache clean --force", NPM_VALUE_FLAGS),
    };
    let ops: Vec<&str> = operands(last.cmd, flags).iter().take(2).map(|w| w.text.as_str()).collect();
    let what = match ops.as_slice() {
        ["global", "add"] => format!("{prog} global add"),
        [] => prog.to_string(),
        [first, ..] => format!("{prog} {first}"),
    };
    let mut why_not: Option<String> = append_blocker(last).map(str::to_string);
    if why_not.is_none() && last.cmd.has_flag(&["--cache-folder", "--cache"]) {
        why_not = Some("it uses its own cache directory".into());
    }
    if why_not.is_none() && tool == Tool::Yarn {
        if let Berry::Yes(r) | Berry::Maybe(r) = yarn_berry(cx, last.ins, &cd_subdir(last).unwrap_or_default()) {
            why_not = Some(format!("{r}; Yarn 2+ may keep the packages themselves in its cache: use a cache mount"));
        }
    }
    let msg = format!("`{what}` without `{}` in the same RUN", clean.trim_end_matches(" --force"));
    match why_not {
        Some(w) => out.push(cx.diag(&META, last.cmd.range.clone(), format!("{msg} (no fix: {w})"), None)),
        None => {
            let e = append_command(cx, last, &format!("{}{clean}", sudo_prefix(cx, last.cmd)));
            out.push(cx.diag(&META, last.cmd.range.clone(), msg, Some(Fix::safe(vec![e]))));
        }
    }
}

const NPM_VALUE_FLAGS: &[&str] = &["--prefix", "-C", "--cache", "--registry", "--loglevel", "--omit", "--include", "--only", "--workspace", "-w", "--userconfig", "--tag"];

/// A command that fills the tool's download cache.
fn installs(c: &Command, tool: Tool) -> bool {
    match tool {
        Tool::Yarn => {
            if c.program() != Some("yarn") {
                return false;
            }
            let ops = operands(c, YARN_VALUE_FLAGS);
            let t: Vec<&str> = ops.iter().map(|w| w.text.as_str()).collect();
            // hadolint DL3060: any argument `install`
            c.argv()[1..].iter().any(|w| w.text == "install") || t.is_empty() || t.first() == Some(&"add") || t.starts_with(&["global", "add"])
        }
        Tool::Npm => {
            c.program() == Some("npm")
                && operands(c, NPM_VALUE_FLAGS).first().is_some_and(|s| {
                    matches!(
                        s.text.as_str(),
                        "install" | "i" | "in" | "ins" | "inst" | "insta" | "instal" | "isnt" | "isnta" | "isntal" | "isntall" | "add" | "ci" | "clean-install" | "install-clean" | "ic" | "update" | "up" | "upgrade"
                    )
                })
        }
    }
}

/// A command that empties the tool's cache.
fn cleans(c: &Command, tool: Tool) -> bool {
    let p = c.program();
    let ops = |flags| operands(c, flags).into_iter().map(|w| w.text.as_str()).collect::<Vec<_>>();
    if p == Some("rm") {
        return c.argv()[1..].iter().any(|w| {
            let t = w.text.as_str();
            match tool {
                Tool::Yarn => t.contains(".cache/yarn") || t.contains("YARN_CACHE_FOLDER") || t.contains("yarn cache dir") || t.contains("yarn-cache"),
                Tool::Npm => t.contains("/.npm") || t.starts_with(".npm") || t.contains("npm_config_cache") || t.contains("npm cache"),
            }
        });
    }
    match tool {
        Tool::Yarn => p == Some("yarn") && ops(YARN_VALUE_FLAGS).starts_with(&["cache", "clean"]),
        Tool::Npm => p == Some("npm") && matches!(ops(NPM_VALUE_FLAGS).as_slice(), ["cache", "clean" | "clear" | "rm", ..]),
    }
}

/// Whether the RUN has a cache mount on the tool's cache.
fn cache_mounted(cx: &Context, i: usize, node: &Node, tool: Tool) -> bool {
    let configured = match tool {
        Tool::Yarn => env_value_before(cx, i, "YARN_CACHE_FOLDER"),
        Tool::Npm => env_value_before(cx, i, "npm_config_cache").or_else(|| env_value_before(cx, i, "NPM_CONFIG_CACHE")),
    };
    mounts(node).any(|kv| {
        if !kv.contains(&"type=cache") {
            return false;
        }
        mount_targets(&kv).into_iter().any(|t| {
            let named = match tool {
                Tool::Yarn => t.contains("yarn"),
                Tool::Npm => t.contains("npm"),
            };
            named || configured.as_deref().is_some_and(|c| c.trim_end_matches('/').starts_with(t.trim_end_matches('/')))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{context, count, fix, fix_with};

    fn f(s: &str) -> String {
        fix(&PackageCacheClean, &format!("FROM node:20\n{s}"))[13..].to_string()
    }

    #[test]
    fn appends_the_clean() {
        assert_eq!(f("RUN yarn install\n"), "RUN yarn install && yarn cache clean\n");
        assert_eq!(f("RUN yarn --frozen-lockfile && yarn build\n"), "RUN yarn --frozen-lockfile && yarn cache clean && yarn build\n");
        assert_eq!(f("RUN yarn global add pm2\n"), "RUN yarn global add pm2 && yarn cache clean\n");
        assert_eq!(f("RUN npm ci --omit=dev\n"), "RUN npm ci --omit=dev && npm cache clean --force\n");
        assert_eq!(f("RUN sudo npm install -g pm2\n"), "RUN sudo npm install -g pm2 && sudo npm cache clean --force\n");
        assert_eq!(
            f("RUN npm ci && yarn install && echo\n"),
            "RUN npm ci && npm cache clean --force && yarn install && yarn cache clean && echo\n"
        );
        // after the last install only
        assert_eq!(f("RUN cd a && yarn && cd ../b && yarn\n"), "RUN cd a && yarn && cd ../b && yarn && yarn cache clean\n");
        assert_eq!(f("ONBUILD RUN yarn install\n"), "ONBUILD RUN yarn install && yarn cache clean\n");
        assert_eq!(f("RUN sh -c 'npm install'\n"), "RUN sh -c 'npm install && npm cache clean --force'\n");
        assert_eq!(f("RUN if [ -f yarn.lock ]; then yarn install; fi\n"), "RUN if [ -f yarn.lock ]; then yarn install && yarn cache clean; fi\n");
    }

    #[test]
    fn follows_the_style() {
        assert_eq!(
            f("RUN apt-get update \\\n    # node deps\n    && yarn install \\\n    && yarn build\n"),
            "RUN apt-get update \\\n    # node deps\n    && yarn install \\\n    && yarn cache clean \\\n    && yarn build\n"
        );
        assert_eq!(f("RUN set -e && \\\n  npm ci\n"), "RUN set -e && \\\n  npm ci && \\\n  npm cache clean --force\n");
        assert_eq!(f("RUN <<EOF\nset -e\nyarn install\nEOF\n"), "RUN <<EOF\nset -e\nyarn install\nyarn cache clean\nEOF\n");
        assert_eq!(
            fix(&PackageCacheClean, "# escape=`\r\nFROM node\r\nRUN npm ci `\r\n  && npm run build\r\n"),
            "# escape=`\r\nFROM node\r\nRUN npm ci `\r\n  && npm cache clean --force `\r\n  && npm run build\r\n"
        );
        assert_eq!(f("RUN yarn install > /dev/null 2>&1\n"), "RUN yarn install > /dev/null 2>&1 && yarn cache clean\n");
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM node\nRUN yarn install && yarn cache clean\n",
            "FROM node\nRUN yarn && yarn build && rm -rf /usr/local/share/.cache/yarn\n",
            "FROM node\nRUN npm ci && npm cache clean --force\n",
            "FROM node\nRUN npm install && rm -rf ~/.npm\n",
            "FROM node\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install\n",
            "FROM node\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
            "FROM node\nENV YARN_CACHE_FOLDER=/cache/y\nRUN --mount=type=cache,target=/cache yarn install\n",
            "FROM node\nRUN yarn build && npm run test\n",
            "FROM node\nRUN [\"yarn\", \"install\"]\n",
        ] {
            assert_eq!(count(&PackageCacheClean, s), 0, "{s}");
        }
    }

    #[test]
    fn reports_without_fix() {
        for s in [
            "FROM node\nRUN yarn install | tee log\n",
            "FROM node\nRUN npm ci || (cat npm-debug.log && exit 1)\n",
            "FROM node\nRUN for d in a b; do (cd $d && yarn); done\n",
            "FROM node\nRUN corepack enable && yarn install\n",
            "FROM node\nRUN yarn install --cache-folder /tmp/yc\n",
        ] {
            assert_eq!(count(&PackageCacheClean, s), 1, "{s}");
            assert_eq!(fix(&PackageCacheClean, s), s, "{s}");
        }
        let (_d, b) = context(&[(".yarnrc.yml", "nodeLinker: pnp\n")]);
        let s = "FROM node\nCOPY . .\nRUN yarn install\n";
        assert_eq!(fix_with(&PackageCacheClean, s, true, &b), s);
    }
}
