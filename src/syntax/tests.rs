//! Parser tests on tricky fixtures. Expected values were checked against BuildKit's parser.
use super::*;

fn p(s: &str) -> Dockerfile {
    let d = parse(s).unwrap_or_else(|e| panic!("parse failed: {e}\n{s}"));
    assert_eq!(d.print(), s, "round trip");
    d
}

fn vals(i: &Instruction) -> Vec<&str> {
    i.effective().values.iter().map(|s| s.as_str()).collect()
}

#[test]
fn continuation_with_comments_and_blank_lines() {
    let d = p("RUN a \\  \n  # c\n\n  b\n");
    assert_eq!(d.instructions.len(), 1);
    let i = &d.instructions[0];
    assert_eq!((i.start_line, i.end_line), (1, 4));
    assert_eq!(vals(i), vec!["a   b"]);
}

#[test]
fn escaped_escape_is_not_a_continuation() {
    let d = p("RUN x\\\\\n  y\n");
    assert_eq!(d.instructions.len(), 2);
    assert_eq!(vals(&d.instructions[0]), vec!["x\\\\"]);
    let d = p("RUN a\\\\ \\\n b\n");
    assert_eq!(d.instructions.len(), 1);
    assert_eq!(vals(&d.instructions[0]), vec!["a\\\\  b"]);
}

#[test]
fn backtick_escape_directive() {
    let d = p("# escape=`\nRUN a `\n b\nRUN c \\\nRUN d\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.instructions.len(), 3);
    assert_eq!(vals(&d.instructions[0]), vec!["a  b"]);
    assert_eq!(vals(&d.instructions[1]), vec!["c \\"]);
    assert_eq!(d.items[0].kind, ItemKind::Directive);
}

#[test]
fn directives_end_at_first_other_line() {
    let d = p("# hello\n# escape=`\nRUN a`\n b\n");
    assert_eq!(d.escape, '\\');
    assert_eq!(d.instructions.len(), 2);
    let d = p("\n# escape=`\nRUN a`\n");
    assert_eq!(d.escape, '\\');
    let d = p("# syntax=docker/dockerfile:1\n#ESCAPE = `\nRUN a`\n b\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.directives.len(), 2);
}

#[test]
fn bad_directives_are_refused() {
    assert!(parse("# escape=x\nRUN a\n").is_err());
    assert!(parse("# escape=`\n# escape=`\nRUN a\n").is_err());
    assert!(parse("# syntax=a\n# syntax=b\nRUN a\n").is_err());
}

#[test]
fn bom_and_crlf() {
    let d = p("\u{feff}# escape=`\r\nFROM a\r\nRUN a`\r\n b\r\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.line_ending, LineEnding::CrLf);
    assert_eq!(vals(&d.instructions[1]), vec!["a b"]);
    assert_eq!(d.instructions[1].end_line, 4);
}

#[test]
fn lowercase_keywords() {
    let d = p("from alpine as build\nrun echo hi\n");
    assert_eq!(d.instructions[0].kind(), Kind::From);
    assert_eq!(vals(&d.instructions[0]), vec!["alpine", "as", "build"]);
    assert_eq!(d.instructions[1].node.keyword, "run");
}

#[test]
fn heredocs() {
    let d = p("RUN <<EOF\n\tx\n\tEOF\nEOF\nRUN <<-EOF\n\tx\n\tEOF\nCOPY <<EOF <<\"E2\" /x\n1\nEOF\n2\nE2\nRUN 2<<EOF cat\nx\nEOF\n");
    let hd: Vec<_> = d.instructions.iter().map(|i| i.heredocs.iter().map(|h| (h.name.as_str(), h.content.as_str())).collect::<Vec<_>>()).collect();
    assert_eq!(hd[0], vec![("EOF", "\tx\n\tEOF\n")]);
    assert_eq!(hd[1], vec![("EOF", "\tx\n")]);
    assert_eq!(hd[2], vec![("EOF", "1\n"), ("E2", "2\n")]);
    assert_eq!(hd[3], vec![("EOF", "x\n")]);
    assert_eq!((d.instructions[2].start_line, d.instructions[2].end_line), (8, 12));
}

#[test]
fn not_heredocs() {
    // quoted, glued to a word, or after an unbalanced quote
    for s in ["RUN echo \"<<EOF\"\nx\nEOF\n", "RUN cat<<EOF\nx\nEOF\n", "RUN echo don't <<EOF\nx\nEOF\n", "CMD [\"<<EOF\"]\nx\nEOF\n"] {
        let d = p(s);
        assert_eq!(d.instructions.len(), 3, "{s}");
        assert!(d.instructions[0].heredocs.is_empty());
    }
}

#[test]
fn heredoc_without_final_newline_and_unterminated() {
    let d = p("FROM a\nRUN <<EOF\nx\nEOF");
    assert_eq!(d.instructions[1].heredocs[0].content, "x\n");
    assert_eq!(parse("RUN <<EOF\nx\n").unwrap_err().message, "unterminated heredoc");
}

#[test]
fn onbuild_trigger() {
    let d = p("ONBUILD RUN --mount=x <<EOF\nhi\nEOF\nONBUILD COPY [\"a\", \"b\"]\n");
    let t = d.instructions[0].node.trigger.as_ref().unwrap();
    assert_eq!(t.kind, Kind::Run);
    assert_eq!(t.flags[0].text, "--mount=x");
    assert_eq!(d.instructions[0].heredocs[0].content, "hi\n");
    let t = d.instructions[1].node.trigger.as_ref().unwrap();
    assert!(t.json);
    assert_eq!(t.values, vec!["a", "b"]);
}

#[test]
fn json_forms_and_fallbacks() {
    let d = p("CMD [\"a\" ] x\nCMD [\"a\", \"b\"\nRUN [ \"a\" ]\nENTRYPOINT ['a']\nCMD []\nSHELL [\"sh\",\"-c\"]\n");
    let j: Vec<_> = d.instructions.iter().map(|i| (i.node.json, vals(i))).collect();
    assert_eq!(j[0], (true, vec!["a"]));
    assert_eq!(j[1], (false, vec!["[\"a\", \"b\""]));
    assert_eq!(j[2], (true, vec!["a"]));
    assert_eq!(j[3], (false, vec!["['a']"]));
    assert_eq!(j[4], (true, vec![]));
    assert_eq!(j[5], (true, vec!["sh", "-c"]));
    assert!(parse("CMD [1]\n").is_err());
}

#[test]
fn flags() {
    let d = p("RUN --mount=\"type=cache,target=/x y\" --link -- foo\nCOPY --from=build --chown=1:1 a b\nFROM --platform=$X a AS b\n");
    let f: Vec<_> = d.instructions[0].node.flags.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(f, vec!["--mount=type=cache,target=/x y", "--link"]);
    assert_eq!(vals(&d.instructions[0]), vec!["foo"]);
    assert_eq!(d.instructions[1].node.flag("from").unwrap().value(), Some("build"));
    assert_eq!(vals(&d.instructions[2]), vec!["a", "AS", "b"]);
}

#[test]
fn env_label_arg_healthcheck() {
    let d = p("ENV a b c\nENV a=b c=\"d e\"\nLABEL \"a b\"=c\nARG a=1 b\nHEALTHCHECK NONE\nHEALTHCHECK --interval=5s CMD [\"a\"]\nENV a=\nMAINTAINER  me  x \n");
    let v: Vec<_> = d.instructions.iter().map(vals).collect();
    assert_eq!(v[0], vec!["a", "b c"]);
    assert_eq!(v[1], vec!["a", "b", "c", "\"d e\""]);
    assert_eq!(v[2], vec!["\"a b\"", "c"]);
    assert_eq!(v[3], vec!["a=1", "b"]);
    assert_eq!(v[4], vec!["NONE"]);
    assert_eq!(v[5], vec!["CMD", "a"]);
    assert!(d.instructions[5].node.json);
    assert_eq!(v[6], vec!["a", ""]);
    assert_eq!(v[7], vec!["me  x"]);
    assert!(parse("ENV a\n").is_err());
    assert!(parse("ENV a=b c\n").is_err());
}

#[test]
fn unknown_instructions_and_odd_lines_are_kept() {
    let d = p("FOO bar\nFROM a\n   \\\n");
    assert_eq!(d.instructions[0].kind(), Kind::Unknown);
    assert_eq!(d.instructions.len(), 3);
    assert_eq!(d.instructions[2].node.keyword, "");
}

#[test]
fn logical_line_maps_back_to_source() {
    let s = "RUN apt-get update \\\n    # comment\n    && apt-get install -y curl\n";
    let d = p(s);
    let i = &d.instructions[0];
    let pos = i.line.text.find("install").unwrap();
    let src = i.line.to_source(pos);
    assert_eq!(&s[src..src + 7], "install");
    assert_eq!(i.header_end, s.len());
}

#[test]
fn line_col() {
    let d = p("FROM a\nRUN é b\n");
    assert_eq!(d.line_col(0), (1, 1));
    assert_eq!(d.line_col(7), (2, 1));
    assert_eq!(d.line_col(d.text.find(" b").unwrap()), (2, 6));
}

#[test]
fn empty_files_are_refused_like_buildkit() {
    for s in ["", "\u{feff}", "# c\n", "\n  \n", "# escape=`\n"] {
        assert_eq!(parse(s).unwrap_err().message, "file with no instructions", "{s:?}");
    }
}

#[test]
fn variables_do_not_open_heredocs() {
    let d = p("RUN ${x:-<<EOF}\nhi\nEOF\n");
    assert_eq!(d.instructions.len(), 3);
    let d = p("RUN <<EOF$x\nhi\nEOF$x\n");
    assert_eq!(d.instructions[0].heredocs[0].name, "EOF$x");
}
