//! Fixes that change a base image, together with the rules that decide on the base.
//!
//! DP301 swaps a full base for its slim variant; DP103 (`--no-install-recommends`) decides which
//! recommended packages an install still needs from what the base already ships. Decided against
//! the old base in the same round, the two broke builds (`gcc` without `libc6-dev` on `-slim`).
//! The engine now applies a base swap alone, in a round of its own, and every rule decides again
//! on the new base. These tests run the whole pipeline under a preset, on a real build context,
//! and check the text it settles on: each rule that reads the base or the package set, against
//! DP301.

use std::path::{Path, PathBuf};

use dopt::config::Config;
use dopt::engine::{self, Options};
use dopt::model::context::BuildContext;

struct Ctx(PathBuf);

impl Ctx {
    fn new(files: &[(&str, &str)]) -> Ctx {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!("dopt-base-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        std::fs::create_dir_all(&d).unwrap();
        for (p, t) in files {
            let f = d.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        Ctx(d)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The whole pipeline under `preset`, to its fixed point; checks the output parses and that a
/// second run changes nothing. Returns the output and the codes of the fixes applied.
fn run(text: &str, preset: &str, unsafe_fixes: bool, ctx: &Ctx) -> (String, Vec<&'static str>) {
    let config = Config::preset(preset).expect("preset");
    let rules = dopt::cli::select_rules(&config.select, &config.ignore).expect("the preset's rules");
    let build = BuildContext::new(Some(ctx.path().to_path_buf()));
    let opts = Options { unsafe_fixes, config: std::sync::Arc::new(config), ..Options::default() };
    let out = engine::run(text, &rules, &build, &opts).expect("input parses");
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    dopt::syntax::parse(&out.output).expect("output parses");
    let again = engine::run(&out.output, &rules, &build, &opts).unwrap();
    assert_eq!(again.output, out.output, "a second run changed the output");
    (out.output, out.applied.iter().map(|a| a.code).collect())
}

const PSYCOPG2: &str = "FROM python:3.11
RUN apt-get update && apt-get install -y libpq-dev gcc
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD [\"python\", \"app.py\"]
";

#[test]
fn gcc_keeps_the_c_library_headers_when_the_base_becomes_slim() {
    let ctx = Ctx::new(&[("requirements.txt", "psycopg2==2.9.9\n"), ("app.py", "print(1)\n")]);
    let (out, applied) = run(PSYCOPG2, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11-slim-bookworm\n"), "{out}");
    // decided on the slim base: gcc without recommends needs libc6-dev there
    assert!(out.contains("apt-get install -y --no-install-recommends libpq-dev gcc libc6-dev && rm -rf /var/lib/apt/lists/*"), "{out}");
    // the base swap came first, alone
    assert_eq!(applied.first(), Some(&"DP301"), "{applied:?}");
}

#[test]
fn an_install_that_already_skips_recommends_gets_what_the_full_image_gave_it() {
    let ctx = Ctx::new(&[("requirements.txt", "psycopg2==2.9.9\n")]);
    let text = PSYCOPG2.replace("install -y libpq-dev gcc", "install -y --no-install-recommends libpq-dev gcc");
    let (out, _) = run(&text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11-slim-bookworm\n"), "{out}");
    assert!(out.contains("--no-install-recommends libpq-dev gcc libc6-dev"), "{out}");
    // on the full image nothing is added: the image has the headers
    let (kept, _) = run(&text, "glibc", false, &Ctx::new(&[("requirements.txt", "psycopg2==2.9.9\n")]));
    let only_dp103 = kept.replace("libc6-dev", "");
    assert_eq!(only_dp103.matches("libc6-dev").count(), 0);
}

#[test]
fn curl_keeps_ca_certificates_when_node_moves_to_slim() {
    // the official node:N-slim purges ca-certificates, which node:N has
    let ctx = Ctx::new(&[("package.json", "{\"name\":\"x\",\"dependencies\":{\"express\":\"4\"}}"), ("package-lock.json", "{}")]);
    let text = "FROM node:18\nRUN apt-get update && apt-get install -y curl\nRUN curl -fsSL https://example.com/x -o /x\nCMD [\"node\", \"server.js\"]\n";
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM node:18-slim\n"), "{out}");
    assert!(out.contains("--no-install-recommends curl ca-certificates"), "{out}");
    // already without recommends: the swap adds it itself
    let text = "FROM node:18\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nCMD [\"node\", \"server.js\"]\n";
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM node:18-slim\n"), "{out}");
    assert!(out.contains("--no-install-recommends curl ca-certificates"), "{out}");
}

#[test]
fn a_pinned_list_that_would_need_an_unpinned_package_makes_the_swap_unsafe() {
    let ctx = Ctx::new(&[("requirements.txt", "flask\n")]);
    let text = "FROM python:3.11\nRUN apt-get update && apt-get install -y --no-install-recommends gcc=4:12.2.0-3 && rm -rf /var/lib/apt/lists/*\nCMD [\"python\"]\n";
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11\n"), "safe run must not swap: {out}");
    let (out, _) = run(text, "glibc", true, &ctx);
    assert!(out.starts_with("FROM python:3.11-slim-bookworm\n") && out.contains("gcc=4:12.2.0-3 libc6-dev"), "{out}");
}

#[test]
fn pip_packages_that_compile_need_a_compiler_on_the_slim_image() {
    // psycopg2 (not -binary) builds from source: without a compiler installed, the swap is unsafe
    let ctx = Ctx::new(&[("requirements.txt", "psycopg2==2.9.9\n")]);
    let text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n";
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11\n"), "{out}");
    // with psycopg2-binary it is safe
    let ctx = Ctx::new(&[("requirements.txt", "psycopg2-binary==2.9.9\n")]);
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11-slim-bookworm\n"), "{out}");
}

#[test]
fn native_addons_keep_node_off_alpine_and_need_build_tools_on_slim() {
    let ctx = Ctx::new(&[("package.json", "{\"dependencies\":{\"bcrypt\":\"5\"}}"), ("package-lock.json", "{}")]);
    let text = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n";
    // default preset: never alpine with a native addon; slim lacks python3/make/g++ for node-gyp
    let (out, _) = run(text, "default", false, &ctx);
    assert!(out.starts_with("FROM node:18\n"), "{out}");
    // with unsafe fixes DP404 splits the build first: its runtime is -slim too, never Alpine
    let (out, _) = run(text, "default", true, &ctx);
    assert!(out.starts_with("FROM node:18 AS builder\n") && out.contains("\nFROM node:18-slim\n") && !out.contains("alpine"), "{out}");
    // with the build tools installed first, slim is safe, and they keep working without recommends
    let text = "FROM node:18\nRUN apt-get update && apt-get install -y python3 make g++\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n";
    let (out, _) = run(text, "default", false, &ctx);
    assert!(out.starts_with("FROM node:18-slim\n"), "{out}");
    assert!(out.contains("--no-install-recommends python3 make g++"), "{out}");
}

#[test]
fn a_jdk_stage_that_compiles_through_a_script_keeps_its_jdk() {
    let build = "#!/bin/sh\nset -e\nmkdir -p out\njavac -d out src/Main.java\njar cfe app.jar Main -C out .\n";
    let ctx = Ctx::new(&[("build.sh", build), ("src/Main.java", "class Main {}\n")]);
    let text = "FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY . .\nRUN ./build.sh\nCMD [\"java\", \"-jar\", \"app.jar\"]\n";
    for preset in ["default", "glibc", "distroless"] {
        for unsafe_fixes in [false, true] {
            let (out, _) = run(text, preset, unsafe_fixes, &ctx);
            // the stage that runs build.sh keeps the JDK (with unsafe fixes, DP402 makes it the
            // builder and runs the jar on a JRE)
            let build_stage = out[..out.find("RUN ./build.sh").unwrap()].rsplit("FROM ").next().unwrap();
            assert!(build_stage.starts_with("eclipse-temurin:17-jdk"), "{preset}: {out}");
            assert_eq!(out.starts_with("FROM eclipse-temurin:17-jdk AS builder\n"), unsafe_fixes, "{preset}: {out}");
        }
    }
    // a script dopt cannot read: the JRE swap is only offered as unsafe, saying why
    let ctx = Ctx::new(&[("src/Main.java", "class Main {}\n")]);
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM eclipse-temurin:17-jdk\n"), "{out}");
    let file = dopt::syntax::parse(text).unwrap();
    let build = BuildContext::new(Some(ctx.path().to_path_buf()));
    let config = Config::preset("glibc").unwrap();
    let d = engine::check_with(&file, &dopt::transforms::all(), &build, &config);
    let dp301 = d.iter().find(|d| d.code == "DP301").expect("DP301 reports");
    assert!(dp301.message.contains("cannot find in the build context"), "{}", dp301.message);
    assert_eq!(dp301.fix.as_ref().unwrap().applicability, engine::Applicability::Unsafe);
    // a script that only copies files: the JRE is safe
    let ctx = Ctx::new(&[("setup.sh", "#!/bin/sh\nmkdir -p /data\ncp app.jar /data/\n"), ("app.jar", "")]);
    let text = "FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY . .\nRUN ./setup.sh\nCMD [\"java\", \"-jar\", \"/data/app.jar\"]\n";
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM eclipse-temurin:17-jre\n"), "{out}");
}

#[test]
fn make_and_unknown_scripts_make_a_base_swap_unsafe() {
    let ctx = Ctx::new(&[("requirements.txt", "flask\n"), ("Makefile", "all:\n\tgcc -o x x.c\n")]);
    for run_line in ["RUN make", "RUN ./configure.sh", "RUN sh scripts/setup.sh"] {
        let text = format!("FROM python:3.11\nWORKDIR /app\nCOPY . .\n{run_line}\nCMD [\"python\", \"app.py\"]\n");
        let (out, _) = run(&text, "glibc", false, &ctx);
        assert!(out.starts_with("FROM python:3.11\n"), "{run_line}: {out}");
        let (out, _) = run(&text, "glibc", true, &ctx);
        assert!(out.starts_with("FROM python:3.11-slim-bookworm\n"), "{run_line}: {out}");
    }
    // a script that uses only what the slim image has is safe
    let ctx = Ctx::new(&[("requirements.txt", "flask\n"), ("setup.sh", "#!/bin/sh\nmkdir -p /data && chmod 755 /data\n")]);
    let text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN ./setup.sh\nCMD [\"python\", \"app.py\"]\n";
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11-slim-bookworm\n"), "{out}");
    // one that uses git is not
    let ctx = Ctx::new(&[("requirements.txt", "flask\n"), ("setup.sh", "#!/bin/sh\ngit clone https://example.com/x.git /x\n")]);
    let (out, _) = run(text, "glibc", false, &ctx);
    assert!(out.starts_with("FROM python:3.11\n"), "{out}");
}

#[test]
fn alpine_targets_lack_apt_and_bash() {
    let ctx = Ctx::new(&[("package.json", "{\"dependencies\":{\"express\":\"4\"}}"), ("package-lock.json", "{}")]);
    let text = "FROM node:18\nRUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\nCMD [\"node\", \"server.js\"]\n";
    let (out, _) = run(text, "default", true, &ctx);
    assert!(out.starts_with("FROM node:18-slim\n"), "never alpine for a stage that uses apt: {out}");
}

#[test]
fn a_distroless_java_image_runs_the_jar_through_the_entrypoint() {
    // gcr.io/distroless/javaN's own ENTRYPOINT is `java -jar`: a kept CMD ["java", ...] would run
    // `java -jar java -jar app.jar`
    let ctx = Ctx::new(&[("app.jar", "")]);
    let text = "FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY app.jar .\ncmd [\"java\", \"-jar\", \"app.jar\"]\n";
    let (out, _) = run(text, "distroless", true, &ctx);
    assert!(out.starts_with("FROM gcr.io/distroless/java17-debian12:nonroot\n"), "{out}");
    assert!(out.ends_with("\nentrypoint [\"java\", \"-jar\", \"app.jar\"]\n"), "keyword case kept: {out}");
    // an ENTRYPOINT of its own already replaces the image's
    let text = "FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY app.jar .\nENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n";
    let (out, _) = run(text, "distroless", true, &ctx);
    assert!(out.starts_with("FROM gcr.io/distroless/java17-debian12:nonroot\n") && out.ends_with("ENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n"), "{out}");
}
