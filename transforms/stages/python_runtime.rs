//! stub
use crate::engine::{Context, Diagnostic, Rule, RuleMeta, FixKind};
pub struct PythonVenvRuntime;
static META: RuleMeta = RuleMeta { code: "DP40X", name: "x", summary: "x", fix: FixKind::Unsafe, hadolint: &[], docs: "" };
impl Rule for PythonVenvRuntime {
    fn meta(&self) -> &'static RuleMeta { &META }
    fn check(&self, _cx: &Context, _out: &mut Vec<Diagnostic>) {}
}
