//! A lossless Dockerfile parser that reads files exactly as BuildKit's parser does.
//!
//! The tree never prints itself: every part of it holds byte ranges into the original text,
//! and [`Dockerfile::items`] covers the whole file, so printing the items back gives the input
//! byte for byte. Fixes are byte-range splices on that text (see `engine`).
//!
//! The algorithm follows `moby/buildkit` `frontend/dockerfile/parser/parser.go` line by line:
//! parser directives, continuation lines (and the comment and blank lines BuildKit drops inside
//! them), the logical line of each instruction, flags, per-instruction argument parsing, and
//! heredocs. Where it differs (the `check` directive, known to newer BuildKit) it says so.

pub mod shlex;
pub mod words;

use std::ops::Range;

use words::{extract_builder_flags, parse_json_array, parse_words, split_first_ws, split_whitespace, trim_space_range, JsonForm};

/// An error BuildKit's parser would also raise: the file is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// 1-based line where the problem starts.
    pub line: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parser directive at the top of the file (`# syntax=`, `# escape=`, `# check=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub value: String,
    /// The directive's line, without its line terminator.
    pub range: Range<usize>,
}

/// What a stretch of the file is. The items of a file cover it completely, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Directive,
    Comment,
    Blank,
    /// Index into [`Dockerfile::instructions`].
    Instruction(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub range: Range<usize>,
}

/// The instruction keywords BuildKit knows; anything else is kept verbatim as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    Unknown,
}

impl Kind {
    pub fn from_keyword(k: &str) -> Kind {
        match k.to_ascii_lowercase().as_str() {
            "add" => Kind::Add,
            "arg" => Kind::Arg,
            "cmd" => Kind::Cmd,
            "copy" => Kind::Copy,
            "entrypoint" => Kind::Entrypoint,
            "env" => Kind::Env,
            "expose" => Kind::Expose,
            "from" => Kind::From,
            "healthcheck" => Kind::Healthcheck,
            "label" => Kind::Label,
            "maintainer" => Kind::Maintainer,
            "onbuild" => Kind::Onbuild,
            "run" => Kind::Run,
            "shell" => Kind::Shell,
            "stopsignal" => Kind::Stopsignal,
            "user" => Kind::User,
            "volume" => Kind::Volume,
            "workdir" => Kind::Workdir,
            _ => Kind::Unknown,
        }
    }
}

/// A piece of the logical line copied from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    logical: usize,
    source: usize,
    len: usize,
}

/// BuildKit's view of an instruction before heredocs: its physical lines joined, with the
/// escape characters that continue lines, comment lines and blank lines inside the
/// continuation removed. Every byte maps back to a byte of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    pub text: String,
    segs: Vec<Seg>,
}

impl LogicalLine {
    fn push(&mut self, s: &str, source: usize) {
        if s.is_empty() {
            return;
        }
        self.segs.push(Seg { logical: self.text.len(), source, len: s.len() });
        self.text.push_str(s);
    }

    /// The source offset of the byte at logical offset `p` (the end of the text for `p` at
    /// the end).
    pub fn to_source(&self, p: usize) -> usize {
        for s in &self.segs {
            if p < s.logical + s.len {
                return s.source + p.saturating_sub(s.logical);
            }
        }
        self.segs.last().map(|s| s.source + s.len).unwrap_or(0)
    }

    /// The source offset just after the byte at logical offset `p - 1`: where an insertion
    /// after the text up to `p` goes (before any line continuation that follows it).
    pub fn to_source_end(&self, p: usize) -> usize {
        if p == 0 {
            return self.segs.first().map(|s| s.source).unwrap_or(0);
        }
        self.to_source(p - 1) + 1
    }

    /// The source ranges the logical range `r` is made of, in order.
    pub fn source_pieces(&self, r: Range<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for s in &self.segs {
            let a = r.start.max(s.logical);
            let b = r.end.min(s.logical + s.len);
            if a < b {
                out.push(s.source + (a - s.logical)..s.source + (b - s.logical));
            }
        }
        out
    }

    /// Source range of a logical range, when the range does not cross a removed part.
    pub fn source_range(&self, r: Range<usize>) -> Option<Range<usize>> {
        if r.is_empty() {
            let a = self.to_source(r.start);
            return Some(a..a);
        }
        match self.source_pieces(r).as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// Whether the logical range maps to one contiguous source range.
    pub fn is_contiguous(&self, r: Range<usize>) -> bool {
        self.source_range(r).is_some()
    }
}

/// A flag such as `--mount=type=cache,target=/root/.cache` or `--link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// As BuildKit reports it (quotes removed).
    pub text: String,
    /// Where it is written, in logical-line coordinates.
    pub range: Range<usize>,
}

impl Flag {
    /// The flag name without dashes: `mount` for `--mount=...`.
    pub fn name(&self) -> &str {
        let t = self.text.trim_start_matches('-');
        t.split('=').next().unwrap_or(t)
    }
    /// The value after `=`, if any.
    pub fn value(&self) -> Option<&str> {
        self.text.split_once('=').map(|(_, v)| v)
    }
}

/// One parsed instruction (or the trigger of an ONBUILD), in logical-line coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The keyword as written.
    pub keyword: String,
    pub keyword_range: Range<usize>,
    pub kind: Kind,
    pub flags: Vec<Flag>,
    /// The arguments after the flags, trimmed, in logical-line coordinates.
    pub args: Range<usize>,
    /// Exec (JSON array) form.
    pub json: bool,
    /// The values BuildKit computes for this instruction.
    pub values: Vec<String>,
    /// ONBUILD's trigger instruction.
    pub trigger: Option<Box<Node>>,
}

impl Node {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// `<<-`: leading tabs are stripped.
    pub chomp: bool,
    /// The body in the source (all lines before the terminator, with their line endings).
    pub body: Range<usize>,
    /// The terminator line, with its line ending.
    pub terminator: Range<usize>,
    pub content: String,
}

/// An instruction: where it is in the file, its logical line, its parsed node and heredocs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// From the start of its first line to the end of its last line, line ending included
    /// (heredoc bodies and terminators included).
    pub range: Range<usize>,
    /// 1-based, inclusive, as BuildKit counts them.
    pub start_line: usize,
    pub end_line: usize,
    pub line: LogicalLine,
    pub node: Node,
    pub heredocs: Vec<Heredoc>,
    /// End of the instruction's own lines (without heredoc bodies), line ending included.
    pub header_end: usize,
}

impl Instruction {
    pub fn kind(&self) -> Kind {
        self.node.kind
    }
    /// The arguments (after flags) as BuildKit's logical line has them.
    pub fn args_text(&self) -> &str {
        &self.line.text[self.node.args.clone()]
    }
    /// The instruction that runs: the trigger for ONBUILD, the node itself otherwise.
    pub fn effective(&self) -> &Node {
        match &self.node.trigger {
            Some(t) => t,
            None => &self.node,
        }
    }
    /// Source offset of the first byte of the keyword.
    pub fn keyword_start(&self) -> usize {
        self.line.to_source(self.node.keyword_range.start)
    }
}

/// Line endings used by a file: what generated lines should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub text: String,
    pub escape: char,
    pub directives: Vec<Directive>,
    pub instructions: Vec<Instruction>,
    pub items: Vec<Item>,
    pub line_ending: LineEnding,
    line_starts: Vec<usize>,
}

impl Dockerfile {
    /// A file with nothing in it (the parser refuses empty files; this is a placeholder).
    pub fn empty() -> Dockerfile {
        Dockerfile { text: String::new(), escape: '\\', directives: Vec::new(), instructions: Vec::new(), items: Vec::new(), line_ending: LineEnding::Lf, line_starts: vec![0] }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let i = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[i];
        let end = offset.min(self.text.len());
        let col = self.text.get(start..end).map(|s| s.chars().count()).unwrap_or(end - start) + 1;
        (i + 1, col)
    }

    /// Byte offset where 1-based line `n` starts.
    pub fn line_start(&self, n: usize) -> usize {
        self.line_starts.get(n.saturating_sub(1)).copied().unwrap_or(self.text.len())
    }

    /// Prints the items back: equal to the input for every file the parser accepts.
    pub fn print(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        for it in &self.items {
            out.push_str(&self.text[it.range.clone()]);
        }
        out
    }

    /// The indentation (spaces/tabs) at the start of the line holding `offset`.
    pub fn indent_at(&self, offset: usize) -> &str {
        let (line, _) = self.line_col(offset);
        let s = self.line_start(line);
        let rest = &self.text[s..];
        let n = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        &rest[..n]
    }
}

/// A physical line: its start, the end of its content (line terminator excluded, as Go's
/// `trimNewline` strips trailing `\r` and `\n`), and its end (terminator included).
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    content_end: usize,
    end: usize,
}

struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for Lines<'_> {
    type Item = Line;
    fn next(&mut self) -> Option<Line> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let b = self.text.as_bytes();
        let end = match memchr(b'\n', &b[start..]) {
            Some(i) => start + i + 1,
            None => b.len(),
        };
        let mut ce = end;
        while ce > start && (b[ce - 1] == b'\n' || b[ce - 1] == b'\r') {
            ce -= 1;
        }
        self.pos = end;
        Some(Line { start, content_end: ce, end })
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// BuildKit's parser-directive state.
struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
    found: Vec<Directive>,
}

/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go's `\s` is ASCII).
fn match_directive(line: &str) -> Option<(&str, &str)> {
    let is_s = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c');
    let rest = line.strip_prefix('#')?;
    let rest = rest.trim_start_matches(is_s);
    let name_len = rest
        .char_indices()
        .take_while(|&(i, c)| if i == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() })
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    let rest = rest[name_len..].trim_start_matches(is_s);
    let rest = rest.strip_prefix('=')?;
    let value = rest.trim_start_matches(is_s).trim_end_matches(is_s);
    if value.is_empty() {
        return None;
    }
    Some((name, value))
}

impl Directives {
    fn possible(&mut self, line: &str, range: Range<usize>) -> Result<bool, String> {
        if self.done {
            return Ok(false);
        }
        let Some((name, value)) = match_directive(line) else {
            self.done = true;
            return Ok(false);
        };
        let k = name.to_ascii_lowercase();
        // BuildKit v0.12 knows `syntax` and `escape`; newer BuildKit adds `check`.
        if !matches!(k.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(false);
        }
        if self.seen.contains(&k) {
            return Err(format!("only one {k} parser directive can be used"));
        }
        self.seen.push(k.clone());
        if k == "escape" {
            if value != "`" && value != "\\" {
                return Err(format!("invalid escape token '{value}' does not match ` or \\"));
            }
            self.escape = value.chars().next().unwrap();
        }
        self.found.push(Directive { name: k, value: value.to_string(), range });
        Ok(true)
    }
}

/// Go's `trimLeadingWhitespace` (Unicode white space): the number of bytes trimmed.
fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// BuildKit's `trimContinuationCharacter`: a line continues when it ends with the escape
/// character (trailing blanks allowed) that is not itself escaped. Returns the kept length.
fn trim_continuation(s: &str, escape: char) -> (usize, bool) {
    let t = s.trim_end_matches([' ', '\t']);
    if let Some(before) = t.strip_suffix(escape) {
        if !before.ends_with(escape) {
            return (before.len(), false);
        }
    }
    (s.len(), true)
}

fn is_comment_line(s: &str) -> bool {
    s.trim_start().starts_with('#')
}

/// Parses a Dockerfile. The text must be UTF-8 (the caller checks bytes). Like BuildKit, it
/// refuses a file with no instructions.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = Lines { text, pos: 0 };
    let mut d = Directives { escape: '\\', done: false, seen: Vec::new(), found: Vec::new() };
    let mut instructions = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut line_no = 0usize;
    let mut first = true;

    while let Some(l) = lines.next() {
        let cstart = if first { l.start + bom } else { l.start };
        first = false;
        let lstart = cstart + leading_ws(&text[cstart..l.content_end]);
        let tok = &text[lstart..l.content_end];
        let is_dir = d
            .possible(tok, lstart..l.content_end)
            .map_err(|m| ParseError { message: m, line: line_no.max(1) })?;
        line_no += 1;
        if tok.starts_with('#') {
            let kind = if is_dir { ItemKind::Directive } else { ItemKind::Comment };
            items.push(Item { kind, range: l.start..l.end });
            continue;
        }
        let start_line = line_no;
        let (keep, mut eol) = trim_continuation(tok, d.escape);
        if eol && keep == 0 {
            items.push(Item { kind: ItemKind::Blank, range: l.start..l.end });
            continue;
        }
        let mut logical = LogicalLine { text: String::new(), segs: Vec::new() };
        logical.push(&tok[..keep], lstart);
        let mut end = l.end;
        while !eol {
            let Some(c) = lines.next() else { break };
            let ctok = &text[c.start..c.content_end];
            d.possible(ctok, c.start..c.content_end)
                .map_err(|m| ParseError { message: m, line: line_no })?;
            line_no += 1;
            end = c.end;
            if is_comment_line(ctok) || ctok.trim_start().is_empty() {
                continue;
            }
            let (keep, e) = trim_continuation(ctok, d.escape);
            logical.push(&ctok[..keep], c.start);
            eol = e;
        }
        // most logical lines are one segment: no spare capacity (a large file keeps thousands)
        logical.segs.shrink_to_fit();
        logical.text.shrink_to_fit();
        let node = node_from_line(&logical.text, 0, d.escape)
            .map_err(|m| ParseError { message: m, line: start_line })?;
        let header_end = end;
        let mut heredocs = Vec::new();
        if can_contain_heredoc(&node) && logical.text.contains("<<") {
            let found = heredocs_from_line(&logical.text).map_err(|m| ParseError { message: m, line: start_line })?;
            for (name, chomp) in found {
                let body_start = end;
                let mut terminated = None;
                let mut content = String::new();
                for h in lines.by_ref() {
                    line_no += 1;
                    end = h.end;
                    let mut cand = &text[h.start..h.content_end];
                    if chomp {
                        cand = cand.trim_start_matches('\t');
                    }
                    if cand == name {
                        terminated = Some(h);
                        break;
                    }
                    content.push_str(&text[h.start..h.end]);
                }
                let Some(t) = terminated else {
                    return Err(ParseError { message: "unterminated heredoc".into(), line: start_line });
                };
                heredocs.push(Heredoc { name, chomp, body: body_start..t.start, terminator: t.start..t.end, content });
            }
        }
        let idx = instructions.len();
        instructions.push(Instruction {
            range: l.start..end,
            start_line,
            end_line: line_no,
            line: logical,
            node,
            heredocs,
            header_end,
        });
        items.push(Item { kind: ItemKind::Instruction(idx), range: l.start..end });
    }

    if instructions.is_empty() {
        return Err(ParseError { message: "file with no instructions".into(), line: line_no.max(1) });
    }
    let mut line_starts = vec![0];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            line_starts.push(i + 1);
        }
    }
    if line_starts.last() == Some(&text.len()) && !text.is_empty() {
        line_starts.pop();
    }
    let line_ending = match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => LineEnding::CrLf,
        _ => LineEnding::Lf,
    };
    // a file's parse stays in memory while every rule runs (and the input's, beside the
    // current text's, while fixes apply): no spare capacity
    instructions.shrink_to_fit();
    items.shrink_to_fit();
    line_starts.shrink_to_fit();
    Ok(Dockerfile { text: text.to_string(), escape: d.escape, directives: d.found, instructions, items, line_ending, line_starts })
}

fn can_contain_heredoc(node: &Node) -> bool {
    let n = match (&node.kind, &node.trigger) {
        (Kind::Onbuild, Some(t)) => t.as_ref(),
        _ => node,
    };
    matches!(n.kind, Kind::Add | Kind::Copy | Kind::Run) && !n.json
}

/// BuildKit's `heredocsFromLine`: the heredocs the logical line opens, in order.
fn heredocs_from_line(line: &str) -> Result<Vec<(String, bool)>, String> {
    let raw = shlex::Lex { raw_quotes: true, raw_escapes: true, skip_unset: true };
    let words = raw.process_words(line).unwrap_or_default();
    let mut out = Vec::new();
    for w in words {
        // ^(\d*)<<(-?)([^<]*)$
        let digits = w.bytes().take_while(|b| b.is_ascii_digit()).count();
        let Some(rest) = w[digits..].strip_prefix("<<") else { continue };
        let (chomp, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.contains('<') || rest.is_empty() {
            continue;
        }
        let plain = shlex::Lex { raw_quotes: false, raw_escapes: false, skip_unset: true };
        let names = plain.process_words(rest).map_err(|e| e.0)?;
        if names.len() != 1 {
            continue;
        }
        out.push((names.into_iter().next().unwrap(), chomp));
    }
    Ok(out)
}

/// BuildKit's `newNodeFromLine`, on `line` (a slice of the logical line starting at `base`).
fn node_from_line(full: &str, base: usize, escape: char) -> Result<Node, String> {
    let line = &full[base..];
    let t = trim_space_range(line);
    let trimmed = &line[t.clone()];
    let off = base + t.start;
    let (kw, rest_at) = split_first_ws(trimmed);
    let keyword = trimmed[kw.clone()].to_string();
    let kind = Kind::from_keyword(&keyword);
    let mut flags = Vec::new();
    let mut args = off + trimmed.len()..off + trimmed.len();
    if let Some(r) = rest_at {
        let rest = &trimmed[r..];
        let (fl, args_at) = extract_builder_flags(rest);
        // BuildKit walks flags byte by byte, and takes the bytes 0x85 and 0xA0 for white
        // space even inside a multi-byte character: keep positions on character boundaries.
        let boundary = |mut p: usize| {
            while p < rest.len() && !rest.is_char_boundary(p) {
                p += 1;
            }
            p.min(rest.len())
        };
        flags = fl
            .into_iter()
            .map(|w| Flag { text: w.text, range: off + r + w.range.start..off + r + boundary(w.range.end) })
            .collect();
        let args_at = boundary(args_at);
        let a = &rest[args_at..];
        let at = trim_space_range(a);
        let s = off + r + args_at + at.start;
        args = s..s + (at.end - at.start);
    }
    let rest = full.get(args.clone()).unwrap_or("");
    let mut json = false;
    let mut trigger = None;
    let values: Vec<String> = match kind {
        Kind::Add | Kind::Copy | Kind::Volume => match parse_json_array(rest) {
            JsonForm::Strings(v) => {
                json = true;
                v
            }
            JsonForm::NotStrings => return Err(not_strings()),
            JsonForm::NotJson => split_whitespace(rest).into_iter().map(|w| w.text).collect(),
        },
        Kind::Run | Kind::Cmd | Kind::Entrypoint | Kind::Shell => maybe_json(rest, &mut json)?,
        Kind::Env | Kind::Label => parse_name_val(rest, &keyword, escape)?,
        Kind::Arg => parse_words(rest, escape).into_iter().map(|w| w.text).collect(),
        Kind::Expose | Kind::From => split_whitespace(rest).into_iter().map(|w| w.text).collect(),
        Kind::Maintainer | Kind::Stopsignal | Kind::User | Kind::Workdir => {
            if rest.is_empty() {
                vec![]
            } else {
                vec![rest.to_string()]
            }
        }
        Kind::Healthcheck => {
            let b = rest.as_bytes();
            let sep = b.iter().position(|&c| words::is_space_byte(c)).unwrap_or(b.len());
            if sep == 0 {
                vec![]
            } else {
                let next = sep + b[sep..].iter().take_while(|&&c| words::is_space_byte(c)).count();
                let typ = String::from_utf8_lossy(&b[..sep]).into_owned();
                let cmd = String::from_utf8_lossy(&b[next..]).into_owned();
                let mut v = vec![typ];
                v.extend(maybe_json(&cmd, &mut json)?);
                v
            }
        }
        Kind::Onbuild => {
            if !rest.is_empty() {
                trigger = Some(Box::new(node_from_line(full, args.start, escape)?));
            }
            vec![]
        }
        Kind::Unknown => vec![],
    };
    Ok(Node { keyword, keyword_range: off + kw.start..off + kw.end, kind, flags, args, json, values, trigger })
}

fn not_strings() -> String {
    "when using JSON array syntax, arrays must be comprised of strings only".into()
}

/// BuildKit's `parseMaybeJSON`.
fn maybe_json(rest: &str, json: &mut bool) -> Result<Vec<String>, String> {
    if rest.is_empty() {
        return Ok(vec![]);
    }
    match parse_json_array(rest) {
        JsonForm::Strings(v) => {
            *json = true;
            Ok(v)
        }
        JsonForm::NotStrings => Err(not_strings()),
        JsonForm::NotJson => Ok(vec![rest.to_string()]),
    }
}

/// BuildKit's `parseNameVal` (ENV, LABEL): `[k1, v1, k2, v2, ...]`.
fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    if words.is_empty() {
        return Ok(vec![]);
    }
    if !words[0].text.contains('=') {
        let (k, r) = split_first_ws(rest);
        let Some(r) = r else {
            return Err(format!("{} must have two arguments", key.to_ascii_uppercase()));
        };
        return Ok(vec![rest[k].to_string(), rest[r..].to_string()]);
    }
    let mut out = Vec::new();
    for w in words {
        let Some((k, v)) = w.text.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                w.text
            ));
        };
        out.push(k.to_string());
        out.push(v.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
