//! The small lexical helpers BuildKit's parser uses on an instruction's logical line:
//! flag extraction, word splitting for ENV/LABEL/ARG, whitespace splitting, and JSON arrays.
//!
//! Each function mirrors the corresponding function of BuildKit's
//! `frontend/dockerfile/parser` package (named in its doc comment), including its quirks,
//! and also reports where each piece sits in the input (byte ranges), which BuildKit does not.

use std::ops::Range;

/// Go's `unicode.IsSpace` applied to a single byte converted to a rune
/// (what BuildKit does when it walks a string byte by byte).
pub fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0)
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]+`.
pub fn is_re_ws(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Go's `strings.TrimSpace`: trims Unicode white space on both ends. Returns the byte range kept.
pub fn trim_space_range(s: &str) -> Range<usize> {
    let start = s.len() - s.trim_start().len();
    let end = s.trim_end().len();
    if end < start {
        return start..start;
    }
    start..end
}

/// A word with the byte range it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub range: Range<usize>,
}

/// Interprets a byte string as Go does when it converts each byte to a rune (Latin-1).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// BuildKit's `extractBuilderFlags`: leading `--name[=value]` words. Returns the flags
/// (quotes removed, backslashes processed, as BuildKit does) and the byte offset where the
/// remaining arguments start.
pub fn extract_builder_flags(line: &str) -> (Vec<Word>, usize) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = 0usize;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0usize;
    while pos <= b.len() {
        let ch = if pos < b.len() { b[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos == b.len() {
                break;
            }
            if is_space_byte(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == b.len() || b[pos + 1] != b'-' {
                return (words, pos);
            }
            phase = Phase::Word;
            word_start = pos;
        }
        if (phase == Phase::Word || phase == Phase::Quote) && pos == b.len() {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                words.push(Word { text: latin1(&word), range: word_start..pos });
            }
            break;
        }
        if phase == Phase::Word {
            if is_space_byte(ch) {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (words, pos);
                }
                if blank_ok || !word.is_empty() {
                    words.push(Word { text: latin1(&word), range: word_start..pos });
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if ch == b'\\' {
                if pos + 1 == b.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = b[pos];
            }
            word.push(c);
            pos += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if ch == b'\\' {
            if pos + 1 == b.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = b[pos];
        }
        word.push(c);
        pos += 1;
    }
    (words, b.len())
}

/// BuildKit's `parseWords` (used by ENV, LABEL and ARG): words split on white space, quotes
/// and escapes kept in the text.
pub fn parse_words(rest: &str, escape: char) -> Vec<Word> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0usize;
    let mut quote = '\0';
    let mut blank_ok = false;
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let n = chars.len();
    let mut i = 0usize;
    let at = |i: usize| if i < n { chars[i].0 } else { rest.len() };
    while i <= n {
        let ch = if i < n { chars[i].1 } else { '\0' };
        if phase == Phase::Spaces {
            if i == n {
                break;
            }
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            phase = Phase::Word;
            start = at(i);
        }
        if (phase == Phase::Word || phase == Phase::Quote) && i == n {
            if blank_ok || !word.is_empty() {
                words.push(Word { text: std::mem::take(&mut word), range: start..rest.len() });
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push(Word { text: std::mem::take(&mut word), range: start..at(i) });
                }
                word.clear();
                blank_ok = false;
                i += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            let mut c = ch;
            if ch == escape {
                if i + 1 == n {
                    i += 1;
                    continue;
                }
                word.push(ch);
                i += 1;
                c = chars[i].1;
            }
            word.push(c);
            i += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        let mut c = ch;
        if ch == escape && quote != '\'' {
            if i + 1 == n {
                phase = Phase::Word;
                i += 1;
                continue;
            }
            i += 1;
            word.push(ch);
            c = chars[i].1;
        }
        word.push(c);
        i += 1;
    }
    words
}

/// `reWhitespace.Split(rest, -1)` with BuildKit's handling: the words of an instruction such
/// as FROM, EXPOSE, or COPY in its plain form. Empty input gives no words.
pub fn split_whitespace(rest: &str) -> Vec<Word> {
    if rest.is_empty() {
        return Vec::new();
    }
    let b = rest.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if is_re_ws(b[i]) {
            let mut j = i;
            while j < b.len() && is_re_ws(b[j]) {
                j += 1;
            }
            out.push(Word { text: rest[start..i].to_string(), range: start..i });
            start = j;
            i = j;
        } else {
            i += 1;
        }
    }
    out.push(Word { text: rest[start..].to_string(), range: start..rest.len() });
    out
}

/// `reWhitespace.Split(s, 2)`: the first word and the offset where the rest begins (None when
/// there is no ASCII white space).
pub fn split_first_ws(s: &str) -> (Range<usize>, Option<usize>) {
    let b = s.as_bytes();
    match b.iter().position(|&c| is_re_ws(c)) {
        None => (0..s.len(), None),
        Some(i) => {
            let mut j = i;
            while j < b.len() && is_re_ws(b[j]) {
                j += 1;
            }
            (0..i, Some(j))
        }
    }
}

/// Outcome of BuildKit's `parseJSON` on an instruction's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonForm {
    /// A JSON array of strings: the exec form.
    Strings(Vec<String>),
    /// Valid JSON array holding something other than strings: BuildKit refuses the file.
    NotStrings,
    /// Not JSON: BuildKit falls back to the shell (or plain) form.
    NotJson,
}

/// BuildKit's `parseJSON` (Go's `json.Decoder` into `[]interface{}`).
pub fn parse_json_array(rest: &str) -> JsonForm {
    let t = rest.trim_start();
    if !t.starts_with('[') {
        return JsonForm::NotJson;
    }
    let mut p = JsonParser { b: t.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let v = match p.value() {
        Some(v) => v,
        None => return JsonForm::NotJson,
    };
    // BuildKit decodes with json.NewDecoder: text after the first value is ignored.
    match v {
        JsonValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                match it {
                    JsonValue::Str(s) => out.push(s),
                    _ => return JsonForm::NotStrings,
                }
            }
            JsonForm::Strings(out)
        }
        _ => JsonForm::NotJson,
    }
}

enum JsonValue {
    Str(String),
    Array(Vec<JsonValue>),
    Other,
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn value(&mut self) -> Option<JsonValue> {
        self.depth += 1;
        if self.depth > 10000 {
            return None;
        }
        let r = match *self.b.get(self.i)? {
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        match *self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(JsonValue::Array(items))
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.b.get(self.i) != Some(&b'"') {
                            return None;
                        }
                        self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        self.ws();
                        self.value()?;
                        self.ws();
                        match *self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(JsonValue::Other)
            }
            b'"' => self.string().map(JsonValue::Str),
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        };
        self.depth -= 1;
        r
    }
    fn lit(&mut self, word: &[u8]) -> Option<JsonValue> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Some(JsonValue::Other)
        } else {
            None
        }
    }
    fn digits(&mut self) -> usize {
        let s = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - s
    }
    fn number(&mut self) -> Option<JsonValue> {
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(JsonValue::Other)
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(s, 16).ok()
    }
    fn string(&mut self) -> Option<String> {
        self.i += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                // a surrogate pair, or U+FFFD as Go decodes a lone one
                                let save = self.i;
                                if self.b.get(self.i) == Some(&b'\\') && self.b.get(self.i + 1) == Some(&b'u') {
                                    self.i += 2;
                                    if let Some(lo) = self.hex4() {
                                        if (0xDC00..0xE000).contains(&lo) {
                                            let cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                            char::from_u32(cp).unwrap_or('\u{FFFD}')
                                        } else {
                                            self.i = save;
                                            '\u{FFFD}'
                                        }
                                    } else {
                                        return None;
                                    }
                                } else {
                                    '\u{FFFD}'
                                }
                            } else {
                                char::from_u32(u).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return None,
                _ => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(w: &[Word]) -> Vec<&str> {
        w.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn flags_are_extracted_like_buildkit() {
        let (f, rest) = extract_builder_flags(r#"--mount="type=cache,target=/x y" --link -- foo"#);
        assert_eq!(texts(&f), vec!["--mount=type=cache,target=/x y", "--link"]);
        assert_eq!(&r#"--mount="type=cache,target=/x y" --link -- foo"#[rest..], " foo");
        let (f, rest) = extract_builder_flags("--from=build /a /b");
        assert_eq!(texts(&f), vec!["--from=build"]);
        assert_eq!(f[0].range, 0..12);
        assert_eq!(rest, 13);
        let (f, rest) = extract_builder_flags("-x --y");
        assert!(f.is_empty());
        assert_eq!(rest, 0);
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        let w = parse_words(r#"a=b c="d e" f=g\ h 'i j'"#, '\\');
        assert_eq!(texts(&w), vec!["a=b", r#"c="d e""#, r"f=g\ h", "'i j'"]);
        assert_eq!(w[1].range, 4..11);
    }

    #[test]
    fn json_arrays_follow_go() {
        assert_eq!(parse_json_array(r#" ["a", "b\u0041"] "#), JsonForm::Strings(vec!["a".into(), "bA".into()]));
        assert_eq!(parse_json_array(r#"["a", 1]"#), JsonForm::NotStrings);
        assert_eq!(parse_json_array(r#"["a", "b""#), JsonForm::NotJson);
        assert_eq!(parse_json_array(r#"['a']"#), JsonForm::NotJson);
        assert_eq!(parse_json_array(r#"["a"] x"#), JsonForm::Strings(vec!["a".into()]));
        assert_eq!(parse_json_array("[]"), JsonForm::Strings(vec![]));
        assert_eq!(parse_json_array("echo [x]"), JsonForm::NotJson);
    }

    #[test]
    fn whitespace_split() {
        assert_eq!(texts(&split_whitespace("80  443/tcp")), vec!["80", "443/tcp"]);
        assert!(split_whitespace("").is_empty());
    }
}
