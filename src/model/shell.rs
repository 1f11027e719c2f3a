//! A shell model of RUN bodies: commands split on `&&`, `||`, `;`, `|`, `&` and newlines, words
//! with byte ranges into the Dockerfile, quoting removed. It understands simple commands and
//! says so where it meets what it does not (command substitution, `for`/`case`/functions): such
//! a command carries an `opaque` reason and rules must not edit it.
//!
//! A script is read from a *view*: the source text of the RUN with every byte BuildKit drops
//! (line continuations, comment and blank lines inside them) replaced by a space, so offsets in
//! the view are offsets in the file.

use std::ops::Range;

use crate::syntax::{Dockerfile, Instruction, Kind, Node};

/// A shell word: its value with quotes and escapes removed, where it is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub range: Range<usize>,
    /// Some part was quoted.
    pub quoted: bool,
    /// Holds `$VAR`, `${...}`, `$(...)` or backticks: its value is not known here.
    pub dynamic: bool,
}

/// What separates a command from the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    And,
    Or,
    Semi,
    Pipe,
    Background,
    Newline,
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<Word>,
    /// The command name and its arguments (redirections left out).
    pub words: Vec<Word>,
    /// From the first to the last byte of the command (assignments and redirections included).
    pub range: Range<usize>,
    /// The separator after the command and where it is.
    pub sep_after: Option<(Sep, Range<usize>)>,
    /// The separator before the command.
    pub sep_before: Option<Sep>,
    /// Inside `if`/`while`/`{ }`/`( )`: it may not run, or run more than once.
    pub in_compound: bool,
    /// Why rules must not edit this command, if they must not.
    pub opaque: Option<&'static str>,
    /// Where [`Command::argv`] starts, worked out once when the command is read (rules ask for
    /// it many times per command).
    argv_start: usize,
}

impl Command {
    /// The command name without its directory: `pip` for `/usr/bin/pip`.
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| w.text.rsplit('/').next().unwrap_or(&w.text))
    }

    /// The words after the name, skipping wrappers such as `sudo`, `env`, `nice`, `time`,
    /// `command`, `exec`: the program that really runs comes first.
    pub fn argv(&self) -> &[Word] {
        &self.words[self.argv_start.min(self.words.len())..]
    }

    /// The index of the first word after wrappers (see [`Command::argv`]).
    fn find_argv_start(&self) -> usize {
        let mut i = 0;
        while i < self.words.len() {
            let n = base(&self.words[i].text);
            match n {
                "sudo" | "nice" | "nohup" | "time" | "command" | "exec" | "stdbuf" => {
                    i += 1;
                    while i < self.words.len() && self.words[i].text.starts_with('-') {
                        i += 1;
                    }
                }
                "env" => {
                    i += 1;
                    while i < self.words.len() && (self.words[i].text.starts_with('-') || self.words[i].text.contains('=')) {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        i.min(self.words.len())
    }

    /// The program's basename after wrappers.
    pub fn program(&self) -> Option<&str> {
        self.argv().first().map(|w| base(&w.text))
    }

    /// The arguments after the program that do not start with `-`.
    pub fn args_without_flags(&self) -> Vec<&Word> {
        self.argv().iter().skip(1).filter(|w| !w.text.starts_with('-')).collect()
    }

    /// Whether any argument is one of `flags` (`-y`, `--yes`, or a combined short flag such as
    /// `-qy` for a single-letter flag, or `--flag=value`).
    pub fn has_flag(&self, flags: &[&str]) -> bool {
        self.argv().iter().skip(1).any(|w| flag_matches(&w.text, flags))
    }

    /// `program` with `sub` as its first non-flag argument: `is("apt-get", &["install"])`.
    pub fn is(&self, program: &str, subs: &[&str]) -> bool {
        if self.program() != Some(program) {
            return false;
        }
        if subs.is_empty() {
            return true;
        }
        self.args_without_flags().first().is_some_and(|w| subs.contains(&w.text.as_str()))
    }

    /// The word that is the first non-flag argument (the subcommand), if any.
    pub fn subcommand(&self) -> Option<&Word> {
        self.args_without_flags().into_iter().next()
    }
}

pub fn base(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Whether argument `arg` is one of `flags`.
pub fn flag_matches(arg: &str, flags: &[&str]) -> bool {
    for f in flags {
        if arg == *f {
            return true;
        }
        if f.starts_with("--") {
            if let Some(rest) = arg.strip_prefix(f) {
                if rest.starts_with('=') {
                    return true;
                }
            }
        } else if f.len() == 2 && f.starts_with('-') && arg.starts_with('-') && !arg.starts_with("--") {
            // combined short flags: -qy
            let c = f.as_bytes()[1] as char;
            if arg[1..].chars().all(|x| x.is_ascii_alphabetic()) && arg[1..].contains(c) {
                return true;
            }
        }
    }
    false
}

/// The commands of one shell text, with where that text is.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
    /// The view's range in the file.
    pub range: Range<usize>,
    /// Set when the whole script is not understood.
    pub opaque: Option<&'static str>,
    /// The script is a heredoc body.
    pub heredoc: bool,
    /// Where shell comments (`# ...` up to the end of the line) start, as file offsets. In a
    /// RUN's command line, which BuildKit hands to the shell as one line, a comment runs to the
    /// end of the instruction: text appended after it would be commented out too.
    pub comments: Vec<usize>,
    /// Some command runs in the background (`cmd &`).
    pub background: bool,
}

/// The shell scripts a RUN (or ONBUILD RUN) runs: its command line in shell form and the heredoc
/// bodies that are shell scripts. Exec form gives none.
pub fn scripts(file: &Dockerfile, ins: &Instruction) -> Vec<Script> {
    if ins.effective().kind != Kind::Run {
        return Vec::new();
    }
    let mut out = Vec::new();
    let Some(s) = shell_form(file, ins) else { return out };
    // Heredoc bodies run as scripts when the command is the heredoc alone or a shell reading it.
    let shell_reads_heredoc = {
        let c = &s.commands;
        c.is_empty() || c.len() == 1 && (c[0].words.is_empty() || matches!(c[0].program(), Some("sh" | "bash" | "ash" | "dash" | "zsh")))
    };
    let heredoc_script = !ins.heredocs.is_empty() && shell_reads_heredoc;
    out.push(s);
    if heredoc_script {
        for h in &ins.heredocs {
            let body = &file.text[h.body.clone()];
            let mut hs = parse_script(body, h.body.start);
            hs.heredoc = true;
            if body.starts_with("#!") && !body.starts_with("#!/bin/sh") && !body.starts_with("#!/bin/bash") && !body.starts_with("#!/usr/bin/env bash") {
                hs.opaque = Some("the heredoc runs another interpreter");
            }
            out.push(hs);
        }
    }
    out
}

/// The command line of a shell-form instruction (RUN, CMD, ENTRYPOINT, or their ONBUILD form)
/// as one script, heredoc bodies left out. `None` for exec form or no arguments.
pub fn shell_form(file: &Dockerfile, ins: &Instruction) -> Option<Script> {
    let node: &Node = ins.effective();
    if node.json || node.args.is_empty() || !matches!(node.kind, Kind::Run | Kind::Cmd | Kind::Entrypoint) {
        return None;
    }
    Some(shell_text(file, ins, node.args.clone()))
}

/// The shell text at the logical range `a` of an instruction (the command after `CMD` of a
/// HEALTHCHECK, say) as a script.
pub fn shell_text(file: &Dockerfile, ins: &Instruction, a: Range<usize>) -> Script {
    let (view, start, joined) = view_of(file, ins, a);
    let mut s = parse_script(&view, start);
    if joined && s.opaque.is_none() {
        s.opaque = Some("a line continuation joins two words");
    }
    s
}

/// The view of the logical range `a` of an instruction: source text with dropped bytes blanked.
/// Returns the view, the file offset of its first byte, and whether a removed line continuation
/// joins two words.
pub fn view_of(file: &Dockerfile, ins: &Instruction, a: Range<usize>) -> (String, usize, bool) {
    let pieces = ins.line.source_pieces(a);
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return (String::new(), 0, false);
    };
    let (start, end) = (first.start, last.end);
    let t = file.text.as_bytes();
    let mut bytes = vec![b' '; end - start];
    let mut joined = false;
    let wordish = |c: u8| !c.is_ascii_whitespace() && !b";&|()<>".contains(&c);
    for (k, p) in pieces.iter().enumerate() {
        bytes[p.start - start..p.end - start].copy_from_slice(&t[p.clone()]);
        if k > 0 && wordish(t[pieces[k - 1].end - 1]) && wordish(t[p.start]) {
            joined = true;
        }
    }
    (String::from_utf8(bytes).unwrap_or_default(), start, joined)
}

#[derive(Debug)]
enum Tok {
    Word(Word),
    Op(Sep, Range<usize>),
    Redir,
    /// A redirection complete in itself (`2>&1`, `>&-`): where it ends.
    RedirDone(usize),
    Open(u8),
    Close(u8),
}

/// Parses shell text whose first byte is at file offset `base`.
pub fn parse_script(text: &str, base: usize) -> Script {
    #[derive(PartialEq)]
    enum Block {
        If,
        Loop,
        For,
        Group,
    }
    let mut lx = Lexer { b: text.as_bytes(), i: 0, base, opaque: None, comments: Vec::new() };
    let toks = lx.tokens();
    let mut script = Script {
        commands: Vec::new(),
        range: base..base + text.len(),
        opaque: lx.opaque,
        heredoc: false,
        comments: std::mem::take(&mut lx.comments),
        background: toks.iter().any(|t| matches!(t, Tok::Op(Sep::Background, _))),
    };
    let mut cur: Option<Command> = None;
    let mut blocks: Vec<Block> = Vec::new();
    let mut last_sep: Option<Sep> = None;
    let mut expect_redir_target = false;
    let finish = |cur: &mut Option<Command>, cmds: &mut Vec<Command>, sep: Option<(Sep, Range<usize>)>| {
        if let Some(mut c) = cur.take() {
            c.sep_after = sep;
            c.argv_start = c.find_argv_start();
            cmds.push(c);
        }
    };
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Word(w) => {
                if expect_redir_target {
                    expect_redir_target = false;
                    if let Some(c) = cur.as_mut() {
                        c.range.end = w.range.end;
                    }
                    i += 1;
                    continue;
                }
                let at_start = cur.is_none();
                if at_start && !w.quoted {
                    let kw = w.text.as_str();
                    let handled = match kw {
                        "if" => {
                            blocks.push(Block::If);
                            true
                        }
                        "while" | "until" => {
                            blocks.push(Block::Loop);
                            true
                        }
                        "{" => {
                            blocks.push(Block::Group);
                            true
                        }
                        "fi" | "done" | "}" => {
                            blocks.pop();
                            true
                        }
                        "then" | "else" | "elif" | "do" | "!" => true,
                        "for" | "select" => {
                            // skip the header up to and including `do`
                            blocks.push(Block::For);
                            while i + 1 < toks.len() && !matches!(&toks[i + 1], Tok::Word(x) if x.text == "do") {
                                i += 1;
                            }
                            i += 1;
                            true
                        }
                        "case" => {
                            // case bodies are not modelled: skip to `esac`
                            while i + 1 < toks.len() && !matches!(&toks[i + 1], Tok::Word(x) if x.text == "esac") {
                                i += 1;
                            }
                            i += 1;
                            true
                        }
                        "function" => {
                            script.opaque.get_or_insert("shell functions are not modelled");
                            true
                        }
                        _ => false,
                    };
                    if handled {
                        i += 1;
                        continue;
                    }
                }
                let c = cur.get_or_insert_with(|| Command {
                    assignments: Vec::new(),
                    words: Vec::new(),
                    range: w.range.clone(),
                    sep_after: None,
                    sep_before: last_sep,
                    in_compound: !blocks.is_empty(),
                    opaque: blocks.contains(&Block::For).then_some("inside a for loop"),
                    argv_start: 0,
                });
                c.range.end = w.range.end;
                // `NAME=value`: the name and `=` unquoted, the value may be quoted (`V="a b"`)
                let raw = text.get(w.range.start - base..w.range.end - base).unwrap_or("");
                if c.words.is_empty() && is_assignment(&w.text) && is_assignment(raw) && raw.find('=') == w.text.find('=') {
                    c.assignments.push(w.clone());
                } else {
                    if w.dynamic && (w.text.contains("$(") || w.text.contains('`')) {
                        c.opaque.get_or_insert("command substitution");
                    }
                    c.words.push(w.clone());
                }
                if let (Some(Tok::Open(b'(')), Some(Tok::Close(b')'))) = (toks.get(i + 1), toks.get(i + 2)) {
                    script.opaque.get_or_insert("shell functions are not modelled");
                }
            }
            Tok::Op(sep, r) => {
                finish(&mut cur, &mut script.commands, Some((*sep, r.clone())));
                last_sep = Some(*sep);
            }
            Tok::Redir => {
                expect_redir_target = true;
            }
            Tok::RedirDone(end) => {
                if let Some(c) = cur.as_mut() {
                    c.range.end = *end;
                }
            }
            Tok::Open(_) => {
                finish(&mut cur, &mut script.commands, None);
                blocks.push(Block::Group);
            }
            Tok::Close(_) => {
                finish(&mut cur, &mut script.commands, None);
                blocks.pop();
            }
        }
        i += 1;
    }
    finish(&mut cur, &mut script.commands, None);
    script
}

fn is_assignment(s: &str) -> bool {
    match s.split_once('=') {
        Some((k, _)) => !k.is_empty() && k.chars().enumerate().all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())),
        None => false,
    }
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    base: usize,
    opaque: Option<&'static str>,
    comments: Vec<usize>,
}

impl Lexer<'_> {
    fn tokens(&mut self) -> Vec<Tok> {
        let mut out = Vec::new();
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    out.push(Tok::Op(Sep::Newline, self.r(self.i, self.i + 1)));
                    self.i += 1;
                }
                b'\\' if self.b.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'#' => {
                    self.comments.push(self.base + self.i);
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'&' | b'|' | b';' => {
                    let two = self.b.get(self.i + 1).copied();
                    let (sep, n) = match (c, two) {
                        (b'&', Some(b'&')) => (Sep::And, 2),
                        (b'|', Some(b'|')) => (Sep::Or, 2),
                        (b';', Some(b';')) => (Sep::Semi, 2),
                        (b'&', Some(b'>')) => {
                            // &> and &>> redirections
                            self.i += if self.b.get(self.i + 2) == Some(&b'>') { 3 } else { 2 };
                            out.push(Tok::Redir);
                            continue;
                        }
                        (b'|', Some(b'&')) => (Sep::Pipe, 2),
                        (b'&', _) => (Sep::Background, 1),
                        (b'|', _) => (Sep::Pipe, 1),
                        _ => (Sep::Semi, 1),
                    };
                    out.push(Tok::Op(sep, self.r(self.i, self.i + n)));
                    self.i += n;
                }
                b'(' | b')' => {
                    if c == b'(' && self.b.get(self.i + 1) == Some(&b'(') {
                        self.opaque.get_or_insert("arithmetic is not modelled");
                    }
                    out.push(if c == b'(' { Tok::Open(c) } else { Tok::Close(c) });
                    self.i += 1;
                }
                b'<' | b'>' => {
                    self.redirection(&mut out);
                }
                b'0'..=b'9' if self.is_fd_redirect() => {
                    while self.b[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                    self.redirection(&mut out);
                }
                _ => {
                    let w = self.word();
                    out.push(Tok::Word(w));
                }
            }
        }
        out
    }

    fn r(&self, a: usize, b: usize) -> Range<usize> {
        self.base + a..self.base + b
    }

    fn is_fd_redirect(&self) -> bool {
        let mut j = self.i;
        while j < self.b.len() && self.b[j].is_ascii_digit() {
            j += 1;
        }
        j < self.b.len() && (self.b[j] == b'<' || self.b[j] == b'>')
    }

    fn redirection(&mut self, out: &mut Vec<Tok>) {
        let c = self.b[self.i];
        self.i += 1;
        let mut heredoc = false;
        if c == b'<' && self.b.get(self.i) == Some(&b'<') {
            self.i += 1;
            heredoc = true;
            if self.b.get(self.i) == Some(&b'<') {
                self.i += 1; // here-string
                heredoc = false;
            } else if self.b.get(self.i) == Some(&b'-') {
                self.i += 1;
            }
        } else if self.b.get(self.i) == Some(&c) || self.b.get(self.i) == Some(&b'|') {
            self.i += 1;
        }
        if self.b.get(self.i) == Some(&b'&') {
            self.i += 1;
            // >&2, >&-
            while self.i < self.b.len() && (self.b[self.i].is_ascii_digit() || self.b[self.i] == b'-') {
                self.i += 1;
            }
            out.push(Tok::RedirDone(self.base + self.i));
            return;
        }
        if heredoc && self.base_is_inline_heredoc() {
            self.opaque.get_or_insert("a heredoc inside the script");
        }
        out.push(Tok::Redir);
    }

    fn base_is_inline_heredoc(&self) -> bool {
        // A heredoc inside a shell text that itself continues on later lines: its body is in
        // the text and would be read as commands.
        self.b[self.i..].contains(&b'\n')
    }

    fn word(&mut self) -> Word {
        let start = self.i;
        let mut text = String::new();
        let mut quoted = false;
        let mut dynamic = false;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
                b'\\' => {
                    self.i += 1;
                    if self.i < self.b.len() {
                        if self.b[self.i] == b'\n' {
                            self.i += 1;
                            continue;
                        }
                        let ch = self.char_at();
                        text.push(ch);
                        self.i += ch.len_utf8();
                    }
                    quoted = true;
                }
                b'\'' => {
                    quoted = true;
                    self.i += 1;
                    let s = self.i;
                    while self.i < self.b.len() && self.b[self.i] != b'\'' {
                        self.i += 1;
                    }
                    text.push_str(std::str::from_utf8(&self.b[s..self.i]).unwrap_or(""));
                    if self.i < self.b.len() {
                        self.i += 1;
                    } else {
                        self.opaque.get_or_insert("an unterminated quote");
                    }
                }
                b'"' => {
                    quoted = true;
                    self.i += 1;
                    while self.i < self.b.len() && self.b[self.i] != b'"' {
                        match self.b[self.i] {
                            b'\\' if self.i + 1 < self.b.len() => {
                                let n = self.b[self.i + 1];
                                if matches!(n, b'"' | b'\\' | b'$' | b'`') {
                                    text.push(n as char);
                                    self.i += 2;
                                } else if n == b'\n' {
                                    self.i += 2;
                                } else {
                                    text.push('\\');
                                    self.i += 1;
                                }
                            }
                            b'$' | b'`' => {
                                dynamic = true;
                                let s = self.i;
                                self.dollar_or_backtick();
                                text.push_str(std::str::from_utf8(&self.b[s..self.i]).unwrap_or(""));
                            }
                            _ => {
                                let ch = self.char_at();
                                text.push(ch);
                                self.i += ch.len_utf8();
                            }
                        }
                    }
                    if self.i < self.b.len() {
                        self.i += 1;
                    } else {
                        self.opaque.get_or_insert("an unterminated quote");
                    }
                }
                b'$' | b'`' => {
                    dynamic = true;
                    let s = self.i;
                    self.dollar_or_backtick();
                    text.push_str(std::str::from_utf8(&self.b[s..self.i]).unwrap_or(""));
                }
                _ => {
                    let ch = self.char_at();
                    text.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
        Word { text, range: self.r(start, self.i), quoted, dynamic }
    }

    fn char_at(&self) -> char {
        // the shortest valid prefix of the (at most 4) bytes here is the char that starts here;
        // decoding only those keeps a long script linear
        let end = (self.i + 4).min(self.b.len());
        (self.i + 1..=end)
            .find_map(|e| std::str::from_utf8(&self.b[self.i..e]).ok().and_then(|s| s.chars().next()))
            .unwrap_or('\u{FFFD}')
    }

    /// Skips `$name`, `${...}`, `$(...)`, `$((...))` or a backtick substitution.
    fn dollar_or_backtick(&mut self) {
        if self.b[self.i] == b'`' {
            self.i += 1;
            while self.i < self.b.len() && self.b[self.i] != b'`' {
                if self.b[self.i] == b'\\' {
                    self.i += 1;
                }
                self.i += 1;
            }
            if self.i >= self.b.len() {
                self.opaque.get_or_insert("an unterminated substitution");
            }
            self.i = (self.i + 1).min(self.b.len());
            return;
        }
        self.i += 1; // $
        match self.b.get(self.i) {
            Some(b'{') => self.balanced(b'{', b'}'),
            Some(b'(') => self.balanced(b'(', b')'),
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                while self.i < self.b.len() && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_') {
                    self.i += 1;
                }
            }
            Some(c) if c.is_ascii_digit() || b"@*#?-$!".contains(c) => self.i += 1,
            _ => {}
        }
    }

    fn balanced(&mut self, open: u8, close: u8) {
        let mut depth = 0;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'\\' {
                self.i += 2;
                continue;
            }
            if c == b'\'' && open == b'(' {
                self.i += 1;
                while self.i < self.b.len() && self.b[self.i] != b'\'' {
                    self.i += 1;
                }
            } else if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    self.i += 1;
                    return;
                }
            }
            self.i += 1;
        }
        self.i = self.b.len();
        self.opaque.get_or_insert("an unterminated substitution");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(s: &str) -> Vec<Vec<String>> {
        parse_script(s, 0).commands.iter().map(|c| c.words.iter().map(|w| w.text.clone()).collect()).collect()
    }

    #[test]
    fn splits_on_operators() {
        assert_eq!(
            cmds("apt-get update && apt-get install -y 'curl' ; echo \"a b\" | tee x > /dev/null 2>&1 || true"),
            vec![vec!["apt-get", "update"], vec!["apt-get", "install", "-y", "curl"], vec!["echo", "a b"], vec!["tee", "x"], vec!["true"]]
        );
    }

    #[test]
    fn comments_assignments_and_wrappers() {
        let s = parse_script("# c\nFOO=1 sudo -E pip install x # trailing\n", 0);
        assert_eq!(s.commands.len(), 1);
        let c = &s.commands[0];
        assert_eq!(c.assignments[0].text, "FOO=1");
        assert_eq!(c.program(), Some("pip"));
        assert!(c.is("pip", &["install"]));
    }

    #[test]
    fn quoted_assignment_values() {
        let s = parse_script("V=\"a b\" X='c' cmd \"Y=1\"", 0);
        let c = &s.commands[0];
        assert_eq!(c.assignments.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["V=a b", "X=c"]);
        assert_eq!(c.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["cmd", "Y=1"]);
        let s = parse_script("\"V=1\" cmd", 0);
        assert_eq!(s.commands[0].program(), Some("V=1"));
    }

    #[test]
    fn comments_and_background() {
        let s = parse_script("a & b # c", 0);
        assert!(s.background);
        assert_eq!(s.comments, vec![6]);
        let s = parse_script("a && b 2>&1 >/dev/null &>x \\# 'x # y'", 0);
        assert!(!s.background);
        assert!(s.comments.is_empty());
    }

    #[test]
    fn unterminated_backtick_is_opaque() {
        assert_eq!(parse_script("a ` && b", 0).opaque, Some("an unterminated substitution"));
        assert_eq!(parse_script("a `date` && b", 0).opaque, None);
    }

    #[test]
    fn substitution_is_opaque() {
        let s = parse_script("pip install $(cat reqs) && echo ok", 0);
        assert_eq!(s.commands[0].opaque, Some("command substitution"));
        assert_eq!(s.commands[1].opaque, None);
    }

    #[test]
    fn control_flow() {
        let s = parse_script("if true; then pip install x; fi; for p in a b; do pip install $p; done", 0);
        let names: Vec<_> = s.commands.iter().map(|c| (c.words[0].text.as_str(), c.in_compound, c.opaque.is_some())).collect();
        assert_eq!(names, vec![("true", true, false), ("pip", true, false), ("pip", true, true)]);
    }

    #[test]
    fn flags() {
        assert!(flag_matches("-qy", &["-y"]));
        assert!(flag_matches("--yes", &["-y", "--yes"]));
        assert!(flag_matches("--cache-dir=/x", &["--cache-dir"]));
        assert!(!flag_matches("--yesno", &["--yes"]));
    }

    #[test]
    fn fd_duplications_belong_to_their_command() {
        let t = "yarn install > /dev/null 2>&1 && echo";
        let s = parse_script(t, 0);
        assert_eq!(&t[s.commands[0].range.clone()], "yarn install > /dev/null 2>&1");
        let t = "a >&2; b";
        assert_eq!(&t[parse_script(t, 0).commands[0].range.clone()], "a >&2");
    }

    #[test]
    fn ranges_point_into_the_text() {
        let t = "  apt-get   install  curl";
        let s = parse_script(t, 10);
        let w = &s.commands[0].words[1];
        assert_eq!(&t[w.range.start - 10..w.range.end - 10], "install");
    }
}
