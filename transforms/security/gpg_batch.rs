//! DP512 gpg-batch
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::transforms::common::{run_commands_deep, word_edit_blocker, InnerScripts};
use crate::transforms::security::download::gpg_argv;

pub struct GpgBatch;

static META: RuleMeta = RuleMeta {
    code: "DP512",
    name: "gpg-batch",
    summary: "`gpg` without `--batch` expects a terminal the build does not have: add `--batch`",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `gpg` and `gpg2` commands (in RUN instructions, heredoc scripts, ONBUILD RUN,
`sh -c '...'` strings and `$(...)` substitutions; `sudo` and other wrappers understood) without `--batch`, and adds
`--batch` right after the program name.

## Why
A build has no terminal. Without `--batch`, gpg may still try to open one: to ask whether to
overwrite a file, to show a passphrase prompt, to confirm a trust decision. It then fails
with `cannot open '/dev/tty'`, or waits. `--batch` tells gpg that nobody is there: it never
asks, and takes a passphrase given on the command line. The official images write
`gpg --batch` everywhere for this reason.

## Example
```dockerfile
RUN gpg --keyserver keyserver.ubuntu.com --recv-keys "$KEY" && gpg --verify node.tar.gz.asc
```
becomes
```dockerfile
RUN gpg --batch --keyserver keyserver.ubuntu.com --recv-keys "$KEY" && gpg --batch --verify node.tar.gz.asc
```

## Not flagged
- `--batch` or `--no-batch` on the command line;
- `gpg --version`, `gpg --help`;
- `gpgv`, `gpgconf`, `gpg-agent` and the other programs of the suite, which do not prompt.

## Fix safety
Safe: in a build gpg has no terminal to ask on, so `--batch` only turns a prompt that cannot
be answered into an answer gpg gives itself; keys, signatures and files stay the same.
Unsafe for commands that change keys interactively: deleting keys (batch mode needs `--yes`
and a full fingerprint) and `--edit-key`/`--sign-key`-style menus. Commands in a
`sh -c "..."` string with escapes or expansions are reported without a fix.
"#,
};

/// gpg commands whose batch behaviour differs from the interactive one.
const INTERACTIVE: &[&str] = &[
    "--delete-key", "--delete-keys", "--delete-secret-key", "--delete-secret-keys", "--delete-secret-and-public-key", "--delete-secret-and-public-keys",
    "--edit-key", "--sign-key", "--lsign-key", "--quick-sign-key", "--quick-lsign-key", "--edit-card", "--card-edit", "--change-pin",
];

impl Rule for GpgBatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_deep(cx, &inner) {
            let Some(argv) = gpg_argv(rc.cmd) else { continue };
            let args: Vec<&str> = argv[1..].iter().map(|w| w.text.as_str()).collect();
            if args.iter().any(|a| matches!(*a, "--batch" | "--no-batch" | "--version" | "--help" | "-h" | "--dump-options" | "--dump-option-table")) {
                continue;
            }
            let prog = argv[0].text.rsplit('/').next().unwrap_or("gpg");
            let msg = format!("`{prog}` without `--batch`: it may try to prompt on a terminal the build does not have");
            if let Some(r) = word_edit_blocker(&rc) {
                out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg} (no fix: {r})"), None));
                continue;
            }
            let edit = Edit::insert(argv[0].range.end, " --batch");
            let fix = match args.iter().find(|a| INTERACTIVE.contains(a)) {
                Some(c) => {
                    let why = if c.starts_with("--delete") {
                        format!("in batch mode `{c}` does not ask: it needs `--yes` and a full fingerprint")
                    } else {
                        format!("in batch mode `{c}` reads its commands from `--command-fd`, not from the terminal")
                    };
                    out.push(cx.diag(&META, rc.cmd.range.clone(), format!("{msg} (unsafe: {why})"), Some(Fix::unsafe_(vec![edit]))));
                    continue;
                }
                None => Fix::safe(vec![edit]),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, Some(fix)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    #[test]
    fn adds_batch() {
        let f = |s: &str| fix(&GpgBatch, s);
        assert_eq!(f("RUN gpg --verify x.asc x\n"), "RUN gpg --batch --verify x.asc x\n");
        assert_eq!(
            f("RUN for key in A B; do gpg --keyserver k.org --recv-keys \"$key\" || gpg2 --keyserver j.org --recv-keys \"$key\"; done\n"),
            "RUN for key in A B; do gpg --batch --keyserver k.org --recv-keys \"$key\" || gpg2 --batch --keyserver j.org --recv-keys \"$key\"; done\n"
        );
        assert_eq!(f("RUN curl -fsSL https://a.org/k | sudo gpg --dearmor -o /usr/share/keyrings/a.gpg\n"), "RUN curl -fsSL https://a.org/k | sudo gpg --batch --dearmor -o /usr/share/keyrings/a.gpg\n");
        assert_eq!(f("RUN K=$(gpg --list-keys)\n"), "RUN K=$(gpg --batch --list-keys)\n");
        assert_eq!(f("RUN GNUPGHOME=\"$(mktemp -d)\" /usr/bin/gpg --import k\n"), "RUN GNUPGHOME=\"$(mktemp -d)\" /usr/bin/gpg --batch --import k\n");
    }

    #[test]
    fn unsafe_for_interactive_key_changes() {
        let s = "RUN gpg --delete-key ABCD\n";
        assert_eq!(fix(&GpgBatch, s), s);
        assert_eq!(fix_with(&GpgBatch, s, true, &BuildContext::default()), "RUN gpg --batch --delete-key ABCD\n");
    }

    #[test]
    fn leaves_alone() {
        for s in ["RUN gpg --batch --verify x.asc\n", "RUN gpg --version\n", "RUN gpgv x.asc x\n", "RUN gpgconf --kill all\n", "RUN apt-get install -y gpg\n"] {
            assert_eq!(count(&GpgBatch, s), 0, "{s}");
        }
        let s = "RUN sh -c \"gpg --verify $F\"\n";
        assert_eq!(count(&GpgBatch, s), 1);
        assert_eq!(fix_with(&GpgBatch, s, true, &BuildContext::default()), s);
    }
}
