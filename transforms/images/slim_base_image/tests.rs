use super::*;
use crate::config::Config;
use crate::engine::{self, Options};
use crate::model::context::BuildContext;
use std::sync::Arc;

/// Runs DP301 with `preset` (unsafe fixes included) and returns the new first FROM line (or the
/// old one when nothing changed) and whether the fix was safe.
fn slim(text: &str, preset: &str, ctx: &BuildContext) -> (String, Option<Applicability>) {
    let opts = Options { unsafe_fixes: true, config: Arc::new(Config::preset(preset).unwrap()), ..Options::default() };
    let out = engine::run(text, &[&SlimBaseImage], ctx, &opts).unwrap();
    assert!(out.problems.is_empty());
    let again = engine::run(&out.output, &[&SlimBaseImage], ctx, &opts).unwrap();
    assert_eq!(again.output, out.output, "not idempotent: {text}");
    let app = out.diagnostics.iter().find_map(|d| d.fix.as_ref().map(|f| f.applicability));
    (out.output, app)
}

fn tmp_context(name: &str, files: &[(&str, &str)]) -> BuildContext {
    let d = std::env::temp_dir().join(format!("dopt-slim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for (n, t) in files {
        std::fs::write(d.join(n), t).unwrap();
    }
    BuildContext::new(Some(d))
}

/// (Dockerfile, expected output) under the glibc preset with a build context that shows a plain
/// app (no native addons, no packages needing a compiler).
const FORMS: &[(&str, &str)] = &[
    ("FROM python:3.11\n", "FROM python:3.11-slim-bookworm\n"),
    ("FROM python:3\n", "FROM python:3-slim-bookworm\n"),
    ("FROM python:3.12.1\n", "FROM python:3.12.1-slim-bookworm\n"),
    ("FROM python:3.11-bookworm\n", "FROM python:3.11-slim-bookworm\n"),
    ("FROM python:3.11-bullseye\n", "FROM python:3.11-slim-bullseye\n"),
    ("FROM python:3.10-buster\n", "FROM python:3.10-slim-buster\n"),
    ("FROM python:3.11-slim\n", "FROM python:3.11-slim\n"),
    ("FROM python:3.11-slim-bookworm\n", "FROM python:3.11-slim-bookworm\n"),
    ("FROM python:3.11-alpine\n", "FROM python:3.11-alpine\n"),
    ("FROM python\n", "FROM python\n"),
    ("FROM python:latest\n", "FROM python:latest\n"),
    ("FROM python:3.11@sha256:0123456789abcdef\n", "FROM python:3.11@sha256:0123456789abcdef\n"),
    ("FROM docker.io/library/python:3.11\n", "FROM docker.io/library/python:3.11-slim-bookworm\n"),
    ("FROM docker.io/python:3.11\n", "FROM docker.io/python:3.11-slim-bookworm\n"),
    ("FROM library/python:3.11\n", "FROM library/python:3.11-slim-bookworm\n"),
    ("FROM mirror.gcr.io/library/python:3.11\n", "FROM mirror.gcr.io/library/python:3.11-slim-bookworm\n"),
    ("FROM localhost:5000/python:3.11\n", "FROM localhost:5000/python:3.11-slim-bookworm\n"),
    ("FROM bitnami/python:3.11\n", "FROM bitnami/python:3.11\n"),
    ("FROM --platform=linux/amd64 python:3.11\n", "FROM --platform=linux/amd64 python:3.11-slim-bookworm\n"),
    ("FROM --platform=$BUILDPLATFORM python:3.11 AS app\n", "FROM --platform=$BUILDPLATFORM python:3.11-slim-bookworm AS app\n"),
    ("FROM python:3.11 AS runtime\n", "FROM python:3.11-slim-bookworm AS runtime\n"),
    ("FROM python:3.11 as runtime\n", "FROM python:3.11-slim-bookworm as runtime\n"),
    ("from python:3.11\n", "from python:3.11-slim-bookworm\n"),
    ("FROM  python:3.11   AS  x\n", "FROM  python:3.11-slim-bookworm   AS  x\n"),
    ("FROM \\\n  python:3.11\n", "FROM \\\n  python:3.11-slim-bookworm\n"),
    ("FROM python:3.11\r\n", "FROM python:3.11-slim-bookworm\r\n"),
    ("ARG PY=python:3.11\nFROM $PY\n", "ARG PY=python:3.11-slim-bookworm\nFROM $PY\n"),
    ("ARG PY=python:3.11\nFROM ${PY}\n", "ARG PY=python:3.11-slim-bookworm\nFROM ${PY}\n"),
    ("ARG PY=\"python:3.11\"\nFROM ${PY}\n", "ARG PY=\"python:3.11-slim-bookworm\"\nFROM ${PY}\n"),
    ("ARG V=3.11\nFROM python:${V}\n", "ARG V=3.11\nFROM python:${V}-slim-bookworm\n"),
    ("ARG V=3.11\nFROM python:$V\n", "ARG V=3.11\nFROM python:$V-slim-bookworm\n"),
    ("FROM ${PY:-python:3.11}\n", "FROM ${PY:-python:3.11-slim-bookworm}\n"),
    ("ARG PY=python:3.11\nFROM ${PY:-python:3.9}\n", "ARG PY=python:3.11-slim-bookworm\nFROM ${PY:-python:3.9}\n"),
    ("ARG R=docker.io/library\nFROM $R/python:3.11\n", "ARG R=docker.io/library\nFROM $R/python:3.11\n"),
    ("ARG PY\nFROM $PY\n", "ARG PY\nFROM $PY\n"),
    ("FROM node:18\n", "FROM node:18-slim\n"),
    ("FROM node:18.19.0\n", "FROM node:18.19.0-slim\n"),
    ("FROM node:lts\n", "FROM node:lts-slim\n"),
    ("FROM node:18-bookworm\n", "FROM node:18-bookworm-slim\n"),
    ("FROM node:18-alpine\n", "FROM node:18-alpine\n"),
    ("FROM node:18-slim\n", "FROM node:18-slim\n"),
    ("FROM node\n", "FROM node\n"),
    ("FROM debian:12\n", "FROM debian:12-slim\n"),
    ("FROM debian:bookworm\n", "FROM debian:bookworm-slim\n"),
    ("FROM debian:bookworm-slim\n", "FROM debian:bookworm-slim\n"),
    ("FROM debian:bookworm-20240110\n", "FROM debian:bookworm-20240110\n"),
    ("FROM ruby:3.2\n", "FROM ruby:3.2-slim\n"),
    ("FROM ruby:3.2-bookworm\n", "FROM ruby:3.2-slim-bookworm\n"),
    ("FROM ruby:3.2-alpine\n", "FROM ruby:3.2-alpine\n"),
    ("FROM ubuntu:22.04\n", "FROM ubuntu:22.04\n"),
    ("FROM alpine:3.19\n", "FROM alpine:3.19\n"),
    ("FROM scratch\n", "FROM scratch\n"),
    ("FROM golang:1.21\n", "FROM golang:1.21\n"),
    ("FROM openjdk:17\nCMD [\"java\", \"-jar\", \"app.jar\"]\n", "FROM eclipse-temurin:17-jre\nCMD [\"java\", \"-jar\", \"app.jar\"]\n"),
    ("FROM openjdk:17-jdk-slim\nCMD java -jar app.jar\n", "FROM eclipse-temurin:17-jre\nCMD java -jar app.jar\n"),
    ("FROM docker.io/library/openjdk:11\nCMD java -jar a.jar\n", "FROM docker.io/library/eclipse-temurin:11-jre\nCMD java -jar a.jar\n"),
    ("FROM eclipse-temurin:17\nENTRYPOINT [\"java\",\"-jar\",\"/a.jar\"]\n", "FROM eclipse-temurin:17-jre\nENTRYPOINT [\"java\",\"-jar\",\"/a.jar\"]\n"),
    ("FROM eclipse-temurin:17-jdk\nCMD java -jar a.jar\n", "FROM eclipse-temurin:17-jre\nCMD java -jar a.jar\n"),
    ("FROM eclipse-temurin:17-jre\nCMD java -jar a.jar\n", "FROM eclipse-temurin:17-jre\nCMD java -jar a.jar\n"),
    ("FROM openjdk:17\nRUN javac Main.java\nCMD java Main\n", "FROM openjdk:17\nRUN javac Main.java\nCMD java Main\n"),
    ("FROM openjdk:17\nCMD ./run.sh\n", "FROM openjdk:17\nCMD ./run.sh\n"),
    // only the stages that reach the final image
    ("FROM python:3.11 AS build\nRUN pip wheel .\nFROM python:3.11\nCOPY --from=build /w /w\n", "FROM python:3.11 AS build\nRUN pip wheel .\nFROM python:3.11-slim-bookworm\nCOPY --from=build /w /w\n"),
    ("FROM python:3.11 AS base\nFROM base AS final\n", "FROM python:3.11-slim-bookworm AS base\nFROM base AS final\n"),
    ("FROM python:3.11 AS base\nFROM python:3.11 AS other\nFROM base\n", "FROM python:3.11-slim-bookworm AS base\nFROM python:3.11 AS other\nFROM base\n"),
    ("FROM node:18 AS build\nRUN npm ci\nFROM debian:12\nCOPY --from=build /a /a\n", "FROM node:18 AS build\nRUN npm ci\nFROM debian:12-slim\nCOPY --from=build /a /a\n"),
    ("FROM python:3.11\nFROM scratch\n", "FROM python:3.11\nFROM scratch\n"),
];

#[test]
fn sixty_and_more_from_forms() {
    assert!(FORMS.len() >= 60, "{}", FORMS.len());
    let ctx = tmp_context("forms", &[("requirements.txt", "flask==3.0\n"), ("package.json", "{\"dependencies\": {\"express\": \"4\"}}")]);
    let mut bad = Vec::new();
    for (input, want) in FORMS {
        let (got, _) = slim(input, "glibc", &ctx);
        if got != *want {
            bad.push(format!("{input:?}\n   got  {got:?}\n   want {want:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn numpy_gives_slim_never_alpine_even_when_a_config_asks_for_alpine() {
    let ctx = tmp_context("numpy", &[("requirements.txt", "numpy==1.26\nflask\n")]);
    let (out, app) = slim("FROM python:3.11\nRUN pip install --no-cache-dir -r requirements.txt\n", "default", &ctx);
    assert_eq!(out, "FROM python:3.11-slim-bookworm\nRUN pip install --no-cache-dir -r requirements.txt\n");
    assert_eq!(app, Some(Applicability::Safe));
    // a configuration that maps Python to Alpine first is skipped for C extensions
    let dir = ctx.dir().unwrap().to_path_buf();
    std::fs::write(dir.join("dopt.toml"), "extends = \"default\"\n[[images]]\nimage = \"python\"\ntag = '^(3\\.\\d+)$'\nto = \"$1-alpine\"\n").unwrap();
    let cfg = Config::file(&dir.join("dopt.toml")).unwrap();
    let opts = Options { unsafe_fixes: true, config: Arc::new(cfg), ..Options::default() };
    let out = engine::run("FROM python:3.11\n", &[&SlimBaseImage], &ctx, &opts).unwrap();
    assert_eq!(out.output, "FROM python:3.11-slim-bookworm\n");
    let plain = tmp_context("plainpy", &[("requirements.txt", "flask\n"), ("dopt.toml", "extends = \"default\"\n[[images]]\nimage = \"python\"\ntag = '^(3\\.\\d+)$'\nto = \"$1-alpine\"\n")]);
    let cfg = Config::file(&plain.dir().unwrap().join("dopt.toml")).unwrap();
    let opts = Options { unsafe_fixes: true, config: Arc::new(cfg), ..Options::default() };
    let out = engine::run("FROM python:3.11\n", &[&SlimBaseImage], &plain, &opts).unwrap();
    assert_eq!(out.output, "FROM python:3.11-alpine\n");
}

#[test]
fn sharp_gives_node_slim_and_plain_apps_get_alpine_as_unsafe() {
    let ctx = tmp_context("sharp", &[("package.json", "{\"dependencies\": {\"sharp\": \"0.33\"}}"), ("package-lock.json", "{}")]);
    let (out, app) = slim("FROM node:18\nRUN npm ci\n", "default", &ctx);
    assert_eq!(out, "FROM node:18-slim\nRUN npm ci\n");
    assert_eq!(app, Some(Applicability::Unsafe), "sharp may need build tools -slim lacks");
    let plain = tmp_context("plainnode", &[("package.json", "{\"dependencies\": {\"express\": \"4\"}}")]);
    let (out, app) = slim("FROM node:18\nRUN npm ci\n", "default", &plain);
    assert_eq!(out, "FROM node:18-alpine\nRUN npm ci\n");
    assert_eq!(app, Some(Applicability::Unsafe));
    let (out, app) = slim("FROM node:18\nRUN npm ci\n", "glibc", &plain);
    assert_eq!(out, "FROM node:18-slim\nRUN npm ci\n");
    assert_eq!(app, Some(Applicability::Safe));
    // installing build tools means native builds: slim, not alpine
    let (out, _) = slim("FROM node:18\nRUN apt-get install -y python3 make g++\nRUN npm ci\n", "default", &plain);
    assert!(out.starts_with("FROM node:18-slim\n"), "{out}");
}

#[test]
fn a_stage_compiling_with_javac_keeps_its_jdk() {
    let ctx = tmp_context("java", &[("pom.xml", "<project/>")]);
    let t = "FROM eclipse-temurin:17-jdk\nCOPY . .\nRUN javac -d out Main.java\nCMD [\"java\", \"-cp\", \"out\", \"Main\"]\n";
    assert_eq!(slim(t, "default", &ctx).0, t);
    let t = "FROM maven:3.9-eclipse-temurin-17 AS build\nRUN mvn package\nFROM eclipse-temurin:17-jdk\nCOPY --from=build /app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n";
    let (out, app) = slim(t, "default", &ctx);
    assert!(out.contains("FROM eclipse-temurin:17-jre-alpine\n"), "{out}");
    assert_eq!(app, Some(Applicability::Unsafe));
    assert!(slim(t, "glibc", &ctx).0.contains("FROM eclipse-temurin:17-jre\n"));
    let (out, _) = slim(t, "distroless", &ctx);
    assert!(out.contains("FROM gcr.io/distroless/java17-debian12:nonroot\n"), "{out}");
}

#[test]
fn tools_the_slim_image_lacks_make_the_fix_unsafe() {
    let ctx = tmp_context("tools", &[("requirements.txt", "flask\n")]);
    let (out, app) = slim("FROM python:3.11\nRUN curl -fsSL https://x/y.sh | sh\n", "default", &ctx);
    assert_eq!(out, "FROM python:3.11-slim-bookworm\nRUN curl -fsSL https://x/y.sh | sh\n");
    assert_eq!(app, Some(Applicability::Unsafe));
    let (_, app) = slim("FROM python:3.11\nRUN apt-get update && apt-get install -y curl\nRUN curl -fsSL https://x/y.sh | sh\n", "default", &ctx);
    assert_eq!(app, Some(Applicability::Safe));
    let pg = tmp_context("pg", &[("requirements.txt", "psycopg2==2.9\n")]);
    let (_, app) = slim("FROM python:3.11\nRUN pip install -r requirements.txt\n", "default", &pg);
    assert_eq!(app, Some(Applicability::Unsafe));
    let pgb = tmp_context("pgb", &[("requirements.txt", "psycopg2-binary==2.9\n")]);
    let (_, app) = slim("FROM python:3.11\nRUN pip install -r requirements.txt\n", "default", &pgb);
    assert_eq!(app, Some(Applicability::Safe));
    // no context at all: unsafe, with the reason
    let (_, app) = slim("FROM python:3.11\nRUN pip install -r requirements.txt\n", "default", &BuildContext::default());
    assert_eq!(app, Some(Applicability::Unsafe));
}

#[test]
fn messages_say_what_was_read() {
    let ctx = tmp_context("msg", &[("requirements.txt", "numpy\n")]);
    let f = crate::syntax::parse("FROM python:3.11\n").unwrap();
    let d = engine::check(&f, &[&SlimBaseImage], &ctx);
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("requirements.txt lists numpy"), "{}", d[0].message);
    let f = crate::syntax::parse("FROM python:3.11@sha256:abc\n").unwrap();
    let d = engine::check(&f, &[&SlimBaseImage], &ctx);
    assert!(d[0].message.contains("pinned by digest") && d[0].fix.is_none());
}
