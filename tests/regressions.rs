//! Inputs the property tests once found a problem with: every rule, unsafe fixes included,
//! must settle, keep the file parseable and be idempotent on them.

use dopt::engine::{self, Options};
use dopt::model::context::BuildContext;

const CASES: &[&str] = &[
    // an unterminated backtick swallowed the commands after it: RUNs merged into it and the
    // apt lists cleanup was appended again and again
    "FROM python:3.11\nRUN a `\nRUN apt-get update",
    // U+0800 is E0 A0 80: BuildKit takes the A0 byte after `--` for a space, and the
    // arguments started inside the character (a panic)
    "\u{a1} --\u{800}",
    "RUN --x=\u{800} y\nRUN --\u{2028}\n",
];

#[test]
fn found_by_fuzzing() {
    let rules = dopt::transforms::all();
    let ctx = BuildContext::default();
    let opts = Options { unsafe_fixes: true, ..Options::default() };
    for c in CASES {
        let Ok(out) = engine::run(c, &rules, &ctx, &opts) else { continue };
        assert!(out.problems.is_empty(), "{c:?}: {:?}", out.problems);
        dopt::syntax::parse(&out.output).unwrap();
        let again = engine::run(&out.output, &rules, &ctx, &opts).unwrap();
        assert_eq!(again.output, out.output, "{c:?}");
    }
}
