use super::*;
use crate::syntax::parse;

/// A test rule: replaces every `RUN bad` with `RUN good` (safe), and offers an unsafe fix
/// that breaks the file (an unterminated heredoc) on `RUN broken`.
struct Toy;
static TOY: RuleMeta = RuleMeta { code: "T001", name: "toy", summary: "", fix: FixKind::SafeOrUnsafe, hadolint: &[], docs: "" };
impl Rule for Toy {
    fn meta(&self) -> &'static RuleMeta {
        &TOY
    }
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in &cx.file.instructions {
            let a = ins.line.to_source(ins.node.args.start);
            let b = ins.line.to_source_end(ins.node.args.end);
            match ins.args_text() {
                "bad" => out.push(cx.diag(&TOY, a..b, "bad", Some(Fix::safe(vec![Edit::replace(a..b, "good")])))),
                "worse" => out.push(cx.diag(&TOY, a..b, "worse", Some(Fix::safe(vec![Edit::replace(a..b, "bad")])))),
                "broken" => out.push(cx.diag(&TOY, a..b, "broken", Some(Fix::unsafe_(vec![Edit::replace(a..b, "<<EOF")])))),
                // joins the next instruction into this one: parses, but changes another instruction
                "joiner" => out.push(cx.diag(&TOY, a..b, "joiner", Some(Fix::unsafe_(vec![Edit::replace(a..b, "joined \\")])))),
                _ => {}
            }
        }
    }
}

#[test]
fn fixes_reach_a_fixed_point() {
    let ctx = BuildContext::default();
    let out = run("FROM a\nRUN worse\n# keep me\nRUN bad\n", &[&Toy], &ctx, &Options::default()).unwrap();
    assert_eq!(out.output, "FROM a\nRUN good\n# keep me\nRUN good\n");
    assert_eq!(out.applied.len(), 3);
    assert!(out.remaining.is_empty());
    assert_eq!(out.diagnostics.len(), 2);
}

#[test]
fn unsafe_fixes_wait_for_permission_and_broken_output_is_refused() {
    let ctx = BuildContext::default();
    let text = "FROM a\nRUN broken\nRUN bad\n";
    let out = run(text, &[&Toy], &ctx, &Options::default()).unwrap();
    assert_eq!(out.output, "FROM a\nRUN broken\nRUN good\n");
    assert!(out.problems.is_empty());
    let opts = Options { unsafe_fixes: true, ..Options::default() };
    let out = run(text, &[&Toy], &ctx, &opts).unwrap();
    assert_eq!(out.output, "FROM a\nRUN broken\nRUN good\n");
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert!(parse(&out.output).is_ok());
}

#[test]
fn suppression_comments() {
    let ctx = BuildContext::default();
    let text = "FROM a\n# dopt: ignore[T001]\nRUN bad\nRUN bad\n# dopt: ignore[OTHER]\nRUN bad\n";
    let out = run(text, &[&Toy], &ctx, &Options::default()).unwrap();
    assert_eq!(out.output, "FROM a\n# dopt: ignore[T001]\nRUN bad\nRUN good\n# dopt: ignore[OTHER]\nRUN good\n");
    let out = run("# dopt: ignore-file\nFROM a\nRUN bad\n", &[&Toy], &ctx, &Options::default()).unwrap();
    assert!(out.diagnostics.is_empty());
}

#[test]
fn overlapping_edits_wait() {
    assert!(overlaps(&(1..5), &(4..6)));
    assert!(!overlaps(&(1..4), &(4..6)));
    assert!(overlaps(&(3..3), &(3..3)));
    assert!(!overlaps(&(4..4), &(1..4)));
    assert!(overlaps(&(2..2), &(1..4)));
    assert_eq!(splice("abcdef", &[Edit::insert(3, "X"), Edit::replace(3..4, "D"), Edit::delete(0..1)]), "bcXDef");
}

/// A rule whose fix creates a second file beside the Dockerfile.
struct Creates;
static CREATES: RuleMeta = RuleMeta { code: "T002", name: "creates", summary: "", fix: FixKind::Safe, hadolint: &[], docs: "" };
impl Rule for Creates {
    fn meta(&self) -> &'static RuleMeta {
        &CREATES
    }
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        if !cx.build.exists(".dockerignore") && !cx.file.text.contains("# done") {
            let fix = Fix { files: vec![FileChange { path: ".dockerignore".into(), before: None, after: ".git\n".into() }], ..Fix::safe(vec![]) };
            out.push(cx.diag(&CREATES, 0..0, "no .dockerignore", Some(fix)));
        }
    }
}

#[test]
fn fixes_can_create_a_second_file() {
    let ctx = BuildContext::default();
    let out = run("FROM a\n", &[&Creates], &ctx, &Options::default()).unwrap();
    assert_eq!(out.output, "FROM a\n");
    assert_eq!(out.files.len(), 1);
    assert_eq!(out.files[0].path, ".dockerignore");
    assert!(out.changed());
    assert_eq!(out.applied.len(), 1);
    assert!(out.remaining.is_empty(), "{:?}", out.remaining);
}

/// Two findings that create the same file: the unsafe one (with more in it) comes first.
struct CreatesTwo;
static CREATES_TWO: RuleMeta = RuleMeta { code: "T003", name: "creates-two", summary: "", fix: FixKind::SafeOrUnsafe, hadolint: &[], docs: "" };
impl Rule for CreatesTwo {
    fn meta(&self) -> &'static RuleMeta {
        &CREATES_TWO
    }
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let file = |t: &str| vec![FileChange { path: ".dockerignore".into(), before: None, after: t.into() }];
        out.push(cx.diag(&CREATES_TWO, 0..0, "all", Some(Fix { files: file(".git\n.env\n"), ..Fix::unsafe_(vec![]) })));
        out.push(cx.diag(&CREATES_TWO, 0..0, "safe part", Some(Fix { files: file(".git\n"), ..Fix::safe(vec![]) })));
    }
}

#[test]
fn one_fix_per_created_file() {
    let ctx = BuildContext::default();
    let out = run("FROM a\n", &[&CreatesTwo], &ctx, &Options::default()).unwrap();
    assert_eq!((out.files.len(), out.files[0].after.as_str()), (1, ".git\n"));
    assert_eq!(out.applied.iter().map(|a| a.message.as_str()).collect::<Vec<_>>(), vec!["safe part"]);
    let out = run("FROM a\n", &[&CreatesTwo], &ctx, &Options { unsafe_fixes: true, ..Options::default() }).unwrap();
    assert_eq!((out.files.len(), out.files[0].after.as_str()), (1, ".git\n.env\n"));
    assert_eq!(out.applied.iter().map(|a| a.message.as_str()).collect::<Vec<_>>(), vec!["all"]);
}

#[test]
fn a_fix_that_changes_an_instruction_it_does_not_touch_is_refused() {
    let ctx = BuildContext::default();
    let opts = Options { unsafe_fixes: true, ..Options::default() };
    let text = "FROM a\nRUN joiner\nRUN bad\nRUN other\n";
    let out = run(text, &[&Toy], &ctx, &opts).unwrap();
    assert_eq!(out.output, "FROM a\nRUN joiner\nRUN good\nRUN other\n");
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert!(out.problems[0].contains("line 3"), "{:?}", out.problems);
}

/// Two toy rules that read the base: `Base` moves `FROM full` to `FROM slim` (a foundation fix);
/// `Pkg` replaces `RUN install` with what the base in the text needs.
struct Base;
static BASE: RuleMeta = RuleMeta { code: "T010", name: "base", summary: "", fix: FixKind::Safe, hadolint: &[], docs: "" };
impl Rule for Base {
    fn meta(&self) -> &'static RuleMeta {
        &BASE
    }
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let ins = &cx.file.instructions[0];
        if ins.args_text() == "full" {
            let a = ins.line.to_source(ins.node.args.start);
            let b = ins.line.to_source_end(ins.node.args.end);
            out.push(cx.diag(&BASE, a..b, "slim", Some(Fix::safe(vec![Edit::replace(a..b, "slim")]).foundation())));
        }
    }
}
struct Pkg;
static PKG: RuleMeta = RuleMeta { code: "T011", name: "pkg", summary: "", fix: FixKind::Safe, hadolint: &[], docs: "" };
impl Rule for Pkg {
    fn meta(&self) -> &'static RuleMeta {
        &PKG
    }
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let slim = cx.file.instructions[0].args_text() == "slim";
        for ins in &cx.file.instructions {
            if ins.args_text() == "install" {
                let a = ins.line.to_source(ins.node.args.start);
                let b = ins.line.to_source_end(ins.node.args.end);
                let new = if slim { "install --lean headers" } else { "install --lean" };
                out.push(cx.diag(&PKG, a..b, "lean", Some(Fix::safe(vec![Edit::replace(a..b, new)]))));
            }
        }
    }
}

#[test]
fn a_foundation_fix_goes_alone_and_the_others_decide_on_its_result() {
    let ctx = BuildContext::default();
    // whatever the order of the rules, the install is decided on the slim base
    for rules in [vec![&Pkg as &dyn Rule, &Base], vec![&Base as &dyn Rule, &Pkg]] {
        let out = run("FROM full\nRUN install\n", &rules, &ctx, &Options::default()).unwrap();
        assert_eq!(out.output, "FROM slim\nRUN install --lean headers\n");
        assert_eq!(out.applied.iter().map(|a| a.code).collect::<Vec<_>>(), vec!["T010", "T011"]);
    }
    // with the foundation fix not allowed (not a candidate), the local one is decided on the old base
    let out = run("FROM full\nRUN install\n", &[&Pkg], &ctx, &Options::default()).unwrap();
    assert_eq!(out.output, "FROM full\nRUN install --lean\n");
}
