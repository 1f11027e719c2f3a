//! `dopt parse --json`: the instructions in the format of `shared/tools/parse_compare.py`
//! (cmd, sub_cmd, json, start_line, end_line, flags, value, heredocs), with BuildKit's values,
//! plus byte ranges.

use serde::Serialize;

use crate::syntax::{Dockerfile, Kind};

#[derive(Serialize)]
struct Heredoc<'a> {
    name: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct Ins<'a> {
    cmd: String,
    sub_cmd: Option<String>,
    json: bool,
    start_line: usize,
    end_line: usize,
    flags: Vec<&'a str>,
    value: Vec<&'a str>,
    heredocs: Vec<Heredoc<'a>>,
    /// Heredocs of an ONBUILD trigger (BuildKit's Python binding reports none there).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trigger_heredocs: Vec<Heredoc<'a>>,
    range: [usize; 2],
}

pub fn to_json(file: &Dockerfile) -> String {
    let v: Vec<Ins> = file
        .instructions
        .iter()
        .map(|i| {
            let n = &i.node;
            let eff = i.effective();
            let hd: Vec<Heredoc> = i.heredocs.iter().map(|h| Heredoc { name: &h.name, content: &h.content }).collect();
            let onbuild = n.kind == Kind::Onbuild;
            Ins {
                cmd: n.keyword.to_ascii_lowercase(),
                sub_cmd: n.trigger.as_ref().map(|t| t.keyword.to_ascii_lowercase()),
                json: eff.json,
                start_line: i.start_line,
                end_line: i.end_line,
                flags: eff.flags.iter().map(|f| f.text.as_str()).collect(),
                value: eff.values.iter().map(|v| binding_string(v)).collect(),
                heredocs: if onbuild { Vec::new() } else { hd },
                trigger_heredocs: if onbuild { i.heredocs.iter().map(|h| Heredoc { name: &h.name, content: &h.content }).collect() } else { Vec::new() },
                range: [i.range.start, i.range.end],
            }
        })
        .collect();
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into())
}

/// BuildKit's Python binding hands strings over as C strings, so a value holding a NUL
/// (possible only through a JSON `\u0000` escape) ends there. The JSON contract follows it.
fn binding_string(s: &str) -> &str {
    match s.find('\0') {
        Some(i) => &s[..i],
        None => s,
    }
}
