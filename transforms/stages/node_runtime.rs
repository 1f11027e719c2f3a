//! DP404 node-production-runtime
use serde_json::Value;

use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::Command;
use crate::syntax::Kind;
use crate::transforms::common::{env_value_before, run_commands};
use crate::transforms::images::slim_base_image::NODE_NATIVE;
use crate::transforms::packages::apt::Apt;
use crate::transforms::programs::{context_source, cwd_before, join_abs, normalize, workdir_at};
use crate::transforms::stages::split::{
    apt_install_line, apt_split, command_words, copy_from, derived_ref, entry_instructions, json_array, kw, mapped, root_image, tag_release, unsplittable,
    Anchor, Place, Split,
};

pub struct NodeProductionRuntime;

static META: RuleMeta = RuleMeta {
    code: "DP404",
    name: "node-production-runtime",
    summary: "The final image installs Node dependencies on a full `node` image and ships devDependencies: build in a builder stage, run with production dependencies on a small image",
    fix: FixKind::Unsafe,
    hadolint: &[],
    docs: r#"## What it does
When the final stage installs dependencies (`npm ci`, `npm install`, `yarn`, `pnpm install`) on a
full `node` image, splits it in two:

- the `builder` (the original stage, `builder-2`, ... when the name is taken) keeps the full
  install and the build (`npm run build`, `yarn build`, `pnpm build` when the Dockerfile runs
  it), then drops the devDependencies: `npm prune --omit=dev` (`--production` before npm 7),
  `yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline` (Yarn 1),
  `pnpm prune --prod`;
- the runtime, on `node:N-alpine` (default preset, when `package.json` lists no native addon
  and the stage installs no build tools) or `node:N-slim` (glibc preset, or native addons), gets
  `ENV NODE_ENV=production`, the production `node_modules`, and either the application files
  (the stage's COPY instructions again, when nothing is built) or the build output and
  `package.json` (when the Dockerfile builds). The build output is read from the build script:
  `tsc` (tsconfig's `outDir`), `vite build`, `nest build`, `webpack`, `parcel`, `tsup`
  (`dist`), `react-scripts build` (`build`), `next build` (`.next`, and Next.js's standalone
  server when `next.config` asks for `output: 'standalone'`), `babel -d DIR`, `esbuild
  --outdir=DIR`; `public/` is copied when it exists.

`CMD npm start` becomes `CMD ["node", "FILE"]` when `scripts.start` is a plain `node FILE`. apt
packages the stage installs for run time are installed in the runtime too (build-only ones stay
in the builder).

It splits only where there is something to leave behind: devDependencies, a build step, a
native addon compiled with the full image's toolchain, or build-only apt packages. Without any
of them the runtime would hold what the full image's stage holds, and moving the base to the
slim image (DP301) gives the same image in one stage (`examples/node`, express only: 329.1 MB
either way in the image lab).

## Why
`node:18` is about 1 GB of Debian with compilers; `node:18-slim` is about 250 MB and Alpine
about 180 MB, and devDependencies (TypeScript, bundlers, test frameworks) are often most of
`node_modules`.

## Example
```dockerfile
FROM node:18
WORKDIR /app
COPY . .
RUN npm ci
CMD npm start
```
becomes (glibc preset, `"start": "node server.js"`)
```dockerfile
FROM node:18 AS builder
WORKDIR /app
COPY . .
RUN npm ci
RUN npm prune --omit=dev

FROM node:18-slim
ENV NODE_ENV=production
WORKDIR /app
COPY . .
COPY --from=builder /app/node_modules /app/node_modules
CMD ["node", "server.js"]
```

## Not flagged
A final stage on a slim or Alpine image (a file that already copies production dependencies
into a runtime); a stage that installs no dependencies; a stage with nothing to leave behind
(no devDependencies, build, native addon or build-only package: DP301 moves it to the slim
image). Reported with no fix, saying why: no
`package.json` dopt can read, a build whose output dopt cannot name, Yarn 2+ (its production
install needs a plugin), an install in another directory than the final WORKDIR.

## Fix safety
Always unsafe: the runtime has no devDependencies, no compilers or `python3` for node-gyp, and
when the Dockerfile builds, only the build output, `public/`, `package.json` and
`node_modules`: other files the app reads from the source tree are not copied. Alpine uses musl
libc.
"#,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pm {
    Npm,
    Yarn,
    Pnpm,
}

/// The package manager a command installs the project's dependencies with.
fn install_of(cmd: &Command) -> Option<Pm> {
    let prog = cmd.program()?;
    let argv = cmd.argv();
    let ops: Vec<&str> = argv[1..].iter().map(|w| w.text.as_str()).filter(|a| !a.starts_with('-')).collect();
    let global = argv.iter().any(|w| matches!(w.text.as_str(), "-g" | "--global"));
    match prog {
        "npm" => (matches!(ops.first(), Some(&"ci") | Some(&"clean-install")) || matches!(ops.first(), Some(&"install") | Some(&"i")) && ops.len() == 1 && !global).then_some(Pm::Npm),
        "yarn" => (ops.is_empty() || ops == ["install"]).then_some(Pm::Yarn),
        "pnpm" => (matches!(ops.as_slice(), ["install"] | ["i"]) && !global).then_some(Pm::Pnpm),
        _ => None,
    }
}

/// Whether a command runs the `build` script.
fn runs_build(cmd: &Command) -> bool {
    let argv = cmd.argv();
    let ops: Vec<&str> = argv.iter().map(|w| w.text.as_str()).filter(|a| !a.starts_with('-')).collect();
    matches!(ops.as_slice(), ["npm", "run", "build", ..] | ["npm", "run-script", "build", ..] | ["yarn", "build", ..] | ["yarn", "run", "build", ..] | ["pnpm", "build", ..] | ["pnpm", "run", "build", ..])
}

impl Rule for NodeProductionRuntime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(stage) = cx.model.final_stage() else { return };
        let si = stage.index;
        let Some((root, image)) = root_image(cx, si) else { return };
        if image.short_name() != "node" {
            return;
        }
        let Some(tag) = image.tag.clone() else { return };
        if tag.contains("slim") || tag.contains("alpine") || tag.contains("windows") {
            return;
        }
        let cmds = run_commands(cx);
        let in_stage = |i: usize| stage.instructions.contains(&i);
        let installs: Vec<(usize, &Command, Pm)> = cmds.iter().filter(|rc| in_stage(rc.ins)).filter_map(|rc| install_of(rc.cmd).map(|p| (rc.ins, rc.cmd, p))).collect();
        let Some(&(first_i, first_cmd, pm)) = installs.first() else { return };
        let from = &cx.file.instructions[stage.from];
        let range = from.range.start..from.header_end;
        let base = cx.model.stages[root].base_resolved.clone();
        let head = format!("the final image installs Node dependencies on `{base}` and ships its devDependencies and build tools");
        let report = |out: &mut Vec<Diagnostic>, why: String| out.push(cx.diag(&META, range.clone(), format!("{head}; no fix: {why}"), None));
        if let Some(why) = unsplittable(cx, si) {
            return report(out, why);
        }
        // the project directory
        let rc_first = cmds.iter().find(|rc| std::ptr::eq(rc.cmd, first_cmd)).unwrap();
        let Some(pd) = cwd_before(rc_first.script, first_cmd, workdir_at(cx, first_i)) else { return report(out, "the install runs in a directory dopt does not know".into()) };
        let end_wd = workdir_at(cx, stage.instructions.end - 1);
        if end_wd.as_deref() != Some(pd.as_str()) {
            return report(out, format!("the install runs in `{pd}`, not in the final WORKDIR"));
        }
        if !cx.build.is_known() {
            return report(out, "the build context is not visible, so dopt cannot read package.json".into());
        }
        let Some(pj_src) = context_source(cx, first_i, &join_abs(&pd, "package.json")) else { return report(out, "dopt cannot find the package.json the install reads".into()) };
        let Some(pj) = cx.build.read(&pj_src).and_then(|t| serde_json::from_str::<Value>(&t).ok()) else { return report(out, format!("dopt cannot read `{pj_src}`")) };
        let ctx_dir = pj_src.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        let ctx_path = |n: &str| crate::transforms::common::join_path(&ctx_dir, n);
        // the prune command
        let major: Option<u32> = tag.split(['-', '.']).next().and_then(|v| v.parse().ok());
        let prune = match pm {
            Pm::Npm => {
                if major.is_some_and(|m| m < 15) {
                    "npm prune --production".to_string()
                } else {
                    "npm prune --omit=dev".to_string()
                }
            }
            Pm::Yarn => {
                let berry = pj.get("packageManager").and_then(Value::as_str).is_some_and(|p| p.starts_with("yarn@") && !p.starts_with("yarn@1")) || cx.build.exists(&ctx_path(".yarnrc.yml"));
                if berry {
                    return report(out, "Yarn 2+ needs the workspace-tools plugin for a production install".into());
                }
                "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline".to_string()
            }
            Pm::Pnpm => "pnpm prune --prod".to_string(),
        };
        // the build
        let builds: Vec<usize> = cmds.iter().filter(|rc| in_stage(rc.ins) && runs_build(rc.cmd)).map(|rc| rc.ins).collect();
        let script = |n: &str| pj.get("scripts").and_then(|s| s.get(n)).and_then(Value::as_str).map(str::to_string);
        let mut outputs: Vec<String> = Vec::new();
        let mut standalone = false;
        if !builds.is_empty() {
            let Some(b) = script("build") else { return report(out, "the Dockerfile runs a `build` script that package.json does not have".into()) };
            match build_outputs(cx, &b, &ctx_path) {
                Ok((o, s)) => {
                    outputs = o;
                    standalone = s;
                }
                Err(why) => return report(out, why),
            }
        }
        let last_build = installs.iter().map(|(i, _, _)| *i).chain(builds.iter().copied()).max().unwrap();
        // the runtime image
        let native: Vec<&str> = NODE_NATIVE.iter().copied().filter(|n| ["dependencies", "optionalDependencies"].iter().any(|k| pj.get(k).and_then(|d| d.get(n)).is_some())).collect();
        let release = tag_release(&tag).unwrap_or("bookworm");
        let apt = apt_split(cx, si, release, &|_| true);
        let build_tools = !apt.build_only.is_empty();
        // nothing to leave behind (no devDependencies, no build, no native addon to compile, no
        // build-only packages): the slim image itself (DP301) is as small, with one stage
        let dev_deps = pj.get("devDependencies").and_then(Value::as_object).is_some_and(|d| !d.is_empty());
        if !dev_deps && builds.is_empty() && native.is_empty() && !build_tools && apt.unread.is_empty() {
            return;
        }
        let holds = |c: &str| match c {
            "native-addons" => !native.is_empty() || build_tools || !apt.runtime.is_empty(),
            "build-tools" => build_tools,
            "context-unknown" => !cx.build.is_known(),
            "no-shell-needed" => false,
            _ => false,
        };
        let (new_repo, new_tag, mapping) = match mapped(cx, &image, &tag, &holds) {
            Some((r, t, m)) => (r, t, Some(m)),
            None => (None, format!("{tag}-slim"), None),
        };
        let mut split = Split::new(si, derived_ref(cx, root, &image, new_repo.as_deref(), &new_tag));
        let builder = split.builder_name(cx);
        if !standalone {
            split.builder_append.push(format!("{} {prune}", kw(cx, "RUN")));
        }
        if env_value_before(cx, stage.instructions.end - 1, "NODE_ENV").is_none() {
            split.runtime_head.push(format!("{} NODE_ENV=production", kw(cx, "ENV")));
        }
        if !apt.runtime.is_empty() {
            split.runtime_head.push(apt_install_line(cx, &apt.runtime));
        }
        let built = !builds.is_empty();
        let mut moved_runs = Vec::new();
        for i in stage.instructions.clone().skip(1) {
            let ins = &cx.file.instructions[i];
            match ins.kind() {
                Kind::Copy | Kind::Add => split.set(i, if built { Place::Builder } else if i < last_build { Place::Both } else { Place::Runtime }),
                Kind::Run => {
                    let progs: Vec<&Command> = cmds.iter().filter(|rc| rc.ins == i).map(|rc| rc.cmd).collect();
                    if progs.iter().any(|c| install_of(c).is_some() || runs_build(c) || Apt::of(c).is_some() || matches!(c.program(), Some("npm" | "yarn" | "pnpm" | "npx"))) {
                        continue;
                    }
                    if i > last_build {
                        split.set(i, Place::Runtime);
                        moved_runs.push(ins.start_line.to_string());
                    } else if progs.iter().any(|c| matches!(c.program(), Some("useradd" | "adduser" | "groupadd" | "addgroup"))) {
                        split.set(i, Place::Both);
                    }
                }
                _ => {}
            }
        }
        let p = |rel: &str| normalize(&join_abs(&pd, rel));
        if standalone {
            split.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, &builder, &[&p(".next/standalone")], &format!("{}/", pd.trim_end_matches('/')))));
            split.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, &builder, &[&p(".next/static")], &p(".next/static"))));
        } else {
            split.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, &builder, &[&p("node_modules")], &p("node_modules"))));
            if built {
                split.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, &builder, &[&p("package.json")], &p("package.json"))));
                for o in &outputs {
                    split.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, &builder, &[&p(o)], &p(o))));
                }
            }
        }
        if built && cx.build.is_dir(&ctx_path("public")) && !outputs.iter().any(|o| o == "public") {
            split.runtime_lines.push((Anchor::AfterFiles, copy_from(cx, &builder, &[&p("public")], &p("public"))));
        }
        // CMD npm start -> node FILE
        let (ep, cmd) = entry_instructions(cx, si);
        if let (None, Some(c)) = (ep, cmd) {
            let words = command_words(cx, c).unwrap_or_default();
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            if matches!(w.as_slice(), ["npm", "start"] | ["npm", "run", "start"] | ["yarn", "start"] | ["pnpm", "start"]) {
                let entry = if standalone {
                    Some("server.js".to_string())
                } else {
                    script("start").and_then(|s| {
                        let parts: Vec<&str> = s.split_whitespace().collect();
                        (parts.len() == 2 && parts[0] == "node" && !parts[1].starts_with('-') && !parts[1].contains(['$', '&', '|', ';'])).then(|| parts[1].to_string())
                    })
                };
                if let Some(e) = entry {
                    split.runtime_replace.push((c, format!("{} {}", kw(cx, "CMD"), json_array(&["node".to_string(), e]))));
                }
            }
        }
        let mut msg = format!("{head}: build in a `{builder}` stage, keep only production dependencies, and run on `{}`", split.runtime_image);
        if built {
            let mut what: Vec<String> = outputs.iter().map(|o| format!("{o}/")).collect();
            if standalone {
                what = vec![".next/standalone".into(), ".next/static".into()];
            }
            msg.push_str(&format!("; the runtime gets {} from the build", what.join(", ")));
        }
        if !moved_runs.is_empty() {
            msg.push_str(&format!("; the RUN at line {} now runs on the runtime image", moved_runs.join(", ")));
        }
        let mut lacks = vec!["devDependencies".to_string(), "compilers or python3 for node-gyp".to_string()];
        if built {
            lacks.push("source files beside the build output".into());
        }
        if let Some(n) = mapping.filter(|m| m.unsafe_).and_then(|m| m.note.clone()) {
            lacks.push(format!("glibc ({n})"));
        }
        msg.push_str(&format!("; unsafe: the runtime image lacks {}", lacks.join("; ")));
        if !apt.unknown_dev.is_empty() {
            msg.push_str(&format!("; dopt does not know the runtime library of {}: it is not installed", apt.unknown_dev.join(", ")));
        }
        let fix = Fix::unsafe_(split.edits(cx)).foundation();
        out.push(cx.diag(&META, range, msg, Some(fix)));
    }
}

/// The directories (relative to the project) a build script writes, and whether it is a
/// Next.js standalone build.
fn build_outputs(cx: &Context, script: &str, ctx_path: &dyn Fn(&str) -> String) -> Result<(Vec<String>, bool), String> {
    let mut outs: Vec<String> = Vec::new();
    let mut standalone = false;
    let mut push = |o: String| {
        let o = o.trim_start_matches("./").trim_end_matches('/').to_string();
        if !o.is_empty() && !o.starts_with('/') && !o.contains("..") && !outs.contains(&o) {
            outs.push(o);
        }
    };
    for part in script.split(['&', ';', '|']).map(str::trim).filter(|p| !p.is_empty()) {
        let words: Vec<&str> = part.split_whitespace().collect();
        let tool = words.iter().position(|w| !w.contains('=')).map(|k| words[k].rsplit('/').next().unwrap_or(""));
        let flag = |names: &[&str]| -> Option<String> {
            for (k, w) in words.iter().enumerate() {
                for n in names {
                    if w == n {
                        return words.get(k + 1).map(|s| s.to_string());
                    }
                    if let Some(v) = w.strip_prefix(&format!("{n}=")) {
                        return Some(v.to_string());
                    }
                }
            }
            None
        };
        match tool {
            Some("tsc") => {
                let o = flag(&["--outDir"]).or_else(|| {
                    let cfg = flag(&["-p", "--project"]).unwrap_or_else(|| "tsconfig.json".into());
                    let text = cx.build.read(&ctx_path(&cfg))?;
                    let clean: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
                    let v: Value = serde_json::from_str(&clean).ok()?;
                    v.get("compilerOptions")?.get("outDir")?.as_str().map(str::to_string)
                });
                match o {
                    Some(o) => push(o),
                    None => return Err("the build runs `tsc`, and dopt cannot read an `outDir` from tsconfig.json".into()),
                }
            }
            Some("next") if words.contains(&"build") => {
                let cfg = ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"].iter().find_map(|n| cx.build.read(&ctx_path(n)));
                standalone = cfg.is_some_and(|c| c.contains("standalone"));
                push(".next".into());
            }
            Some("vite") => push(flag(&["--outDir"]).unwrap_or_else(|| "dist".into())),
            Some("react-scripts") => push("build".into()),
            Some("nest" | "tsup") => push("dist".into()),
            Some("ng") => push("dist".into()),
            Some("webpack") => push(flag(&["--output-path", "-o"]).unwrap_or_else(|| "dist".into())),
            Some("parcel") => push(flag(&["--dist-dir"]).unwrap_or_else(|| "dist".into())),
            Some("babel") => match flag(&["-d", "--out-dir"]) {
                Some(o) => push(o),
                None => return Err("the build runs `babel` without an output directory".into()),
            },
            Some("esbuild") => match flag(&["--outdir"]).or_else(|| flag(&["--outfile"]).map(|f| f.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default())) {
                Some(o) if !o.is_empty() => push(o),
                _ => return Err("the build runs `esbuild` without an output directory".into()),
            },
            Some("rm" | "rimraf" | "mkdir" | "cp" | "echo" | "npm" | "yarn" | "pnpm" | "eslint" | "prettier" | "node" | "cross-env") => {}
            Some(t) => return Err(format!("the build script runs `{t}`, whose output dopt cannot name")),
            None => {}
        }
    }
    if outs.is_empty() {
        return Err("dopt cannot name the build's output".into());
    }
    Ok((outs, standalone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{context, count, fix_with};

    const PJ: &str = r#"{"name":"x","scripts":{"start":"node server.js"},"dependencies":{"express":"4"},"devDependencies":{"nodemon":"3"}}"#;
    const DEV: &str = r#"{"devDependencies":{"eslint":"9"}}"#;

    fn fixed(text: &str, files: &[(&str, &str)], preset: &str) -> String {
        crate::transforms::testing::fix_in_preset(&NodeProductionRuntime, text, files, preset)
    }

    #[test]
    fn prunes_and_runs_on_slim_without_a_build() {
        let t = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci\nEXPOSE 3000\nCMD npm start\n";
        let out = fixed(t, &[("package.json", PJ), ("package-lock.json", "{}")], "glibc");
        assert_eq!(
            out,
            "FROM node:18 AS builder\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm prune --omit=dev\n\nFROM node:18-slim\nENV NODE_ENV=production\nWORKDIR /app\nCOPY . .\nCOPY --from=builder /app/node_modules /app/node_modules\nEXPOSE 3000\nCMD [\"node\", \"server.js\"]\n"
        );
        let out = fixed(t, &[("package.json", PJ)], "default");
        assert!(out.contains("\nFROM node:18-alpine\n"), "{out}");
        let native = r#"{"dependencies":{"bcrypt":"5"}}"#;
        let out = fixed(t, &[("package.json", native)], "default");
        assert!(out.contains("\nFROM node:18-slim\n") && out.ends_with("CMD npm start\n"), "{out}");
        let (_d, b) = context(&[("package.json", PJ)]);
        assert_eq!(fix_with(&NodeProductionRuntime, t, false, &b), t);
        // nothing to leave behind: no split (DP301 moves the base to the slim image)
        let plain = r#"{"scripts":{"start":"node server.js"},"dependencies":{"express":"4"}}"#;
        assert_eq!(fixed(t, &[("package.json", plain), ("package-lock.json", "{}")], "glibc"), t);
    }

    #[test]
    fn copies_the_build_output() {
        let pj = r#"{"scripts":{"build":"tsc -p tsconfig.json","start":"node dist/index.js"},"devDependencies":{"typescript":"5"}}"#;
        let ts = "{\n  // comment\n  \"compilerOptions\": {\"outDir\": \"./out\"}\n}\n";
        let t = "FROM node:20\nWORKDIR /srv\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nCMD [\"npm\", \"start\"]\n";
        let out = fixed(t, &[("package.json", pj), ("tsconfig.json", ts), ("public/x", "")], "glibc");
        assert!(out.ends_with("RUN npm run build\nRUN npm prune --omit=dev\n\nFROM node:20-slim\nENV NODE_ENV=production\nWORKDIR /srv\nCOPY --from=builder /srv/node_modules /srv/node_modules\nCOPY --from=builder /srv/package.json /srv/package.json\nCOPY --from=builder /srv/out /srv/out\nCOPY --from=builder /srv/public /srv/public\nCMD [\"node\", \"dist/index.js\"]\n"), "{out}");
    }

    #[test]
    fn yarn_pnpm_and_next() {
        let t = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN yarn install --frozen-lockfile\nCMD [\"node\", \"index.js\"]\n";
        let out = fixed(t, &[("package.json", DEV)], "glibc");
        assert!(out.contains("RUN yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline\n"), "{out}");
        let out = fixed(&t.replace("yarn install --frozen-lockfile", "pnpm install"), &[("package.json", DEV)], "glibc");
        assert!(out.contains("RUN pnpm prune --prod\n"), "{out}");
        // yarn berry: no fix
        assert_eq!(fixed(t, &[("package.json", r#"{"packageManager":"yarn@4.1.0"}"#)], "glibc"), t);
        let pj = r#"{"scripts":{"build":"next build","start":"next start"}}"#;
        let t = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n";
        let out = fixed(t, &[("package.json", pj), ("next.config.js", "module.exports = { output: 'standalone' }\n")], "glibc");
        assert!(out.ends_with("COPY --from=builder /app/.next/standalone /app/\nCOPY --from=builder /app/.next/static /app/.next/static\nCMD [\"node\", \"server.js\"]\n"), "{out}");
    }

    #[test]
    fn not_flagged_or_no_fix() {
        assert_eq!(count(&NodeProductionRuntime, "FROM node:18-slim\nRUN npm ci\n"), 0);
        assert_eq!(count(&NodeProductionRuntime, "FROM node:18\nRUN npm install -g pm2\n"), 0);
        let (_d, b) = context(&[("package.json", r#"{"scripts":{"build":"node build.js"}}"#)]);
        let f = crate::syntax::parse("FROM node:18\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"node\", \"x.js\"]\n").unwrap();
        let d = crate::engine::check(&f, &[&NodeProductionRuntime], &b);
        assert!(d[0].fix.is_none() && d[0].message.contains("output"), "{:?}", d);
    }
}
