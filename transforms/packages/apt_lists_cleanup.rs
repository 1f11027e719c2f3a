//! DP104 apt-lists-cleanup
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{base, Sep};
use crate::syntax::Kind;
use crate::transforms::packages::apt::{
    cleans_lists, commands_of, in_loop, list_use, lists_matter_in_stage, lists_mounted, pipeline_end, run_text, runs_update, uses_apt, words_text,
    Apt, CLEANUP, READS_LISTS,
};
use crate::transforms::common::{append_command, RunCommand};

pub struct AptListsCleanup;

static META: RuleMeta = RuleMeta {
    code: "DP104",
    name: "apt-lists-cleanup",
    summary: "`apt-get update` leaves the package lists in the layer: remove `/var/lib/apt/lists/*` in the same RUN",
    fix: FixKind::SafeOrUnsafe,
    hadolint: &["DL3009"],
    docs: r#"## What it does
Finds RUN instructions (heredoc scripts and ONBUILD RUN included) that run `apt-get update`
(or `apt update`) and do not remove the package lists afterwards in the same RUN, and appends
` && rm -rf /var/lib/apt/lists/*` right after the last apt command of that RUN, in the RUN's own
continuation style (`sudo rm` when apt runs under `sudo`).

Like hadolint, it looks at the stages whose files can reach an image: the final stage, stages
other stages are built FROM, and stages with the same FROM as the final one. Builder stages
whose files are only copied from are left alone.

## Why
`apt-get update` downloads the package lists, tens of megabytes, into `/var/lib/apt/lists`.
Nothing in the image needs them after the install, and a later RUN that removes them does not
shrink the layer that holds them: the cleanup has to run in the same RUN.

## Example
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends curl
```
becomes
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
```

## Not flagged
- the RUN already removes the lists after its last update: `rm -rf /var/lib/apt/lists/*` and
  its spellings (`rm -r`, `rm /var/lib/apt/lists/*_*`, `/var/lib/apt/lists/`, `/var/lib/apt/*`),
  `find /var/lib/apt/lists -delete`, `apt-get dist-clean`;
- a BuildKit cache or tmpfs mount holds the lists (`--mount=type=cache,target=/var/lib/apt` or
  `/var/lib/apt/lists`): they are not in the layer, and the cache should keep them. A cache
  mount on `/var/cache/apt` alone does not hold them;
- RUN instructions that do not update (an install that uses lists from an earlier layer adds
  none of its own);
- exec-form RUN.

## Fix safety
Safe when nothing later reads the lists. Unsafe when a later RUN of the stage, or of a stage
built FROM it, reads them before updating them itself (`RUN apt-get update` then
`RUN apt-get install -y curl`): the fix then also runs `apt-get update` before that command,
which downloads the lists a second time, possibly newer. When that command cannot be edited
(`foo || apt-get install`, a `sh -c` string, exec form), there is no fix. Commands inside a
loop, `$(...)` or other shell dopt does not model are reported without a fix.

dopt cannot see inside scripts a RUN runs (`./install-deps.sh`): a script that installs with
apt after the cleanup, relying on lists from an earlier command, would fail.
"#,
};

/// Why a later instruction stops a safe fix: it reads the lists without updating them.
enum Later {
    /// Edits that run `apt-get update` before the commands that read the lists, with the
    /// lines of those instructions.
    Editable(Vec<Edit>, Vec<usize>),
    /// An instruction (its line) that reads the lists where dopt cannot add an update.
    Stuck(usize),
}

/// The RUNs that read the package lists before they update them, in order. Built once per
/// file: asking at every `apt-get update` of a long file stays linear.
struct ListReaders {
    reads: Vec<usize>,
    /// The RUNs that clean the lists up without updating them.
    cleanups: Vec<usize>,
    /// The stages built FROM each stage.
    children: Vec<Vec<usize>>,
}

impl ListReaders {
    fn of(cx: &Context) -> ListReaders {
        let reads = (0..cx.file.instructions.len())
            .filter(|&j| cx.file.instructions[j].effective().kind == Kind::Run)
            .filter(|&j| run_text(cx, j).is_some_and(|t| list_use(&t).reads_before_update))
            .collect();
        let cleanups = (0..cx.file.instructions.len())
            .filter(|&j| {
                let cs = commands_of(cx, j);
                cs.iter().any(|(_, c)| cleans_lists(c)) && !cs.iter().any(|(_, c)| runs_update(c))
            })
            .collect();
        let mut children = vec![Vec::new(); cx.model.stages.len()];
        for s in &cx.model.stages {
            if let Some(p) = s.parent.filter(|&p| p < s.index) {
                children[p].push(s.index);
            }
        }
        ListReaders { reads, cleanups, children }
    }

    /// The readers among the instructions after `i` that see its results 
    /// `later_in_chain`), in order.
    fn after(&self, cx: &Context, i: usize) -> Vec<usize> {
        self.among(&self.reads, cx, i)
    }

    /// The instructions of `list` after `i` that see its results, in order.
    fn among(&self, list: &[usize], cx: &Context, i: usize) -> Vec<usize> {
        let Some(stage) = cx.model.stage_of(i) else { return Vec::new() };
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        ranges.push(i + 1..stage.instructions.end);
        let mut todo = self.children[stage.index].clone();
        while let Some(s) = todo.pop() {
            ranges.push(cx.model.stages[s].instructions.clone());
            todo.extend(self.children[s].iter().copied());
        }
        ranges.sort_by_key(|r| r.start);
        let mut out = Vec::new();
        for r in ranges {
            let k = list.partition_point(|&x| x < r.start);
            out.extend(list[k..].iter().copied().take_while(|&x| x < r.end));
        }
        out
    }
}

/// The later instructions that read the lists RUN `i` leaves, before updating them.
fn later_readers(cx: &Context, i: usize) -> Later {
    let mut edits = Vec::new();
    let mut lines = Vec::new();
    let readers = cx.memo(|| ListReaders::of(cx));
    for j in readers.after(cx, i) {
        let ins = &cx.file.instructions[j];
        let node = ins.effective();
        if node.json {
            return Later::Stuck(ins.start_line);
        }
        let mut found = false;
        for (script, cmd) in commands_of(cx, j) {
            if runs_update(cmd) {
                break;
            }
            let reads = match Apt::of(cmd) {
                Some(a) => READS_LISTS.contains(&a.sub()),
                None => words_text(cmd).is_some_and(|t| list_use(&t).reads_before_update),
            };
            if !reads {
                continue;
            }
            let editable = Apt::of(cmd).is_some()
                && cmd.opaque.is_none()
                && script.opaque.is_none()
                && matches!(cmd.sep_before, None | Some(Sep::And | Sep::Semi | Sep::Newline));
            if !editable {
                return Later::Stuck(ins.start_line);
            }
            let a = Apt::of(cmd).unwrap();
            edits.push(Edit::insert(cmd.range.start, format!("{}apt-get update && ", a.wrapper())));
            lines.push(ins.start_line);
            found = true;
            break;
        }
        if !found {
            // the text reads the lists somewhere the shell model does not show
            return Later::Stuck(ins.start_line);
        }
    }
    Later::Editable(edits, lines)
}

impl Rule for AptListsCleanup {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, ins) in cx.file.instructions.iter().enumerate() {
            let node = ins.effective();
            if node.kind != Kind::Run || node.json || lists_mounted(node) {
                continue;
            }
            let Some(stage) = cx.model.stage_of(i) else { continue };
            if !lists_matter_in_stage(cx, stage.index) {
                continue;
            }
            let cmds = commands_of(cx, i);
            let Some(last_update) = cmds.iter().rposition(|(_, c)| runs_update(c)) else { continue };
            if cmds[last_update..].iter().any(|(_, c)| cleans_lists(c)) {
                continue;
            }
            let update = cmds[last_update].1;
            let what = match Apt::of(update) {
                Some(a) => format!("`{} update`", a.tool.name()),
                None => "`apt-get update`".to_string(),
            };
            let mut msg = format!("{what} leaves the package lists (/var/lib/apt/lists) in this layer");
            // a later RUN that only cleans up (it does not update again)
            let index = cx.memo(|| ListReaders::of(cx));
            if let Some(j) = index.among(&index.cleanups, cx, i).first().copied() {
                msg.push_str(&format!("; the cleanup at line {} runs in a later layer and does not shrink this one", cx.file.instructions[j].start_line));
            }
            // the cleanup goes after the last apt command, at the end of its pipeline
            let k = (last_update..cmds.len()).rev().find(|&k| uses_apt(cmds[k].1)).unwrap_or(last_update);
            let (script, target) = cmds[k];
            let target = pipeline_end(script, target);
            let rc = RunCommand { ins: i, script, cmd: target };
            // a command substitution inside the command does not stop an edit after its end
            let opaque = match (target.opaque, script.opaque) {
                (Some("command substitution"), None) | (None, None) => None,
                (c, s) => c.or(s),
            };
            let stuck = opaque
                .map(str::to_string)
                .or_else(|| in_loop(cx, script, target).then(|| "the last apt command is inside a loop".to_string()))
                .or_else(|| matches!(target.sep_after, Some((Sep::Background, _))).then(|| "the last apt command runs in the background".to_string()));
            if let Some(r) = stuck {
                out.push(cx.diag(&META, update.range.clone(), format!("{msg} (no fix: {r})"), None));
                continue;
            }
            let sudo = target.words.iter().take_while(|w| Some(*w) != target.argv().first()).any(|w| base(&w.text) == "sudo");
            let cleanup = if sudo { format!("sudo {CLEANUP}") } else { CLEANUP.to_string() };
            let append = append_command(cx, &rc, &cleanup);
            let fix = match later_readers(cx, i) {
                Later::Editable(edits, _) if edits.is_empty() => Some(Fix::safe(vec![append])),
                Later::Editable(mut edits, lines) => {
                    let ls: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    msg.push_str(&format!(
                        " (unsafe: the RUN at line {} reads these lists; the fix also runs `apt-get update` there, a second download that may bring newer packages)",
                        ls.join(", ")
                    ));
                    edits.insert(0, append);
                    Some(Fix::unsafe_(edits))
                }
                Later::Stuck(line) => {
                    msg.push_str(&format!(" (no fix: the RUN at line {line} reads these lists and cannot be given its own `apt-get update`)"));
                    None
                }
            };
            out.push(cx.diag(&META, update.range.clone(), msg, fix));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{count, fix, fix_with};

    fn fix_unsafe(s: &str) -> String {
        fix_with(&AptListsCleanup, s, true, &BuildContext::default())
    }

    #[test]
    fn appends_after_the_last_apt_command() {
        let r = &AptListsCleanup;
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update && apt-get install -y x\n"),
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update && apt-get install -y x && make && make install\n"),
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && make && make install\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update \\\n    && apt-get install -y x \\\n    && apt-get clean\n"),
            "FROM debian\nRUN apt-get update \\\n    && apt-get install -y x \\\n    && apt-get clean \\\n    && rm -rf /var/lib/apt/lists/*\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN set -ex; apt-get update; apt-get install -y x | tee /log; echo done\n"),
            "FROM debian\nRUN set -ex; apt-get update; apt-get install -y x | tee /log && rm -rf /var/lib/apt/lists/*; echo done\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN sudo apt-get update && sudo apt-get install -y x\n"),
            "FROM debian\nRUN sudo apt-get update && sudo apt-get install -y x && sudo rm -rf /var/lib/apt/lists/*\n"
        );
        assert_eq!(fix(r, "FROM debian\nRUN apt update\n"), "FROM debian\nRUN apt update && rm -rf /var/lib/apt/lists/*\n");
        assert_eq!(fix(r, "FROM debian\nONBUILD RUN apt-get update\n"), "FROM debian\nONBUILD RUN apt-get update && rm -rf /var/lib/apt/lists/*\n");
        assert_eq!(
            fix(r, "FROM debian\nRUN if [ -n \"$GPU\" ]; then \\\n    apt-get update \\\n    && apt-get install -y x \\\n    ; fi\n"),
            "FROM debian\nRUN if [ -n \"$GPU\" ]; then \\\n    apt-get update \\\n    && apt-get install -y x \\\n    && rm -rf /var/lib/apt/lists/* \\\n    ; fi\n"
        );
    }

    #[test]
    fn appends_after_a_command_substitution() {
        assert_eq!(
            fix(&AptListsCleanup, "FROM debian\nRUN apt-get update && apt-get install -y $(cat /pkgs)\n"),
            "FROM debian\nRUN apt-get update && apt-get install -y $(cat /pkgs) && rm -rf /var/lib/apt/lists/*\n"
        );
    }

    #[test]
    fn a_cleanup_in_a_later_run_does_not_count() {
        let s = "FROM debian\nRUN apt-get update && apt-get install -y x\nRUN rm -rf /var/lib/apt/lists/*\n";
        assert_eq!(fix(&AptListsCleanup, s), "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\nRUN rm -rf /var/lib/apt/lists/*\n");
        // a cleanup before the update does not count either
        assert_eq!(
            fix(&AptListsCleanup, "FROM debian\nRUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x\n"),
            "FROM debian\nRUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
        );
    }

    #[test]
    fn heredoc_continuations_and_escape() {
        let r = &AptListsCleanup;
        assert_eq!(
            fix(r, "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y x\necho ok\nEOF\n"),
            "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y x\nrm -rf /var/lib/apt/lists/*\necho ok\nEOF\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update && \\\n    # the tools\n    apt-get install -y \\\n      x\n"),
            "FROM debian\nRUN apt-get update && \\\n    # the tools\n    apt-get install -y \\\n      x && \\\n    rm -rf /var/lib/apt/lists/*\n"
        );
        assert_eq!(
            fix(r, "# escape=`\r\nFROM debian\r\nRUN apt-get update && `\r\n    apt-get install -y x\r\n"),
            "# escape=`\r\nFROM debian\r\nRUN apt-get update && `\r\n    apt-get install -y x && `\r\n    rm -rf /var/lib/apt/lists/*\r\n"
        );
    }

    #[test]
    fn later_readers_make_the_fix_unsafe() {
        let s = "FROM debian\nRUN apt-get update\nRUN apt-get install -y x\n";
        assert_eq!(fix(&AptListsCleanup, s), s);
        assert_eq!(
            fix_unsafe(s),
            "FROM debian\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
        );
        // through a stage built FROM this one
        let s = "FROM debian AS base\nRUN apt-get update && apt-get install -y a\nFROM base\nRUN DEBIAN_FRONTEND=noninteractive apt-get install -y b\n";
        assert_eq!(fix(&AptListsCleanup, s), s);
        assert_eq!(
            fix_unsafe(s),
            "FROM debian AS base\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\nFROM base\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y b && rm -rf /var/lib/apt/lists/*\n"
        );
        // a reader that cannot be edited: no fix
        let s = "FROM debian\nRUN apt-get update\nRUN test -x /x || apt-get install -y x\n";
        assert_eq!(count(&AptListsCleanup, s), 1);
        assert_eq!(fix_unsafe(s), s);
        // a later RUN that updates first is no reader
        let s = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n";
        assert!(fix(&AptListsCleanup, s).starts_with("FROM debian\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\n"));
    }

    #[test]
    fn leaves_alone() {
        for s in [
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n",
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -r /var/lib/apt/lists\n",
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm /var/lib/apt/lists/*_*\n",
            "FROM debian\nRUN apt-get update && apt-get install -y x && find /var/lib/apt/lists -type f -delete\n",
            "FROM debian\nRUN set -eux; apt-get update; apt-get install -y x; apt-get dist-clean\n",
            "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y x\n",
            "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked apt-get update\n",
            "FROM debian\nRUN apt-get install -y x\n",
            "FROM debian\nRUN [\"apt-get\", \"update\"]\n",
            // a builder stage whose files are only copied from
            "FROM debian AS build\nRUN apt-get update && apt-get install -y gcc\nFROM scratch\nCOPY --from=build /x /x\n",
        ] {
            assert_eq!(count(&AptListsCleanup, s), 0, "{s}");
        }
        // a cache on /var/cache/apt alone does not hold the lists
        assert_eq!(count(&AptListsCleanup, "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n"), 1);
    }

    #[test]
    fn reports_without_fix_where_unsure() {
        for s in [
            "FROM debian\nRUN apt-get update && for p in a b; do apt-get install -y $p; done\n",
            "FROM debian\nRUN apt-get update && cat pkgs | while read p; do apt-get install -y $p; done\n",
        ] {
            assert_eq!(count(&AptListsCleanup, s), 1, "{s}");
            assert_eq!(fix(&AptListsCleanup, s), s);
        }
    }
}
