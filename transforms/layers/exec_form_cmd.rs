//! DP203 exec-form-cmd
use crate::engine::{splice, Applicability, Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use std::ops::Range;

use crate::model::shell::{base, parse_script, shell_text, view_of, Script, Sep, Word};
use crate::syntax::Kind;
use crate::transforms::common::{stage_chain, stage_shell, StageShell};

pub struct ExecFormCmd;

static META: RuleMeta = RuleMeta {
    code: "DP203",
    name: "exec-form-cmd",
    summary: "Shell-form CMD or ENTRYPOINT: write it in exec (JSON) form",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &["DL3025"],
    docs: r#"## What it does
Finds CMD and ENTRYPOINT in shell form and writes them in exec (JSON) form:

- a plain command (words only: no `$`, globs, `~`, pipes, `&&`, `;`, redirections, escapes,
  backquotes) becomes its argument list: `CMD python app.py` → `CMD ["python", "app.py"]`;
  a leading `exec` goes (`exec x` and `["x"]` run the same);
- anything else becomes the same command spelled out with its shell:
  `CMD gunicorn -b :$PORT app` → `CMD ["/bin/sh", "-c", "gunicorn -b :$PORT app"]`, which is
  exactly what Docker stores for the shell form (the stage's `SHELL` is used when it sets one).

Then, for an exec form that runs `sh -c` (written by the user or by the step above), it offers
to `exec` the last command of the script, so that the command replaces the shell:
`["/bin/sh", "-c", "exec gunicorn -b :$PORT app"]`. Multi-line instructions keep their lines
and comments.

`HEALTHCHECK CMD` in shell form is written the same way (hadolint reports it too): Docker runs
`CMD-SHELL` checks with the stage's shell, so the `sh -c` spelling runs the same command, and a
plain command then needs no shell at all. ONBUILD triggers are left alone.

## Why
In shell form the command runs as `/bin/sh -c "..."`: the shell is PID 1 and, with most
shells, `docker stop`'s SIGTERM never reaches the program, which is killed ten seconds later
without a chance to shut down cleanly. Images without a shell (`scratch`, distroless) cannot run
shell-form commands at all.

## Example
```dockerfile
CMD python app.py --port 8000
```
becomes
```dockerfile
CMD ["python", "app.py", "--port", "8000"]
```

## Fix safety
- The argument list of a plain health check is Safe (unless it is a script, see below): no
  ENTRYPOINT applies to health checks.
- The argument list of a plain CMD is Safe when nothing receives the CMD as arguments: no
  ENTRYPOINT in the stage or a stage it is built FROM (a shell-form ENTRYPOINT ignores CMD, and
  `ENTRYPOINT []` clears it), and a base image that is `scratch` or one of the official images
  known to have no ENTRYPOINT or one that passes its arguments on (`python`, `node`, `debian`,
  `alpine`, `golang`, `openjdk`, `eclipse-temurin`, `php`, `ruby`, ...). Otherwise it is Unsafe:
  the ENTRYPOINT would receive `python app.py` instead of `/bin/sh -c "python app.py"`.
  It is also Unsafe when the program is a `.sh` script that dopt cannot see in the build
  context: a script without a `#!` line runs under the shell form but not in exec form (when
  dopt sees the script has none, it writes the `sh -c` form instead).
- The argument list of a plain ENTRYPOINT is always Unsafe: a shell-form ENTRYPOINT ignores
  its arguments (`docker run IMAGE args`, compose `command:`, a CMD of this stage or of an image
  built FROM this one); in exec form they are appended to the command.
- The `sh -c` spelling is Safe: the image's configuration is the same, byte for byte.
- Adding `exec` is Unsafe: the program becomes PID 1 and receives signals itself, which
  changes how the container stops. It is not offered after `trap`, in a pipeline, after `||`,
  or for shell built-ins.

No fix in a stage whose shell is not a POSIX shell (PowerShell, Windows images), and no `sh -c`
form in images that have no shell (`scratch`, distroless): there only the plain argument list
is written.
"#,
};

/// Shell built-ins with no program of the same name (or one that behaves differently).
const BUILTINS: &[&str] = &[
    "cd", "export", "source", ".", "set", "unset", "ulimit", "umask", "trap", "eval", "alias", "unalias", "read", "wait", "shift",
    "readonly", "local", "return", "exit", "break", "continue", "times", "type", "hash", "getopts", "command", "jobs", "fg", "bg",
    "declare", "typeset", "let", "shopt", "enable", "builtin", ":", "exec",
];

/// Shell reserved words.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "function", "{", "}", "!",
    "[[", "]]", "time", "coproc", "in",
];

/// Official images with no ENTRYPOINT, or one that runs its arguments as they are
/// (`exec "$@"` after some setup that does not depend on them).
const PASS_THROUGH_IMAGES: &[&str] = &[
    "alpine", "debian", "ubuntu", "busybox", "centos", "fedora", "rockylinux", "almalinux", "amazonlinux", "oraclelinux",
    "archlinux", "python", "pypy", "golang", "rust", "openjdk", "eclipse-temurin", "amazoncorretto", "node", "php", "ruby",
    "perl", "erlang", "elixir", "swift", "gcc", "buildpack-deps", "maven", "gradle", "haskell", "julia", "r-base", "mono",
    "tomcat", "httpd",
];

/// A JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    out.push_str(&json_escape(s));
    out.push('"');
    out
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Whether a word, as written, means itself to a POSIX shell: only plain characters, and
/// quotes around text that holds no `$`, backquote or backslash.
fn literal_word(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => match raw[i + 1..].find('\'') {
                Some(k) => i += k + 2,
                None => return false,
            },
            b'"' => match raw[i + 1..].find('"') {
                Some(k) if !raw[i + 1..i + 1 + k].contains(['$', '`', '\\']) => i += k + 2,
                _ => return false,
            },
            c if c.is_ascii_alphanumeric() || b"-_./:=,@%+^".contains(&c) || c >= 0x80 => i += 1,
            _ => return false,
        }
    }
    true
}

/// The words of a shell-form command line that is one plain command, `exec` dropped, and the
/// offset where the words start (the `exec` included).
fn plain_command<'s>(cx: &Context, i: usize, range: Range<usize>, script: &'s Script) -> Option<(&'s [Word], usize)> {
    if script.opaque.is_some() || script.background || !script.comments.is_empty() || script.commands.len() != 1 {
        return None;
    }
    let c = &script.commands[0];
    if c.opaque.is_some() || c.in_compound || c.sep_after.is_some() || !c.assignments.is_empty() || c.words.is_empty() {
        return None;
    }
    // every byte of the command line that is not blank belongs to a word
    let ins = &cx.file.instructions[i];
    let (view, vstart, _) = view_of(cx.file, ins, range);
    let mut covered = vec![false; view.len()];
    for w in &c.words {
        let raw = &cx.file.text[w.range.clone()];
        if raw.contains('\n') || !literal_word(raw) {
            return None;
        }
        covered[w.range.start - vstart..w.range.end - vstart].iter_mut().for_each(|x| *x = true);
    }
    if view.bytes().zip(&covered).any(|(b, c)| !c && !b.is_ascii_whitespace()) {
        return None;
    }
    let mut words = &c.words[..];
    if words[0].text == "exec" && !words[0].quoted {
        words = &words[1..];
        let gap = &cx.file.text[c.words[0].range.end..words.first()?.range.start];
        if gap.contains('#') {
            return None;
        }
    }
    let first = words.first()?.text.as_str();
    if first.is_empty() || first.starts_with('-') || KEYWORDS.contains(&first) || BUILTINS.contains(&first) {
        return None;
    }
    Some((words, c.words[0].range.start))
}

/// The edit that writes `words` as a JSON array over the command line from `from`, keeping
/// line breaks (and the comment lines in them) between words.
fn exec_form_edit(cx: &Context, words: &[Word], from: usize) -> Edit {
    let text = &cx.file.text;
    let mut out = String::from("[");
    for (k, w) in words.iter().enumerate() {
        if k > 0 {
            let gap = &text[words[k - 1].range.end..w.range.start];
            if gap.contains('\n') {
                out.push(',');
                out.push_str(gap);
            } else {
                out.push_str(", ");
            }
        }
        out.push_str(&json_str(&w.text));
    }
    out.push(']');
    Edit::replace(from..words.last().unwrap().range.end, out)
}

/// The edit that writes a shell-form command line as `[shell..., "command line"]`, keeping its
/// line breaks and comment lines (BuildKit joins the lines before it reads the JSON).
fn explicit_shell_edit(cx: &Context, i: usize, range: Range<usize>, shell: &[String]) -> Option<Edit> {
    let ins = &cx.file.instructions[i];
    let pieces = ins.line.source_pieces(range);
    let (first, last) = (pieces.first()?.start, pieces.last()?.end);
    let mut out = String::from("[");
    for s in shell {
        out.push_str(&json_str(s));
        out.push_str(", ");
    }
    out.push('"');
    for (k, p) in pieces.iter().enumerate() {
        if k > 0 {
            out.push_str(&cx.file.text[pieces[k - 1].end..p.start]);
        }
        out.push_str(&json_escape(&cx.file.text[p.clone()]));
        // the escape character must still end the line as a continuation
        if k + 1 < pieces.len() && out.ends_with(cx.file.escape) {
            return None;
        }
    }
    out.push_str("\"]");
    Some(Edit::replace(first..last, out))
}

/// Whether instruction `i`, after `edit`, is in exec form with exactly `want` as its values.
fn reads_back(cx: &Context, i: usize, edit: &Edit, want: &[String]) -> bool {
    let t = splice(&cx.file.text, std::slice::from_ref(edit));
    crate::syntax::parse(&t).is_ok_and(|f| f.instructions.get(i).is_some_and(|ins| ins.node.json && ins.node.values == want))
}

/// The root image of the stage of `i` (`None` for a stage of this file without a known base).
fn root_image(cx: &Context, i: usize) -> Option<String> {
    let chain = stage_chain(cx, i);
    chain.last().map(|&s| cx.model.stages[s].base_resolved.clone())
}

/// Whether the stage of `i` is built on an image that has no shell.
fn no_shell(cx: &Context, i: usize) -> bool {
    let Some(b) = root_image(cx, i) else { return false };
    let b = b.to_ascii_lowercase();
    b == "scratch" || (b.contains("distroless/") && !b.contains("debug")) || b.starts_with("cgr.dev/chainguard/static")
}

/// Why the CMD at `i`, as an argument list, would reach a program that looks at it, if it could.
/// `args` receives the command as `new` instead of `old`.
fn receives(args: &str, new: &[String], old: &[String]) -> String {
    let j = |v: &[String]| format!("[{}]", v.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(", "));
    format!("{args} the command as its arguments: `{}` instead of `{}`", j(new), j(old))
}

/// Why the CMD at `i`, as the argument list `new` instead of `old`, would reach a program
/// that looks at it, if it could.
fn entrypoint_concern(cx: &Context, i: usize, new: &[String], old: &[String]) -> Option<String> {
    for s in stage_chain(cx, i) {
        for k in cx.model.stages[s].instructions.clone().rev() {
            let n = &cx.file.instructions[k].node;
            if n.kind != Kind::Entrypoint {
                continue;
            }
            // a shell-form ENTRYPOINT ignores CMD, `[]` clears the base image's, and an init
            // such as tini or dumb-init runs its arguments as they are
            if !n.json || n.values.is_empty() || init_entrypoint(&n.values) {
                return None;
            }
            let line = cx.file.instructions[k].start_line;
            return Some(receives(&format!("the ENTRYPOINT at line {line} receives"), new, old));
        }
    }
    let root = root_image(cx, i)?;
    if root.eq_ignore_ascii_case("scratch") || known_pass_through(&root) {
        return None;
    }
    Some(receives(&format!("the base image `{root}` may have an ENTRYPOINT, which would receive"), new, old))
}

/// An ENTRYPOINT that is a minimal init running its arguments: `["tini", "--"]`,
/// `["/usr/bin/dumb-init", "--"]`, with the init's own flags.
fn init_entrypoint(values: &[String]) -> bool {
    matches!(base(&values[0]), "tini" | "tini-static" | "dumb-init" | "catatonit")
        && values[1..].iter().all(|v| v.starts_with('-'))
}

fn known_pass_through(image: &str) -> bool {
    let Some(r) = crate::model::ImageRef::parse(image) else { return false };
    let repo = r.repository.to_ascii_lowercase();
    match r.registry.as_deref() {
        None | Some("docker.io") | Some("index.docker.io") => PASS_THROUGH_IMAGES.contains(&repo.strip_prefix("library/").unwrap_or(&repo)),
        Some("mcr.microsoft.com") => repo.starts_with("dotnet/"),
        Some("gcr.io") => ["distroless/static", "distroless/base", "distroless/cc"].iter().any(|p| repo.starts_with(p)),
        _ => false,
    }
}

/// Whether the context shows that `prog`, a script, starts with `#!` (`None`: not found).
fn has_shebang(cx: &Context, prog: &str) -> Option<bool> {
    let rel = prog.trim_start_matches("./").trim_start_matches('/');
    [rel, base(prog)].into_iter().find_map(|c| cx.build.head(c, 2)).map(|h| h.starts_with(b"#!"))
}

impl Rule for ExecFormCmd {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, ins) in cx.file.instructions.iter().enumerate() {
            let node = &ins.node;
            match node.kind {
                Kind::Cmd | Kind::Entrypoint if node.json => exec_last_command(cx, i, out),
                Kind::Cmd | Kind::Entrypoint if !node.args.is_empty() => shell_form_diag(cx, i, node.args.clone(), &[], out),
                Kind::Healthcheck if !node.json && node.values.first().is_some_and(|t| t.eq_ignore_ascii_case("cmd")) => {
                    // the command after `CMD`
                    let a = ins.args_text();
                    let skip = a.len() - a[3..].trim_start().len();
                    if skip < a.len() {
                        shell_form_diag(cx, i, node.args.start + skip..node.args.end, &node.values[..1], out);
                    }
                }
                _ => {}
            }
        }
    }
}

fn keyword_range(cx: &Context, i: usize) -> std::ops::Range<usize> {
    let ins = &cx.file.instructions[i];
    ins.line.to_source(ins.node.keyword_range.start)..ins.line.to_source_end(ins.node.keyword_range.end)
}

/// A shell-form command line at the logical `range` of instruction `i`, whose values have
/// `prefix` before the command (`CMD` for HEALTHCHECK).
fn shell_form_diag(cx: &Context, i: usize, range: Range<usize>, prefix: &[String], out: &mut Vec<Diagnostic>) {
    let ins = &cx.file.instructions[i];
    let what = match ins.node.kind {
        Kind::Cmd => "CMD",
        Kind::Entrypoint => "ENTRYPOINT",
        _ => "HEALTHCHECK CMD",
    };
    let kw = keyword_range(cx, i);
    let StageShell::Posix(shell) = stage_shell(cx, i) else {
        out.push(cx.diag(&META, kw, format!("{what} in shell form (no fix: the stage's shell is not a POSIX shell)"), None));
        return;
    };
    let script = shell_text(cx.file, ins, range.clone());
    if let Some((words, from)) = plain_command(cx, i, range.clone(), &script) {
        let argv: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
        let mut want = prefix.to_vec();
        want.extend(argv.iter().cloned());
        let prog = argv[0].as_str();
        let script_prog = [".sh", ".bash"].iter().any(|e| prog.ends_with(e));
        let shebang = if script_prog { has_shebang(cx, prog) } else { Some(true) };
        if shebang != Some(false) {
            let concern = if ins.node.kind == Kind::Entrypoint {
                let cmd = cx.model.stage_of(i).and_then(|s| s.instructions.clone().find(|&k| cx.file.instructions[k].node.kind == Kind::Cmd));
                Some(match cmd {
                    Some(k) => format!(
                        "the CMD at line {} would be appended to the command as arguments, which a shell-form ENTRYPOINT ignores",
                        cx.file.instructions[k].start_line
                    ),
                    None => "arguments given to the container (`docker run IMAGE args`, compose `command:`, a CMD of an image built FROM this one) would be appended to the command; a shell-form ENTRYPOINT ignores them".to_string(),
                })
            } else if shebang.is_none() {
                Some(format!("dopt cannot see whether `{prog}` starts with `#!`: a script without it runs under the shell form but not in exec form"))
            } else if ins.node.kind == Kind::Cmd {
                let mut old = shell.to_vec();
                old.push(ins.line.text[range.clone()].to_string());
                entrypoint_concern(cx, i, &argv, &old)
            } else {
                None
            };
            let edit = exec_form_edit(cx, words, from);
            if reads_back(cx, i, &edit, &want) {
                let (msg, app) = match &concern {
                    None if ins.node.kind == Kind::Healthcheck => {
                        (format!("{what} in shell form: use the exec form, which runs `{prog}` without a shell"), Applicability::Safe)
                    }
                    None => (format!("{what} in shell form: the shell, not `{prog}`, gets the signals; use the exec form"), Applicability::Safe),
                    Some(c) => (format!("{what} in shell form: use the exec form (unsafe: {c})"), Applicability::Unsafe),
                };
                out.push(cx.diag(&META, kw, msg, Some(Fix::with(app, vec![edit]))));
                return;
            }
        }
    }
    // the command needs a shell: spell it out
    if no_shell(cx, i) {
        out.push(cx.diag(&META, kw, format!("{what} in shell form (no fix: the image has no shell to run it)"), None));
        return;
    }
    let mut want = prefix.to_vec();
    want.extend(shell.iter().cloned());
    want.push(ins.line.text[range.clone()].to_string());
    let fix = explicit_shell_edit(cx, i, range, &shell).filter(|e| reads_back(cx, i, e, &want)).map(|e| Fix::safe(vec![e]));
    let sh = shell.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(", ");
    let msg = match fix {
        Some(_) => format!("{what} in shell form: it uses the shell; write it as `[{sh}, \"...\"]`, which is the same command"),
        None => format!("{what} in shell form (no fix: dopt cannot write this command line as JSON keeping its lines)"),
    };
    out.push(cx.diag(&META, kw, msg, fix));
}

/// Offers to `exec` the last command of an exec-form `sh -c` script.
fn exec_last_command(cx: &Context, i: usize, out: &mut Vec<Diagnostic>) {
    let ins = &cx.file.instructions[i];
    let v = &ins.node.values;
    if v.len() != 3 || !matches!(base(&v[0]), "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh") || v[1] != "-c" {
        return;
    }
    let script = parse_script(&v[2], 0);
    if script.opaque.is_some() || script.background || !script.comments.is_empty() {
        return;
    }
    let Some(last) = script.commands.last() else { return };
    if script.commands.iter().any(|c| c.words.first().is_some_and(|w| w.text == "trap")) {
        return;
    }
    let first = last.words.first().map(|w| w.text.as_str()).unwrap_or("");
    if last.opaque.is_some()
        || last.in_compound
        || last.sep_after.is_some()
        || !matches!(last.sep_before, None | Some(Sep::And | Sep::Semi | Sep::Newline))
        || !last.assignments.is_empty()
        || first.is_empty()
        || BUILTINS.contains(&first)
        || KEYWORDS.contains(&first)
        || v[2][..last.range.start].trim_end().ends_with('!')
    {
        return;
    }
    // `exec` of a script without `#!` fails where the shell would have run it
    let prog = last.program().unwrap_or(first);
    if [".sh", ".bash"].iter().any(|e| prog.ends_with(e)) && has_shebang(cx, prog) != Some(true) {
        return;
    }
    // where the script's text is in the file: the third string of the array, without escapes
    let args = ins.args_text();
    let Some(lit) = nth_json_string(args, 2) else { return };
    if args[lit.clone()] != v[2] {
        return;
    }
    let a = ins.node.args.start;
    if ins.line.source_range(a + lit.start..a + lit.end).is_none() {
        return;
    }
    let at = ins.line.to_source(a + lit.start + last.range.start);
    let edit = Edit::insert(at, "exec ");
    let mut want = v.clone();
    want[2].insert_str(last.range.start, "exec ");
    if !reads_back(cx, i, &edit, &want) {
        return;
    }
    let what = if ins.node.kind == Kind::Cmd { "CMD" } else { "ENTRYPOINT" };
    out.push(cx.diag(
        &META,
        keyword_range(cx, i),
        format!("{what} runs `{first}` under `{}`, which keeps the signals: `exec` it (unsafe: `{first}` becomes PID 1 and gets SIGTERM itself)", v[0]),
        Some(Fix::unsafe_(vec![edit])),
    ));
}

/// The range of the contents of the `n`-th string literal of a JSON array text.
fn nth_json_string(text: &str, n: usize) -> Option<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut k = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            if k == n {
                return (i < b.len()).then_some(start..i);
            }
            k += 1;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    const R: &ExecFormCmd = &ExecFormCmd;

    fn unsafe_fix(s: &str) -> String {
        fix_with(R, s, true, &BuildContext::default())
    }

    #[test]
    fn plain_commands_become_argument_lists() {
        assert_eq!(fix(R, "FROM python:3.11\nCMD python app.py --port 8000\n"), "FROM python:3.11\nCMD [\"python\", \"app.py\", \"--port\", \"8000\"]\n");
        assert_eq!(fix(R, "FROM node:18\ncmd exec node 'my app.js'\n"), "FROM node:18\ncmd [\"node\", \"my app.js\"]\n");
        assert_eq!(
            fix(R, "FROM nginx:1 AS b\nFROM scratch\nCMD [\"x\"]\nCMD /app -config \"/etc/a b.conf\"\n"),
            "FROM nginx:1 AS b\nFROM scratch\nCMD [\"x\"]\nCMD [\"/app\", \"-config\", \"/etc/a b.conf\"]\n"
        );
        // multi-line with a comment inside
        assert_eq!(
            fix(R, "FROM debian:12\nCMD grafana-server \\\n    # where\n    --homepath=/usr/share/grafana\n"),
            "FROM debian:12\nCMD [\"grafana-server\", \\\n    # where\n    \"--homepath=/usr/share/grafana\"]\n"
        );
        assert_eq!(
            fix(R, "# escape=`\r\nFROM debian:12\r\nCMD nginx -g 'daemon off;' `\r\n  -c x.conf\r\n"),
            "# escape=`\r\nFROM debian:12\r\nCMD [\"nginx\", \"-g\", \"daemon off;\", `\r\n  \"-c\", \"x.conf\"]\r\n"
        );
        // a shell-form ENTRYPOINT ignores CMD; ENTRYPOINT [] clears the base image's
        assert_eq!(fix(R, "FROM nginx:1\nENTRYPOINT []\nCMD nginx -g x\n"), "FROM nginx:1\nENTRYPOINT []\nCMD [\"nginx\", \"-g\", \"x\"]\n");
        assert_eq!(fix(R, "FROM nginx:1\nENTRYPOINT x\nCMD nginx -g x\n"), "FROM nginx:1\nENTRYPOINT x\nCMD [\"nginx\", \"-g\", \"x\"]\n");
        // an init that runs its arguments as they are
        assert_eq!(
            fix(R, "FROM nginx:1 AS a\nENTRYPOINT [\"/sbin/tini\", \"-g\", \"--\"]\nFROM a\nCMD nginx -g x\n"),
            "FROM nginx:1 AS a\nENTRYPOINT [\"/sbin/tini\", \"-g\", \"--\"]\nFROM a\nCMD [\"nginx\", \"-g\", \"x\"]\n"
        );
    }

    #[test]
    fn plain_commands_that_something_else_receives_are_unsafe() {
        for (s, want) in [
            ("FROM nginx:1\nCMD nginx -g x\n", "FROM nginx:1\nCMD [\"nginx\", \"-g\", \"x\"]\n"),
            (
                "FROM python:3.11\nENTRYPOINT [\"/docker-entrypoint.sh\"]\nCMD python app.py\n",
                "FROM python:3.11\nENTRYPOINT [\"/docker-entrypoint.sh\"]\nCMD [\"python\", \"app.py\"]\n",
            ),
            ("FROM python:3.11\nENTRYPOINT python app.py\n", "FROM python:3.11\nENTRYPOINT [\"python\", \"app.py\"]\n"),
            ("FROM python:3.11\nCMD ./start.sh\n", "FROM python:3.11\nCMD [\"./start.sh\"]\n"),
        ] {
            assert_eq!(fix(R, s), s, "{s}");
            assert_eq!(unsafe_fix(s), want);
        }
    }

    #[test]
    fn shell_features_keep_the_shell() {
        assert_eq!(
            fix(R, "FROM python:3.11\nCMD exec gunicorn --bind :$PORT app:app\n"),
            "FROM python:3.11\nCMD [\"/bin/sh\", \"-c\", \"exec gunicorn --bind :$PORT app:app\"]\n"
        );
        assert_eq!(
            fix(R, "FROM php:8\nCMD php-fpm && nginx -g \"daemon off;\"\n"),
            "FROM php:8\nCMD [\"/bin/sh\", \"-c\", \"php-fpm && nginx -g \\\"daemon off;\\\"\"]\n"
        );
        assert_eq!(
            fix(R, "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nENTRYPOINT a | tee /log\n"),
            "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nENTRYPOINT [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\", \"a | tee /log\"]\n"
        );
        // lines and comments stay
        assert_eq!(
            fix(R, "FROM debian:12\nCMD a && \\\n  # then b\n  b $X\n"),
            "FROM debian:12\nCMD [\"/bin/sh\", \"-c\", \"a && \\\n  # then b\n  b $X\"]\n"
        );
        // a builtin has no program of its own
        assert_eq!(fix(R, "FROM debian:12\nCMD cd /x\n"), "FROM debian:12\nCMD [\"/bin/sh\", \"-c\", \"cd /x\"]\n");
    }

    #[test]
    fn exec_the_last_command() {
        assert_eq!(
            unsafe_fix("FROM python:3.11\nCMD gunicorn --bind :$PORT app:app\n"),
            "FROM python:3.11\nCMD [\"/bin/sh\", \"-c\", \"exec gunicorn --bind :$PORT app:app\"]\n"
        );
        assert_eq!(
            unsafe_fix("FROM python:3.11\nCMD [\"sh\", \"-c\", \"python manage.py migrate && gunicorn app\"]\n"),
            "FROM python:3.11\nCMD [\"sh\", \"-c\", \"python manage.py migrate && exec gunicorn app\"]\n"
        );
        for s in [
            "FROM a:1\nCMD [\"sh\", \"-c\", \"a | tee log\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"a || b\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"trap 'x' TERM; a\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"a; wait\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"a; ! b\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"X=1 a\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"exec a\"]\n",
            "FROM a:1\nCMD [\"sh\", \"-c\", \"a \\\"$X\\\"\"]\n",
            // a script that may have no `#!`: `exec` would fail where `sh` runs it
            "FROM a:1\nCMD [\"sh\", \"-c\", \"cd /app && ./start.sh\"]\n",
            "FROM a:1\nCMD [\"a\", \"b\"]\n",
        ] {
            assert_eq!(count(R, s), 0, "{s}");
        }
    }

    #[test]
    fn health_checks() {
        assert_eq!(
            fix(R, "FROM nginx:1\nHEALTHCHECK --interval=5s CMD curl -f http://localhost/\n"),
            "FROM nginx:1\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"http://localhost/\"]\n"
        );
        assert_eq!(
            fix(R, "FROM nginx:1\nhealthcheck cmd [ -e /tmp/.lock ] || exit 1\n"),
            "FROM nginx:1\nhealthcheck cmd [\"/bin/sh\", \"-c\", \"[ -e /tmp/.lock ] || exit 1\"]\n"
        );
        assert_eq!(
            fix(R, "FROM nginx:1\nHEALTHCHECK --interval=30s \\\n  CMD curl -f http://localhost/ \\\n  || exit 1\n"),
            "FROM nginx:1\nHEALTHCHECK --interval=30s \\\n  CMD [\"/bin/sh\", \"-c\", \"curl -f http://localhost/ \\\n  || exit 1\"]\n"
        );
        let s = "FROM gcr.io/distroless/base\nHEALTHCHECK CMD /hc || exit 1\n";
        assert_eq!(count(R, s), 1);
        assert_eq!(unsafe_fix(s), s);
    }

    #[test]
    fn no_shell_no_sh_c() {
        let s = "FROM scratch\nCMD /app $X\n";
        assert_eq!(count(R, s), 1);
        assert_eq!(unsafe_fix(s), s);
        let s = "FROM gcr.io/distroless/static-debian12\nCMD /app --x\n";
        assert_eq!(fix(R, s), "FROM gcr.io/distroless/static-debian12\nCMD [\"/app\", \"--x\"]\n");
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM a:1\nCMD [\"python\", \"app.py\"]\n",
            "FROM a:1\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\n",
            "FROM a:1\nHEALTHCHECK NONE\n",
            "FROM a:1\nONBUILD CMD python app.py\n",
        ] {
            assert_eq!(count(R, s), 0, "{s}");
        }
        // a Windows stage: reported, not fixed
        let s = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD app.exe\n";
        assert_eq!(count(R, s), 1);
        assert_eq!(unsafe_fix(s), s);
    }

    #[test]
    fn json_strings() {
        assert_eq!(json_str("a\"b\\c\u{1}é"), "\"a\\\"b\\\\c\\u0001é\"");
        assert!(literal_word("'a $b'"));
        assert!(literal_word("\"daemon off;\""));
        assert!(!literal_word("\"$X\""));
        assert!(!literal_word("*.py"));
        assert!(!literal_word("~/x"));
        assert!(!literal_word("a\\ b"));
    }
}
