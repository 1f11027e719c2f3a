//! stub
use crate::engine::{Context, Diagnostic, Rule, RuleMeta, FixKind};
pub struct NodeProductionRuntime;
static META: RuleMeta = RuleMeta { code: "DP40X", name: "x", summary: "x", fix: FixKind::Unsafe, hadolint: &[], docs: "" };
impl Rule for NodeProductionRuntime {
    fn meta(&self) -> &'static RuleMeta { &META }
    fn check(&self, _cx: &Context, _out: &mut Vec<Diagnostic>) {}
}
