//! DP302 pin-base-image
use crate::engine::{Context, Diagnostic, FixKind, Rule, RuleMeta};
use crate::syntax::Kind;

pub struct PinBaseImage;

static META: RuleMeta = RuleMeta {
    code: "DP302",
    name: "pin-base-image",
    summary: "A base image with no tag, or `latest`: pin a version (advice)",
    fix: FixKind::None,
    hadolint: &[],
    docs: r#"## What it does
Reports a `FROM` whose image has no tag or the `latest` tag (the findings of hadolint's
DL3006 and DL3007), in every stage.

## Why
An unpinned base changes under you: the same Dockerfile builds a different image tomorrow,
and dopt cannot choose a smaller variant of a version it does not know.

## Example
```dockerfile
FROM python
```
should name a version, such as
```dockerfile
FROM python:3.12-slim-bookworm
```

## Not flagged
Stage references (`FROM build`), `scratch`, images pinned by digest, and bases named through
an ARG without a default.

## Fix safety
Advice only: dopt does not guess a version.
"#,
};

impl Rule for PinBaseImage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for stage in &cx.model.stages {
            let Some(image) = stage.image() else { continue };
            if image.digest.is_some() {
                continue;
            }
            let ins = &cx.file.instructions[stage.from];
            debug_assert_eq!(ins.kind(), Kind::From);
            let msg = match image.tag.as_deref() {
                None => format!("`{}` has no tag: pin a version", stage.base_resolved),
                Some("latest") => format!("`{}` follows `latest`: pin a version", stage.base_resolved),
                Some(_) => continue,
            };
            out.push(cx.diag(&META, ins.range.start..ins.header_end, msg, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::count;

    #[test]
    fn untagged_and_latest() {
        assert_eq!(count(&PinBaseImage, "FROM python\n"), 1);
        assert_eq!(count(&PinBaseImage, "FROM python:latest AS a\nFROM a\n"), 1);
        assert_eq!(count(&PinBaseImage, "FROM docker.io/library/node:latest\n"), 1);
        assert_eq!(count(&PinBaseImage, "ARG B=alpine\nFROM $B\n"), 1);
    }

    #[test]
    fn pinned_stage_refs_and_scratch() {
        for s in ["FROM python:3.12\n", "FROM python@sha256:abc\n", "FROM scratch\n", "FROM python:3 AS b\nFROM b\n", "ARG B\nFROM $B\n", "FROM localhost:5000/app:1\n"] {
            assert_eq!(count(&PinBaseImage, s), 0, "{s}");
        }
    }
}
