//! DP513 gpg-keyserver
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{base, Word};
use crate::transforms::common::{run_commands_deep, word_edit_blocker, InnerScripts};

pub struct GpgKeyserver;

static META: RuleMeta = RuleMeta {
    code: "DP513",
    name: "gpg-keyserver",
    summary: "A key server that no longer answers (the SKS pool): fetch the key from one that does",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
Finds `gpg --keyserver HOST` (also `--keyserver=HOST`, `gpg2`, and `apt-key adv --keyserver`)
where HOST is a key server that has shut down, and puts the configured key server in its
place, keeping the scheme and the port: `hkps://hkps.pool.sks-keyservers.net` becomes
`hkps://keyserver.ubuntu.com`, `hkp://p80.pool.sks-keyservers.net:80` becomes
`hkp://keyserver.ubuntu.com:80`.

The dead servers and the replacement are in the preset's `[downloads]` table
(`dead_keyservers`, `keyserver`; see the README); a `dopt.toml` can add servers or choose
another replacement. The default lists the SKS pool (`pool.sks-keyservers.net` and its
`ha.`, `hkps.`, `p80.`, regional names, which stopped answering in June 2021) and
`keys.gnupg.net`, an alias of that pool.

## Why
A build that fetches a key from a server that no longer exists cannot succeed: `gpg` fails with
"keyserver receive failed". `keyserver.ubuntu.com` serves the same keys over hkp, hkp on port
80 and hkps.

## Example
```dockerfile
RUN gpg --batch --keyserver ha.pool.sks-keyservers.net --recv-keys "$KEY"
```
becomes
```dockerfile
RUN gpg --batch --keyserver keyserver.ubuntu.com --recv-keys "$KEY"
```

## Not flagged
- key servers not in the list (`keyserver.ubuntu.com`, `keys.openpgp.org`, `pgp.mit.edu`);
- a key server written with a variable, or listed in a `for` loop header rather than on the
  gpg command line.

Parfum rewrites `pool.sks-keyservers.net` to `ha.pool.sks-keyservers.net`, which was the
advice while the pool ran; that name is as dead as the rest of the pool today, so dopt
replaces the server instead.

## Fix safety
Safe: the old server cannot answer, so the command can only fail as written; the new one is
the key server the configuration names. A key that the new server does not hold fails the
same way as before. Commands in a `sh -c "..."` string with escapes or expansions are
reported without a fix.
"#,
};

impl Rule for GpgKeyserver {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let d = &cx.config.downloads;
        for rc in run_commands_deep(cx, &inner) {
            let argv = rc.cmd.argv();
            let Some(p) = argv.first() else { continue };
            let is_gpg = matches!(base(&p.text), "gpg" | "gpg2");
            let is_apt_key = base(&p.text) == "apt-key" && argv.get(1).is_some_and(|w| w.text == "adv");
            if p.quoted || p.dynamic || !(is_gpg || is_apt_key) {
                continue;
            }
            for (k, w) in argv.iter().enumerate() {
                // the value: the next word, or after `=` in the same word
                let (value, offset): (&Word, usize) = if w.text == "--keyserver" {
                    match argv.get(k + 1) {
                        Some(v) => (v, 0),
                        None => continue,
                    }
                } else if w.text.starts_with("--keyserver=") && !w.quoted {
                    (w, "--keyserver=".len())
                } else {
                    continue;
                };
                if value.dynamic {
                    continue;
                }
                let Some((_, host)) = keyserver_host(&value.text, offset) else { continue };
                if !d.dead_keyserver(host) {
                    continue;
                }
                let msg = format!("the key server `{host}` no longer answers");
                // where the host is in the file
                let raw = &cx.file.text[value.range.clone()];
                let at = keyserver_host(raw, if offset > 0 { raw.find('=').map_or(offset, |k| k + 1) } else { 0 }).filter(|(_, h)| *h == host).map(|(k, _)| k);
                let blocker = word_edit_blocker(&rc).or(at.is_none().then_some("the key server is not written as one plain word"));
                match (blocker, &d.keyserver) {
                    (None, Some(new)) => {
                        let at = value.range.start + at.unwrap_or(0);
                        let fix = Fix::safe(vec![Edit::replace(at..at + host.len(), new.clone())]);
                        out.push(cx.diag(&META, value.range.clone(), format!("{msg}: use `{new}`"), Some(fix)));
                    }
                    (Some(r), _) => out.push(cx.diag(&META, value.range.clone(), format!("{msg} (no fix: {r})"), None)),
                    (None, None) => out.push(cx.diag(&META, value.range.clone(), format!("{msg} (no fix: no replacement key server is configured, `[downloads] keyserver`)"), None)),
                }
            }
        }
    }
}

/// Where the host of a key server value is in its raw text (`hkps://host:port`, `host`,
/// quoted or not), reading from `from`: (byte offset, host).
fn keyserver_host(raw: &str, from: usize) -> Option<(usize, &str)> {
    let s = &raw[from..];
    let lead = s.len() - s.trim_start_matches(['"', '\'']).len();
    let mut at = from + lead;
    let rest = &raw[at..];
    let rest = match rest.find("://") {
        Some(k) if rest[..k].chars().all(|c| c.is_ascii_alphanumeric()) => {
            at += k + 3;
            &raw[at..]
        }
        _ => rest,
    };
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(rest.len());
    let host = &rest[..end];
    (!host.is_empty()).then_some((at, host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn replaces_dead_key_servers() {
        let f = |s: &str| fix(&GpgKeyserver, s);
        assert_eq!(f("RUN gpg --keyserver ha.pool.sks-keyservers.net --recv-keys A\n"), "RUN gpg --keyserver keyserver.ubuntu.com --recv-keys A\n");
        assert_eq!(f("RUN gpg --keyserver hkps://hkps.pool.sks-keyservers.net --recv-keys A\n"), "RUN gpg --keyserver hkps://keyserver.ubuntu.com --recv-keys A\n");
        assert_eq!(f("RUN gpg --keyserver \"hkp://p80.pool.sks-keyservers.net:80\" --recv-keys A\n"), "RUN gpg --keyserver \"hkp://keyserver.ubuntu.com:80\" --recv-keys A\n");
        assert_eq!(f("RUN gpg2 --keyserver=pool.sks-keyservers.net --recv A\n"), "RUN gpg2 --keyserver=keyserver.ubuntu.com --recv A\n");
        assert_eq!(f("RUN apt-key adv --keyserver hkp://keys.gnupg.net --recv-keys A\n"), "RUN apt-key adv --keyserver hkp://keyserver.ubuntu.com --recv-keys A\n");
        assert_eq!(
            f("RUN for k in A B; do gpg --keyserver pgp.mit.edu --recv-keys $k || gpg --keyserver ha.pool.sks-keyservers.net --recv-keys $k; done\n"),
            "RUN for k in A B; do gpg --keyserver pgp.mit.edu --recv-keys $k || gpg --keyserver keyserver.ubuntu.com --recv-keys $k; done\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "RUN gpg --keyserver keyserver.ubuntu.com --recv-keys A\n",
            "RUN gpg --keyserver hkps://keys.openpgp.org --recv-keys A\n",
            "RUN gpg --keyserver $KS --recv-keys A\n",
            "RUN for s in ha.pool.sks-keyservers.net pgp.mit.edu; do gpg --keyserver $s --recv-keys A && break; done\n",
            "RUN echo ha.pool.sks-keyservers.net\n",
        ] {
            assert_eq!(count(&GpgKeyserver, s), 0, "{s}");
        }
        let s = "RUN sh -c \"gpg --keyserver ha.pool.sks-keyservers.net --recv-keys $K\"\n";
        assert_eq!(count(&GpgKeyserver, s), 1);
        assert_eq!(fix(&GpgKeyserver, s), s);
    }
}
