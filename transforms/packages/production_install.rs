//! DP120 production-install
use serde_json::Value;

use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{self, Command};
use crate::syntax::Kind;
use crate::transforms::common::{base_image, context_file, dir_flag, env_value_before, operands, run_commands_incl, work_subdir, ContextFile, InnerScripts};
use crate::transforms::installs::{classify, Class, Eco};
use crate::transforms::packages::npm_ci::{npm7_or_later, VALUE_FLAGS as NPM_VALUE_FLAGS};
use crate::transforms::packages::yarn_frozen_lockfile::{yarn_berry, yarn_install_at, Berry};

pub struct ProductionInstall;

static META: RuleMeta = RuleMeta {
    code: "DP120",
    name: "production-install",
    summary: "The final image installs the Node.js devDependencies too: install production dependencies only (`--omit=dev`, yarn `--production`, pnpm `--prod`)",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `npm ci`/`npm install`, `yarn install` (Yarn 1) and `pnpm install` of a project in the
stages that make the final image, when package.json has devDependencies and no later step
builds or tests the project, and adds `--omit=dev` (npm 7 and later; `--production` for an
official `node` image of Node.js 14 or older), `--production` (yarn) or `--prod` (pnpm).

## Why
devDependencies (compilers, test runners, linters, type definitions) are needed to build and
test, not to run. In the final image they are often most of `node_modules`: tens or hundreds
of megabytes, and more packages to patch.

## Example
```dockerfile
FROM node:18-slim
COPY package*.json ./
RUN npm ci
COPY . .
CMD ["node", "server.js"]
```
becomes
```dockerfile
RUN npm ci --omit=dev
```

## Not flagged
- installs in a builder stage that the final image only copies from (only the final image's
  stages matter), ONBUILD RUN;
- a later step that builds or tests: `npm run ...`, `npm test`, `npx`, `yarn <script>`,
  `pnpm run ...` in a later RUN of the final image's stages, or after the install in its RUN;
- installs that already leave devDependencies out (`--omit=dev`, `--production`, `--only=prod`,
  `--prod`), or where `NODE_ENV=production` is set (npm, yarn and pnpm then skip them), or that
  ask for them (`--include=dev`);
- a package.json with no devDependencies; Yarn 2+, whose production installs are a plugin's
  `yarn workspaces focus --production`.

## Fix safety
Safe when dopt reads package.json and sees that nothing later uses a devDependency: no later
RUN names one (or a program it installs, such as `tsc` for typescript), the start command
(CMD/ENTRYPOINT, and the package.json script that `npm start` or `npm run` runs) names none, and
no install lifecycle script (`preinstall`, `install`, `postinstall`, `prepare`) does. Unsafe
(the message says why) when one does, or when package.json cannot be read (no build context).
"#,
};

/// Programs devDependencies install under another name than the package's.
const BINS: &[(&str, &str)] = &[
    ("typescript", "tsc"),
    ("typescript", "tsserver"),
    ("webpack-cli", "webpack"),
    ("@nestjs/cli", "nest"),
    ("@babel/cli", "babel"),
    ("@babel/node", "babel-node"),
    ("npm-run-all", "run-s"),
    ("npm-run-all", "run-p"),
    ("@angular/cli", "ng"),
    ("@vue/cli-service", "vue-cli-service"),
    ("react-scripts", "react-scripts"),
    ("@swc/cli", "swc"),
];

impl Rule for ProductionInstall {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let chain = cx.model.final_chain();
        let inner = InnerScripts::of(cx);
        let cmds = run_commands_incl(cx, &inner);
        for (k, rc) in cmds.iter().enumerate() {
            if cx.file.instructions[rc.ins].node.trigger.is_some() || !cx.model.stage_of(rc.ins).is_some_and(|s| chain.contains(&s.index)) {
                continue;
            }
            let Class::Install(inst) = classify(rc.cmd) else { continue };
            if !inst.eco.is_node() || inst.files.first().is_some_and(|f| f.ends_with("pnpm-lock.yaml")) {
                continue;
            }
            if already_production(cx, rc.ins, rc.cmd, inst.eco) {
                continue;
            }
            let sub_dir = match inst.eco {
                Eco::Npm => work_subdir(rc, dir_flag(rc.cmd, &["--prefix", "-C"], &["--prefix"])),
                Eco::Yarn => work_subdir(rc, dir_flag(rc.cmd, &["--cwd"], &["--cwd"])),
                _ => work_subdir(rc, dir_flag(rc.cmd, &["--dir", "-C"], &["--dir"])),
            };
            if inst.eco == Eco::Yarn && yarn_berry(cx, rc.ins, &sub_dir) != Berry::No {
                continue;
            }
            // later steps of the final image: the rest of this RUN, then later RUNs
            let later: Vec<&Command> = cmds[k + 1..].iter().filter(|x| cx.model.stage_of(x.ins).is_some_and(|s| chain.contains(&s.index))).map(|x| x.cmd).collect();
            if later.iter().any(|c| builds_or_tests(c)) {
                continue;
            }
            let (flag, at) = match inst.eco {
                Eco::Npm => {
                    let old = base_image(cx, rc.ins).is_some_and(|b| (b == "node" || b.starts_with("node:")) && !npm7_or_later(Some(&b)));
                    let sub = operands(rc.cmd, NPM_VALUE_FLAGS).first().map(|w| w.range.end);
                    (if old { "--production" } else { "--omit=dev" }, sub)
                }
                Eco::Yarn => ("--production", yarn_install_at(rc.cmd)),
                _ => ("--prod", operands(rc.cmd, &["--dir", "-C", "--filter", "-F", "--store-dir", "--reporter", "--registry"]).first().map(|w| w.range.end)),
            };
            let Some(at) = at else { continue };
            let prog = rc.cmd.program().unwrap_or("npm");
            let base = format!("`{}` in the final image installs the devDependencies too: add `{flag}`", cx.file.text[rc.cmd.range.clone()].trim());
            if let Some(why) = rc.opaque() {
                out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{base} (no fix: {why})"), None));
                continue;
            }
            let edit = vec![Edit::insert(at, format!(" {flag}"))];
            let pkg = match context_file(cx, rc.ins, &["package.json"], &sub_dir) {
                ContextFile::Copied(p) => cx.build.read(&p).and_then(|t| serde_json::from_str::<Value>(&t).ok()).ok_or(format!("`{p}` could not be read")),
                ContextFile::Unknown => Err("package.json could not be read (no build context), so dopt cannot tell whether a later step uses a devDependency".to_string()),
                ContextFile::Missing | ContextFile::NotCopied(_) => continue,
            };
            let why = match &pkg {
                Err(e) => Some(e.clone()),
                Ok(pkg) => {
                    let dev: Vec<String> = pkg.get("devDependencies").and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default();
                    if dev.is_empty() {
                        continue; // nothing to leave out
                    }
                    dev_use(cx, pkg, &dev, &later, inst.no_scripts, prog)
                }
            };
            let (msg, fix) = match why {
                None => (base, Fix::safe(edit)),
                Some(w) => (format!("{base} (unsafe: {w})"), Fix::unsafe_(edit)),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, Some(fix)));
        }
    }
}

/// Whether the install already leaves devDependencies out, or asks for them.
fn already_production(cx: &Context, i: usize, cmd: &Command, eco: Eco) -> bool {
    let flags: &[&str] = match eco {
        Eco::Npm => &["--omit", "--production", "--only", "--include", "--prod"],
        Eco::Yarn => &["--production", "--prod"],
        _ => &["--prod", "-P", "--production", "--dev", "-D"],
    };
    if cmd.has_flag(flags) {
        return true;
    }
    let env_prod = |v: &str| {
        cmd.assignments.iter().any(|a| a.text.starts_with(&format!("{v}="))) || env_value_before(cx, i, v).is_some()
    };
    env_prod("NODE_ENV") && env_value_before(cx, i, "NODE_ENV").is_none_or(|v| v == "production")
        || ["NPM_CONFIG_OMIT", "npm_config_omit", "NPM_CONFIG_PRODUCTION", "npm_config_production", "YARN_PRODUCTION"].iter().any(|v| env_prod(v))
}

/// Whether a command builds or tests the project (it needs the devDependencies).
fn builds_or_tests(c: &Command) -> bool {
    let Some(p) = c.program() else { return false };
    let sub = c.subcommand().map(|w| w.text.as_str());
    match p {
        "npx" => true,
        "npm" => matches!(sub, Some("run" | "run-script" | "rum" | "urn" | "test" | "t" | "tst" | "exec" | "x" | "start")),
        "yarn" => !matches!(sub, None | Some("install" | "add" | "cache" | "global" | "config" | "remove" | "autoclean" | "info" | "why" | "list" | "licenses")),
        "pnpm" => matches!(sub, Some("run" | "test" | "t" | "exec" | "dlx" | "build" | "start")),
        _ => c.argv().first().is_some_and(|w| w.text.contains("node_modules/.bin/")),
    }
}

/// Why a later step, the start command or an install script may use a devDependency (None: no
/// sign of one).
fn dev_use(cx: &Context, pkg: &Value, dev: &[String], later: &[&Command], no_scripts: bool, prog: &str) -> Option<String> {
    let uses = |word: &str| -> Option<String> {
        let w = shell::base(word);
        dev.iter()
            .find(|d| {
                let last = d.rsplit('/').next().unwrap_or(d);
                w == d.as_str() || w == last || word == d.as_str() || word.starts_with(&format!("{d}/")) || BINS.iter().any(|(pk, bin)| pk == d && *bin == w)
            })
            .cloned()
    };
    for c in later {
        for w in c.argv() {
            if let Some(d) = uses(&w.text) {
                return Some(format!("`{}` uses the devDependency `{d}`", c.argv().iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")));
            }
        }
    }
    let scripts = pkg.get("scripts").and_then(Value::as_object);
    let script_uses = |name: &str| -> Option<String> {
        let s = scripts?.get(name)?.as_str()?;
        s.split(|c: char| c.is_whitespace() || "&|;()'\"=".contains(c)).find_map(|w| uses(w).map(|d| format!("the `{name}` script (`{s}`) uses the devDependency `{d}`")))
    };
    if !no_scripts {
        for s in ["preinstall", "install", "postinstall", "prepare"] {
            if let Some(w) = script_uses(s) {
                return Some(w);
            }
        }
    }
    // the start command of the final image: its last ENTRYPOINT and CMD
    let chain = cx.model.final_chain();
    let mut start: [Option<usize>; 2] = [None, None];
    for (i, ins) in cx.file.instructions.iter().enumerate() {
        if ins.node.trigger.is_none() && cx.model.stage_of(i).is_some_and(|s| chain.contains(&s.index)) {
            match ins.node.kind {
                Kind::Entrypoint => start[0] = Some(i),
                Kind::Cmd => start[1] = Some(i),
                _ => {}
            }
        }
    }
    let start_words: Vec<String> =
        start.iter().flatten().flat_map(|&i| cx.file.instructions[i].node.values.iter().flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())).collect();
    for w in &start_words {
        if let Some(d) = uses(w) {
            return Some(format!("the start command uses the devDependency `{d}`"));
        }
    }
    // `npm start`, `npm run x`, `yarn x`: the script it runs
    let runs_script = start_words.iter().position(|w| matches!(w.as_str(), "npm" | "yarn" | "pnpm") || w == prog).map(|k| {
        let rest: Vec<&str> = start_words[k + 1..].iter().map(String::as_str).filter(|w| !w.starts_with('-')).collect();
        match rest.as_slice() {
            ["run" | "run-script", name, ..] => name.to_string(),
            ["start", ..] | [] => "start".to_string(),
            [name, ..] => name.to_string(),
        }
    });
    if let Some(name) = runs_script {
        for n in [format!("pre{name}"), name.clone(), format!("post{name}")] {
            if let Some(w) = script_uses(&n) {
                return Some(w);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{context, fix_with};

    const PKG: &str = r#"{"name":"a","scripts":{"start":"node server.js","build":"tsc","dev":"nodemon server.js"},"dependencies":{"express":"4"},"devDependencies":{"typescript":"5","nodemon":"3"}}"#;

    fn run(files: &[(&str, &str)], text: &str, unsafe_fixes: bool) -> String {
        let (_d, b) = context(files);
        fix_with(&ProductionInstall, text, unsafe_fixes, &b)
    }
    fn messages(files: &[(&str, &str)], text: &str) -> Vec<String> {
        let (_d, b) = context(files);
        let f = crate::syntax::parse(text).unwrap();
        crate::engine::check(&f, &[&ProductionInstall], &b).into_iter().map(|d| d.message).collect()
    }
    const CTX: &[(&str, &str)] = &[("package.json", PKG), ("package-lock.json", "{}")];

    #[test]
    fn adds_the_flag() {
        assert_eq!(
            run(CTX, "FROM node:18-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD [\"node\", \"server.js\"]\n", false),
            "FROM node:18-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"
        );
        // npm 6 (Node.js 14) knows `--production`, not `--omit`
        assert_eq!(
            run(CTX, "FROM node:14\nCOPY . .\nRUN npm install --no-audit && npm cache clean --force\nCMD npm start\n", false),
            "FROM node:14\nCOPY . .\nRUN npm install --production --no-audit && npm cache clean --force\nCMD npm start\n"
        );
        let y = [("package.json", PKG), ("yarn.lock", "")];
        assert_eq!(run(&y, "FROM node:18\nCOPY . .\nRUN yarn install --frozen-lockfile\nCMD [\"node\", \"server.js\"]\n", false), "FROM node:18\nCOPY . .\nRUN yarn install --production --frozen-lockfile\nCMD [\"node\", \"server.js\"]\n");
        assert_eq!(run(&y, "FROM node:18\nCOPY . .\nRUN yarn\n", false), "FROM node:18\nCOPY . .\nRUN yarn --production\n");
        assert_eq!(run(CTX, "FROM node:18\nCOPY . .\nRUN pnpm install --frozen-lockfile\n", false), "FROM node:18\nCOPY . .\nRUN pnpm install --prod --frozen-lockfile\n");
    }

    #[test]
    fn unsafe_when_a_devdependency_is_used() {
        // the start script runs nodemon
        let t = "FROM node:18\nCOPY . .\nRUN npm ci\nCMD [\"npm\", \"run\", \"dev\"]\n";
        assert_eq!(run(CTX, t, false), t);
        assert_eq!(run(CTX, t, true), "FROM node:18\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"npm\", \"run\", \"dev\"]\n");
        assert!(messages(CTX, t)[0].contains("the `dev` script (`nodemon server.js`) uses the devDependency `nodemon`"), "{:?}", messages(CTX, t));
        // a later RUN runs tsc
        let t = "FROM node:18\nCOPY . .\nRUN npm ci\nRUN tsc -p .\nCMD [\"node\", \"dist/server.js\"]\n";
        assert!(messages(CTX, t)[0].contains("`tsc -p .` uses the devDependency `typescript`"), "{:?}", messages(CTX, t));
        // a prepare script
        let p = [("package.json", r#"{"scripts":{"prepare":"husky install"},"devDependencies":{"husky":"8"}}"#)];
        assert!(messages(&p, "FROM node:18\nCOPY . .\nRUN npm ci\n")[0].contains("`prepare`"));
        assert_eq!(run(&p, "FROM node:18\nCOPY . .\nRUN npm ci --ignore-scripts\n", false), "FROM node:18\nCOPY . .\nRUN npm ci --omit=dev --ignore-scripts\n");
        // no context
        let t = "FROM node:18\nCOPY . .\nRUN npm ci\n";
        assert_eq!(fix_with(&ProductionInstall, t, false, &BuildContext::default()), t);
        assert_eq!(fix_with(&ProductionInstall, t, true, &BuildContext::default()), "FROM node:18\nCOPY . .\nRUN npm ci --omit=dev\n");
    }

    #[test]
    fn leaves_alone() {
        for t in [
            // a later build step
            "FROM node:18\nCOPY . .\nRUN npm ci && npm run build\n",
            "FROM node:18\nCOPY . .\nRUN npm ci\nRUN npm test\n",
            "FROM node:18\nCOPY . .\nRUN yarn install\nRUN yarn build\n",
            // already production
            "FROM node:18\nCOPY . .\nRUN npm ci --omit=dev\n",
            "FROM node:18\nCOPY . .\nRUN npm ci --only=production\n",
            "FROM node:18\nENV NODE_ENV=production\nCOPY . .\nRUN npm ci\n",
            "FROM node:18\nCOPY . .\nRUN npm ci --include=dev\n",
            // a builder stage the final image copies from
            "FROM node:18 AS build\nCOPY . .\nRUN npm ci\nFROM node:18-slim\nCOPY --from=build /app /app\n",
            // ONBUILD
            "FROM node:18\nONBUILD COPY . .\nONBUILD RUN npm ci\n",
            // the lockfile is not copied
            "FROM node:18\nCOPY server.js .\nRUN npm ci\n",
        ] {
            assert!(messages(CTX, t).is_empty(), "{t}: {:?}", messages(CTX, t));
        }
        // no devDependencies
        assert!(messages(&[("package.json", r#"{"dependencies":{"a":"1"}}"#)], "FROM node:18\nCOPY . .\nRUN npm ci\n").is_empty());
        // the final stage built FROM the installing stage counts
        let t = "FROM node:18 AS deps\nCOPY . .\nRUN npm ci\nFROM deps\nCMD [\"node\", \"server.js\"]\n";
        assert_eq!(messages(CTX, t).len(), 1);
    }
}
