//! DP104 apt-lists-cleanup
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{BlockKind, Sep};
use crate::syntax::Kind;
use crate::transforms::packages::apt::{
    cleans_lists, commands_of, in_loop, list_use, lists_matter_in_stage, lists_mounted, may_use_apt, pipeline_end, run_text, runs_update, uses_apt, words_text,
    Apt, CLEANUP, READS_LISTS,
};
use crate::transforms::common::{append_command, block_command, sudo_prefix, RunCommand};

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
continuation style (`sudo rm`, `sudo -u root rm` when apt runs under `sudo`). When the updates
sit in several arms of an `if` (`if ...; then apt-get update ...; else sudo apt-get update
...; fi`), or the last apt command is inside a loop or a group that an update before it is
not, the cleanup goes after the end of the outermost block (`fi`, `done`, `)`), so that it
runs whichever arm ran.

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
Safe when nothing later reads the lists. When a later RUN of the stage, or of a stage built
FROM it, reads them before updating them itself (`RUN apt-get update` then
`RUN apt-get install -y curl`), the fix also runs `apt-get update` before that command, as
Docker's own guidance asks of every RUN that installs: it downloads the lists again from the
same repositories, as a build without a layer cache does. That is safe when nothing between
the two may change apt's sources, and unsafe otherwise: a file under `/etc/apt` or
`sources.list` written or copied, `add-apt-repository`, `apt-key`, a `.deb` installed (Chrome's
adds a repository), a script dopt cannot read (`curl ... | bash`, `./setup.sh`; NodeSource's
adds a repository). Then the second update also reads the new repositories, and one that
does not answer fails it. A RUN after another later update reads that one's lists and does not
count. When the reading command cannot be edited in place (`dpkg -i x.deb || apt-get -f
install`), the update goes in front of the RUN's first command, if that command always runs;
otherwise (a `sh -c` string, exec form) there is no fix. Commands in `$(...)` or other shell
dopt does not model are reported without a fix.

Where this differs from Parfum (on its labelled benchmark): Parfum appends the cleanup to
every install, also when a later RUN installs without an `apt-get update` of its own; that
RUN then fails with "Unable to locate package" (five labelled files). dopt gives such a RUN
its own update instead: as a safe fix where the sources cannot have changed in between, with
`--unsafe-fixes` otherwise. Where apt runs under `sudo` because the image's user is not root,
Parfum's cleanup runs without it and fails; dopt's runs under the same `sudo` words. Parfum also cleans the lists in builder stages whose files are
only copied from, which does not change the image; dopt leaves them, as hadolint does.

dopt cannot see inside scripts a RUN runs (`./install-deps.sh`): a script that installs with
apt after the cleanup, relying on lists from an earlier command, would fail.
"#,
};

/// Why a later instruction stops a safe fix: it reads the lists without updating them.
enum Later {
    /// Edits that run `apt-get update` before the commands that read the lists, with the
    /// lines of those instructions, and whether the apt sources may change before one of them
    /// (then its update may read repositories the first one did not).
    Editable(Vec<Edit>, Vec<usize>, bool),
    /// An instruction (its line) that reads the lists where dopt cannot add an update.
    Stuck(usize),
}

/// What `later_readers` asks of every instruction, worked out once per file so that asking at
/// every `apt-get update` of a long file stays linear: sorted lists of instruction indices.
struct ListIndex {
    /// RUNs that read the package lists before they update them.
    reads: Vec<usize>,
    /// RUNs that clean the lists up without updating them.
    cleanups: Vec<usize>,
    /// RUNs with an `apt-get update` that always runs (not inside a block, not opaque).
    refreshes: Vec<usize>,
    /// Instructions that may change apt's sources.
    source_changes: Vec<usize>,
    /// The stages built FROM each stage.
    children: Vec<Vec<usize>>,
}

impl ListIndex {
    fn of(cx: &Context) -> ListIndex {
        let n = cx.file.instructions.len();
        let runs = |j: &usize| cx.file.instructions[*j].effective().kind == Kind::Run;
        let reads = (0..n).filter(runs).filter(|&j| run_text(cx, j).is_some_and(|t| list_use(&t).reads_before_update)).collect();
        let cleanups = (0..n)
            .filter(|&j| {
                let cs = commands_of(cx, j);
                cs.iter().any(|(_, c)| cleans_lists(c)) && !cs.iter().any(|(_, c)| runs_update(c))
            })
            .collect();
        let refreshes =
            (0..n).filter(|&k| commands_of(cx, k).iter().any(|(sc, c)| runs_update(c) && c.scope.is_empty() && sc.opaque.is_none())).collect();
        let source_changes = (0..n).filter(|&k| may_change_apt_sources(&cx.file.text[cx.file.instructions[k].range.clone()])).collect();
        let mut children = vec![Vec::new(); cx.model.stages.len()];
        for s in &cx.model.stages {
            if let Some(p) = s.parent.filter(|&p| p < s.index) {
                children[p].push(s.index);
            }
        }
        ListIndex { reads, cleanups, refreshes, source_changes, children }
    }

    /// The ranges of instructions after `i` that see its results: the rest of its stage, and
    /// every stage built FROM it, directly or not; in file order.
    fn after_ranges(&self, cx: &Context, i: usize) -> Vec<std::ops::Range<usize>> {
        let Some(stage) = cx.model.stage_of(i) else { return Vec::new() };
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        ranges.push(i + 1..stage.instructions.end);
        let mut todo = self.children[stage.index].clone();
        while let Some(s) = todo.pop() {
            ranges.push(cx.model.stages[s].instructions.clone());
            todo.extend(self.children[s].iter().copied());
        }
        ranges.sort_by_key(|r| r.start);
        ranges
    }

    /// The instructions of `list` in `range`.
    fn within<'l>(list: &'l [usize], range: &std::ops::Range<usize>) -> &'l [usize] {
        let a = list.partition_point(|&x| x < range.start);
        let b = list.partition_point(|&x| x < range.end);
        &list[a..b.max(a)]
    }

    /// The ranges of instructions that run between `i` and `j` in the build of `j`'s stage
    /// (`j` sees the results of `i`).
    fn between(cx: &Context, i: usize, j: usize) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut end = j;
        let mut cur = cx.model.stage_of(j).map(|s| s.index);
        let mut guard = 0;
        while let Some(s) = cur {
            let st = &cx.model.stages[s];
            let start = st.instructions.start.max(i + 1);
            if start < end {
                out.push(start..end);
            }
            if st.instructions.contains(&i) || guard > cx.model.stages.len() {
                break;
            }
            guard += 1;
            cur = st.parent;
            end = cur.map(|p| cx.model.stages[p].instructions.end).unwrap_or(0);
        }
        out
    }
}

/// The later instructions that read the lists RUN `i` leaves, before updating them; a RUN
/// after one that updates the lists again reads that one's lists, not these.
fn later_readers(cx: &Context, i: usize) -> Later {
    let mut edits = Vec::new();
    let mut lines = Vec::new();
    let mut sources_change = false;
    let index = cx.memo(|| ListIndex::of(cx));
    for range in index.after_ranges(cx, i) {
        for &j in ListIndex::within(&index.reads, &range) {
            let between = ListIndex::between(cx, i, j);
            if between.iter().any(|r| !ListIndex::within(&index.refreshes, r).is_empty()) {
                // this RUN, and every later one of this range, reads a newer update's lists
                break;
            }
            sources_change |= between.iter().any(|r| !ListIndex::within(&index.source_changes, r).is_empty());
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
                // what runs before the reading command in its own RUN counts too
                let before_cmd = &cx.file.text[ins.range.start..cmd.range.start];
                let reads = match Apt::of(cmd) {
                    Some(a) => READS_LISTS.contains(&a.sub()),
                    None => may_use_apt(cmd) && words_text(cmd).is_some_and(|t| list_use(&t).reads_before_update),
                };
                if !reads {
                    continue;
                }
                let editable = Apt::of(cmd).is_some()
                    && cmd.opaque.is_none()
                    && script.opaque.is_none()
                    && matches!(cmd.sep_before, None | Some(Sep::And | Sep::Semi | Sep::Newline));
                if !editable {
                    // `dpkg -i x.deb || apt-get -f install`: the update goes in front of the script
                    // instead, when its first command always runs
                    let first = script.commands.first();
                    let at_start = first.filter(|f| {
                        script.opaque.is_none() && f.opaque.is_none() && f.scope.is_empty() && f.sep_before.is_none() && !script.heredoc && !matches!(f.sep_after, Some((Sep::Or, _))) && std::ptr::eq(script, &cx.scripts(j)[0])
                    });
                    match at_start {
                        Some(f) => {
                            sources_change |= may_change_apt_sources(&cx.file.text[ins.range.start..f.range.start]);
                            edits.push(Edit::insert(f.range.start, format!("{}apt-get update && ", sudo_prefix(cx, cmd))));
                            lines.push(ins.start_line);
                            found = true;
                            break;
                        }
                        None => return Later::Stuck(ins.start_line),
                    }
                }
                sources_change |= may_change_apt_sources(before_cmd);
                let a = Apt::of(cmd).unwrap();
                edits.push(Edit::insert(cmd.range.start, format!("{}apt-get update && ", sudo_prefix(cx, a.cmd))));
                lines.push(ins.start_line);
                found = true;
                break;
            }
            if !found {
                // the text reads the lists somewhere the shell model does not show
                return Later::Stuck(ins.start_line);
            }
        }
    }
    Later::Editable(edits, lines, sources_change)
}

/// Whether shell or instruction text may add or change apt's sources: it names
/// `sources.list` or `/etc/apt`, adds a repository or a key, installs a `.deb` (which may
/// drop a sources file, as Chrome's does), or runs a script dopt cannot read (`curl ... |
/// bash`, `./setup.sh`), as the NodeSource setup scripts that add their repository are.
pub fn may_change_apt_sources(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    let named = ["sources.list", "/etc/apt", "add-apt-repository", "apt-add-repository", "apt-key", "dpkg -i", "dpkg --install", "keyrings"];
    if named.iter().any(|n| t.contains(n)) {
        return true;
    }
    // separators as words of their own
    let spaced = t.replace("&&", " ; ").replace("||", " ; ").replace(['|'], " | ").replace([';', '(', ')', '\\', '\n'], " ; ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    // COPY or ADD into /etc/apt, or of a directory into / or /etc
    if matches!(words.first().copied(), Some("copy" | "add")) {
        let dest = words.last().copied().unwrap_or("");
        let dir_source = words[1..words.len().saturating_sub(1)].iter().any(|w| !w.starts_with("--") && (*w == "." || w.ends_with('/') || !w.contains('.')));
        return dest.starts_with("/etc/apt") || (matches!(dest, "/" | "/etc" | "/etc/") && dir_source);
    }
    let shell = |w: &str| matches!(w.rsplit('/').next().unwrap_or(w), "sh" | "bash" | "dash" | "zsh" | "ash");
    let starts_command = |w: &str| matches!(w, ";" | "run" | "then" | "do" | "else" | "sudo" | "exec" | "source" | "." | "-c") || shell(w);
    words.iter().enumerate().any(|(k, w)| {
        // a local package, a script piped into a shell, a script run from a file
        w.ends_with(".deb") && words[..k].iter().rev().take_while(|x| **x != ";" && **x != "|").any(|x| matches!(*x, "install" | "reinstall" | "gdebi"))
            || *w == "|" && words.get(k + 1).is_some_and(|n| shell(n) || *n == "sudo")
            || w.ends_with(".sh") && k > 0 && starts_command(words[k - 1])
    })
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
            let index = cx.memo(|| ListIndex::of(cx));
            let first_cleanup = index.after_ranges(cx, i).iter().find_map(|r| ListIndex::within(&index.cleanups, r).first().copied());
            if let Some(j) = first_cleanup {
                msg.push_str(&format!("; the cleanup at line {} runs in a later layer and does not shrink this one", cx.file.instructions[j].start_line));
            }
            // the cleanup goes after the last apt command, at the end of its pipeline
            let k = (last_update..cmds.len()).rev().find(|&k| uses_apt(cmds[k].1)).unwrap_or(last_update);
            let (script, last_apt) = cmds[k];
            let mut target = pipeline_end(script, last_apt);
            // inside `if`, a loop or a group: after the outermost block around it, so that the
            // cleanup runs whichever arm ran, and once
            let block;
            let mut stuck = None;
            // an update that a cleanup after the target would not always follow
            let uncovered_update = cmds.iter().any(|(sc, c)| std::ptr::eq(*sc, script) && runs_update(c) && !c.scope.starts_with(&target.scope));
            let in_a_loop = target.scope.iter().any(|&(b, _)| matches!(script.blocks[b].kind, BlockKind::Loop | BlockKind::For));
            if let Some(&(b, _)) = target.scope.first().filter(|_| uncovered_update || in_a_loop) {
                match block_command(cx, script, b) {
                    Some(c) => {
                        block = c;
                        target = &block;
                    }
                    None => stuck = Some("the last apt command is inside a block dopt cannot append after".to_string()),
                }
            }
            let rc = RunCommand { ins: i, script, cmd: target };
            // a command substitution inside the command does not stop an edit after its end
            let opaque = match (target.opaque, script.opaque) {
                (Some("command substitution"), None) | (None, None) => None,
                (c, s) => c.or(s),
            };
            let stuck = stuck
                .or(opaque.map(str::to_string))
                .or_else(|| in_loop(cx, script, target).then(|| "the last apt command is inside a loop".to_string()))
                .or_else(|| matches!(target.sep_after, Some((Sep::Background, _))).then(|| "the last apt command runs in the background".to_string()))
                .or_else(|| matches!(target.sep_after, Some((Sep::Pipe, _))).then(|| "the block around the last apt command is piped".to_string()));
            if let Some(r) = stuck {
                out.push(cx.diag(&META, update.range.clone(), format!("{msg} (no fix: {r})"), None));
                continue;
            }
            let cleanup = format!("{}{CLEANUP}", sudo_prefix(cx, last_apt));
            let append = append_command(cx, &rc, &cleanup);
            let fix = match later_readers(cx, i) {
                Later::Editable(edits, _, _) if edits.is_empty() => Some(Fix::safe(vec![append])),
                Later::Editable(mut edits, lines, sources_change) => {
                    let ls: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    edits.insert(0, append);
                    if sources_change {
                        msg.push_str(&format!(
                            " (unsafe: the RUN at line {} reads these lists; the fix also runs `apt-get update` there, and the apt sources may change before it: a repository added since would be read too)",
                            ls.join(", ")
                        ));
                        Some(Fix::unsafe_(edits))
                    } else {
                        msg.push_str(&format!("; the RUN at line {} reads these lists and gets its own `apt-get update`", ls.join(", ")));
                        Some(Fix::safe(edits))
                    }
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
    fn later_readers_get_their_own_update() {
        // the same sources: the later RUN's update reads what the first one read
        let s = "FROM debian\nRUN apt-get update\nRUN apt-get install -y x\n";
        let fixed = "FROM debian\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n";
        assert_eq!(fix(&AptListsCleanup, s), fixed);
        // through a stage built FROM this one
        let s = "FROM debian AS base\nRUN apt-get update && apt-get install -y a\nFROM base\nRUN DEBIAN_FRONTEND=noninteractive apt-get install -y b\n";
        assert_eq!(
            fix(&AptListsCleanup, s),
            "FROM debian AS base\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\nFROM base\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y b && rm -rf /var/lib/apt/lists/*\n"
        );
        // a RUN after a later update reads that one's lists
        let s = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN echo deb http://x y z > /etc/apt/sources.list.d/x.list && apt-get update\nRUN apt-get install -y b\n";
        assert!(fix(&AptListsCleanup, s).starts_with("FROM debian\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\n"));
    }

    #[test]
    fn unsafe_when_the_sources_may_change_before_a_reader() {
        for s in [
            "FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -\nRUN apt-get install -y nodejs\n",
            "FROM debian\nRUN apt-get update\nCOPY nginx.list /etc/apt/sources.list.d/\nRUN apt-get install -y nginx\n",
            "FROM debian\nRUN apt-get update\nRUN echo deb http://x y z > /etc/apt/sources.list.d/x.list && apt-get install -y x\n",
        ] {
            assert_eq!(fix(&AptListsCleanup, s), s, "{s}");
            let u = fix_unsafe(s);
            assert!(u.contains("rm -rf /var/lib/apt/lists/*\n") && u.matches("apt-get update").count() == 2, "{u}");
        }
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
    fn after_the_block_when_arms_or_loops_update() {
        let r = &AptListsCleanup;
        // one update per arm: the cleanup after `fi` covers them all
        assert_eq!(
            fix(r, "FROM debian\nRUN if a; then apt-get update && apt-get install -y x; else sudo apt-get update; sudo apt-get install -y y; fi\n"),
            "FROM debian\nRUN if a; then apt-get update && apt-get install -y x; else sudo apt-get update; sudo apt-get install -y y; fi && sudo rm -rf /var/lib/apt/lists/*\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update && for p in a b; do apt-get install -y $p; done\n"),
            "FROM debian\nRUN apt-get update && for p in a b; do apt-get install -y $p; done && rm -rf /var/lib/apt/lists/*\n"
        );
        assert_eq!(
            fix(r, "FROM debian\nRUN apt-get update && if a; then apt-get install -y x; fi \\\n    && make\n"),
            "FROM debian\nRUN apt-get update && if a; then apt-get install -y x; fi \\\n    && rm -rf /var/lib/apt/lists/* \\\n    && make\n"
        );
        // the update and the install in one subshell: inside it
        assert_eq!(
            fix(r, "FROM debian\nRUN ( apt-get update && apt-get install -y x ) && make\n"),
            "FROM debian\nRUN ( apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* ) && make\n"
        );
        // one arm, nothing outside it reads the lists: inside the arm, as before
        assert_eq!(
            fix(r, "FROM debian\nRUN if a; then apt-get update && apt-get install -y x; fi\n"),
            "FROM debian\nRUN if a; then apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*; fi\n"
        );
    }

    #[test]
    fn an_update_in_front_of_a_reader_it_cannot_edit() {
        let s = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN curl -fo x.deb u && dpkg -i x.deb || apt-get -f install -y\n";
        assert_eq!(
            fix(&AptListsCleanup, s),
            "FROM debian\nRUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*\nRUN apt-get update && curl -fo x.deb u && dpkg -i x.deb || apt-get -f install -y && rm -rf /var/lib/apt/lists/*\n"
        );
        // the first command is followed by `||`: no fix
        let s = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN dpkg -i x.deb || apt-get -f install -y\n";
        assert_eq!(fix_unsafe(s), s);
    }

    #[test]
    fn reads_changes_of_apt_sources() {
        for t in [
            "RUN echo 'deb http://x bookworm main' > /etc/apt/sources.list.d/x.list",
            "RUN add-apt-repository ppa:x/y",
            "RUN curl -fsSL https://x/key | apt-key add -",
            "RUN curl -fsSL https://deb.nodesource.com/setup_18.x | bash -",
            "RUN dpkg -i /tmp/chrome.deb || apt-get -f install",
            "RUN apt-get install -y ./google-chrome.deb",
            "RUN ./setup-repos.sh && make",
            "RUN bash /tmp/install.sh",
            "COPY sources.list /etc/apt/sources.list",
            "COPY rootfs/ /",
        ] {
            assert!(may_change_apt_sources(t), "{t}");
        }
        for t in ["RUN pip install numpy", "RUN chmod +x /entrypoint.sh", "COPY entrypoint.sh /", "RUN curl -fo /tmp/x.deb https://x/x.deb", "RUN make && make install", "COPY . /app"] {
            assert!(!may_change_apt_sources(t), "{t}");
        }
    }

    #[test]
    fn reports_without_fix_where_unsure() {
        for s in [
            "FROM debian\nRUN apt-get update && while read p; do apt-get install -y $p; done < pkgs\n",
            "FROM debian\nRUN apt-get update && if a; then apt-get install -y x; fi | tee log\n",
        ] {
            assert_eq!(count(&AptListsCleanup, s), 1, "{s}");
            assert_eq!(fix(&AptListsCleanup, s), s);
        }
    }
}
