//! The download vocabulary the DP5xx rules share: reading `curl` and `wget` command lines
//! (which words are option values and which are URLs), the hosts of `http://` URLs, and
//! `gpg` commands.

use crate::engine::Context;
use crate::model::shell::{base, Command, Word};
use crate::transforms::common::{debian_based, stage_chain_before, RunCommand};
use crate::transforms::packages::apt::{commands_of, installed_before};

/// The two download tools the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Curl,
    Wget,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Curl => "curl",
            Tool::Wget => "wget",
        }
    }
}

/// curl's short options that take a value (the next word, or the rest of the word).
const CURL_SHORT_VALUES: &[u8] = b"AbcCdDeEFHKmoPQrtTuUwxXyYz";

/// curl's long options that take a value as the next word.
const CURL_LONG_VALUES: &[&str] = &[
    "--abstract-unix-socket", "--alt-svc", "--aws-sigv4", "--cacert", "--capath", "--cert", "--cert-type", "--ciphers", "--config", "--connect-timeout",
    "--connect-to", "--continue-at", "--cookie", "--cookie-jar", "--create-file-mode", "--crlfile", "--curves", "--data", "--data-ascii", "--data-binary",
    "--data-raw", "--data-urlencode", "--delegation", "--dns-interface", "--dns-ipv4-addr", "--dns-ipv6-addr", "--dns-servers", "--doh-url",
    "--dump-header", "--egd-file", "--engine", "--etag-compare", "--etag-save", "--expect100-timeout", "--form", "--form-string", "--ftp-account",
    "--ftp-alternative-to-user", "--ftp-method", "--ftp-port", "--ftp-ssl-ccc-mode", "--happy-eyeballs-timeout-ms", "--haproxy-clientip", "--header",
    "--hostpubmd5", "--hostpubsha256", "--hsts", "--interface", "--ip-tos", "--json", "--keepalive-time", "--key", "--key-type", "--krb", "--libcurl",
    "--limit-rate", "--local-port", "--login-options", "--mail-auth", "--mail-from", "--mail-rcpt", "--max-filesize", "--max-redirs", "--max-time",
    "--netrc-file", "--noproxy", "--oauth2-bearer", "--output", "--output-dir", "--parallel-max", "--pass", "--pinnedpubkey", "--preproxy", "--proto",
    "--proto-default", "--proto-redir", "--proxy", "--proxy-cacert", "--proxy-capath", "--proxy-cert", "--proxy-cert-type", "--proxy-ciphers",
    "--proxy-crlfile", "--proxy-header", "--proxy-key", "--proxy-key-type", "--proxy-pass", "--proxy-pinnedpubkey", "--proxy-service-name",
    "--proxy-tls13-ciphers", "--proxy-tlsauthtype", "--proxy-tlspassword", "--proxy-tlsuser", "--proxy-user", "--proxy1.0", "--pubkey", "--quote",
    "--random-file", "--range", "--rate", "--referer", "--request", "--request-target", "--resolve", "--retry", "--retry-delay", "--retry-max-time",
    "--sasl-authzid", "--service-name", "--socks4", "--socks4a", "--socks5", "--socks5-gssapi-service", "--socks5-hostname", "--speed-limit",
    "--speed-time", "--stderr", "--telnet-option", "--tftp-blksize", "--time-cond", "--tls-max", "--tls13-ciphers", "--tlsauthtype", "--tlspassword",
    "--tlsuser", "--trace", "--trace-ascii", "--trace-config", "--unix-socket", "--upload-file", "--url", "--url-query", "--user", "--user-agent",
    "--variable", "--write-out",
];

/// wget's short options that take a value.
const WGET_SHORT_VALUES: &[u8] = b"aABDeiIlOoPQRtTUwXY";

/// wget's long options that take a value as the next word (they are mostly written
/// `--option=value`).
const WGET_LONG_VALUES: &[&str] = &[
    "--output-document", "--output-file", "--append-output", "--input-file", "--base", "--tries", "--timeout", "--wait", "--quota",
    "--directory-prefix", "--user-agent", "--execute", "--level", "--accept", "--reject", "--domains", "--exclude-domains",
    "--include-directories", "--exclude-directories", "--header", "--referer", "--user", "--password", "--http-user", "--http-password",
    "--proxy-user", "--proxy-password", "--post-data", "--post-file", "--load-cookies", "--save-cookies", "--ca-certificate", "--ca-directory",
    "--certificate", "--private-key", "--bind-address", "--limit-rate", "--dns-timeout", "--connect-timeout", "--read-timeout", "--waitretry",
    "--progress", "--local-encoding", "--remote-encoding", "--restrict-file-names", "--method", "--body-data", "--body-file", "--default-page",
    "--cut-dirs", "--max-redirect", "--secure-protocol", "--ciphers", "--output-directory",
];

/// A `curl` or `wget` command: its words from the program on, its options and operands.
#[derive(Debug, Clone)]
pub struct Download<'a> {
    pub tool: Tool,
    pub cmd: &'a Command,
    /// The words from the program on.
    pub argv: &'a [Word],
    /// The options, each with its value when it takes one: `(option word, value word)`. A
    /// value written in the same word (`-ofile`, `--output=file`) is in the option word.
    pub options: Vec<(&'a Word, Option<&'a Word>)>,
    /// The words that are not options or option values: the URLs.
    pub operands: Vec<&'a Word>,
}

impl<'a> Download<'a> {
    /// The command read as `curl` or `wget`, if it is one (the program known by name).
    pub fn of(cmd: &'a Command) -> Option<Download<'a>> {
        let argv = cmd.argv();
        let prog = argv.first()?;
        if prog.quoted || prog.dynamic {
            return None;
        }
        let (tool, shorts, longs) = match base(&prog.text) {
            "curl" => (Tool::Curl, CURL_SHORT_VALUES, CURL_LONG_VALUES),
            "wget" => (Tool::Wget, WGET_SHORT_VALUES, WGET_LONG_VALUES),
            _ => return None,
        };
        let mut options = Vec::new();
        let mut operands = Vec::new();
        let mut k = 1;
        let mut opts = true;
        while k < argv.len() {
            let w = &argv[k];
            let t = w.text.as_str();
            if opts && t == "--" {
                opts = false;
            } else if opts && t.starts_with("--") && !w.dynamic {
                if longs.contains(&t) {
                    options.push((w, argv.get(k + 1)));
                    k += 1;
                } else {
                    options.push((w, None));
                }
            } else if opts && t.len() > 1 && t.starts_with('-') && !w.dynamic {
                let b = &t.as_bytes()[1..];
                let takes_next = b.iter().position(|c| shorts.contains(c)).is_some_and(|p| p == b.len() - 1);
                if takes_next {
                    options.push((w, argv.get(k + 1)));
                    k += 1;
                } else {
                    options.push((w, None));
                }
            } else {
                operands.push(w);
            }
            k += 1;
        }
        Some(Download { tool, cmd, argv, options, operands })
    }

    /// Whether one of the short options `letters` is set (alone or in a cluster, before any
    /// value letter) or one of the long options `longs` (also `--long=value`).
    pub fn has(&self, letters: &[u8], longs: &[&str]) -> bool {
        let shorts = match self.tool {
            Tool::Curl => CURL_SHORT_VALUES,
            Tool::Wget => WGET_SHORT_VALUES,
        };
        self.options.iter().any(|(w, _)| {
            let t = w.text.as_str();
            if let Some(l) = t.strip_prefix("--") {
                return longs.iter().any(|x| x.strip_prefix("--").is_some_and(|x| l == x || l.strip_prefix(x).is_some_and(|r| r.starts_with('='))));
            }
            for c in t.as_bytes()[1..].iter() {
                if letters.contains(c) {
                    return true;
                }
                if shorts.contains(c) {
                    // the rest of the word is this option's value
                    return false;
                }
            }
            false
        })
    }

    /// The URL words: the operands, and the values of curl's `--url`.
    pub fn urls(&self) -> Vec<&'a Word> {
        let mut out = self.operands.clone();
        for (o, v) in &self.options {
            if self.tool == Tool::Curl && o.text == "--url" {
                out.extend(v.iter().copied());
            }
        }
        out.sort_by_key(|w| w.range.start);
        out
    }
}

/// Where an `http://` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name, lower-cased.
    Name(String),
    /// An IP address of the public internet.
    PublicIp(String),
    /// The machine itself or a private network: localhost, a name without a dot, `.local`,
    /// `.internal`, private and link-local addresses.
    Local,
    /// Written with a variable or substitution.
    Dynamic,
}

/// An `http://` URL in a word: the file offset of its `http` and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// File offset right after `http` (where the `s` goes).
    pub scheme_end: usize,
    pub host: Host,
    /// An explicit port (`:8080`).
    pub port: Option<String>,
}

/// The `http://` URL a word is, if its value starts with `http://` and the file text of the
/// word has nothing but quotes in front of it.
pub fn http_url(text: &str, w: &Word) -> Option<HttpUrl> {
    if !w.text.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://")) {
        return None;
    }
    let raw = &text[w.range.clone()];
    let at = raw.char_indices().find(|(_, c)| *c != '"' && *c != '\'').map(|(i, _)| i)?;
    if !raw[at..].get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://")) {
        return None;
    }
    let rest = &raw[at + 7..];
    // the authority: up to the path, query or fragment, or a closing quote
    let end = rest.find(['/', '?', '#', '"', '\'', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let scheme_end = w.range.start + at + 4;
    if hostport.contains(['$', '`']) || hostport.is_empty() {
        return Some(HttpUrl { scheme_end, host: Host::Dynamic, port: None });
    }
    if hostport.starts_with('[') {
        return Some(HttpUrl { scheme_end, host: Host::Local, port: None });
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.to_string())),
        None => (hostport, None),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let octets: Vec<u8> = host.split('.').filter_map(|x| x.parse().ok()).collect();
    let kind = if octets.len() == 4 && host.split('.').count() == 4 {
        let private = matches!(octets[..], [10, ..] | [127, ..] | [0, ..] | [192, 168, ..] | [169, 254, ..]) || (octets[0] == 172 && (16..32).contains(&octets[1]));
        if private {
            Host::Local
        } else {
            Host::PublicIp(host)
        }
    } else if !host.contains('.')
        || host == "localhost"
        || [".localhost", ".local", ".internal", ".lan", ".home", ".corp", ".test", ".example", ".invalid"].iter().any(|s| host.ends_with(s))
    {
        Host::Local
    } else {
        Host::Name(host)
    };
    Some(HttpUrl { scheme_end, host: kind, port })
}

/// A `gpg` or `gpg2` command: its words from the program on.
pub fn gpg_argv(cmd: &Command) -> Option<&[Word]> {
    let argv = cmd.argv();
    let p = argv.first()?;
    (!p.quoted && !p.dynamic && matches!(base(&p.text), "gpg" | "gpg2")).then_some(argv)
}

/// Whether the image has CA certificates when command `rc` runs, so that an https download
/// can verify its server: the stage is not Debian-based (Alpine, CentOS, Fedora and the like
/// ship a CA bundle), `ca-certificates` is installed before it (by apt or apk, or in a
/// `buildpack-deps`-based image such as `python`), or an https download by curl or wget, or a
/// `git clone https://`, runs before it in the stage or the RUN, or after it in the RUN with no
/// install of `ca-certificates` between them.
pub fn ca_certificates_at(cx: &Context, rc: &RunCommand) -> bool {
    if debian_based(cx, rc.ins) == Some(false) {
        return true;
    }
    if installed_before(cx, rc.ins, rc.cmd).contains("ca-certificates") {
        return true;
    }
    let https_before = |c: &Command| {
        if let Some(d) = Download::of(c) {
            return d.urls().iter().any(|u| u.text.starts_with("https://"));
        }
        let a = c.argv();
        a.first().is_some_and(|p| base(&p.text) == "git") && a.iter().any(|w| w.text.starts_with("https://"))
    };
    let apk_ca = |c: &Command| c.program() == Some("apk") && c.argv().iter().any(|w| w.text == "ca-certificates");
    let earlier = stage_chain_before(cx, rc.ins).into_iter().any(|j| commands_of(cx, j).iter().any(|(_, c)| https_before(c) || apk_ca(c)));
    let this_run = commands_of(cx, rc.ins);
    if earlier || this_run.iter().any(|(_, c)| c.range.start < rc.cmd.range.start && (https_before(c) || apk_ca(c))) {
        return true;
    }
    // an https download later in the RUN needs the certificates too, unless they are
    // installed between the two
    for (_, c) in this_run.iter().filter(|(_, c)| c.range.start > rc.cmd.range.start) {
        if c.words.iter().any(|w| w.text.contains("ca-certificates")) {
            return false;
        }
        if https_before(c) {
            return true;
        }
    }
    false
}

/// The raw file text of a word.
pub fn raw<'t>(cx: &'t Context, w: &Word) -> &'t str {
    &cx.file.text[w.range.clone()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shell::parse_script;

    fn dl(t: &str) -> (Vec<String>, Vec<String>) {
        let s = parse_script(t, 0);
        let d = Download::of(&s.commands[0]).unwrap();
        (
            d.options.iter().map(|(o, v)| format!("{}{}", o.text, v.map(|v| format!(" {}", v.text)).unwrap_or_default())).collect(),
            d.urls().iter().map(|w| w.text.clone()).collect(),
        )
    }

    #[test]
    fn reads_curl_and_wget() {
        assert_eq!(dl("curl -sSLo out.tgz --retry 3 -H 'A: b' https://x/y"), (vec!["-sSLo out.tgz".into(), "--retry 3".into(), "-H A: b".into()], vec!["https://x/y".into()]));
        assert_eq!(dl("curl -ofile -x http://proxy:3128 http://a.org"), (vec!["-ofile".into(), "-x http://proxy:3128".into()], vec!["http://a.org".into()]));
        assert_eq!(dl("curl --url http://a.org -O"), (vec!["--url http://a.org".into(), "-O".into()], vec!["http://a.org".into()]));
        assert_eq!(dl("wget -qO- --header=x http://a.org/f"), (vec!["-qO-".into(), "--header=x".into()], vec!["http://a.org/f".into()]));
        assert_eq!(dl("wget -O - http://a.org/f"), (vec!["-O -".into()], vec!["http://a.org/f".into()]));
        let s = parse_script("curl -sSLo x -f u && curl -ofx u && curl --fail-with-body u && curl --failx u", 0);
        let has = |k: usize| Download::of(&s.commands[k]).unwrap().has(b"f", &["--fail", "--fail-with-body"]);
        assert!(has(0));
        assert!(!has(1));
        assert!(has(2));
        assert!(!has(3));
        assert!(Download::of(&parse_script("\"curl\" x", 0).commands[0]).is_none());
    }

    #[test]
    fn reads_http_hosts() {
        let h = |t: &str| {
            let s = parse_script(t, 0);
            http_url(t, &s.commands[0].words[1]).map(|u| (u.scheme_end, u.host, u.port))
        };
        assert_eq!(h("curl http://Nodejs.org/dist"), Some((9, Host::Name("nodejs.org".into()), None)));
        assert_eq!(h("curl \"http://nodejs.org/v$V\""), Some((10, Host::Name("nodejs.org".into()), None)));
        assert_eq!(h("curl http://u:p@a.org:8080/x"), Some((9, Host::Name("a.org".into()), Some("8080".into()))));
        assert_eq!(h("curl http://$HOST/x"), Some((9, Host::Dynamic, None)));
        assert_eq!(h("curl http://localhost:8080/x").map(|x| x.1), Some(Host::Local));
        assert_eq!(h("curl http://web/x").map(|x| x.1), Some(Host::Local));
        assert_eq!(h("curl http://192.168.1.2/x").map(|x| x.1), Some(Host::Local));
        assert_eq!(h("curl http://8.8.8.8/x").map(|x| x.1), Some(Host::PublicIp("8.8.8.8".into())));
        assert_eq!(h("curl https://a.org"), None);
        assert_eq!(h("curl x\"http://a.org\""), None);
    }
}
