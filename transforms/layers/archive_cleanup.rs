//! DP204 archive-cleanup
use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{base, Command, Word};
use crate::transforms::common::{append_blocker, append_command, cwd_of, glob_match, resolve_path, run_commands, sudo_prefix, RunCommand};
use crate::transforms::security::download::{Download, Tool};

pub struct ArchiveCleanup;

static META: RuleMeta = RuleMeta {
    code: "DP204",
    name: "archive-cleanup",
    summary: "An archive downloaded and extracted in a RUN stays in its layer: remove it after `tar` in the same RUN",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
Finds `tar -x` of an archive that a `curl` or `wget` earlier in the same RUN downloaded (`curl
-o F`, `curl -O URL`, `wget URL`, `wget -O F`, `-P`/`--output-dir` directories included), in
the same directory, and appends `rm -f F` right after the `tar`, in the RUN's own style
(`sudo rm` when tar runs under `sudo`).

The directory of each command is followed through the `cd`s before it, in `( )` subshells
too: `(cd /opt && wget URL) && (cd /opt && tar -xzf F)` removes `/opt`'s copy.

## Why
Once extracted, the archive is dead weight, often as large as what it holds, and deleting it
in a later RUN does not shrink the layer that keeps it.

## Example
```dockerfile
RUN curl -fsSLO https://nodejs.org/dist/v20.11.0/node-v20.11.0-linux-x64.tar.gz \
    && tar -xzf node-v20.11.0-linux-x64.tar.gz -C /usr/local --strip-components=1
```
becomes
```dockerfile
RUN curl -fsSLO https://nodejs.org/dist/v20.11.0/node-v20.11.0-linux-x64.tar.gz \
    && tar -xzf node-v20.11.0-linux-x64.tar.gz -C /usr/local --strip-components=1 \
    && rm -f node-v20.11.0-linux-x64.tar.gz
```

## Not flagged
- a later command of the RUN removes the archive: by name, with a glob (`rm -rf node-*`),
  or with its directory (`cd /tmp && ... && rm -rf /tmp/*`). Parfum appends `rm F` there as
  well, which fails once the file is gone and breaks the build; dopt reads the directory;
- the archive came from an earlier instruction (COPY, ADD, a RUN before): removing it later
  does not shrink the layer that holds it;
- a command after the `tar`, or a later instruction, names the archive again (a second
  extraction, a `COPY --from` of it, a checksum): dopt leaves it for them;
- a download and an extraction whose directories dopt cannot tell apart (`cd` inside an
  `if`, to `~` or `-`), or an archive read from stdin (`tar -x -f -`) or named with a glob;
- `curl URL > F` (dopt's shell model does not read redirections), `tar --file=F`.

## Fix safety
Safe: the archive was downloaded by this RUN, `tar` has just extracted it, and nothing after it
in the RUN or in later instructions names it. After a `tar` dopt cannot chain a command to
(piped, followed by `||`, in a `for` loop or `$(...)`) there is no fix.
"#,
};

impl Rule for ArchiveCleanup {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let all = run_commands(cx);
        for (k, rc) in all.iter().enumerate() {
            let Some(archive) = tar_archive(rc.cmd) else { continue };
            let f = archive.text.as_str();
            if f == "-" || f.is_empty() || f.contains(['*', '?', '[']) || f.contains("$(") || f.contains('`') || archive.text.ends_with('/') {
                continue;
            }
            let Some(cwd) = cwd_of(rc) else { continue };
            let path = resolve_path(&cwd, f);
            // downloaded earlier in the same script, into the same file
            let same_script = |o: &RunCommand| o.ins == rc.ins && std::ptr::eq(o.script, rc.script);
            let downloaded = all[..k].iter().filter(|o| same_script(o)).any(|o| {
                let Some(dcwd) = cwd_of(o) else { return false };
                downloads(o.cmd).iter().any(|d| resolve_path(&dcwd, d) == path)
            });
            if !downloaded {
                continue;
            }
            let name = base(f);
            // nothing after it in the RUN removes or names the archive; nothing later names it
            let later: Vec<&RunCommand> = all[k + 1..].iter().filter(|o| o.ins == rc.ins).collect();
            if later.iter().any(|o| removes(o, &path, name) || o.cmd.words.iter().any(|w| w.text.contains(name))) {
                continue;
            }
            let named_later = cx.file.instructions[rc.ins + 1..].iter().any(|ins| cx.file.text[ins.range.clone()].contains(name));
            if named_later {
                continue;
            }
            let msg = format!("the archive `{f}` downloaded in this RUN stays in the layer after `tar` extracts it");
            match append_blocker(rc) {
                Some(w) => out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg} (no fix: {w})"), None)),
                None => {
                    let raw = &cx.file.text[archive.range.clone()];
                    let e = append_command(cx, rc, &format!("{}rm -f {raw}", sudo_prefix(cx, rc.cmd)));
                    out.push(cx.diag(&META, rc.cmd.range.clone(), msg, Some(Fix::safe(vec![e]))));
                }
            }
        }
    }
}

/// The archive word of a `tar` that extracts (`tar -xzf F`, `tar xvf F`, `tar --extract
/// --file=F`); None for other commands or when the archive is not a separate word dopt can
/// read.
fn tar_archive(c: &Command) -> Option<&Word> {
    let argv = c.argv();
    if argv.first().map(|w| base(&w.text)) != Some("tar") {
        return None;
    }
    let first = argv.get(1)?;
    let old_style = !first.text.starts_with('-') && first.text.chars().all(|ch| ch.is_ascii_alphabetic());
    let extracts = argv[1..].iter().any(|w| matches!(w.text.as_str(), "--extract" | "--get"))
        || argv[1..].iter().enumerate().any(|(k, w)| {
            let t = w.text.as_str();
            (k == 0 && old_style && t.contains('x')) || (t.starts_with('-') && !t.starts_with("--") && t[1..].chars().all(|ch| ch.is_ascii_alphabetic()) && t.contains('x'))
        });
    if !extracts {
        return None;
    }
    for (k, w) in argv.iter().enumerate().skip(1) {
        let t = w.text.as_str();
        if t.starts_with("--file=") {
            // the archive is inside the word
            return None;
        }
        if t == "--file" {
            return argv.get(k + 1);
        }
        let cluster = (k == 1 && old_style) || (t.starts_with('-') && !t.starts_with("--") && t.len() > 1 && t[1..].chars().all(|ch| ch.is_ascii_alphabetic()));
        if cluster && t.ends_with('f') {
            return argv.get(k + 1);
        }
    }
    None
}

/// The files a `curl` or `wget` command writes, as it names them (relative to its directory).
fn downloads(c: &Command) -> Vec<String> {
    let Some(d) = Download::of(c) else { return Vec::new() };
    let urls = d.urls();
    let mut out = Vec::new();
    let mut dir: Option<String> = None;
    let mut remote_name = false;
    for (o, v) in &d.options {
        let t = o.text.as_str();
        let value = v.map(|w| w.text.clone());
        match d.tool {
            Tool::Curl => {
                if t == "--output" {
                    out.extend(value);
                } else if t == "--output-dir" {
                    dir = value;
                } else if matches!(t, "--remote-name" | "--remote-name-all") {
                    remote_name = true;
                } else if !t.starts_with("--") {
                    // a cluster: `-sSLo F`, `-oF`, `-O`
                    let b = &t[1..];
                    if let Some(p) = b.find('o') {
                        let before = &b[..p];
                        if !before.contains(|ch: char| "AbcCdDeEFHKmPQrtTuUwxXyYz".contains(ch)) {
                            let rest = &b[p + 1..];
                            out.extend(if rest.is_empty() { value.clone() } else { Some(rest.to_string()) });
                        }
                    }
                    if b.split(|ch: char| "AbcCdDeEFHKmoPQrtTuUwxXyYz".contains(ch)).next().is_some_and(|x| x.contains('O')) {
                        remote_name = true;
                    }
                }
            }
            Tool::Wget => {
                if let Some(x) = t.strip_prefix("--output-document=") {
                    out.push(x.to_string());
                } else if t == "--output-document" {
                    out.extend(value);
                } else if let Some(x) = t.strip_prefix("--directory-prefix=") {
                    dir = Some(x.to_string());
                } else if t == "--directory-prefix" {
                    dir = value;
                } else if !t.starts_with("--") {
                    let b = &t[1..];
                    for (letter, slot) in [('O', 0), ('P', 1)] {
                        if let Some(p) = b.find(letter) {
                            let rest = &b[p + 1..];
                            let val = if rest.is_empty() { value.clone() } else { Some(rest.to_string()) };
                            if slot == 0 {
                                out.extend(val);
                            } else {
                                dir = val;
                            }
                        }
                    }
                }
            }
        }
    }
    let wget_names = d.tool == Tool::Wget && out.is_empty();
    if remote_name || wget_names {
        out.extend(urls.iter().filter_map(|u| url_file_name(&u.text)));
    }
    out.retain(|f| f != "-" && !f.is_empty());
    match dir {
        Some(dir) => out.into_iter().map(|f| if f.starts_with('/') { f } else { format!("{}/{f}", dir.trim_end_matches('/')) }).collect(),
        None => out,
    }
}

/// The file name a download of `url` gets by default: the last segment of its path.
fn url_file_name(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.split(['?', '#']).next()?;
    let (_, p) = path.split_once('/')?;
    let name = p.rsplit('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether an `rm` command removes the file at `path` (its name `name`): by that path or name,
/// a glob matching it, or a directory above it.
fn removes(rc: &RunCommand, path: &str, name: &str) -> bool {
    if rc.cmd.program() != Some("rm") {
        return false;
    }
    let cwd = cwd_of(rc);
    rc.cmd.argv()[1..].iter().filter(|w| !w.text.starts_with('-')).any(|w| {
        let t = w.text.as_str();
        let full = cwd.as_deref().map(|c| resolve_path(c, t));
        let covers = |p: &str| p == path || glob_match(p, path) || path.starts_with(&format!("{}/", p.trim_end_matches('/')));
        full.as_deref().is_some_and(covers) || glob_match(t, name) || base(t) == name
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn removes_the_archive_after_tar() {
        let f = |s: &str| fix(&ArchiveCleanup, s);
        assert_eq!(f("RUN curl -fsSLO https://a.org/x-1.tgz && tar -xzf x-1.tgz\n"), "RUN curl -fsSLO https://a.org/x-1.tgz && tar -xzf x-1.tgz && rm -f x-1.tgz\n");
        assert_eq!(f("RUN wget http://a.org/d/$P-$V.tar.gz && tar -xvzf $P-$V.tar.gz && make\n"), "RUN wget http://a.org/d/$P-$V.tar.gz && tar -xvzf $P-$V.tar.gz && rm -f $P-$V.tar.gz && make\n");
        assert_eq!(
            f("RUN ( cd /opt && wget http://a.org/r-2.8.tar.gz ) && ( cd /opt && tar -xvzf r-2.8.tar.gz ) && ( cd /opt/r-2.8 && make )\n"),
            "RUN ( cd /opt && wget http://a.org/r-2.8.tar.gz ) && ( cd /opt && tar -xvzf r-2.8.tar.gz && rm -f r-2.8.tar.gz ) && ( cd /opt/r-2.8 && make )\n"
        );
        assert_eq!(
            f("RUN curl -fsSL -o /tmp/n.tgz \"$URL\" && tar -xzf /tmp/n.tgz -C /usr/local\n"),
            "RUN curl -fsSL -o /tmp/n.tgz \"$URL\" && tar -xzf /tmp/n.tgz -C /usr/local && rm -f /tmp/n.tgz\n"
        );
        assert_eq!(f("RUN cd /tmp && wget -qO n.tgz u && tar xzf /tmp/n.tgz\n"), "RUN cd /tmp && wget -qO n.tgz u && tar xzf /tmp/n.tgz && rm -f /tmp/n.tgz\n");
        assert_eq!(f("RUN wget -P /tmp https://a.org/n.tgz && sudo tar --extract --file /tmp/n.tgz\n"), "RUN wget -P /tmp https://a.org/n.tgz && sudo tar --extract --file /tmp/n.tgz && sudo rm -f /tmp/n.tgz\n");
        assert_eq!(
            f("RUN curl -fLo \"node-$V.tgz\" \"$U\" \\\n    && tar -xzf \"node-$V.tgz\"\n"),
            "RUN curl -fLo \"node-$V.tgz\" \"$U\" \\\n    && tar -xzf \"node-$V.tgz\" \\\n    && rm -f \"node-$V.tgz\"\n"
        );
    }

    #[test]
    fn leaves_alone() {
        for s in [
            // removed already: by name, glob, directory
            "RUN curl -fO https://a.org/x.tgz && tar xzf x.tgz && rm x.tgz\n",
            "RUN curl -fO https://a.org/x-1.tgz && tar xzf x-1.tgz && rm -rf x-*\n",
            "RUN cd /tmp && wget -qO b.tgz \"$U\" && tar -xzvf b.tgz -C /usr/local && rm -rf /tmp/*\n",
            // not downloaded in this RUN
            "COPY x.tgz .\nRUN tar xzf x.tgz\n",
            "RUN curl -fO https://a.org/x.tgz\nRUN tar xzf x.tgz\n",
            // another directory
            "RUN cd /a && curl -fO https://a.org/x.tgz && cd /b && tar xzf x.tgz\n",
            "RUN (cd /a && curl -fO https://a.org/x.tgz) && tar xzf x.tgz\n",
            "RUN if a; then cd /a; fi && curl -fO https://a.org/x.tgz && tar xzf x.tgz\n",
            // named again later
            "RUN curl -fO https://a.org/x.tgz && tar xzf x.tgz && tar tzf x.tgz\n",
            "RUN curl -fO https://a.org/x.tgz && tar xzf x.tgz\nRUN sha256sum x.tgz\n",
            // stdin, globs, listing
            "RUN curl -fsL https://a.org/x.tgz | tar xz -f -\n",
            "RUN curl -fO https://a.org/x.tgz && tar tzf x.tgz\n",
            "RUN curl -fO https://a.org/x.tgz && tar xzf *.tgz\n",
        ] {
            assert_eq!(count(&ArchiveCleanup, s), 0, "{s}");
        }
        let s = "RUN curl -fO https://a.org/x.tgz && tar xzf x.tgz | tee log\n";
        assert_eq!(count(&ArchiveCleanup, s), 1);
        assert_eq!(fix(&ArchiveCleanup, s), s);
    }

    #[test]
    fn reads_tar_and_downloads() {
        let p = |t: &str| crate::model::shell::parse_script(t, 0).commands.remove(0);
        assert_eq!(tar_archive(&p("tar -xzf a.tgz -C /x")).map(|w| w.text.clone()).as_deref(), Some("a.tgz"));
        assert_eq!(tar_archive(&p("tar xvfz a.tgz")).map(|w| w.text.clone()), None);
        assert_eq!(tar_archive(&p("tar -C /x -xf a.tar")).map(|w| w.text.clone()).as_deref(), Some("a.tar"));
        assert_eq!(tar_archive(&p("tar -czf a.tgz x")).map(|w| w.text.clone()), None);
        assert_eq!(downloads(&p("curl -fsSLo a.tgz https://x/y")), vec!["a.tgz"]);
        assert_eq!(downloads(&p("curl -fsSLO https://x/y/b.tgz?sig=1")), vec!["b.tgz"]);
        assert_eq!(downloads(&p("curl -fsSL --output-dir /tmp -O https://x/b.tgz")), vec!["/tmp/b.tgz"]);
        assert_eq!(downloads(&p("wget -q https://x/b.tgz")), vec!["b.tgz"]);
        assert_eq!(downloads(&p("wget -qO- https://x/b.tgz")), Vec::<String>::new());
        assert_eq!(downloads(&p("wget --output-document=/tmp/c https://x/b.tgz")), vec!["/tmp/c"]);
        assert_eq!(downloads(&p("curl -fsSL https://x/b.tgz")), Vec::<String>::new());
    }
}
