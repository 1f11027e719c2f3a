//! The apt rules together: every rule runs each round and the engine applies fixes to a fixed
//! point, so `apt` becomes `apt-get`, `-y` and `--no-install-recommends` are added, needed
//! packages join the list and the package lists are removed, each by its own rule. These tests
//! check the text the whole pipeline settles on, and that a second run changes nothing.

use dopt::engine::{self, Applicability, Options};
use dopt::model::context::BuildContext;

fn run(text: &str, unsafe_fixes: bool) -> String {
    // the package-manager rules (DP1xx); base images are DP301's business
    let rules = dopt::cli::select_rules(&["DP1".to_string()], &[]).unwrap();
    let ctx = BuildContext::default();
    let opts = Options { unsafe_fixes, ..Options::default() };
    let out = engine::run(text, &rules, &ctx, &opts).expect("input parses");
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    dopt::syntax::parse(&out.output).expect("output parses");
    let again = engine::run(&out.output, &rules, &ctx, &opts).unwrap();
    assert_eq!(again.output, out.output, "a second run changed the output");
    // nothing that could still be applied is left
    let applicable = |f: &engine::Fix| f.applicability == Applicability::Safe || (unsafe_fixes && f.applicability == Applicability::Unsafe);
    assert!(!out.remaining.iter().any(|d| d.fix.as_ref().is_some_and(applicable)), "{:?}", out.remaining);
    out.output
}

fn safe(text: &str) -> String {
    run(text, false)
}

fn with_unsafe(text: &str) -> String {
    run(text, true)
}

#[test]
fn apt_update_and_install_end_fully_fixed() {
    let text = "FROM debian:12\nRUN apt update && apt install curl\n";
    // `apt-get install curl` would make hadolint ask for a version pin it does not ask of
    // `apt install curl` (DL3008): that one replacement waits for --unsafe-fixes
    assert_eq!(
        safe(text),
        "FROM debian:12\nRUN apt-get update && apt install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/*\n"
    );
    assert_eq!(
        with_unsafe(text),
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/*\n"
    );
    // where hadolint already asks for pins, all of it is safe
    assert_eq!(
        safe("FROM debian:12\nRUN apt update && apt-get install vim && apt install curl\n"),
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends vim && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/*\n"
    );
}

#[test]
fn command_line_forms() {
    assert_eq!(
        safe("FROM debian:12\nRUN apt-get update && apt-get -y install wget\n"),
        "FROM debian:12\nRUN apt-get update && apt-get -y install --no-install-recommends wget ca-certificates && rm -rf /var/lib/apt/lists/*\n"
    );
    assert_eq!(
        safe("FROM debian:12\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -qq git\n"),
        "FROM debian:12\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -qq --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*\n"
    );
    assert_eq!(
        safe("FROM debian:12\nUSER app\nRUN sudo apt-get update && sudo apt-get install vim\n"),
        "FROM debian:12\nUSER app\nRUN sudo apt-get update && sudo apt-get install -y --no-install-recommends vim && sudo rm -rf /var/lib/apt/lists/*\n"
    );
    assert_eq!(
        safe("FROM debian:12\nONBUILD RUN apt-get update && apt-get install vim\n"),
        "FROM debian:12\nONBUILD RUN apt-get update && apt-get install -y --no-install-recommends vim && rm -rf /var/lib/apt/lists/*\n"
    );
}

#[test]
fn layouts() {
    // heredoc
    assert_eq!(
        safe("FROM debian:12\nRUN <<EOF\nset -e\napt update\napt-get install \\\n    wget \\\n    curl\necho ok\nEOF\n"),
        "FROM debian:12\nRUN <<EOF\nset -e\napt-get update\napt-get install -y --no-install-recommends \\\n    wget \\\n    curl \\\n    ca-certificates\nrm -rf /var/lib/apt/lists/*\necho ok\nEOF\n"
    );
    // comments inside continuations, leading `&&`
    assert_eq!(
        safe("FROM debian:12\nRUN apt-get update \\\n    # tools\n    && apt-get install \\\n        curl \\\n        vim\n"),
        "FROM debian:12\nRUN apt-get update \\\n    # tools\n    && apt-get install -y --no-install-recommends \\\n        ca-certificates \\\n        curl \\\n        vim \\\n    && rm -rf /var/lib/apt/lists/*\n"
    );
    // escape directive and CRLF
    assert_eq!(
        safe("# escape=`\r\nFROM debian:12\r\nRUN apt update && `\r\n    apt-get install vim\r\n"),
        "# escape=`\r\nFROM debian:12\r\nRUN apt-get update && `\r\n    apt-get install -y --no-install-recommends vim && `\r\n    rm -rf /var/lib/apt/lists/*\r\n"
    );
}

#[test]
fn split_update_and_install() {
    let text = "FROM debian:12\nRUN apt-get update\nRUN apt-get install curl\n";
    // DP106 moves the lone update into the RUN that installs; then the lists are removed there
    let merged = "FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y --no-install-recommends curl ca-certificates && \\\n    rm -rf /var/lib/apt/lists/*\n";
    assert_eq!(safe(text), merged);
    assert_eq!(with_unsafe(text), merged);
}

#[test]
fn left_alone() {
    for text in [
        "FROM debian:12\nRUN [\"apt-get\", \"install\", \"curl\"]\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\nRUN for p in a b; do apt install $p; done\n",
    ] {
        assert_eq!(safe(text), text);
        assert_eq!(with_unsafe(text), text);
    }
    // inside `if`, edited in place
    assert_eq!(
        safe("FROM debian:12\nRUN if [ -n \"$X\" ]; then apt-get update && apt-get install vim; fi\n"),
        "FROM debian:12\nRUN if [ -n \"$X\" ]; then apt-get update && apt-get install -y --no-install-recommends vim && rm -rf /var/lib/apt/lists/*; fi\n"
    );
}

/// The package-manager rules see through `sudo` and its options (`-E`, `-u root`, `-H`,
/// `NAME=value`): flags land after the program, and the cleanups they add run under the same
/// `sudo` words.
#[test]
fn package_managers_under_sudo_and_its_options() {
    let text = "FROM debian:12\n\
        RUN sudo -u root apt-get update && sudo -u root DEBIAN_FRONTEND=noninteractive apt-get install curl\n\
        RUN sudo -E pip install flask && sudo --user=root -H pip3 install gunicorn\n\
        RUN sudo -E npm install -g pm2\n\
        RUN sudo -E gem install rake\n";
    assert_eq!(
        safe(text),
        "FROM debian:12\n\
        RUN sudo -u root apt-get update && sudo -u root DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl ca-certificates && sudo -u root rm -rf /var/lib/apt/lists/*\n\
        RUN sudo -E pip install --no-cache-dir flask && sudo --user=root -H pip3 install --no-cache-dir gunicorn\n\
        RUN sudo -E npm install -g pm2 && sudo -E npm cache clean --force\n\
        RUN sudo -E gem install --no-document rake\n"
    );
    let text = "FROM alpine:3.19\nRUN sudo -u root apk add curl\n";
    assert_eq!(safe(text), "FROM alpine:3.19\nRUN sudo -u root apk add --no-cache curl\n");
    let text = "FROM centos:7\nRUN sudo -E yum install httpd\n";
    assert_eq!(safe(text), "FROM centos:7\nRUN sudo -E yum install -y httpd && sudo -E yum clean all && sudo -E rm -rf /var/cache/yum\n");
}
