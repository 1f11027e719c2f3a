use super::*;
use crate::engine::Applicability;
use crate::model::context::BuildContext;
use crate::transforms::testing::{context, fix_with};

/// The text with the unsafe fix applied.
fn unsafe_fix(text: &str) -> String {
    fix_with(&NonRootUser, text, true, &BuildContext::default())
}

fn unsafe_fix_in(text: &str, files: &[(&str, &str)]) -> String {
    let (_d, b) = context(files);
    fix_with(&NonRootUser, text, true, &b)
}

/// The findings' messages and whether each has a fix.
fn findings_in(text: &str, files: &[(&str, &str)]) -> Vec<(String, Option<Applicability>)> {
    let (_d, b) = context(files);
    let f = crate::syntax::parse(text).unwrap();
    crate::engine::check(&f, &[&NonRootUser], &b).into_iter().map(|d| (d.message, d.fix.map(|f| f.applicability))).collect()
}

fn findings(text: &str) -> Vec<(String, Option<Applicability>)> {
    findings_in(text, &[])
}

#[test]
fn adds_nobody_before_the_command() {
    let t = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nEXPOSE 8000\nCMD [\"python\", \"app.py\"]\n";
    assert_eq!(
        unsafe_fix(t),
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nEXPOSE 8000\nUSER 65534:65534\nCMD [\"python\", \"app.py\"]\n"
    );
    // never a safe fix
    assert_eq!(fix_with(&NonRootUser, t, false, &BuildContext::default()), t);
    let f = findings(t);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].1, Some(Applicability::Unsafe));
    assert!(f[0].0.contains("`nobody`") && f[0].0.contains("`python:3.11-slim` sets no USER"), "{}", f[0].0);
}

#[test]
fn the_bases_own_user() {
    assert_eq!(
        unsafe_fix("FROM node:18-slim\nWORKDIR /usr/src/app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n"),
        "FROM node:18-slim\nWORKDIR /usr/src/app\nCOPY . .\nRUN npm ci\nUSER 1000:1000\nCMD [\"node\", \"server.js\"]\n"
    );
    assert_eq!(
        unsafe_fix("FROM gcr.io/distroless/java17-debian12\nCOPY --from=b /app.jar /app.jar\nCMD [\"/app.jar\"]\n"),
        "FROM gcr.io/distroless/java17-debian12\nCOPY --from=b /app.jar /app.jar\nUSER 65532:65532\nCMD [\"/app.jar\"]\n"
    );
    assert_eq!(
        unsafe_fix("FROM mcr.microsoft.com/dotnet/aspnet:8.0\nCOPY --from=b /out /app\nENTRYPOINT [\"dotnet\", \"/app/x.dll\"]\n"),
        "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nCOPY --from=b /out /app\nUSER 1654:1654\nENTRYPOINT [\"dotnet\", \"/app/x.dll\"]\n"
    );
    // scratch has no /etc/passwd: numeric only
    assert_eq!(
        unsafe_fix("FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n"),
        "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nUSER 65534:65534\nENTRYPOINT [\"/app\"]\n"
    );
}

#[test]
fn already_non_root_or_unknown() {
    for t in [
        "FROM python:3.11\nUSER 1000\nCMD [\"python\", \"a.py\"]\n",
        "FROM python:3.11\nUSER app\nCMD [\"python\", \"a.py\"]\n",
        "FROM python:3.11\nUSER $APP_UID\nCMD [\"python\", \"a.py\"]\n",
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY a /a\nENTRYPOINT [\"/a\"]\n",
        "FROM mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled\nENTRYPOINT [\"dotnet\", \"x.dll\"]\n",
        // a base dopt does not know may set a USER of its own
        "FROM mycorp/base:1\nCMD [\"python\", \"a.py\"]\n",
        "ARG BASE\nFROM $BASE\nCMD [\"python\", \"a.py\"]\n",
        // no command of its own: a base image, or the base's command
        "FROM python:3.11\nRUN pip install x\n",
        // only a shell, or waiting
        "FROM debian:12\nCMD [\"bash\"]\n",
        "FROM debian:12\nCMD /bin/sh\n",
        "FROM debian:12\nCMD [\"sleep\", \"infinity\"]\n",
        // Windows
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD [\"app.exe\"]\n",
        // the user of a builder stage does not reach the final image
        "FROM python:3.11 AS b\nCMD [\"x\"]\nFROM gcr.io/distroless/python3-debian12:nonroot\nCMD [\"a.py\"]\n",
    ] {
        assert!(findings(t).is_empty(), "{t}: {:?}", findings(t));
    }
}

#[test]
fn explicit_root_on_any_base() {
    let t = "FROM mycorp/base:1\nUSER root\nRUN apt-get update\nCMD [\"python\", \"a.py\"]\n";
    assert_eq!(unsafe_fix(t), "FROM mycorp/base:1\nUSER root\nRUN apt-get update\nUSER 65534:65534\nCMD [\"python\", \"a.py\"]\n");
    assert!(findings(t)[0].0.contains("its last USER, line 2, is root"));
    // `USER 0:0` too
    assert_eq!(findings("FROM mycorp/base:1\nUSER 0:0\nCMD [\"a\"]\n").len(), 1);
}

#[test]
fn switches_back_to_the_files_own_user() {
    // an earlier USER that `USER root` undid
    let t = "FROM python:3.11\nRUN groupadd -g 1001 app && useradd -u 1001 -g app app\nUSER app\nRUN echo hi\nUSER root\nRUN apt-get update\nCMD [\"python\", \"a.py\"]\n";
    assert!(unsafe_fix(t).ends_with("RUN apt-get update\nUSER 1001:1001\nCMD [\"python\", \"a.py\"]\n"), "{}", unsafe_fix(t));
    let t = "FROM node:18\nUSER node\nRUN npm ci\nUSER root\nCMD [\"node\", \"s.js\"]\n";
    assert!(unsafe_fix(t).ends_with("USER root\nUSER 1000:1000\nCMD [\"node\", \"s.js\"]\n"));
    let t = "FROM python:3.11\nUSER 1001:0\nUSER root\nCMD [\"python\", \"a.py\"]\n";
    assert!(unsafe_fix(t).ends_with("USER root\nUSER 1001:0\nCMD [\"python\", \"a.py\"]\n"));
    // a user the file creates but never switches to
    let t = "FROM python:3.11-slim\nRUN addgroup --system --gid 999 web && adduser --system --uid 999 --ingroup web web\nCMD [\"python\", \"a.py\"]\n";
    assert!(unsafe_fix(t).ends_with("web web\nUSER 999:999\nCMD [\"python\", \"a.py\"]\n"), "{}", unsafe_fix(t));
    let t = "FROM alpine:3.19\nRUN adduser -D -u 1000 app\nCMD [\"/app\"]\n";
    assert!(unsafe_fix(t).ends_with("USER 1000\nCMD [\"/app\"]\n"));
    // ... without ids: advice
    for t in ["FROM python:3.11\nRUN useradd -m app\nCMD [\"python\", \"a.py\"]\n", "FROM python:3.11\nUSER app\nUSER root\nCMD [\"python\", \"a.py\"]\n"] {
        let f = findings(t);
        assert_eq!(f[0].1, None, "{t}");
        assert!(f[0].0.contains("uid"), "{}", f[0].0);
    }
}

#[test]
fn needs_root_is_advice() {
    let cases = [
        ("FROM nginx:1.25\nCOPY dist /usr/share/nginx/html\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n", "`nginx` starts as root"),
        ("FROM debian:12\nRUN apt-get update && apt-get install -y supervisor\nCMD [\"/usr/bin/supervisord\", \"-n\"]\n", "`supervisord` starts as root"),
        ("FROM debian:12\nCMD cron -f\n", "`cron` starts as root"),
        ("FROM php:8.2-apache\nCOPY . /var/www/html\nCMD [\"apache2-foreground\"]\n", "`apache2-foreground`"),
        ("FROM python:3.11\nEXPOSE 80\nCMD [\"python\", \"a.py\"]\n", "exposes port 80"),
        ("FROM python:3.11\nONBUILD RUN pip install -r requirements.txt\nCMD [\"python\", \"a.py\"]\n", "ONBUILD RUN (line 2)"),
        ("FROM debian:12\nCMD [\"sh\", \"-c\", \"chown -R app /data && exec gosu app /app\"]\n", "drops its privileges with `gosu`"),
        ("FROM debian:12\nENTRYPOINT [\"tini\", \"--\", \"/usr/sbin/sshd\", \"-D\"]\n", "`sshd` starts as root"),
    ];
    for (t, why) in cases {
        let f = findings(t);
        assert_eq!(f.len(), 1, "{t}");
        assert_eq!(f[0].1, None, "{t}");
        assert!(f[0].0.contains(why), "{t}: {}", f[0].0);
    }
    // a capability granted: no obstacle
    let t = "FROM debian:12\nRUN setcap cap_net_bind_service=+ep /usr/local/bin/app\nEXPOSE 80\nCMD [\"/usr/local/bin/app\"]\n";
    assert_eq!(findings(t)[0].1, Some(Applicability::Unsafe));
    // a start script from the build context that drops privileges or needs root
    let files = [("docker-entrypoint.sh", "#!/bin/sh\nset -e\nchown -R app /data\nexec su-exec app \"$@\"\n"), ("start.sh", "#!/bin/sh\nexec python app.py\n")];
    let f = findings_in("FROM python:3.11\nWORKDIR /app\nCOPY . .\nENTRYPOINT [\"./docker-entrypoint.sh\"]\nCMD [\"python\", \"a.py\"]\n", &files);
    assert!(f[0].1.is_none() && f[0].0.contains("`su-exec` (in `docker-entrypoint.sh`)") && f[0].0.contains("`docker-entrypoint.sh` runs `chown`"), "{}", f[0].0);
    let f = findings_in("FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD [\"sh\", \"start.sh\"]\n", &files);
    assert_eq!(f[0].1, Some(Applicability::Unsafe), "{}", f[0].0);
    // a script dopt cannot read: still a fix, with the caveat
    let f = findings_in("FROM python:3.11\nCOPY . .\nCMD [\"./run.sh\"]\n", &files);
    assert!(f[0].1.is_some() && f[0].0.contains("dopt cannot find `./run.sh`"), "{}", f[0].0);
}

#[test]
fn an_app_that_writes_gets_a_user_that_owns_its_directory() {
    // mkdir inside the working directory: a created user on Debian
    let t = "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt && mkdir -p logs\nCOPY . .\nCMD [\"python\", \"app.py\"]\n";
    assert_eq!(
        unsafe_fix(t),
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY --chown=10001:10001 requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt && mkdir -p logs\nCOPY --chown=10001:10001 . .\n\
         RUN groupadd --gid 10001 app && \\\n    useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin app && \\\n    mkdir -p /app /app/logs && \\\n    chown 10001:10001 /app /app/logs\n\
         USER 10001:10001\nCMD [\"python\", \"app.py\"]\n"
    );
    // Alpine: BusyBox tools
    let t = "FROM python:3.12-alpine\nWORKDIR /srv\nCOPY . .\nVOLUME /srv/data\nCMD [\"python\", \"app.py\"]\n";
    let out = unsafe_fix(t);
    assert!(out.contains("RUN addgroup -S -g 10001 app && \\\n    adduser -S -D -H -u 10001 -G app -h /nonexistent -s /sbin/nologin app && \\\n    mkdir -p /srv/data && \\\n    chown 10001:10001 /srv/data\nUSER 10001:10001\n"), "{out}");
    // node: its own user, no user created
    let t = "FROM node:18-slim\nWORKDIR /usr/src/app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD [\"npx\", \"next\", \"start\"]\n";
    let out = unsafe_fix(t);
    assert!(out.contains("COPY --chown=1000:1000 package*.json ./\n") && out.contains("COPY --chown=1000:1000 . .\n"), "{out}");
    assert!(out.ends_with("RUN mkdir -p /usr/src/app && \\\n    chown 1000:1000 /usr/src/app\nUSER 1000:1000\nCMD [\"npx\", \"next\", \"start\"]\n"), "{out}");
    // a SQLite database in the build context
    let files = [("app.py", "x"), ("data/app.db", "")];
    let out = unsafe_fix_in("FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n", &files);
    assert!(out.contains("COPY --chown=10001:10001 . .\n") && out.contains("useradd"), "{out}");
    let f = findings_in("FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n", &files);
    assert!(f[0].0.contains("`data/app.db` (a SQLite database"), "{}", f[0].0);
    // a .dockerignore'd database is not copied
    let files = [("app.py", "x"), ("app.db", ""), (".dockerignore", "*.db\n")];
    assert!(!unsafe_fix_in("FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n", &files).contains("chown"));
    // the start script of package.json
    let files = [("package.json", "{\"scripts\": {\"start\": \"next start -p 3000\"}}")];
    let out = unsafe_fix_in("FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n", &files);
    assert!(out.contains("COPY --chown=1000:1000 . .") && out.contains("chown 1000:1000 /app\n"), "{out}");
    // copies elsewhere keep their owner; an existing --chown is left alone
    let t = "FROM python:3.11-slim\nWORKDIR /app\nCOPY conf /etc/app/\nCOPY --chown=1:1 a .\nRUN mkdir tmp\nCMD [\"python\", \"app.py\"]\n";
    let out = unsafe_fix(t);
    assert!(out.contains("COPY conf /etc/app/\nCOPY --chown=1:1 a .\n"), "{out}");
}

#[test]
fn writes_where_no_user_can_be_made() {
    let cases = [
        ("FROM gcr.io/distroless/python3-debian12\nWORKDIR /app\nCOPY --from=b /app /app\nVOLUME /app/data\nCMD [\"app.py\"]\n", "no shell"),
        ("FROM amazonlinux:2023\nWORKDIR /app\nRUN mkdir logs\nCMD [\"/app/run\"]\n", "does not know how to create a user"),
        ("FROM python:3.11\nWORKDIR $HOME\nRUN mkdir logs\nCMD [\"python\", \"a.py\"]\n", "note"),
        ("FROM python:3.11\nRUN mkdir /logs\nVOLUME /var\nCMD [\"python\", \"a.py\"]\n", "a system directory"),
        ("FROM python:3.11\nVOLUME $DATA\nCMD [\"python\", \"a.py\"]\n", "whose path dopt cannot tell"),
    ];
    for (t, why) in cases {
        let f = findings(t);
        if why == "note" {
            // no working directory known, and nothing made inside one: nobody, no directory
            assert_eq!(f[0].1, Some(Applicability::Unsafe), "{t}");
            continue;
        }
        assert_eq!(f[0].1, None, "{t}: {}", f[0].0);
        assert!(f[0].0.contains(why), "{t}: {}", f[0].0);
    }
}

#[test]
fn placement_follows_the_file() {
    // after the last RUN and the last USER, above the comments of the CMD
    let t = "FROM python:3.11\nCMD [\"python\", \"a.py\"]\nRUN pip install x\n";
    assert_eq!(unsafe_fix(t), "FROM python:3.11\nCMD [\"python\", \"a.py\"]\nRUN pip install x\nUSER 65534:65534\n");
    let t = "FROM python:3.11\nRUN pip install x\n\n# start it\n# (port 8000)\nCMD [\"python\", \"a.py\"]\n";
    assert_eq!(unsafe_fix(t), "FROM python:3.11\nRUN pip install x\n\nUSER 65534:65534\n# start it\n# (port 8000)\nCMD [\"python\", \"a.py\"]\n");
    // no final line ending
    assert_eq!(unsafe_fix("FROM python:3.11\nCMD [\"python\", \"a.py\"]\nRUN x"), "FROM python:3.11\nCMD [\"python\", \"a.py\"]\nRUN x\nUSER 65534:65534");
    // keyword case, CRLF, escape, indentation
    assert_eq!(unsafe_fix("from python:3.11\r\nrun pip install x\r\n  cmd python a.py\r\n"), "from python:3.11\r\nrun pip install x\r\n  user 65534:65534\r\n  cmd python a.py\r\n");
    let t = "# escape=`\r\nFROM python:3.11-slim\r\nWORKDIR /app\r\nRUN mkdir logs\r\nCMD [\"python\", \"a.py\"]\r\n";
    let out = unsafe_fix(t);
    assert!(out.contains("RUN groupadd --gid 10001 app && `\r\n    useradd"), "{out}");
    // a heredoc RUN: the USER goes after its body
    let t = "FROM python:3.11\nRUN <<EOF\npip install x\nEOF\nCMD [\"python\", \"a.py\"]\n";
    assert_eq!(unsafe_fix(t), "FROM python:3.11\nRUN <<EOF\npip install x\nEOF\nUSER 65534:65534\nCMD [\"python\", \"a.py\"]\n");
    // only the final stage is changed
    let t = "FROM python:3.11 AS build\nRUN pip wheel -w /w x\nCMD [\"x\"]\nFROM python:3.11-slim\nCOPY --from=build /w /w\nCMD [\"python\", \"-m\", \"x\"]\n";
    assert_eq!(unsafe_fix(t), "FROM python:3.11 AS build\nRUN pip wheel -w /w x\nCMD [\"x\"]\nFROM python:3.11-slim\nCOPY --from=build /w /w\nUSER 65534:65534\nCMD [\"python\", \"-m\", \"x\"]\n");
    // a final stage built FROM another: its command is the parent's
    let t = "FROM node:18 AS base\nWORKDIR /app\nCMD [\"node\", \"s.js\"]\nFROM base\nCOPY . .\n";
    assert_eq!(unsafe_fix(t), "FROM node:18 AS base\nWORKDIR /app\nCMD [\"node\", \"s.js\"]\nFROM base\nCOPY . .\nUSER 1000:1000\n");
}

#[test]
fn suppressed() {
    assert!(findings("FROM python:3.11\n# dopt: ignore[DP501]\nCMD [\"python\", \"a.py\"]\n").is_empty());
}

#[test]
fn base_images_with_a_prompt_are_not_applications() {
    for t in [
        "FROM debian:12\nRUN x\nCMD [\"python3\"]\n",
        "FROM debian:12\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"node\"]\n",
        "FROM debian:12\nCMD [\"irb\"]\n",
    ] {
        assert!(findings(t).is_empty(), "{t}");
    }
    assert_eq!(findings("FROM debian:12\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"node\", \"s.js\"]\n").len(), 1);
    assert_eq!(findings("FROM debian:12\nCMD [\"python3\", \"-m\", \"http.server\"]\n").len(), 1);
}

#[test]
fn data_directories_made_outside_the_app() {
    let t = "FROM debian:12\nRUN apt-get update && apt-get install -y mongodb && mkdir -p /data/db\nEXPOSE 27017\nENTRYPOINT [\"/usr/bin/mongod\"]\n";
    let out = unsafe_fix(t);
    assert!(out.contains("useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent") && out.contains("chown 10001:10001 /data/db\nUSER 10001:10001\n"), "{out}");
    // the app's own directory, a directory files are copied to, or the system's: no sign
    for t in [
        "FROM debian:12\nRUN mkdir -p /app\nWORKDIR /app\nCOPY . .\nCMD [\"/app/run\"]\n",
        "FROM debian:12\nRUN mkdir -p /opt/app\nCOPY . /opt/app/\nCMD [\"/opt/app/run\"]\n",
        "FROM debian:12\nRUN mkdir -p /usr/share/man/man1 /root/.ssh /var/run/x\nCMD [\"/app/run\"]\n",
    ] {
        assert!(!unsafe_fix(t).contains("chown"), "{t}");
    }
}

#[test]
fn directories_the_build_uses_are_not_write_places() {
    for t in [
        "FROM ubuntu:24.04\nRUN mkdir -p /libdaq && cd /libdaq && make install\nENTRYPOINT [\"snort\"]\n",
        "FROM alpine:3\nWORKDIR /opt/frp\nRUN mkdir -p bin etc && mv frps bin/ && mv frps.toml etc/\nCMD [\"./bin/frps\"]\n",
        "FROM alpine:3\nRUN mkdir -p /opt/x && tar -xzf x.tgz -C /opt/x\nCMD [\"/opt/x/run\"]\n",
        "FROM alpine:3\nRUN mkdir -p /build\nWORKDIR /build/x\nRUN make\nWORKDIR /\nCMD [\"/usr/local/bin/x\"]\n",
        "FROM alpine:3\nRUN mkdir -p ~/.config/pip\nENTRYPOINT [\"x\"]\n",
        "FROM ubuntu:24.04\nRUN mkdir -p fb/build && cd fb && make && rm -rf fb\nENTRYPOINT [\"snort\"]\n",
        "FROM golang:1.22-alpine\nWORKDIR /go/src\nRUN mkdir ./hotapp/\nCOPY ./hotapp/*.go ./hotapp/\nRUN go install ./hotapp\nCMD [\"hotapp\"]\n",
    ] {
        assert!(!unsafe_fix(t).contains("chown"), "{t}: {}", unsafe_fix(t));
    }
    // made and left empty: a place to write
    assert!(unsafe_fix("FROM alpine:3\nRUN mkdir -p /transmission/download && apk add --no-cache transmission-daemon\nENTRYPOINT [\"transmission-daemon\"]\n").contains("chown 10001:10001 /transmission/download\n"));
}
