//! DP117 gem-spec-cache
use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::syntax::Kind;
use crate::transforms::common::{
    append_blocker, append_command, env_value_before, has_cache_mount, per_run, run_commands_incl, stage_chain_before, sudo_prefix, InnerScripts,
};

pub struct GemSpecCache;

static META: RuleMeta = RuleMeta {
    code: "DP117",
    name: "gem-spec-cache",
    summary: "`gem update` leaves the gem index it downloads under `/root`: remove it in the same RUN",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
After `gem update` (`--system` included) run as root, appends
`rm -rf /root/.gem/specs /root/.local/share/gem/specs` to the same RUN, after the RUN's last
`gem` command, under `sudo` when that command uses it.

## Why
To find the newest versions, `gem update` downloads the index of every gem on the server
(the `latest_specs` and `specs` files) and keeps it in the user's spec cache: `~/.gem/specs`,
or `~/.local/share/gem/specs` with RubyGems 3.2 and later when `~/.gem/specs` does not
exist. Several megabytes in the layer that only a later `gem update` in the same container
would reuse. Parfum removes all of `/root/.gem`; dopt removes the spec cache only, since
`/root/.gem` may also hold gems installed with `--user-install` and their credentials.

## Example
```dockerfile
RUN gem update --system --no-document
```
becomes
```dockerfile
RUN gem update --system --no-document && rm -rf /root/.gem/specs /root/.local/share/gem/specs
```

## Not flagged
- the RUN already removes `/root/.gem` or the spec cache after the update;
- a stage that runs as another user (USER), sets `HOME` or `GEM_SPEC_CACHE`, or runs gem
  through `sudo -u`/`gosu` as another user: the cache is then elsewhere;
- a BuildKit cache mount on `/root/.gem` or `/root/.local/share/gem`;
- `gem install`, which asks the server about the gems it installs and keeps no index.

## Fix safety
Safe: the spec cache is only a cache, and gem downloads it again when it needs it. After a
command dopt cannot chain a command to (piped, followed by `||`, in a `for` loop or `$(...)`)
there is no fix.
"#,
};

/// The cleanup the rule adds.
const CLEANUP: &str = "rm -rf /root/.gem/specs /root/.local/share/gem/specs";

impl Rule for GemSpecCache {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let inner = InnerScripts::of(cx);
        let all = run_commands_incl(cx, &inner);
        for cmds in per_run(&all) {
            let i = cmds[0].ins;
            let gem = |k: usize| cmds[k].cmd.program() == Some("gem");
            let is_update = |k: usize| gem(k) && cmds[k].cmd.argv()[1..].iter().find(|w| !w.text.starts_with('-')).is_some_and(|w| w.text == "update");
            let Some(update) = (0..cmds.len()).rev().find(|&k| is_update(k)) else { continue };
            let removed = cmds[update + 1..].iter().any(|rc| {
                rc.cmd.program() == Some("rm")
                    && rc.cmd.argv()[1..].iter().any(|w| ["/root/.gem", "~/.gem", "$HOME/.gem", "/root/.local/share/gem"].iter().any(|p| w.text.starts_with(p)) || w.text == "/root" || w.text == "/root/*")
            });
            if removed || !runs_as_root(cx, i) || has_cache_mount(cx.file.instructions[i].effective(), &["/root/.gem", "/root/.local/share/gem", "/root/.local"]) {
                continue;
            }
            let other_user = cmds[update].cmd.user_wrapper().iter().any(|w| !w.text.starts_with('-') && !matches!(w.text.as_str(), "sudo" | "root" | "0"));
            if other_user || env_value_before(cx, i, "HOME").is_some_and(|h| h != "/root") || env_value_before(cx, i, "GEM_SPEC_CACHE").is_some() {
                continue;
            }
            if cmds[update].cmd.assignments.iter().any(|a| a.text.starts_with("HOME=") || a.text.starts_with("GEM_SPEC_CACHE=")) {
                continue;
            }
            let last = (update..cmds.len()).rev().find(|&k| gem(k)).unwrap_or(update);
            let msg = "`gem update` leaves the gem index it downloaded in the spec cache under /root";
            match append_blocker(&cmds[last]) {
                Some(w) => out.push(cx.diag(&META, cmds[update].cmd.range.clone(), format!("{msg} (no fix: {w})"), None)),
                None => {
                    let e = append_command(cx, &cmds[last], &format!("{}{CLEANUP}", sudo_prefix(cx, cmds[last].cmd)));
                    out.push(cx.diag(&META, cmds[update].cmd.range.clone(), msg, Some(Fix::safe(vec![e]))));
                }
            }
        }
    }
}

/// Whether RUN instruction `i` runs as root: no USER before it in its stage chain, or the last
/// one names root.
fn runs_as_root(cx: &Context, i: usize) -> bool {
    let user = stage_chain_before(cx, i).into_iter().rev().find_map(|j| {
        let n = cx.file.instructions[j].effective();
        (n.kind == Kind::User && cx.file.instructions[j].node.trigger.is_none()).then(|| n.values.first().cloned().unwrap_or_default())
    });
    match user {
        None => true,
        Some(u) => {
            let name = u.split(':').next().unwrap_or("");
            name == "root" || name == "0"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{count, fix};

    #[test]
    fn removes_the_spec_cache() {
        let f = |s: &str| fix(&GemSpecCache, s);
        assert_eq!(f("FROM ruby:2.5\nRUN gem update bundler\n"), format!("FROM ruby:2.5\nRUN gem update bundler && {CLEANUP}\n"));
        assert_eq!(
            f("FROM ruby:3.3\nRUN gem update --system && gem install rails && bundle install\n"),
            format!("FROM ruby:3.3\nRUN gem update --system && gem install rails && {CLEANUP} && bundle install\n")
        );
        assert_eq!(f("FROM debian\nUSER root\nRUN sudo gem update\n"), format!("FROM debian\nUSER root\nRUN sudo gem update && sudo {CLEANUP}\n"));
        assert_eq!(f("FROM ruby:3.3\nRUN gem update \\\n    && bundle install\n"), format!("FROM ruby:3.3\nRUN gem update \\\n    && {CLEANUP} \\\n    && bundle install\n"));
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM ruby:3.3\nRUN gem install rails\n",
            "FROM ruby:3.3\nRUN gem update && rm -rf /root/.gem\n",
            "FROM ruby:3.3\nRUN gem update && rm -rf ~/.gem/specs\n",
            "FROM ruby:3.3\nUSER app\nRUN gem update\n",
            "FROM ruby:3.3\nENV HOME=/home/app\nRUN gem update\n",
            "FROM ruby:3.3\nRUN sudo -u app gem update\n",
            "FROM ruby:3.3\nRUN --mount=type=cache,target=/root/.gem gem update\n",
        ] {
            assert_eq!(count(&GemSpecCache, s), 0, "{s}");
        }
        let s = "FROM ruby:3.3\nRUN gem update | tee log\n";
        assert_eq!(count(&GemSpecCache, s), 1);
        assert_eq!(fix(&GemSpecCache, s), s);
    }
}
