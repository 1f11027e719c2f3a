//! DP510 curl-fail
use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{base, Command, Sep};
use crate::transforms::common::{index_in_script, pipefail_at, run_commands_deep, status_tested, word_edit_blocker, InnerScripts, RunCommand};
use crate::transforms::security::download::{Download, Tool};

pub struct CurlFail;

static META: RuleMeta = RuleMeta {
    code: "DP510",
    name: "curl-fail",
    summary: "`curl` saves an HTTP error page as if it were the file: add `-f` (`--fail`) so that the build fails instead",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `curl` commands that fetch a URL (in RUN instructions, heredoc scripts, ONBUILD RUN,
`sh -c '...'` strings and `$(...)` substitutions; `sudo` and other wrappers understood)
without `-f`/`--fail` (or `--fail-with-body`), and adds it: `f` at the front of the first short-option cluster
(`-sSL` becomes `-fsSL`), else `--fail` when the command spells its options long, else `-f`.

## Why
Without `-f`, curl treats a 404 or a 500 as a successful transfer: it writes the server's error
page to the output file (or down the pipe) and exits 0. The build goes on with an HTML page
where an archive, a key or a binary was expected, and fails later with a confusing message, or
not at all. With `-f` curl exits with an error (22) and the RUN stops at the download.

## Example
```dockerfile
RUN curl -SLO "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-x64.tar.gz"
```
becomes
```dockerfile
RUN curl -fSLO "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-x64.tar.gz"
```

## Not flagged
- `-f`, `--fail`, `--fail-with-body` (alone or in a cluster such as `-fsSL`), or `--no-fail`;
- `-w`/`--write-out`: the command reports the status itself for the script to check;
- `-K`/`--config`: a configuration file dopt cannot read may set `fail`;
- curl without a URL (`curl --version`).

## Fix safety
Safe: an HTTP error now fails the build where it used to go on silently with an error page;
a successful download is unchanged. Inside `$(...)` an HTTP error now gives an empty value
instead of the error page, and `V=$(curl -f ...)` fails the RUN. Unsafe when the command's exit status is tested rather
than left to end the RUN (`if curl ...`, `until curl ...`, `curl ... || fallback`): a 404 now
takes the other branch. Unsafe when curl's output is piped into a command that accepts empty
input (`curl ... | bash`, `| tee`) and `pipefail` is not set: with `-f` a failed download
sends nothing, and the build goes on where running the error page as a script would have
failed it (set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]`, which makes the fix safe).
Piped into a command that fails on empty input (`tar -x`, `gunzip`, `gpg`, `apt-key add`,
`grep`), the fix is safe. A command in a `sh -c "..."` string with escapes or expansions is reported
without a fix.
"#,
};

impl Rule for CurlFail {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_deep(cx, &inner) {
            let Some(d) = Download::of(rc.cmd) else { continue };
            if d.tool != Tool::Curl || d.urls().is_empty() {
                continue;
            }
            if d.has(b"fwK", &["--fail", "--fail-with-body", "--no-fail", "--write-out", "--config"]) {
                continue;
            }
            let msg = "`curl` without `-f`: an HTTP error (404, 500) is saved as if it were the file and the build goes on";
            if let Some(r) = word_edit_blocker(&rc) {
                out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg} (no fix: {r})"), None));
                continue;
            }
            let edit = fail_edit(&d);
            let (applicability, why) = match safety(cx, &rc) {
                None => (Applicability::Safe, String::new()),
                Some(w) => (Applicability::Unsafe, format!(" (unsafe: {w})")),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg}{why}"), Some(Fix::with(applicability, vec![edit]))));
        }
    }
}

/// The edit that adds `-f`, in the command's own style.
fn fail_edit(d: &Download) -> Edit {
    let prog = &d.argv[0];
    if let Some(first) = d.argv.get(1) {
        let t = first.text.as_bytes();
        if !first.quoted && !first.dynamic && t.len() > 1 && t[0] == b'-' && t[1] != b'-' && t[1..].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'#') {
            return Edit::insert(first.range.start + 1, "f");
        }
    }
    let long_only = !d.options.is_empty() && d.options.iter().all(|(o, _)| o.text.starts_with("--"));
    Edit::insert(prog.range.end, if long_only { " --fail" } else { " -f" })
}

/// Why adding `-f` may change what the build does beyond failing on an HTTP error.
fn safety(cx: &Context, rc: &RunCommand) -> Option<String> {
    if status_tested(cx, rc) {
        return Some("its exit status is tested: an HTTP error would now take the other branch".into());
    }
    if let Some((Sep::Pipe, _)) = rc.cmd.sep_after {
        let next = rc.script.commands.get(index_in_script(rc) + 1)?;
        if !pipefail_at(cx, rc) && !fails_on_empty_input(next) {
            let name = next.program().unwrap_or("the next command");
            return Some(format!(
                "its output is piped into `{name}` without `pipefail`: a failed download would send nothing, which `{name}` may accept, and the build would go on"
            ));
        }
    }
    None
}

/// Whether a command that reads a download on its input fails when the input is empty:
/// archive extraction, decompression, key import, `grep` (which fails when no line matches).
pub fn fails_on_empty_input(c: &Command) -> bool {
    let argv = c.argv();
    let Some(p) = argv.first().map(|w| base(&w.text)) else { return false };
    let has = |f: &str| argv[1..].iter().any(|w| w.text == f || (f.len() == 2 && w.text.starts_with('-') && !w.text.starts_with("--") && w.text.contains(&f[1..])));
    match p {
        "tar" => argv[1..].iter().enumerate().any(|(k, w)| {
            let t = w.text.as_str();
            let cluster = (k == 0 || t.starts_with('-')) && !t.starts_with("--") && t.trim_start_matches('-').chars().all(|c| c.is_ascii_alphabetic());
            (cluster && (t.contains('x') || t.contains('t'))) || matches!(t, "--extract" | "--list" | "--get")
        }),
        "gunzip" | "zcat" | "bunzip2" | "bzcat" | "unxz" | "xzcat" | "unzstd" | "zstdcat" | "gpg" | "gpg2" | "apt-key" => true,
        "grep" | "egrep" | "fgrep" => !argv[1..].iter().any(|w| w.text == "-c" || w.text == "--count"),
        "gzip" | "bzip2" | "xz" | "zstd" => has("-d") || has("--decompress"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    fn fix_unsafe(s: &str) -> String {
        fix_with(&CurlFail, s, true, &BuildContext::default())
    }

    #[test]
    fn adds_the_flag_in_the_commands_style() {
        let f = |s: &str| fix(&CurlFail, s);
        assert_eq!(f("RUN curl -SLO https://a.org/x.tgz\n"), "RUN curl -fSLO https://a.org/x.tgz\n");
        assert_eq!(f("RUN curl https://a.org/x -o x\n"), "RUN curl -f https://a.org/x -o x\n");
        assert_eq!(f("RUN curl --silent --location --output x https://a.org/x\n"), "RUN curl --fail --silent --location --output x https://a.org/x\n");
        assert_eq!(f("RUN curl -o x --retry 3 https://a.org/x\n"), "RUN curl -fo x --retry 3 https://a.org/x\n");
        assert_eq!(f("RUN sudo -u app curl \"$URL\" > x\n"), "RUN sudo -u app curl -f \"$URL\" > x\n");
        assert_eq!(f("RUN sh -c 'curl -sL https://a.org/x > x'\n"), "RUN sh -c 'curl -fsL https://a.org/x > x'\n");
        // inside a loop, or with a substitution in the URL: the flag still goes after curl
        assert_eq!(f("RUN for u in a b; do curl -O \"$u\"; done\n"), "RUN for u in a b; do curl -fO \"$u\"; done\n");
        assert_eq!(f("RUN curl \"https://a.org/`uname -m`/x\" > x\n"), "RUN curl -f \"https://a.org/`uname -m`/x\" > x\n");
        assert_eq!(f("RUN V=$(curl -s https://a.org/v) && echo $V\n"), "RUN V=$(curl -fs https://a.org/v) && echo $V\n");
        assert_eq!(f("RUN curl -fO \"https://a.org/$(curl -sL https://a.org/latest)/x\"\n"), "RUN curl -fO \"https://a.org/$(curl -fsL https://a.org/latest)/x\"\n");
        // piped into a command that fails on empty input
        assert_eq!(f("RUN curl -sL https://a.org/x.tgz | tar -xz\n"), "RUN curl -fsL https://a.org/x.tgz | tar -xz\n");
        assert_eq!(f("RUN curl -s $U | tar -C /usr/local -xz\n"), "RUN curl -fs $U | tar -C /usr/local -xz\n");
        assert_eq!(f("RUN curl \"$U\" | tar --directory=/usr/local/bin -xz\n"), "RUN curl -f \"$U\" | tar --directory=/usr/local/bin -xz\n");
        assert_eq!(f("RUN curl -s https://a.org/k | apt-key add -\n"), "RUN curl -fs https://a.org/k | apt-key add -\n");
        assert_eq!(f("RUN curl -s https://a.org/k | gpg --dearmor > k.gpg\n"), "RUN curl -fs https://a.org/k | gpg --dearmor > k.gpg\n");
        assert_eq!(f("RUN curl -s https://a.org/v | grep -o 'v[0-9.]*' > v\n"), "RUN curl -fs https://a.org/v | grep -o 'v[0-9.]*' > v\n");
        // with pipefail, any pipe
        assert_eq!(f("FROM debian\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -sL https://a.org/s | bash -\n"), "FROM debian\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsL https://a.org/s | bash -\n");
        assert_eq!(f("RUN set -eux -o pipefail; curl -sL https://a.org/s | bash -\n"), "RUN set -eux -o pipefail; curl -fsL https://a.org/s | bash -\n");
    }

    #[test]
    fn unsafe_where_the_status_or_the_pipe_matters() {
        for s in [
            "RUN curl -sL https://a.org/s | bash -\n",
            "RUN curl https://a.org/x | tee x\n",
            "RUN curl -s https://a.org/x || echo failed\n",
            "RUN curl -so x https://a.org/x && echo ok || echo failed\n",
            "RUN if curl -s https://a.org/x; then echo up; fi\n",
            "RUN until curl -s http://localhost:8080/; do sleep 1; done\n",
            "RUN ! curl -s https://a.org/x\n",
            "RUN (curl -so x https://a.org/x) || cp y x\n",
        ] {
            assert_eq!(fix(&CurlFail, s), s, "{s}");
            assert_ne!(fix_unsafe(s), s, "{s}");
        }
        assert_eq!(fix_unsafe("RUN curl -sL https://a.org/s | bash -\n"), "RUN curl -fsL https://a.org/s | bash -\n");
        // a status test earlier in the list does not count
        assert_eq!(fix(&CurlFail, "RUN test -f x || curl -so x https://a.org/x\n"), "RUN test -f x || curl -fso x https://a.org/x\n");
        assert_eq!(fix(&CurlFail, "RUN if true; then curl -so x https://a.org/x; fi\n"), "RUN if true; then curl -fso x https://a.org/x; fi\n");
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "RUN curl -fsSL https://a.org/x\n",
            "RUN curl -sSLf https://a.org/x\n",
            "RUN curl --fail-with-body https://a.org/x\n",
            "RUN curl --version\n",
            "RUN curl -s -o /dev/null -w '%{http_code}' https://a.org/\n",
            "RUN curl -K cfg https://a.org/\n",
            "RUN apt-get install -y curl\n",
            "RUN [\"curl\", \"https://a.org/x\"]\n",
        ] {
            assert_eq!(count(&CurlFail, s), 0, "{s}");
        }
        // the value of -o is not a flag cluster holding f
        assert_eq!(count(&CurlFail, "RUN curl -ofile https://a.org/x\n"), 1);
        // reported without a fix where the bytes are not what the shell reads
        let s = "RUN sh -c \"curl -s $U > x\"\n";
        assert_eq!(count(&CurlFail, s), 1);
        assert_eq!(fix_unsafe(s), s);
    }
}
