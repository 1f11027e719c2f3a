//! DP114 gem-no-document
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{Command, Word};
use crate::transforms::common::{base_image, earlier_text_memo, run_commands_incl, InnerScripts};

pub struct GemNoDocument;

static META: RuleMeta = RuleMeta {
    code: "DP114",
    name: "gem-no-document",
    summary: "`gem install` and `gem update` generate documentation nobody reads in an image: add `--no-document`",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &[],
    docs: r#"## What it does
Finds `gem install` and `gem update` (`--system` included) in RUN instructions (heredoc
scripts, ONBUILD RUN and `sh -c '...'` strings included; `sudo` and global flags
understood) and adds `--no-document` after the subcommand.

## Why
By default RubyGems generates ri and RDoc documentation for every gem it installs or
updates: slower builds and megabytes of documentation in the image.

## Example
```dockerfile
RUN gem install bundler
```
becomes
```dockerfile
RUN gem install --no-document bundler
```

## Not flagged
- `--no-document`, `--no-ri`, `--no-rdoc`, `-N`, or an explicit `--document`/`--ri`/`--rdoc`;
- a `gemrc` with `--no-document` (or `--no-ri`/`--no-rdoc`) written earlier in the
  Dockerfile;
- stages built on the official `ruby` images, whose `/usr/local/etc/gemrc` already says
  `install: --no-document` and `update: --no-document`: the flag would change nothing. (Parfum
  adds it to `gem update` there too; dopt leaves the command as it is.)

## Fix safety
Safe: only documentation is left out. Unsafe on bases whose RubyGems predates 2.0 and does
not know `--no-document` (CentOS 5/6, Ubuntu 12.04/14.04, Debian squeeze/wheezy,
`ruby:1.x`). Commands in `for` loops or `$(...)` are reported without a fix.
"#,
};

impl Rule for GemNoDocument {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        for rc in run_commands_incl(cx, &inner) {
            let Some(install) = gem_doc_word(rc.cmd) else { continue };
            if rc.cmd.argv()[1..].iter().any(|w| says_docs(&w.text)) {
                continue;
            }
            let base = base_image(cx, rc.ins);
            if base.as_deref().is_some_and(|b| b == "ruby" || b.starts_with("ruby:")) && !base.as_deref().is_some_and(old_rubygems) {
                continue;
            }
            if gemrc_before(cx, rc.ins) {
                continue;
            }
            let msg = format!("`gem {}` without `--no-document`", install.text);
            let edit = vec![Edit::insert(install.range.end, " --no-document")];
            let (msg, fix) = match rc.opaque() {
                Some(w) => (format!("{msg} (no fix: {w})"), None),
                None if base.as_deref().is_some_and(old_rubygems) => {
                    (format!("{msg} (unsafe: the base image's RubyGems may predate 2.0 and not know `--no-document`)"), Some(Fix::unsafe_(edit)))
                }
                None => (msg, Some(Fix::safe(edit))),
            };
            out.push(cx.diag(&META, rc.cmd.range.clone(), msg, fix));
        }
    }
}

/// The subcommand word of `gem install` or `gem update`.
fn gem_doc_word(cmd: &Command) -> Option<&Word> {
    if cmd.program() != Some("gem") {
        return None;
    }
    let sub = cmd.argv()[1..].iter().find(|w| !w.text.starts_with('-'))?;
    matches!(sub.text.as_str(), "install" | "update").then_some(sub)
}

/// A flag that decides about documentation (OptionParser takes unambiguous prefixes).
fn says_docs(a: &str) -> bool {
    a == "-N" || ["--no-doc", "--doc", "--no-ri", "--no-rdoc", "--ri", "--rdoc"].iter().any(|p| a.starts_with(p))
}

fn old_rubygems(base: &str) -> bool {
    ["centos:5", "centos:6", "centos:centos6", "ubuntu:12.04", "ubuntu:14.04", "ubuntu:precise", "ubuntu:trusty", "debian:squeeze", "debian:wheezy", "debian:6", "debian:7", "ruby:1."]
        .iter()
        .any(|o| base.starts_with(o))
}

/// A gemrc that turns documentation off, written earlier in the stage.
fn gemrc_before(cx: &Context, i: usize) -> bool {
    earlier_text_memo(cx, i, "gemrc-no-document", |t| t.contains("gemrc") && (t.contains("--no-document") || t.contains("--no-rdoc") || t.contains("--no-ri")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    #[test]
    fn adds_the_flag() {
        let f = |s: &str| fix(&GemNoDocument, s);
        assert_eq!(f("FROM debian:12\nRUN gem install bundler\n"), "FROM debian:12\nRUN gem install --no-document bundler\n");
        assert_eq!(f("FROM alpine\nRUN sudo gem install -v 2.4 bundler && gem install rake\n"), "FROM alpine\nRUN sudo gem install --no-document -v 2.4 bundler && gem install --no-document rake\n");
        assert_eq!(f("FROM alpine\nRUN <<EOF\ngem install rake\nEOF\n"), "FROM alpine\nRUN <<EOF\ngem install --no-document rake\nEOF\n");
        assert_eq!(f("FROM alpine\nONBUILD RUN gem install rake\n"), "FROM alpine\nONBUILD RUN gem install --no-document rake\n");
        assert_eq!(
            f("# escape=`\r\nFROM alpine\r\nRUN gem install `\r\n  # tools\r\n  rake\r\n"),
            "# escape=`\r\nFROM alpine\r\nRUN gem install --no-document `\r\n  # tools\r\n  rake\r\n"
        );
        assert_eq!(f("FROM alpine\nRUN gem update --system && gem update\n"), "FROM alpine\nRUN gem update --no-document --system && gem update --no-document\n");
        let s = "FROM ubuntu:14.04\nRUN gem install rake\n";
        assert_eq!(f(s), s);
        assert_eq!(fix_with(&GemNoDocument, s, true, &BuildContext::default()), "FROM ubuntu:14.04\nRUN gem install --no-document rake\n");
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM alpine\nRUN gem install -N rake\n",
            "FROM alpine\nRUN gem install rake --no-ri --no-rdoc\n",
            "FROM alpine\nRUN gem install --no-doc rake\n",
            "FROM alpine\nRUN echo 'gem: --no-document' > /etc/gemrc\nRUN gem install rake\n",
            "FROM ruby:3.3\nRUN gem install rake\n",
            "FROM alpine\nRUN gem update --system --no-document && bundle install\n",
            "FROM ruby:2.5\nRUN gem update bundler\n",
            "FROM alpine\nRUN gem list && gem uninstall -x rake\n",
        ] {
            assert_eq!(count(&GemNoDocument, s), 0, "{s}");
        }
        let s = "FROM alpine\nRUN for g in a b; do gem install $g; done\n";
        assert_eq!(count(&GemNoDocument, s), 1);
        assert_eq!(fix(&GemNoDocument, s), s);
    }
}
