//! DP202 add-to-copy
use std::cell::RefCell;

use crate::engine::{Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::{substitute, unquote};
use crate::syntax::Kind;
use crate::transforms::common::instructions_in_scope;

pub struct AddToCopy;

static META: RuleMeta = RuleMeta {
    code: "DP202",
    name: "add-to-copy",
    summary: "`ADD` of local files: use `COPY`",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &["DL3020"],
    docs: r#"## What it does
Finds `ADD` instructions (ONBUILD ADD included) whose sources are all local files or
directories of the build context, or heredocs, and replaces the keyword `ADD` with `COPY`, in
the keyword's own case. Flags (`--chown`, `--chmod`, `--link`, `--exclude`), sources,
destination and layout stay as they are.

## Why
`ADD` does more than copy: it downloads URLs, clones git repositories and unpacks local tar
archives. `COPY` says what is meant and can do nothing else, so a reader (and a later change of
the file name) cannot be surprised.

## Example
```dockerfile
ADD requirements.txt /app/
```
becomes
```dockerfile
COPY requirements.txt /app/
```

## Not flagged
- URLs and git sources (`http://`, `https://`, `git@host:`, `*.git`, anything with `://`);
- sources with an archive name that ADD may unpack (`.tar`, `.gz`, `.tgz`, `.bz2`, `.tbz2`,
  `.xz`, `.txz`, `.zst`, `.lz`, `.lzma`, `.Z`, ..., in any case, hadolint's list and more), and,
  when the build context is at hand, files whose content is a tar archive or compressed
  (BuildKit decides by content, not by name);
- ADD with `--checksum`, `--keep-git-dir`, `--unpack` or any flag COPY does not know.

Reported without a fix: a relative destination with no WORKDIR before it in the stage (it
depends on the base image's WORKDIR, and hadolint's DL3045 reports such a COPY).

## Fix safety
Safe when every source is written out (or comes from ENV) and is known to be no archive: by
its content when the build context has it, else by its name. A tar archive stored under a
name with no archive extension, outside the context dopt was given, is the one case the name
cannot tell.

Unsafe when a source comes from an ARG default (a `--build-arg` may name a URL or an archive)
or is a wildcard pattern that dopt cannot expand in the build context (it may match archives).
No fix when a source uses a variable with no known value.
"#,
};

/// Names that ADD may unpack, lower case: hadolint's list plus the formats BuildKit detects.
const ARCHIVE_SUFFIXES: &[&str] = &[
    ".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".tb2", ".xz", ".txz", ".zst", ".tzst", ".lz", ".lzma", ".tlz", ".z", ".tz",
    ".taz", ".tpz", ".lz4",
];

/// Flags COPY knows too.
const COPY_FLAGS: &[&str] = &["chown", "chmod", "link", "exclude"];

fn archive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.trim_end_matches('/');
    ARCHIVE_SUFFIXES.iter().any(|s| n.ends_with(s))
}

fn remote(src: &str) -> bool {
    let s = src.to_ascii_lowercase();
    if s.contains("://") || s.starts_with("git@") || s.trim_end_matches('/').ends_with(".git") || s.contains(".git#") {
        return true;
    }
    // scp-like `user@host:path`
    match (s.find('@'), s.find(':')) {
        (Some(a), Some(c)) => a < c && !s[..c].contains('/'),
        _ => false,
    }
}

/// Whether bytes start like something BuildKit unpacks: a tar header or a compressed stream.
fn archive_content(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(b"BZh")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || head.get(257..262) == Some(b"ustar")
}

/// `*` and `?` glob matching of one path component.
fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    match (pat.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_match(&pat[1..], name) || (!name.is_empty() && glob_match(pat, &name[1..])),
        (Some(b'?'), Some(_)) => glob_match(&pat[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob_match(&pat[1..], &name[1..]),
        _ => false,
    }
}

/// What is known about one source.
enum Source {
    /// Local and no archive.
    Local,
    /// Local, but what it is depends on something dopt cannot see.
    Unsure(String),
    /// Remote or an archive: ADD may be meant.
    Keep,
}

fn classify(cx: &Context, src: &str) -> Source {
    if remote(src) {
        return Source::Keep;
    }
    if archive_name(src) {
        return Source::Keep;
    }
    let build = cx.build;
    if src.contains(['*', '?', '[']) {
        let (dir, pat) = match src.rsplit_once('/') {
            Some((d, p)) => (d, p),
            None => ("", src),
        };
        if dir.contains(['*', '?', '[']) || pat.contains('[') {
            return Source::Unsure(format!("the pattern `{src}` may match archives, which ADD unpacks"));
        }
        let Some(names) = build.list(dir) else {
            return Source::Unsure(format!("the pattern `{src}` may match archives, which ADD unpacks"));
        };
        for n in names.iter().filter(|n| glob_match(pat.as_bytes(), n.as_bytes())) {
            let rel = if dir.is_empty() { n.clone() } else { format!("{dir}/{n}") };
            if archive_name(n) || build.head(&rel, 512).is_some_and(|h| archive_content(&h)) {
                return Source::Keep;
            }
        }
        return Source::Local;
    }
    if build.head(src, 512).is_some_and(|h| archive_content(&h)) {
        return Source::Keep;
    }
    Source::Local
}

/// The value of `var` at instruction `i`, and whether an ARG gives it.
fn lookup(cx: &Context, i: usize, var: &str) -> Option<(String, bool)> {
    let stage = cx.model.stage_of(i)?;
    for k in instructions_in_scope(cx, i) {
        let n = cx.file.instructions[k].effective();
        match n.kind {
            Kind::Env => {
                if let Some(p) = n.values.chunks(2).rev().find(|kv| kv[0] == var) {
                    let v = unquote(p.get(1).map(String::as_str).unwrap_or(""));
                    return (!v.contains(['$', '\\'])).then_some((v, false));
                }
            }
            Kind::Arg if stage.instructions.contains(&k) => {
                if let Some(a) = stage.args.iter().rev().find(|a| a.instruction == k && a.name == var) {
                    return match &a.resolved {
                        Some(v) => Some((v.clone(), true)),
                        None => cx.model.global_default(var).map(|v| (v, true)),
                    };
                }
            }
            _ => {}
        }
    }
    None
}

impl Rule for AddToCopy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, ins) in cx.file.instructions.iter().enumerate() {
            let node = ins.effective();
            if node.kind != Kind::Add || node.values.len() < 2 {
                continue;
            }
            if node.flags.iter().any(|f| !COPY_FLAGS.contains(&f.name().to_ascii_lowercase().as_str())) {
                continue;
            }
            let heredoc_names: Vec<&str> = ins.heredocs.iter().map(|h| h.name.as_str()).collect();
            let mut unsure: Option<String> = None;
            let mut unknown: Option<String> = None;
            let mut keep = false;
            for raw in &node.values[..node.values.len() - 1] {
                if raw.starts_with("<<") && heredoc_names.iter().any(|h| raw.trim_start_matches("<<").trim_start_matches('-').trim_matches(['"', '\'']) == *h) {
                    continue;
                }
                let raw = unquote(raw);
                let mut src = raw.clone();
                if raw.contains('$') {
                    let missing = RefCell::new(None::<String>);
                    let via_arg = RefCell::new(false);
                    src = substitute(&raw, &|name| match lookup(cx, i, name) {
                        Some((v, arg)) => {
                            *via_arg.borrow_mut() |= arg;
                            Some(v)
                        }
                        None => {
                            missing.borrow_mut().get_or_insert_with(|| name.to_string());
                            None
                        }
                    });
                    if let Some(m) = missing.into_inner() {
                        unknown.get_or_insert(format!("the value of `${m}` is not known"));
                        continue;
                    }
                    if via_arg.into_inner() {
                        unsure.get_or_insert(format!("`{raw}` comes from an ARG default, and a --build-arg may name a URL or an archive"));
                    }
                }
                match classify(cx, &src) {
                    Source::Keep => keep = true,
                    Source::Unsure(why) => {
                        unsure.get_or_insert(why);
                    }
                    Source::Local => {}
                }
            }
            if keep {
                continue;
            }
            // a relative destination relies on a WORKDIR this file may not set (hadolint's DL3045
            // reports such a COPY, not such an ADD)
            let dest = node.values.last().map(|d| d.trim_matches(['"', '\''])).unwrap_or("");
            let absolute = dest.starts_with('/') || dest.starts_with('$') || dest.get(1..3).is_some_and(|d| d == ":\\" || d == ":/");
            // the WORKDIRs (not ONBUILD ones), found once per file
            struct Workdirs(Vec<usize>);
            let wd = cx.memo(|| Workdirs((0..cx.file.instructions.len()).filter(|&k| cx.file.instructions[k].node.kind == Kind::Workdir).collect()));
            let workdir = crate::transforms::common::any_in_scope(cx, i, &wd.0);
            if !absolute && !workdir && ins.node.trigger.is_none() {
                unknown.get_or_insert(format!("the destination `{dest}` is relative to a WORKDIR this file does not set"));
            }
            let kr = node.keyword_range.clone();
            let range = ins.line.to_source(kr.start)..ins.line.to_source_end(kr.end);
            let (msg, fix) = match (unknown, unsure) {
                (Some(why), _) => (format!("`ADD` of local files: use `COPY` (no fix: {why})"), None),
                (None, Some(why)) => (
                    format!("`ADD` of local files: use `COPY` (unsafe: {why})"),
                    Some(Fix::with(Applicability::Unsafe, vec![Edit::replace(range.clone(), copy_keyword(&node.keyword))])),
                ),
                (None, None) => {
                    ("`ADD` of local files: use `COPY`".to_string(), Some(Fix::safe(vec![Edit::replace(range.clone(), copy_keyword(&node.keyword))])))
                }
            };
            out.push(cx.diag(&META, range, msg, fix));
        }
    }
}

/// `COPY` in the case `ADD` was written in.
fn copy_keyword(add: &str) -> String {
    if add.chars().all(|c| c.is_ascii_lowercase()) {
        "copy".into()
    } else if add.chars().all(|c| c.is_ascii_uppercase()) {
        "COPY".into()
    } else {
        "Copy".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    const R: &AddToCopy = &AddToCopy;

    #[test]
    fn replaces_the_keyword() {
        assert_eq!(fix(R, "FROM a\nADD requirements.txt /app/\n"), "FROM a\nCOPY requirements.txt /app/\n");
        assert_eq!(fix(R, "FROM a\nadd . /app\n"), "FROM a\ncopy . /app\n");
        assert_eq!(fix(R, "FROM a\nWORKDIR /app\nADD . .\n"), "FROM a\nWORKDIR /app\nCOPY . .\n");
        assert_eq!(fix(R, "FROM a AS b\nWORKDIR /app\nFROM b\nADD . .\n"), "FROM a AS b\nWORKDIR /app\nFROM b\nCOPY . .\n");
        assert_eq!(fix(R, "FROM a\nAdd --chown=app:app --chmod=755 run.sh /\n"), "FROM a\nCopy --chown=app:app --chmod=755 run.sh /\n");
        assert_eq!(fix(R, "FROM a\nONBUILD ADD . /src\n"), "FROM a\nONBUILD COPY . /src\n");
        assert_eq!(fix(R, "FROM a\nADD [\"a b\", \"/x/\"]\n"), "FROM a\nCOPY [\"a b\", \"/x/\"]\n");
        assert_eq!(fix(R, "FROM a\nADD <<EOF /x\nhello\nEOF\n"), "FROM a\nCOPY <<EOF /x\nhello\nEOF\n");
        assert_eq!(
            fix(R, "# escape=`\r\nFROM a\r\nADD `\r\n  # the app\r\n  app.jar /app.jar\r\n"),
            "# escape=`\r\nFROM a\r\nCOPY `\r\n  # the app\r\n  app.jar /app.jar\r\n"
        );
        // a variable from ENV is known
        assert_eq!(fix(R, "FROM a\nENV APP=app.jar\nADD $APP /\n"), "FROM a\nENV APP=app.jar\nCOPY $APP /\n");
    }

    #[test]
    fn leaves_what_add_is_for() {
        for s in [
            "FROM a\nADD https://example.com/x.sh /x\n",
            "FROM a\nADD git@github.com:a/b.git /src\n",
            "FROM a\nADD https://github.com/a/b.git#v1 /src\n",
            "FROM a\nADD rootfs.tar.xz /\n",
            "FROM a\nADD rootfs.TAR.GZ /\n",
            "FROM a\nADD app.zst /\n",
            "FROM a\nADD a.txt b.tgz /x/\n",
            "FROM a\nADD --checksum=sha256:abc https://x/y /y\n",
            "FROM a\nADD --keep-git-dir=true . /src\n",
            "FROM a\nADD --unpack=true x /y\n",
            "FROM a\nCOPY x /y\n",
            "FROM a\nARG U=https://example.com/x\nADD $U /x\n",
        ] {
            assert_eq!(count(R, s), 0, "{s}");
        }
    }

    #[test]
    fn variables_and_patterns() {
        // an ARG default can be overridden
        let s = "FROM a\nARG JAR=app.jar\nADD ${JAR} /app.jar\n";
        assert_eq!(fix(R, s), s);
        assert_eq!(fix_with(R, s, true, &BuildContext::default()), "FROM a\nARG JAR=app.jar\nCOPY ${JAR} /app.jar\n");
        // a global ARG redeclared in the stage
        let s = "ARG JAR=app.jar\nFROM a\nARG JAR\nADD $JAR /app.jar\n";
        assert_eq!(fix_with(R, s, true, &BuildContext::default()), "ARG JAR=app.jar\nFROM a\nARG JAR\nCOPY $JAR /app.jar\n");
        // no value: reported, not fixed
        for s in [
            "FROM a\nARG JAR\nADD target/${JAR} /app.jar\n",
            "ARG JAR=x\nFROM a\nADD $JAR /app.jar\n",
            "FROM a\nADD app.jar app.jar\nWORKDIR /app\n",
        ] {
            assert_eq!(count(R, s), 1, "{s}");
            assert_eq!(fix_with(R, s, true, &BuildContext::default()), s);
        }
        // a pattern without a context is unsure
        let s = "FROM a\nADD conf/* /etc/conf/\n";
        assert_eq!(fix(R, s), s);
        assert_eq!(fix_with(R, s, true, &BuildContext::default()), "FROM a\nCOPY conf/* /etc/conf/\n");
    }

    #[test]
    fn looks_at_the_build_context() {
        let dir = std::env::temp_dir().join(format!("dopt-dp202-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf")).unwrap();
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        std::fs::write(dir.join("rootfs"), &tar).unwrap();
        std::fs::write(dir.join("data.bin"), [0x1f, 0x8b, 8, 0]).unwrap();
        std::fs::write(dir.join("app.sh"), "#!/bin/sh\n").unwrap();
        std::fs::write(dir.join("conf/a.conf"), "x").unwrap();
        std::fs::write(dir.join("conf/b.conf"), "y").unwrap();
        let ctx = BuildContext::new(Some(dir.clone()));
        for s in ["FROM a\nADD rootfs /\n", "FROM a\nADD ./data.bin /x\n"] {
            assert_eq!(fix_with(R, s, true, &ctx), s, "{s}");
        }
        assert_eq!(fix_with(R, "FROM a\nADD app.sh conf /x/\n", false, &ctx), "FROM a\nCOPY app.sh conf /x/\n");
        assert_eq!(fix_with(R, "FROM a\nADD conf/*.conf /etc/\n", false, &ctx), "FROM a\nCOPY conf/*.conf /etc/\n");
        assert_eq!(fix_with(R, "FROM a\nADD * /x/\n", true, &ctx), "FROM a\nADD * /x/\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
