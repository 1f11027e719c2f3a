//! Property tests: on any text, parse-then-print gives the text back and nothing panics; on
//! Dockerfile-like text built from tricky fragments, every rule's fixes (unsafe ones included)
//! give output that parses, and a second run changes nothing.
//!
//! `PROPTEST_CASES=3000000 cargo test --release --test fuzz` runs it for about five minutes.

use dopt::engine::{self, Options};
use dopt::model::context::BuildContext;
use proptest::prelude::*;

/// Pieces real Dockerfiles are made of, including the awkward ones.
const FRAGMENTS: &[&str] = &[
    "FROM python:3.11", "FROM node:18 AS build", "from alpine", "FROM scratch", "ARG V=1", "ARG BASE=debian:12",
    "FROM ${BASE}", "RUN pip install flask", "RUN pip3 install -r requirements.txt", "run python -m pip install x",
    "RUN apt-get update", "RUN apt-get install -y curl", "RUN apt update && apt install git", "RUN apk add bash",
    "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*",
    "RUN npm install", "RUN yarn install", "RUN yum install httpd", "RUN dnf install -y x", "RUN gem install rails",
    "RUN a \\", "  && b \\", "  # comment", "", "   ", "\\", "RUN <<EOF", "pip install x", "EOF", "RUN <<-'EOT' bash",
    "\tapt-get install curl", "\tEOT", "COPY <<EOF /x", "ADD . /app", "ADD https://x/y.tgz /z", "ADD a.tar.gz /", "COPY . .",
    "CMD python app.py", "CMD [\"python\", \"app.py\"]", "ENTRYPOINT node server.js", "CMD [\"a\", \"b\"", "CMD [1]",
    "ENV A=1 B=\"x y\"", "ENV PIP_NO_CACHE_DIR 1", "LABEL a=b", "EXPOSE 80", "USER 1000", "WORKDIR /app",
    "HEALTHCHECK CMD curl -f http://x/ || exit 1", "HEALTHCHECK NONE", "SHELL [\"/bin/bash\", \"-c\"]", "ONBUILD RUN pip install x",
    "ONBUILD COPY . /app", "STOPSIGNAL SIGTERM", "MAINTAINER me", "VOLUME /data", "FOO bar", "# escape=`", "# syntax=docker/dockerfile:1",
    "RUN a `", "RUN --mount=type=cache,target=/root/.cache pip install y", "RUN if true; then pip install z; fi",
    "RUN for i in 1 2; do pip install $i; done", "RUN pip install $(cat reqs)", "RUN echo 'unterminated",
    "RUN sh -c \"pip install q\"", "RUN set -e; apt-get install -y x; echo done", "RUN x || y", "RUN a | b",
    "RUN echo \"<<EOF\"", "RUN cat <<EOF > /f", "RUN 2<<X cat", "X", "RUN \\\\", "  \\", "RUN é ü \u{00a0} 日本",
];

fn doc() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        8 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
        1 => "[ -~\t]{0,20}",
    ];
    (prop::collection::vec(line, 0..30), prop::sample::select(vec!["\n", "\r\n"]), any::<bool>(), any::<bool>()).prop_map(|(lines, eol, bom, final_nl)| {
        let mut s = if bom { "\u{feff}".to_string() } else { String::new() };
        s.push_str(&lines.join(eol));
        if final_nl {
            s.push_str(eol);
        }
        s
    })
}

/// 512 cases by default; `PROPTEST_CASES` asks for more.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_text_round_trips(s in "\\PC{0,200}|[\\x00-\\x7f]{0,200}") {
        if let Ok(d) = dopt::syntax::parse(&s) {
            prop_assert_eq!(d.print(), s);
        }
    }

    #[test]
    fn dockerfile_like_text_round_trips_and_fixes_are_stable(s in doc()) {
        let Ok(d) = dopt::syntax::parse(&s) else { return Ok(()) };
        prop_assert_eq!(d.print(), s.clone());
        let rules = dopt::transforms::all();
        let ctx = BuildContext::default();
        let opts = Options { unsafe_fixes: true, ..Options::default() };
        let out = engine::run(&s, &rules, &ctx, &opts).unwrap();
        prop_assert!(out.problems.is_empty(), "{:?}", out.problems);
        prop_assert!(dopt::syntax::parse(&out.output).is_ok());
        let again = engine::run(&out.output, &rules, &ctx, &opts).unwrap();
        prop_assert_eq!(again.output, out.output);
    }
}

/// The generator must mostly produce files BuildKit accepts, or the properties above would
/// say little about the fixes.
#[test]
fn the_generator_mostly_makes_valid_dockerfiles() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = doc();
    let (mut ok, mut changed) = (0, 0);
    let rules = dopt::transforms::all();
    let ctx = BuildContext::default();
    let opts = Options { unsafe_fixes: true, ..Options::default() };
    for _ in 0..1000 {
        let s = strat.new_tree(&mut runner).unwrap().current();
        if dopt::syntax::parse(&s).is_ok() {
            ok += 1;
            if engine::run(&s, &rules, &ctx, &opts).unwrap().output != s {
                changed += 1;
            }
        }
    }
    assert!(ok >= 400, "only {ok} of 1000 generated files parse");
    assert!(changed >= 100, "only {changed} of 1000 generated files were changed by the fixes");
}
