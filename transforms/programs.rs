//! What a stage runs: the programs of its RUN instructions, following the scripts they run from
//! the build context, and the paths that tie the image to the context (WORKDIR, COPY/ADD
//! destinations).
//!
//! Rules that decide whether a stage can move to a smaller image, or be split into a builder
//! and a runtime, ask this module what the stage runs. Where it cannot see what runs (a script
//! that is not in the build context, `make` and other build runners, a RUN the shell model does
//! not understand), it says so in [`Programs::unseen`], and such a rule must make its fix Unsafe
//! with that reason.

use crate::engine::Context;
use crate::model::shell::{self, Command, Script};
use crate::syntax::Kind;
use crate::transforms::common::{glob_match, join_path, run_commands_incl, stage_chain_before, InnerScripts, RunCommand};

/// One program a RUN runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRun {
    /// Index of the RUN instruction.
    pub ins: usize,
    /// The program's basename after wrappers (`sudo`, `env`): `javac`, `pip`, `build.sh`.
    pub program: String,
    /// Its arguments, quotes removed.
    pub args: Vec<String>,
    /// The build-context path of the script it was found in, when the RUN runs a script from
    /// the context (`RUN ./build.sh`) and this program is one of the script's commands.
    pub via: Option<String>,
}

/// What the RUNs of some stages run.
#[derive(Debug, Clone, Default)]
pub struct Programs {
    pub runs: Vec<ProgramRun>,
    /// What dopt could not see through: (instruction, why).
    pub unseen: Vec<(usize, String)>,
    /// Context files read as scripts.
    pub scripts_read: Vec<String>,
}

impl Programs {
    /// Whether any RUN runs `program` (by basename).
    pub fn runs(&self, program: &str) -> bool {
        self.runs.iter().any(|r| r.program == program)
    }
}

/// Programs that run commands dopt does not read (a Makefile's recipes, say).
pub const BUILD_RUNNERS: &[&str] = &["make", "gmake", "cmake", "ninja", "just", "task", "scons", "bazel", "bazelisk", "meson", "rake"];

/// Wrapper scripts that are programs in their own right: read as the tool they start, not as
/// shell scripts.
const TOOL_WRAPPERS: &[&str] = &["mvnw", "gradlew"];

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"];

/// Directories whose programs come with the image, not with the build context.
const SYSTEM_DIRS: &[&str] = &["/usr/", "/bin/", "/sbin/", "/lib/", "/opt/", "/etc/", "/root/", "/home/", "/var/", "/tmp/"];

/// What the RUNs of `stages` (indices) run, in file order.
pub fn programs_of(cx: &Context, stages: &[usize]) -> Programs {
    let inner = InnerScripts::of(cx);
    let mut out = Programs::default();
    let in_stages = |i: usize| cx.model.stage_of(i).is_some_and(|s| stages.contains(&s.index));
    let cmds: Vec<RunCommand> = run_commands_incl(cx, &inner).into_iter().filter(|rc| in_stages(rc.ins)).collect();
    for rc in &cmds {
        if let Some(why) = rc.opaque() {
            let n = rc.cmd.program().unwrap_or("?");
            let why = format!("line {}: dopt does not follow `{n}` here ({why})", cx.file.instructions[rc.ins].start_line);
            if !out.unseen.iter().any(|(i, w)| *i == rc.ins && *w == why) {
                out.unseen.push((rc.ins, why));
            }
        }
        let cwd = cwd_before(rc.script, rc.cmd, workdir_at(cx, rc.ins));
        visit(cx, rc.ins, rc.cmd, cwd.as_deref(), None, 0, &mut out);
    }
    // exec-form RUNs
    for (i, ins) in cx.file.instructions.iter().enumerate() {
        let n = ins.effective();
        if n.kind == Kind::Run && n.json && in_stages(i) && !n.values.is_empty() {
            out.runs.push(ProgramRun { ins: i, program: shell::base(&n.values[0]).to_string(), args: n.values[1..].to_vec(), via: None });
        }
    }
    out.runs.sort_by_key(|r| r.ins);
    out
}

fn visit(cx: &Context, ins: usize, cmd: &Command, cwd: Option<&str>, via: Option<&str>, depth: usize, out: &mut Programs) {
    let argv = cmd.argv();
    let Some(first) = argv.first() else { return };
    let program = shell::base(&first.text).to_string();
    let args: Vec<String> = argv[1..].iter().map(|w| w.text.clone()).collect();
    out.runs.push(ProgramRun { ins, program: program.clone(), args, via: via.map(str::to_string) });
    let line = cx.file.instructions[ins].start_line;
    if BUILD_RUNNERS.contains(&program.as_str()) {
        out.unseen.push((ins, format!("line {line}: `{program}` runs commands dopt does not read")));
        return;
    }
    // the script this command runs, if it runs one: `./x.sh`, `sh x.sh`, `. ./x.sh`
    let script_word = if first.text.contains('/') && !TOOL_WRAPPERS.contains(&program.as_str()) {
        Some(first)
    } else if SHELLS.contains(&program.as_str()) || program == "source" || program == "." {
        let mut k = 1;
        let mut has_c = false;
        while k < argv.len() && argv[k].text.starts_with('-') && argv[k].text.len() > 1 {
            has_c |= !argv[k].text.starts_with("--") && argv[k].text.contains('c');
            if argv[k].text == "-o" {
                k += 1;
            }
            k += 1;
        }
        if has_c {
            None // `sh -c '...'`: its commands are read as an inner script
        } else {
            argv.get(k)
        }
    } else {
        None
    };
    let Some(w) = script_word else { return };
    if w.dynamic {
        out.unseen.push((ins, format!("line {line}: the script `{}` is named by a variable", w.text)));
        return;
    }
    if w.text.starts_with('/') && SYSTEM_DIRS.iter().any(|d| w.text.starts_with(d)) && !is_copied_path(cx, ins, &w.text) {
        return; // a program of the image
    }
    let path = match (w.text.starts_with('/'), cwd) {
        (true, _) => normalize(&w.text),
        (false, Some(c)) => normalize(&join_abs(c, &w.text)),
        (false, None) => {
            out.unseen.push((ins, format!("line {line}: runs `{}` from a directory dopt does not know", w.text)));
            return;
        }
    };
    if !cx.build.is_known() {
        out.unseen.push((ins, format!("line {line}: runs `{}`, and the build context is not visible", w.text)));
        return;
    }
    let Some(src) = context_source(cx, ins, &path) else {
        out.unseen.push((ins, format!("line {line}: runs `{}`, which dopt cannot find in the build context", w.text)));
        return;
    };
    let Some(text) = cx.build.read(&src) else {
        out.unseen.push((ins, format!("line {line}: runs `{src}` from the build context, which dopt cannot read")));
        return;
    };
    let interp = text.lines().next().and_then(|l| l.strip_prefix("#!")).map(|l| {
        let mut ws = l.split_whitespace();
        let a = ws.next().map(shell::base).unwrap_or("");
        if a == "env" { ws.next().unwrap_or("").to_string() } else { a.to_string() }
    });
    match interp.as_deref() {
        Some(i) if !SHELLS.contains(&i) => {
            // a script in another language: it runs that interpreter
            out.runs.push(ProgramRun { ins, program: i.to_string(), args: vec![src.clone()], via: Some(src.clone()) });
            return;
        }
        _ => {}
    }
    if depth >= 4 {
        out.unseen.push((ins, format!("line {line}: scripts nest deeper than dopt follows (`{src}`)")));
        return;
    }
    if !out.scripts_read.contains(&src) {
        out.scripts_read.push(src.clone());
    }
    let script: Script = shell::parse_script(&text, 0);
    if let Some(why) = script.opaque {
        out.unseen.push((ins, format!("line {line}: `{src}` is not fully understood ({why})")));
    }
    for c in &script.commands {
        if let Some(why) = c.opaque {
            let n = c.program().unwrap_or("?");
            out.unseen.push((ins, format!("line {line}: dopt does not follow `{n}` in `{src}` ({why})")));
        }
        let dir = cwd_before(&script, c, cwd.map(str::to_string));
        visit(cx, ins, c, dir.as_deref(), Some(&src), depth + 1, out);
    }
}

/// The directory `cmd` of `script` runs in, when the script starts in `start`: each `cd` before
/// it moves it; None when a `cd` goes somewhere not known (a variable, `~`, `-`, inside `if`).
pub fn cwd_before(script: &Script, cmd: &Command, start: Option<String>) -> Option<String> {
    let mut dir = start?;
    for c in &script.commands {
        if std::ptr::eq(c, cmd) {
            return Some(dir);
        }
        if c.program() != Some("cd") {
            continue;
        }
        let arg = c.argv().get(1)?;
        if c.in_compound || arg.dynamic || arg.text.starts_with('~') || arg.text == "-" {
            return None;
        }
        dir = normalize(&join_abs(&dir, &arg.text));
    }
    Some(dir)
}

/// Whether a COPY/ADD before `i` puts something at image path `p`.
fn is_copied_path(cx: &Context, i: usize, p: &str) -> bool {
    context_source(cx, i, p).is_some()
}

/// The working directory of instruction `i` (absolute): the WORKDIRs before it in its stage and
/// the stages it is built FROM, `/` when none; None when a WORKDIR uses a variable.
pub fn workdir_at(cx: &Context, i: usize) -> Option<String> {
    let mut wd = "/".to_string();
    for j in stage_chain_before(cx, i) {
        let n = cx.file.instructions[j].effective();
        if n.kind != Kind::Workdir || cx.file.instructions[j].node.trigger.is_some() {
            continue;
        }
        let v = n.values.first()?;
        if v.contains('$') {
            return None;
        }
        wd = normalize(&join_abs(&wd, &crate::model::unquote(v)));
    }
    Some(wd)
}

/// `p` made absolute against `dir`.
pub fn join_abs(dir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{p}")
    } else {
        format!("{dir}/{p}")
    }
}

/// An absolute path with `.` and `..` resolved and no trailing slash (but `/`).
pub fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The build-context path that a COPY or ADD (from the context, not `--from`) before
/// instruction `i`, in its stage or a stage it is built FROM, put at the absolute image path
/// `path`: the latest such copy wins. None when no copy is known to put a context file there.
pub fn context_source(cx: &Context, i: usize, path: &str) -> Option<String> {
    let path = normalize(path);
    for j in stage_chain_before(cx, i).into_iter().rev() {
        let ins = &cx.file.instructions[j];
        let n = ins.effective();
        if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("from").is_some() || n.values.len() < 2 || ins.node.trigger.is_some() {
            continue;
        }
        let Some(wd) = workdir_at(cx, j) else { continue };
        let dest_raw = crate::model::unquote(n.values.last().unwrap());
        if dest_raw.contains('$') {
            continue;
        }
        let dest = normalize(&join_abs(&wd, &dest_raw));
        let srcs = &n.values[..n.values.len() - 1];
        let into_dir = dest_raw.ends_with('/') || dest_raw == "." || dest_raw.ends_with("/.") || srcs.len() > 1;
        for s in srcs.iter().rev() {
            if s.starts_with("<<") || s.contains("://") || s.contains('$') {
                continue;
            }
            let s = crate::model::unquote(s);
            let rel = s.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
            let rel = if rel == "." { "" } else { rel };
            let is_dir = rel.is_empty() || cx.build.is_dir(rel);
            if is_dir {
                let inside = if dest == "/" { path.strip_prefix('/') } else { path.strip_prefix(&dest).and_then(|r| r.strip_prefix('/')) };
                if let Some(r) = inside {
                    let cand = join_path(rel, r);
                    if cx.build.exists(&cand) {
                        return Some(cand);
                    }
                }
                continue;
            }
            let (sdir, sbase) = match rel.rsplit_once('/') {
                Some((d, b)) => (d, b),
                None => ("", rel),
            };
            let pbase = path.rsplit('/').next().unwrap_or("");
            let pdir = &path[..path.len() - pbase.len()];
            let pdir = normalize(pdir);
            let matches_name = glob_match(sbase, pbase);
            let glob = sbase.contains(['*', '?', '[']);
            if matches_name && (into_dir || glob) && pdir == dest {
                let cand = join_path(sdir, pbase);
                if cx.build.exists(&cand) {
                    return Some(cand);
                }
            } else if !into_dir && !glob && path == dest {
                return Some(rel.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Context;
    use crate::model::Model;
    use crate::syntax::parse;
    use crate::transforms::testing::context;

    fn with<T>(text: &str, files: &[(&str, &str)], f: impl FnOnce(&Context) -> T) -> T {
        let (_d, b) = context(files);
        let file = parse(text).unwrap();
        let model = Model::new(&file);
        let cx = Context::new(&file, &model, &b);
        f(&cx)
    }

    fn last_run(cx: &Context) -> usize {
        cx.file.instructions.iter().rposition(|i| i.kind() == Kind::Run).unwrap()
    }

    #[test]
    fn workdirs_join_and_reset() {
        with("FROM a\nWORKDIR /app\nWORKDIR src\nRUN x\n", &[], |cx| assert_eq!(workdir_at(cx, 3).as_deref(), Some("/app/src")));
        with("FROM a\nWORKDIR /app\nWORKDIR /opt/../srv\nRUN x\n", &[], |cx| assert_eq!(workdir_at(cx, 3).as_deref(), Some("/srv")));
        with("FROM a\nRUN x\n", &[], |cx| assert_eq!(workdir_at(cx, 1).as_deref(), Some("/")));
        with("FROM a\nWORKDIR $HOME\nRUN x\n", &[], |cx| assert_eq!(workdir_at(cx, 2), None));
        // a stage built FROM another inherits its WORKDIR
        with("FROM a AS b\nWORKDIR /w\nFROM b\nRUN x\n", &[], |cx| assert_eq!(workdir_at(cx, 3).as_deref(), Some("/w")));
    }

    #[test]
    fn copies_map_image_paths_to_the_context() {
        let files = [("build.sh", "javac x"), ("scripts/a.sh", "echo"), ("tool", "x")];
        with("FROM a\nWORKDIR /app\nCOPY . .\nRUN x\n", &files, |cx| {
            assert_eq!(context_source(cx, 3, "/app/build.sh").as_deref(), Some("build.sh"));
            assert_eq!(context_source(cx, 3, "/app/scripts/a.sh").as_deref(), Some("scripts/a.sh"));
            assert_eq!(context_source(cx, 3, "/app/missing.sh"), None);
            assert_eq!(context_source(cx, 3, "/elsewhere/build.sh"), None);
        });
        with("FROM a\nCOPY scripts/ /usr/local/bin/\nCOPY build.sh /b.sh\nCOPY tool build.sh /opt/\nRUN x\n", &files, |cx| {
            assert_eq!(context_source(cx, 4, "/usr/local/bin/a.sh").as_deref(), Some("scripts/a.sh"));
            assert_eq!(context_source(cx, 4, "/b.sh").as_deref(), Some("build.sh"));
            assert_eq!(context_source(cx, 4, "/opt/tool").as_deref(), Some("tool"));
            assert_eq!(context_source(cx, 4, "/opt/build.sh").as_deref(), Some("build.sh"));
        });
        with("FROM a\nWORKDIR /app\nCOPY *.sh ./\nRUN x\n", &files, |cx| {
            assert_eq!(context_source(cx, 3, "/app/build.sh").as_deref(), Some("build.sh"));
            assert_eq!(context_source(cx, 3, "/app/tool"), None);
        });
        // `.` is the working directory
        with("FROM a\nWORKDIR /app\nCOPY build.sh .\nRUN x\n", &files, |cx| assert_eq!(context_source(cx, 3, "/app/build.sh").as_deref(), Some("build.sh")));
        // a copy from another stage is not the context
        with("FROM a AS b\nFROM a\nCOPY --from=b /x /app/\nRUN x\n", &files, |cx| assert_eq!(context_source(cx, 3, "/app/build.sh"), None));
    }

    #[test]
    fn follows_scripts_from_the_context() {
        let files = [("build.sh", "#!/bin/sh\nset -e\nmkdir -p out\njavac -d out Main.java\n./pack.sh\n"), ("pack.sh", "jar cf app.jar -C out .\n")];
        with("FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY . .\nRUN ./build.sh\n", &files, |cx| {
            let p = programs_of(cx, &[0]);
            assert!(p.runs("javac") && p.runs("jar"), "{:?}", p.runs);
            assert!(p.unseen.is_empty(), "{:?}", p.unseen);
            let javac = p.runs.iter().find(|r| r.program == "javac").unwrap();
            assert_eq!((javac.ins, javac.via.as_deref()), (last_run(cx), Some("build.sh")));
            assert_eq!(p.scripts_read, vec!["build.sh".to_string(), "pack.sh".to_string()]);
        });
        // `sh build.sh` and `bash -e build.sh` too
        for run in ["sh build.sh", "bash -e ./build.sh", "cd /app && ./build.sh"] {
            with(&format!("FROM a\nWORKDIR /app\nCOPY . .\nRUN {run}\n"), &files, |cx| {
                assert!(programs_of(cx, &[0]).runs("javac"), "{run}");
            });
        }
    }

    #[test]
    fn says_what_it_cannot_see() {
        let files = [("Makefile", "all:\n\tjavac x\n")];
        let unseen = |text: &str| with(text, &files, |cx| programs_of(cx, &[0]).unseen);
        assert!(unseen("FROM a\nCOPY . .\nRUN ./build.sh\n")[0].1.contains("cannot find"));
        assert!(unseen("FROM a\nCOPY . .\nRUN make\n")[0].1.contains("`make`"));
        assert!(unseen("FROM a\nRUN sh $SCRIPT\n")[0].1.contains("variable"));
        assert!(unseen("FROM a\nRUN for f in a b; do ./x; done\n").iter().any(|(_, w)| w.contains("does not follow")));
        // programs of the image are not scripts of the context
        assert!(unseen("FROM a\nRUN /usr/bin/env python3 -V && apt-get update\n").is_empty());
        assert!(unseen("FROM a\nRUN ./mvnw -q package\n").is_empty());
        // without a context nothing can be read
        let file = parse("FROM a\nCOPY . .\nRUN ./build.sh\n").unwrap();
        let model = Model::new(&file);
        let b = crate::model::context::BuildContext::default();
        let cx = Context::new(&file, &model, &b);
        assert!(programs_of(&cx, &[0]).unseen[0].1.contains("not visible"));
    }

    #[test]
    fn scripts_in_other_languages_run_their_interpreter() {
        let files = [("gen.py", "#!/usr/bin/env python3\nprint(1)\n")];
        with("FROM a\nWORKDIR /app\nCOPY . .\nRUN ./gen.py\n", &files, |cx| {
            let p = programs_of(cx, &[0]);
            assert!(p.runs("python3") && p.unseen.is_empty(), "{:?}", p);
        });
    }
}
