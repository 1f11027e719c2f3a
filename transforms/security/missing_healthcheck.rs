//! DP503 missing-healthcheck
use crate::engine::{Context, Diagnostic, FixKind, Rule, RuleMeta};
use crate::syntax::Kind;
use crate::transforms::common::run_commands;
use crate::transforms::packages::apt::image_packages;

use super::final_image::{launch, Distro, FinalImage};

pub struct MissingHealthcheck;

static META: RuleMeta = RuleMeta {
    code: "DP503",
    name: "missing-healthcheck",
    summary: "The final image EXPOSEs a port but has no HEALTHCHECK (advice, with a probe that needs no curl)",
    fix: FixKind::None,
    hadolint: &[],
    docs: r#"## What it does
Reports a final image that EXPOSEs a port and has no `HEALTHCHECK` (in its stage or a stage
it is built FROM; `HEALTHCHECK NONE` counts as a choice made), with an example probe for what
the image runs, one that needs no curl where the runtime can do without:

- Node.js: `HEALTHCHECK CMD ["node", "-e", "require('http').get('http://127.0.0.1:3000/', r => process.exit(r.statusCode < 400 ? 0 : 1)).on('error', () => process.exit(1))"]`
- Python: `HEALTHCHECK CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=3)"]`
  (`urlopen` raises on an error status or no answer, and the exit status is then 1)
- an image that has curl (the full Debian-based images) or BusyBox wget (Alpine): `curl -fsS`,
  `wget -q --spider`;
- a Go or other compiled binary, or a Java app, on an image without those tools (`scratch`,
  distroless, a JRE): there is no probe without curl; the message says so, and that the app
  can carry its own (a `healthcheck` subcommand or flag that requests its own endpoint) or
  leave health to the orchestrator.

The runtime is read from the CMD/ENTRYPOINT (`node`, `npm`, `python`, `gunicorn`, `uvicorn`,
`java`, ...) and else from the base image.

## Why
Without a HEALTHCHECK, Docker and Compose see a container whose process is alive as healthy
even when the app inside hangs; `depends_on: condition: service_healthy` and Swarm's rolling
updates need one. (Kubernetes ignores HEALTHCHECK and uses its own probes.)

## Example
```dockerfile
FROM node:20-slim
EXPOSE 3000
CMD ["node", "server.js"]
```
could add
```dockerfile
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "-e", "require('http').get('http://127.0.0.1:3000/', r => process.exit(r.statusCode < 400 ? 0 : 1)).on('error', () => process.exit(1))"]
```

## Not flagged
Final images that EXPOSE nothing, or that have a HEALTHCHECK (`NONE` included); builder
stages; ONBUILD triggers.

## Fix safety
Advice only: the path that tells the app is healthy, and the timings, are the user's to choose.
"#,
};

/// Programs that mean a Node.js runtime.
const NODE: &[&str] = &["node", "nodejs", "npm", "npx", "yarn", "pnpm", "nodemon", "next", "pm2-runtime", "pm2", "ts-node", "nuxt"];
/// Programs that mean a Python runtime.
const PYTHON: &[&str] = &["gunicorn", "uvicorn", "hypercorn", "daphne", "flask", "celery", "waitress-serve", "streamlit", "uwsgi"];

/// What can probe the app from inside the image.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Probe {
    Node(String),
    Python(String),
    Curl,
    Wget,
    /// No probe without curl: the runtime, for the message; whether the image surely has no
    /// curl or wget (no shell at all); the example command, as JSON array items.
    None(&'static str, bool, String),
    Unknown,
}

impl Rule for MissingHealthcheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(fi) = FinalImage::of(cx) else { return };
        if fi.last(cx, Kind::Healthcheck).is_some() {
            return;
        }
        let Some(expose) = fi.of_kind(cx, Kind::Expose).next() else { return };
        let port = fi.exposed(cx).first().map(|(_, p)| p.to_string()).unwrap_or_else(|| "PORT".into());
        let probe = probe(cx, &fi);
        let url = format!("http://127.0.0.1:{port}/");
        let example = match &probe {
            Probe::Node(node) => format!(
                "with no curl needed: `HEALTHCHECK CMD [\"{node}\", \"-e\", \"require('http').get('{url}', r => process.exit(r.statusCode < 400 ? 0 : 1)).on('error', () => process.exit(1))\"]`"
            ),
            Probe::Python(py) => format!("with no curl needed: `HEALTHCHECK CMD [\"{py}\", \"-c\", \"import urllib.request; urllib.request.urlopen('{url}', timeout=3)\"]`"),
            Probe::Curl => format!("such as `HEALTHCHECK CMD [\"curl\", \"-fsS\", \"{url}\"]`"),
            Probe::Wget => format!("such as `HEALTHCHECK CMD [\"wget\", \"-q\", \"--spider\", \"{url}\"]` (BusyBox wget)"),
            Probe::None(what, sure, app) => {
                let unless = if *sure { "" } else { "unless the image has curl or wget, " };
                format!(
                    "but {what} has no probe that needs no curl: {unless}give the app its own (a `healthcheck` argument, or a class, that requests {url} and exits 1 when it fails) and use `HEALTHCHECK CMD [{app}]`, or leave health to the orchestrator's probes"
                )
            }
            Probe::Unknown => format!("such as `HEALTHCHECK CMD [...]` with a command the image has that requests {url}"),
        };
        let ins = &cx.file.instructions[expose];
        let msg = format!(
            "the final image exposes port {port} but has no HEALTHCHECK: Docker cannot tell an app that hangs from a healthy one. Add a probe of a path the app answers, {example} (Kubernetes ignores HEALTHCHECK and uses its own probes)"
        );
        out.push(cx.diag(&META, ins.keyword_start()..ins.header_end, msg, None));
    }
}

/// The probe the image can run, from what it runs and what it is built on.
fn probe(cx: &Context, fi: &FinalImage) -> Probe {
    let base = fi.base.clone();
    let distroless_node = base.as_ref().is_some_and(|b| b.name.contains("distroless/nodejs"));
    let distroless_python = base.as_ref().is_some_and(|b| b.name.contains("distroless/python"));
    if let Some(main) = fi.main_command(cx) {
        let mut runs = launch(cx, main).runs;
        if cx.file.instructions[main].node.kind == Kind::Entrypoint {
            if let Some(c) = fi.last(cx, Kind::Cmd) {
                runs.extend(launch(cx, c).runs);
            }
        }
        for r in &runs {
            let p = r.program.as_str();
            if NODE.contains(&p) {
                return Probe::Node(if distroless_node { "/nodejs/bin/node".into() } else { "node".into() });
            }
            if p.starts_with("python") || p.starts_with("pypy") {
                return Probe::Python(if distroless_python { "python3".into() } else { p.to_string() });
            }
            if PYTHON.contains(&p) {
                return Probe::Python("python3".into());
            }
        }
        if distroless_node {
            return Probe::Node("/nodejs/bin/node".into());
        }
        if distroless_python {
            return Probe::Python("python3".into());
        }
        let app = runs.iter().find(|r| !["tini", "dumb-init", "catatonit", "tini-static"].contains(&r.program.as_str())).map(|r| r.path.clone()).unwrap_or_else(|| "/path/to/app".into());
        let java = runs.iter().any(|r| r.program == "java") || base.as_ref().is_some_and(|b| ["java", "jre", "jdk", "temurin", "corretto", "openjdk"].iter().any(|k| b.name.contains(k)));
        if has_tool(cx, fi, "curl") {
            return Probe::Curl;
        }
        if base.as_ref().is_some_and(|b| b.distro == Distro::Alpine) || has_tool(cx, fi, "wget") {
            return Probe::Wget;
        }
        if java {
            let jar = runs.iter().find(|r| r.program == "java").and_then(|r| r.args.iter().position(|a| a == "-jar").and_then(|k| r.args.get(k + 1))).cloned().unwrap_or_else(|| "app.jar".into());
            return Probe::None("a Java app", false, format!("\"java\", \"-cp\", \"{jar}\", \"HealthCheck\""));
        }
        if base.as_ref().is_some_and(|b| b.distro == Distro::NoShell) {
            return Probe::None("a compiled binary (Go, Rust, ...) on an image with no shell", true, format!("\"{app}\", \"healthcheck\""));
        }
        let compiled_base = base.as_ref().is_some_and(|b| b.name.starts_with("golang") || b.name.starts_with("rust"));
        if compiled_base || runs.first().is_some_and(|r| r.via.is_none() && copied_from_stage(cx, main, &r.path)) {
            return Probe::None("a compiled binary (Go, Rust, ...)", false, format!("\"{app}\", \"healthcheck\""));
        }
    } else {
        if let Some(b) = base.as_ref() {
            let short = b.name.rsplit('/').next().unwrap_or(&b.name);
            if short.starts_with("node:") || short == "node" || distroless_node {
                return Probe::Node(if distroless_node { "/nodejs/bin/node".into() } else { "node".into() });
            }
            if short.starts_with("python") || distroless_python {
                return Probe::Python("python3".into());
            }
        }
        if has_tool(cx, fi, "curl") {
            return Probe::Curl;
        }
    }
    Probe::Unknown
}

/// Whether the program at `path` (as the command at instruction `i` names it) was copied from
/// another stage (`COPY --from=build /out/app /app`): a binary built there.
fn copied_from_stage(cx: &Context, i: usize, path: &str) -> bool {
    use crate::transforms::programs::{join_abs, normalize, workdir_at};
    if !path.contains('/') || path.contains('$') {
        return false;
    }
    let Some(wd) = workdir_at(cx, i) else { return false };
    let p = normalize(&join_abs(&wd, path));
    cx.file.instructions[..i].iter().enumerate().any(|(j, ins)| {
        let n = &ins.node;
        if n.kind != Kind::Copy || n.flag("from").is_none() || n.values.len() < 2 || cx.model.stage_of(j).map(|s| s.index) != cx.model.stage_of(i).map(|s| s.index) {
            return false;
        }
        let dest_raw = crate::model::unquote(n.values.last().map(String::as_str).unwrap_or(""));
        let Some(dwd) = workdir_at(cx, j) else { return false };
        let dest = normalize(&join_abs(&dwd, &dest_raw));
        p == dest || (dest_raw.ends_with('/') || dest_raw == "." || n.values.len() > 2) && p.starts_with(&format!("{}/", dest.trim_end_matches('/')))
    })
}

/// Whether the final image has `tool`: its base ships it (the full Debian-based images), or a
/// RUN installs it with apt-get, apk, yum or dnf.
fn has_tool(cx: &Context, fi: &FinalImage, tool: &str) -> bool {
    let root = cx.model.stages.iter().find(|s| s.instructions.start == fi.instructions.first().copied().unwrap_or(usize::MAX));
    if root.and_then(|s| s.image()).is_some_and(|img| image_packages(&img).contains(&tool)) {
        return true;
    }
    run_commands(cx).iter().any(|rc| {
        fi.instructions.contains(&rc.ins)
            && matches!(rc.cmd.program(), Some("apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf"))
            && rc.cmd.argv().iter().any(|w| w.text == tool)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::count;

    fn msg(text: &str) -> String {
        let f = crate::syntax::parse(text).unwrap();
        let d = crate::engine::check(&f, &[&MissingHealthcheck], &crate::model::context::BuildContext::default());
        assert_eq!(d.len(), 1, "{text}");
        d[0].message.clone()
    }

    #[test]
    fn exposes_without_healthcheck() {
        assert!(msg("FROM node:20-slim\nEXPOSE 3000\nCMD [\"node\", \"server.js\"]\n").contains("[\"node\", \"-e\", \"require('http').get('http://127.0.0.1:3000/'"));
        assert!(msg("FROM python:3.11-slim\nEXPOSE 8000/tcp\nCMD [\"gunicorn\", \"app:app\"]\n").contains("[\"python3\", \"-c\", \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=3)\"]"));
        assert!(msg("FROM python:3.11-slim\nEXPOSE 8000\nCMD python app.py\n").contains("[\"python\", \"-c\""));
        assert!(msg("FROM gcr.io/distroless/static-debian12\nCOPY --from=b /app /app\nEXPOSE 8080\nENTRYPOINT [\"/app\"]\n").contains("a compiled binary (Go, Rust, ...) on an image with no shell has no probe that needs no curl: give the app its own (a `healthcheck` argument, or a class, that requests http://127.0.0.1:8080/ and exits 1 when it fails) and use `HEALTHCHECK CMD [\"/app\", \"healthcheck\"]`"));
        assert!(msg("FROM golang:1.19\nWORKDIR /src\nCOPY . .\nRUN go build -o /usr/local/bin/app .\nEXPOSE 8080\nCMD app\n").contains("[\"curl\", \"-fsS\", \"http://127.0.0.1:8080/\"]"));
        assert!(msg("FROM eclipse-temurin:17-jre\nCOPY app.jar /app.jar\nEXPOSE 8080\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n").contains("but a Java app has no probe that needs no curl: unless the image has curl or wget, give the app its own (a `healthcheck` argument, or a class, that requests http://127.0.0.1:8080/ and exits 1 when it fails) and use `HEALTHCHECK CMD [\"java\", \"-cp\", \"/app.jar\", \"HealthCheck\"]`"));
        assert!(msg("FROM alpine:3.19\nEXPOSE 80\nCMD [\"/srv/app\"]\n").contains("BusyBox wget"));
        assert!(msg("FROM golang:1.22 AS b\nRUN go build -o /out/app .\nFROM debian:12-slim\nCOPY --from=b /out/app /usr/local/bin/\nEXPOSE 8080\nCMD [\"/usr/local/bin/app\"]\n").contains("but a compiled binary (Go, Rust, ...) has no probe"));
        assert!(msg("FROM debian:12-slim\nEXPOSE 8080\nCMD [\"/usr/sbin/named\"]\n").contains("with a command the image has"));
        assert!(msg("FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\nEXPOSE 80\nCMD [\"/srv/app\"]\n").contains("curl\", \"-fsS"));
        assert!(msg("FROM gcr.io/distroless/nodejs20-debian12\nEXPOSE 3000\nCMD [\"server.js\"]\n").contains("/nodejs/bin/node"));
        assert!(msg("FROM nginx:1.25\nEXPOSE $PORT\n").contains("port PORT"));
        // only the final stage counts; CRLF
        assert_eq!(count(&MissingHealthcheck, "FROM node:20 AS b\r\nEXPOSE 3000\r\nFROM b\r\nCMD [\"node\", \"s.js\"]\r\n"), 1);
    }

    #[test]
    fn healthcheck_or_nothing_exposed() {
        for s in [
            "FROM node:20\nEXPOSE 3000\nHEALTHCHECK CMD node -e 'x'\nCMD [\"node\", \"s.js\"]\n",
            "FROM node:20\nEXPOSE 3000\nHEALTHCHECK NONE\n",
            "FROM node:20 AS b\nHEALTHCHECK CMD x\nFROM b\nEXPOSE 3000\n",
            "FROM node:20\nCMD [\"node\", \"s.js\"]\n",
            "FROM node:20 AS b\nEXPOSE 3000\nFROM node:20-slim\nCMD [\"node\", \"s.js\"]\n",
            "FROM node:20\nONBUILD EXPOSE 3000\n",
        ] {
            assert_eq!(count(&MissingHealthcheck, s), 0, "{s}");
        }
    }
}
