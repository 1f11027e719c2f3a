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
    /// The blocks around the command, outermost first, each with the arm of it the command is
    /// in (an index into [`Script::blocks`], and a number that a `then`, `elif`, `else` or `do`
    /// of that block changes). A command whose scope starts with another's scope runs after
    /// it, if it comes later: the other is not in an arm of an `if` that this one is not in.
    pub scope: Vec<(usize, usize)>,
    /// Why rules must not edit this command, if they must not.
    pub opaque: Option<&'static str>,
    /// Where the program is in `words` after wrappers, and the user wrapper's words (see
    /// [`Command::argv`], [`Command::user_wrapper`]); set when the command is complete.
    pub(crate) unwrapped: (usize, Option<Range<usize>>),
}

impl Command {
    /// The command name without its directory: `pip` for `/usr/bin/pip`.
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| base(&w.text))
    }

    /// The words from the program that really runs on, skipping wrappers and their options:
    /// `sudo` (`-E`, `-u user`, `--user=user`, `-Eu user`, `--`, and the `NAME=value` words
    /// it passes on), `gosu user`, `su-exec user`, `env` (`-i`, `-u NAME`, `NAME=value`),
    /// `nice` (`-n 10`), `nohup`, `time` (`-f fmt`), `timeout` (`-s SIG 30`), `stdbuf`
    /// (`-oL`), `exec` and `command`. `command -v`/`-V` only looks the program up, so it is
    /// not unwrapped.
    pub fn argv(&self) -> &[Word] {
        &self.words[self.program_index()..]
    }
}

/// Where the program is in a command's words after wrappers, and the words of the last wrapper
/// that changes the user (see [`Command::argv`]).
pub(crate) fn unwrap_words(w: &[Word]) -> (usize, Option<Range<usize>>) {
    let mut i = 0;
    let mut user = None;
    while i < w.len() {
        let name = base(&w[i].text);
        if w[i].quoted || w[i].dynamic {
            break;
        }
        let start = i;
        let (short_values, long_values): (&[u8], &[&str]) = match name {
            "sudo" => (b"ugCDprtTUR", &["--user", "--group", "--close-from", "--chdir", "--prompt", "--role", "--type", "--command-timeout", "--other-user", "--host", "--chroot"]),
            "env" => (b"uCS", &["--unset", "--chdir", "--split-string"]),
            "nice" => (b"n", &["--adjustment"]),
            "time" => (b"fo", &["--format", "--output"]),
            "timeout" => (b"sk", &["--signal", "--kill-after"]),
            "stdbuf" => (b"ioe", &["--input", "--output", "--error"]),
            "exec" => (b"a", &[]),
            "nohup" => (b"", &[]),
            "command" => {
                if w.get(i + 1).is_some_and(|x| x.text.starts_with('-') && (x.text.contains('v') || x.text.contains('V'))) {
                    break;
                }
                (b"", &[])
            }
            "gosu" | "su-exec" => {
                // `gosu user cmd...`
                i = (i + 2).min(w.len());
                user = Some(start..i);
                continue;
            }
            _ => break,
        };
        i += 1;
        // options, and the values of those that take one
        while i < w.len() {
            let t = w[i].text.as_str();
            if t == "--" {
                i += 1;
                break;
            }
            if t.starts_with("--") {
                i += if long_values.contains(&t) { 2 } else { 1 };
                continue;
            }
            if t.len() > 1 && t.starts_with('-') {
                // a cluster of short options: a value option takes the rest of the word,
                // or the next word when it ends the cluster
                let b = &t.as_bytes()[1..];
                let takes_next = b.iter().position(|c| short_values.contains(c)).is_some_and(|k| k == b.len() - 1);
                i += if takes_next { 2 } else { 1 };
                continue;
            }
            break;
        }
        i = i.min(w.len());
        if name == "sudo" {
            user = Some(start..i);
        }
        match name {
            // `timeout 30 cmd`: the duration
            "timeout" if i < w.len() => i += 1,
            // `sudo NAME=value cmd`, `env NAME=value cmd`
            "sudo" | "env" => {
                while i < w.len() && is_assignment(&w[i].text) {
                    i += 1;
                }
            }
            _ => {}
        }
    }
    (i.min(w.len()), user)
}

impl Command {
    fn program_index(&self) -> usize {
        self.unwrapped.0.min(self.words.len())
    }

    /// The words of the wrapper in front of the program that makes it run as another user:
    /// `sudo` with its options and their values (not the `NAME=value` words it passes on),
    /// `gosu user`, `su-exec user`. Empty when the program runs as the RUN's user. A command
    /// added next to this one runs alike when it is given these words.
    pub fn user_wrapper(&self) -> &[Word] {
        match &self.unwrapped.1 {
            Some(r) => &self.words[r.clone()],
            None => &[],
        }
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
    match s.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(k) => &s[k + 1..],
        None => s,
    }
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
    /// The compound commands of the script (`if ... fi`, loops, `{ }`, `( )`), outer ones first.
    pub blocks: Vec<Block>,
    /// The scripts of the command substitutions in its words (`$(...)`, and backticks with no
    /// backslash inside), each read at its own offsets; their own substitutions are inside them.
    pub substitutions: Vec<Script>,
}

/// What kind of compound command a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    If,
    /// `while` or `until`.
    Loop,
    /// `for` or `select`.
    For,
    /// `{ ...; }`: runs in the same shell.
    Brace,
    /// `( ... )`: runs in a subshell, so a `cd` inside does not outlive it.
    Subshell,
}

/// A compound command: where it is, from its opening word to its closing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// From the first byte of `if`/`while`/`for`/`{`/`(` to the last of `fi`/`done`/`}`/`)`
    /// (to the end of the text when it is not closed).
    pub range: Range<usize>,
    pub parent: Option<usize>,
    /// Its closing word or parenthesis was seen.
    pub closed: bool,
}

impl Command {
    /// The innermost block around the command.
    pub fn block(&self) -> Option<usize> {
        self.scope.last().map(|&(b, _)| b)
    }

    /// Whether this command runs whenever `earlier` (a command before it in the same script)
    /// ran, and in the same shell: `earlier` is not inside a block or arm this one is not in.
    pub fn follows(&self, earlier: &Command) -> bool {
        self.scope.starts_with(&earlier.scope)
    }
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
    out.shrink_to_fit();
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
    Open(u8, usize),
    Close(u8, usize),
}

/// Parses shell text whose first byte is at file offset `base`.
pub fn parse_script(text: &str, base: usize) -> Script {
    let mut lx = Lexer { b: text.as_bytes(), i: 0, base, opaque: None, comments: Vec::new(), subs: Vec::new() };
    let toks = lx.tokens();
    let mut script = Script {
        commands: Vec::new(),
        range: base..base + text.len(),
        opaque: lx.opaque,
        heredoc: false,
        comments: std::mem::take(&mut lx.comments),
        background: toks.iter().any(|t| matches!(t, Tok::Op(Sep::Background, _))),
        blocks: Vec::new(),
        substitutions: Vec::new(),
    };
    for r in std::mem::take(&mut lx.subs) {
        let mut sub = parse_script(&text[r.clone()], base + r.start);
        sub.opaque = sub.opaque.or(script.opaque);
        script.substitutions.push(sub);
    }
    let end = base + text.len();
    let mut cur: Option<Command> = None;
    // the open blocks, innermost last: (index into script.blocks, current arm)
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut arms = 0usize;
    let mut last_sep: Option<Sep> = None;
    let mut expect_redir_target = false;
    let finish = |cur: &mut Option<Command>, cmds: &mut Vec<Command>, sep: Option<(Sep, Range<usize>)>| {
        if let Some(mut c) = cur.take() {
            c.sep_after = sep;
            c.unwrapped = unwrap_words(&c.words);
            cmds.push(c);
        }
    };
    let push_block = |script: &mut Script, open: &mut Vec<(usize, usize)>, arms: &mut usize, kind: BlockKind, start: usize| {
        script.blocks.push(Block { kind, range: start..end, parent: open.last().map(|&(b, _)| b), closed: false });
        *arms += 1;
        open.push((script.blocks.len() - 1, *arms));
    };
    let pop_block = |script: &mut Script, open: &mut Vec<(usize, usize)>, at: usize| {
        if let Some((k, _)) = open.pop() {
            script.blocks[k].range.end = at;
            script.blocks[k].closed = true;
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
                            push_block(&mut script, &mut open, &mut arms, BlockKind::If, w.range.start);
                            true
                        }
                        "while" | "until" => {
                            push_block(&mut script, &mut open, &mut arms, BlockKind::Loop, w.range.start);
                            true
                        }
                        "{" => {
                            push_block(&mut script, &mut open, &mut arms, BlockKind::Brace, w.range.start);
                            true
                        }
                        "fi" | "done" | "}" => {
                            pop_block(&mut script, &mut open, w.range.end);
                            true
                        }
                        "then" | "else" | "elif" | "do" => {
                            if let Some(top) = open.last_mut() {
                                arms += 1;
                                top.1 = arms;
                            }
                            true
                        }
                        "!" => true,
                        "for" | "select" => {
                            // skip the header up to and including `do`
                            push_block(&mut script, &mut open, &mut arms, BlockKind::For, w.range.start);
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
                let in_for = open.iter().any(|&(k, _)| script.blocks[k].kind == BlockKind::For);
                let c = cur.get_or_insert_with(|| Command {
                    assignments: Vec::new(),
                    words: Vec::new(),
                    range: w.range.clone(),
                    sep_after: None,
                    sep_before: last_sep,
                    in_compound: !open.is_empty(),
                    scope: open.clone(),
                    opaque: in_for.then_some("inside a for loop"),
                    unwrapped: (0, None),
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
                if let (Some(Tok::Open(b'(', _)), Some(Tok::Close(b')', _))) = (toks.get(i + 1), toks.get(i + 2)) {
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
            Tok::Open(_, at) => {
                finish(&mut cur, &mut script.commands, None);
                push_block(&mut script, &mut open, &mut arms, BlockKind::Subshell, *at);
            }
            Tok::Close(_, at) => {
                finish(&mut cur, &mut script.commands, None);
                pop_block(&mut script, &mut open, *at);
            }
        }
        i += 1;
    }
    finish(&mut cur, &mut script.commands, None);
    // scripts of every RUN of a file stay in memory while rules run: no spare capacity
    for c in &mut script.commands {
        c.words.shrink_to_fit();
        c.assignments.shrink_to_fit();
    }
    script.commands.shrink_to_fit();
    script.comments.shrink_to_fit();
    script.blocks.shrink_to_fit();
    script.substitutions.shrink_to_fit();
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
    /// The texts of `$(...)` and plain backtick substitutions, as ranges of `b`.
    subs: Vec<Range<usize>>,
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
                    out.push(if c == b'(' { Tok::Open(c, self.base + self.i) } else { Tok::Close(c, self.base + self.i + 1) });
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
        let b0 = self.b[self.i];
        if b0 < 0x80 {
            return b0 as char;
        }
        // the char that starts here (the shortest valid sequence), or U+FFFD
        let end = (self.i + 4).min(self.b.len());
        (self.i + 1..=end).find_map(|e| std::str::from_utf8(&self.b[self.i..e]).ok().and_then(|s| s.chars().next())).unwrap_or('\u{FFFD}')
    }

    /// Skips `$name`, `${...}`, `$(...)`, `$((...))` or a backtick substitution.
    fn dollar_or_backtick(&mut self) {
        if self.b[self.i] == b'`' {
            self.i += 1;
            let start = self.i;
            let mut escaped = false;
            while self.i < self.b.len() && self.b[self.i] != b'`' {
                if self.b[self.i] == b'\\' {
                    escaped = true;
                    self.i += 1;
                }
                self.i += 1;
            }
            if self.i >= self.b.len() {
                self.opaque.get_or_insert("an unterminated substitution");
            } else if !escaped {
                // backslashes inside backticks are read twice: only plain ones are modelled
                self.subs.push(start..self.i);
            }
            self.i = (self.i + 1).min(self.b.len());
            return;
        }
        self.i += 1; // $
        match self.b.get(self.i) {
            Some(b'{') => self.balanced(b'{', b'}'),
            Some(b'(') => {
                let start = self.i;
                let arithmetic = self.b.get(self.i + 1) == Some(&b'(');
                let before = self.opaque;
                self.balanced(b'(', b')');
                if !arithmetic && before == self.opaque && self.i > start + 1 {
                    self.subs.push(start + 1..self.i - 1);
                }
            }
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
    fn wrappers_and_their_options() {
        let prog = |t: &str| {
            let s = parse_script(t, 0);
            let c = &s.commands[0];
            (c.argv().iter().map(|w| w.text.clone()).collect::<Vec<_>>().join(" "), c.user_wrapper().iter().map(|w| w.text.clone()).collect::<Vec<_>>().join(" "))
        };
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(prog("sudo apt-get install x"), p("apt-get install x", "sudo"));
        assert_eq!(prog("sudo -E apt-get install x"), p("apt-get install x", "sudo -E"));
        assert_eq!(prog("sudo -u root apt-get install x"), p("apt-get install x", "sudo -u root"));
        assert_eq!(prog("sudo -Eu app -H npm i"), p("npm i", "sudo -Eu app -H"));
        assert_eq!(prog("sudo -uapp npm i"), p("npm i", "sudo -uapp"));
        assert_eq!(prog("sudo --user=app --preserve-env npm i"), p("npm i", "sudo --user=app --preserve-env"));
        assert_eq!(prog("sudo --user app -- npm i"), p("npm i", "sudo --user app --"));
        assert_eq!(prog("sudo DEBIAN_FRONTEND=noninteractive apt-get install x"), p("apt-get install x", "sudo"));
        assert_eq!(prog("sudo -E env X=1 pip install x"), p("pip install x", "sudo -E"));
        assert_eq!(prog("env -u HOME X=1 pip install x"), p("pip install x", ""));
        assert_eq!(prog("nice -n 10 make"), p("make", ""));
        assert_eq!(prog("timeout -s KILL 30 curl x"), p("curl x", ""));
        assert_eq!(prog("time -f %e stdbuf -oL make"), p("make", ""));
        assert_eq!(prog("gosu app npm ci"), p("npm ci", "gosu app"));
        assert_eq!(prog("command -v curl"), p("command -v curl", ""));
        assert_eq!(prog("command curl x"), p("curl x", ""));
        assert_eq!(prog("sudo"), p("", "sudo"));
        assert_eq!(prog("\"sudo\" x"), p("sudo x", ""));
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
    fn blocks_and_scopes() {
        let t = "a; if b; then cd x; c; else d; fi; ( cd /opt && e ) && { f; } && for i in 1; do g; done";
        let s = parse_script(t, 0);
        let kinds: Vec<(BlockKind, &str)> = s.blocks.iter().map(|b| (b.kind, &t[b.range.clone()])).collect();
        assert_eq!(
            kinds,
            vec![
                (BlockKind::If, "if b; then cd x; c; else d; fi"),
                (BlockKind::Subshell, "( cd /opt && e )"),
                (BlockKind::Brace, "{ f; }"),
                (BlockKind::For, "for i in 1; do g; done"),
            ]
        );
        let c = |n: &str| s.commands.iter().find(|c| c.words[0].text == n).unwrap();
        assert_eq!(c("a").block(), None);
        assert_eq!(c("b").block(), Some(0));
        assert!(c("c").follows(c("a")));
        assert!(c("c").follows(c("cd")));
        assert!(!c("d").follows(c("cd")), "then and else arms");
        assert!(!c("c").follows(c("b")), "the condition is another arm");
        assert!(c("f").follows(c("a")));
        assert!(!c("f").follows(c("e")), "a subshell ends");
        assert_eq!(s.commands.iter().filter(|x| x.words[0].text == "cd").nth(1).unwrap().scope, c("e").scope);
    }

    #[test]
    fn reads_substitutions() {
        let t = "export V=$( curl -s http://a.org/v | tr -d x ) && echo \"`uname -m` $(a $(b c))\" $((1+2)) `x \\`y\\``";
        let s = parse_script(t, 0);
        let subs: Vec<Vec<&str>> = s.substitutions.iter().map(|x| x.commands.iter().map(|c| &t[c.range.clone()]).collect()).collect();
        assert_eq!(subs, vec![vec!["curl -s http://a.org/v", "tr -d x"], vec!["uname -m"], vec!["a $(b c)"]]);
        assert_eq!(s.substitutions[2].substitutions[0].commands[0].words[1].text, "c");
        let w = &s.substitutions[0].commands[0].words[2];
        assert_eq!(&t[w.range.clone()], "http://a.org/v");
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
