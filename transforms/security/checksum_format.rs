//! DP514 checksum-format
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Sep};
use crate::transforms::common::{index_in_script, run_commands_deep, word_edit_blocker, InnerScripts};

pub struct ChecksumFormat;

static META: RuleMeta = RuleMeta {
    code: "DP514",
    name: "checksum-format",
    summary: "`echo \"HASH FILE\" | sha256sum -c` with one space: busybox rejects the line; write two spaces",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
Finds a checksum line echoed into a check (`echo "$SHA256 file.tgz" | sha256sum -c -`, and
`sha1sum`, `sha224sum`, `sha384sum`, `sha512sum`, `md5sum`, `b2sum`; `-c` or `--check`)
where one space separates the hash from the file name, and puts two.

## Why
The format `sha256sum -c` reads is the one `sha256sum` writes: the hash, two characters, the
file name. The second character says how the file is read: a space for text, `*` for
binary. GNU coreutils also accepts a single space, but busybox (Alpine and other small
images) does not: it reports "no properly formatted checksum lines" and the build fails, or,
behind `|| true`, the file is never checked. Two spaces is what both read.

## Example
```dockerfile
RUN echo "$NODE_SHA256 node.tar.gz" | sha256sum -c -
```
becomes
```dockerfile
RUN echo "$NODE_SHA256  node.tar.gz" | sha256sum -c -
```

## Not flagged
- two spaces already, or the binary marker: `"$SHA256 *node.tar.gz"` is the binary form,
  which GNU and busybox both read. Parfum rewrites it to `"$SHA256  *node.tar.gz"`, which
  makes `*node.tar.gz` the file name and fails the check; dopt leaves it as it is;
- a line not piped into a check (`echo "$SHA file" > sums`, `sha256sum file`);
- the hash and the file name as two words (`echo $SHA $FILE`), which echo joins with one
  space: dopt does not rewrite the quoting.

## Fix safety
Safe: every `sha*sum -c` reads the two-space line as the one-space line was meant; only the
implementations that rejected the line change, and they now check the file. Commands in a
`sh -c "..."` string with escapes or expansions are reported without a fix.
"#,
};

impl Rule for ChecksumFormat {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_deep(cx, &inner) {
            if rc.cmd.program() != Some("echo") || !matches!(rc.cmd.sep_after, Some((Sep::Pipe, _))) {
                continue;
            }
            let Some(next) = rc.script.commands.get(index_in_script(&rc) + 1) else { continue };
            let Some(sum) = checks_sums(next) else { continue };
            let args: Vec<_> = rc.cmd.argv()[1..].iter().skip_while(|w| matches!(w.text.as_str(), "-n" | "-e" | "-E" | "-ne" | "-en")).collect();
            let [line] = args[..] else { continue };
            let t = &line.text;
            let Some((hash, file)) = t.split_once(' ') else { continue };
            if hash.is_empty() || file.is_empty() || file.starts_with(['*', ' ']) || t.chars().filter(|c| c.is_whitespace()).count() != 1 {
                continue;
            }
            let msg = format!("the checksum line for `{sum}` has one space between the hash and the file name; busybox reads only two");
            let raw = &cx.file.text[line.range.clone()];
            let at = (raw.matches(' ').count() == 1).then(|| raw.find(' ')).flatten();
            match (word_edit_blocker(&rc), at) {
                (None, Some(k)) => {
                    let fix = Fix::safe(vec![Edit::insert(line.range.start + k, " ")]);
                    out.push(cx.diag(&META, line.range.clone(), msg, Some(fix)));
                }
                (b, _) => {
                    let why = b.unwrap_or("the space is not written once in the word");
                    out.push(cx.diag(&META, line.range.clone(), format!("{msg} (no fix: {why})"), None));
                }
            }
        }
    }
}

/// The program name when the command checks sums (`sha256sum -c`), else None.
fn checks_sums(c: &Command) -> Option<&str> {
    let p = c.program()?;
    let known = matches!(p, "md5sum" | "b2sum" | "shasum") || p.strip_prefix("sha").and_then(|r| r.strip_suffix("sum")).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    (known && c.has_flag(&["-c", "--check"])).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn puts_two_spaces() {
        let f = |s: &str| fix(&ChecksumFormat, s);
        assert_eq!(f("RUN echo \"$SHA node.tgz\" | sha256sum -c -\n"), "RUN echo \"$SHA  node.tgz\" | sha256sum -c -\n");
        assert_eq!(f("RUN echo '0a1b /etc/x.conf' | sha1sum --quiet -c\n"), "RUN echo '0a1b  /etc/x.conf' | sha1sum --quiet -c\n");
        assert_eq!(f("RUN echo \"${MD5} ${FILE}\" | md5sum --check\n"), "RUN echo \"${MD5}  ${FILE}\" | md5sum --check\n");
        assert_eq!(f("RUN curl -fo x u && echo -n \"$S x\" | sha512sum -c - && tar xf x\n"), "RUN curl -fo x u && echo -n \"$S  x\" | sha512sum -c - && tar xf x\n");
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "RUN echo \"$SHA  node.tgz\" | sha256sum -c -\n",
            "RUN echo \"$SHA *node.tgz\" | sha256sum -c -\n",
            "RUN echo \"$SHA node.tgz\" > sums && sha256sum -c sums\n",
            "RUN echo \"$SHA node.tgz\" | sha256sum\n",
            "RUN echo \"$SHA node.tgz\" | tee sums\n",
            "RUN echo $SHA node.tgz | sha256sum -c -\n",
            "RUN echo \"a b c\" | sha256sum -c -\n",
        ] {
            assert_eq!(count(&ChecksumFormat, s), 0, "{s}");
        }
    }
}
