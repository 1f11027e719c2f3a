//! DP511 download-https
use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::transforms::common::{run_commands_deep, word_edit_blocker, InnerScripts};
use crate::transforms::security::download::{ca_certificates_at, http_url, Download, Host};

pub struct DownloadHttps;

static META: RuleMeta = RuleMeta {
    code: "DP511",
    name: "download-https",
    summary: "`curl`/`wget` download over plain `http://`: use `https://`",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `curl` and `wget` commands (in RUN instructions, heredoc scripts, ONBUILD RUN,
`sh -c '...'` strings and `$(...)` substitutions; `sudo` and other wrappers understood) that download from an `http://`
URL, and makes it `https://`. Only the URLs the command downloads count, not the value of an
option such as a proxy (`-x http://proxy:3128`) or a referer.

## Why
Over plain http anyone on the path (a compromised mirror, a hostile network at build time, a
proxy) can replace the file, and what the build downloads is usually run or installed: a
binary, an install script, an archive. https authenticates the server and protects the
content on the way.

## Example
```dockerfile
RUN curl -fSLO "http://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-x64.tar.gz"
```
becomes
```dockerfile
RUN curl -fSLO "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-x64.tar.gz"
```

## Not flagged
- hosts on the machine or a private network: `localhost`, names without a dot, `.local`,
  `.internal` and similar, private and link-local IP addresses;
- URLs outside curl and wget (`ADD`, apt sources).

Reported without a fix: a host written with a variable (`http://$MIRROR/...`), a public IP
address (a certificate rarely names one), an explicit port (https would need another one).

## Fix safety
Safe for the hosts the configuration lists as serving over https what they serve over http
(`[downloads] https_hosts` in the preset, extendable in `dopt.toml`: `nodejs.org`,
`github.com`, `*.s3.amazonaws.com`, `*.storage.googleapis.com`, and others; see the
README), when the image can check a certificate: the base is not Debian-based (Alpine,
CentOS, Fedora ship a CA bundle), `ca-certificates` is installed before the command, or an
https download runs in the stage before it (or after it in the same RUN, with no install of
`ca-certificates` between). Debian and Ubuntu base images have no CA certificates until
something installs them, and there an https download fails where the http one worked: such
a switch is unsafe. Unsafe for any other host: it may not answer on https, present a certificate for
another name, or serve the file elsewhere, and the build would then fail at the download.
Parfum switches some of these hosts and not others; dopt switches every public host but keeps
the ones it cannot vouch for behind `--unsafe-fixes`. Commands in a `sh -c "..."` string with
escapes or expansions are reported without a fix.
"#,
};

impl Rule for DownloadHttps {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_deep(cx, &inner) {
            let Some(d) = Download::of(rc.cmd) else { continue };
            let tool = d.tool.name();
            for w in d.urls() {
                let Some(u) = http_url(&cx.file.text, w) else {
                    // a sh -c string whose ranges are the whole string: judge by the word's value
                    if w.text.starts_with("http://") && word_edit_blocker(&rc).is_some() {
                        let host = w.text[7..].split(['/', ':', '?', '#']).next().unwrap_or("");
                        if http_url_text_public(host) {
                            out.push(cx.diag(&META, w.range.clone(), format!("`{tool}` downloads over plain http (no fix: {})", word_edit_blocker(&rc).unwrap_or("")), None));
                        }
                    }
                    continue;
                };
                let base = format!("`{tool}` downloads over plain http");
                let (name, why_not) = match (&u.host, &u.port) {
                    (Host::Local, _) => continue,
                    (Host::Dynamic, _) => (String::new(), Some("the host is written with a variable".to_string())),
                    (Host::PublicIp(ip), _) => (ip.clone(), Some("the host is an IP address, which a certificate rarely names".to_string())),
                    (Host::Name(h), Some(p)) => (h.clone(), Some(format!("the URL names port {p}, and https would need another one"))),
                    (Host::Name(h), None) => (h.clone(), word_edit_blocker(&rc).map(str::to_string)),
                };
                let msg = if name.is_empty() { base } else { format!("{base} from `{name}`") };
                if let Some(w) = why_not {
                    out.push(cx.diag(&META, u.scheme_end - 4..u.scheme_end, format!("{msg} (no fix: {w})"), None));
                    continue;
                }
                let known = cx.config.downloads.serves_https(&name);
                let (app, why) = if !known {
                    (Applicability::Unsafe, format!(" (unsafe: `{name}` is not known to serve https; add it to `[downloads] https_hosts` if it does)"))
                } else if !ca_certificates_at(cx, &rc) {
                    (Applicability::Unsafe, " (unsafe: the image may have no CA certificates to check the server with; install `ca-certificates` first)".to_string())
                } else {
                    (Applicability::Safe, String::new())
                };
                out.push(cx.diag(&META, w.range.clone(), format!("{msg}{why}"), Some(Fix::with(app, vec![Edit::insert(u.scheme_end, "s")]))));
            }
        }
    }
}

/// Whether a host read from a word's value is worth reporting (not local, not a variable).
fn http_url_text_public(host: &str) -> bool {
    !host.is_empty() && host.contains('.') && !host.contains('$') && host != "localhost"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    fn fix_unsafe(s: &str) -> String {
        fix_with(&DownloadHttps, s, true, &BuildContext::default())
    }

    #[test]
    fn switches_known_hosts_safely() {
        let f = |s: &str| fix(&DownloadHttps, s);
        let a = "FROM alpine:3.19\n";
        let t = |body: &str| format!("{a}{body}");
        assert_eq!(f(&t("RUN curl -fSLO \"http://nodejs.org/dist/v$V/node.tgz\"\n")), t("RUN curl -fSLO \"https://nodejs.org/dist/v$V/node.tgz\"\n"));
        assert_eq!(f(&t("RUN wget -qO- http://resin-packages.s3.amazonaws.com/x | tar xz\n")), t("RUN wget -qO- https://resin-packages.s3.amazonaws.com/x | tar xz\n"));
        assert_eq!(f(&t("RUN curl -fo x --url http://github.com/a/b\n")), t("RUN curl -fo x --url https://github.com/a/b\n"));
        assert_eq!(f(&t("RUN sudo wget http://download.redis.io/r.tgz http://download.redis.io/s.tgz\n")), t("RUN sudo wget https://download.redis.io/r.tgz https://download.redis.io/s.tgz\n"));
        assert_eq!(
            f(&t("RUN export V=$( curl -f http://chromedriver.storage.googleapis.com/LATEST ) && curl -fo d.zip \"http://chromedriver.storage.googleapis.com/$V/d.zip\"\n")),
            t("RUN export V=$( curl -f https://chromedriver.storage.googleapis.com/LATEST ) && curl -fo d.zip \"https://chromedriver.storage.googleapis.com/$V/d.zip\"\n")
        );
        // Debian-based: with ca-certificates installed, or after an https download
        assert_eq!(
            f("FROM debian:12\nRUN apt-get update && apt-get install -y ca-certificates curl\nRUN curl -fO http://nodejs.org/x\n"),
            "FROM debian:12\nRUN apt-get update && apt-get install -y ca-certificates curl\nRUN curl -fO https://nodejs.org/x\n"
        );
        assert_eq!(f("FROM python:3.11-slim\nRUN curl -fO http://nodejs.org/x\n"), "FROM python:3.11-slim\nRUN curl -fO https://nodejs.org/x\n");
        assert_eq!(f("FROM ubuntu:22.04\nRUN curl -fO https://github.com/a && curl -fO http://nodejs.org/x\n"), "FROM ubuntu:22.04\nRUN curl -fO https://github.com/a && curl -fO https://nodejs.org/x\n");
        assert_eq!(f("FROM ubuntu:22.04\nRUN curl -fO http://nodejs.org/x && curl -fO https://github.com/a\n"), "FROM ubuntu:22.04\nRUN curl -fO https://nodejs.org/x && curl -fO https://github.com/a\n");
    }

    #[test]
    fn unsafe_without_ca_certificates() {
        // a Debian or Ubuntu base has no CA certificates of its own
        for s in ["FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends wget\nRUN wget http://nodejs.org/x\n", "FROM ubuntu:22.04\nRUN curl -fO http://nodejs.org/x\n", "RUN curl -fO http://nodejs.org/x\n",
            "FROM ubuntu:22.04\nRUN curl -fO http://nodejs.org/x && apt-get install -y ca-certificates && curl -fO https://github.com/a\n"] {
            assert_eq!(fix(&DownloadHttps, s), s, "{s}");
            assert_eq!(fix_unsafe(s), s.replace("http://nodejs", "https://nodejs"), "{s}");
        }
    }

    #[test]
    fn other_hosts_are_unsafe() {
        let s = "FROM alpine:3.19\nRUN wget http://www.example.org/x.tgz\n";
        assert_eq!(fix(&DownloadHttps, s), s);
        assert_eq!(fix_unsafe(s), "FROM alpine:3.19\nRUN wget https://www.example.org/x.tgz\n");
        // one label deeper than the wildcard: the certificate would not cover it
        let s = "FROM alpine:3.19\nRUN curl -fO http://my.bucket.s3.amazonaws.com/x\n";
        assert_eq!(fix(&DownloadHttps, s), s);
        assert_eq!(fix_unsafe(s), "FROM alpine:3.19\nRUN curl -fO https://my.bucket.s3.amazonaws.com/x\n");
    }

    #[test]
    fn reported_without_a_fix() {
        for s in ["RUN curl -fO http://$MIRROR/x\n", "RUN curl -fO http://8.8.8.8/x\n", "RUN wget http://a.example.org:8080/x\n", "RUN sh -c \"curl -fO http://nodejs.org/$V\"\n"] {
            assert_eq!(count(&DownloadHttps, s), 1, "{s}");
            assert_eq!(fix_unsafe(s), s, "{s}");
        }
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "RUN curl -f https://nodejs.org/x\n",
            "RUN curl -f http://localhost:8080/health\n",
            "RUN wget http://nexus/repo/x.jar\n",
            "RUN curl -f http://10.0.0.5/x\n",
            "RUN curl -x http://proxy.example.org:3128 -fO https://a.org/x\n",
            "RUN wget --referer=http://a.org/ https://a.org/x\n",
            "RUN echo http://nodejs.org/x\n",
            "ADD http://nodejs.org/x /x\n",
        ] {
            assert_eq!(count(&DownloadHttps, s), 0, "{s}");
        }
    }
}
