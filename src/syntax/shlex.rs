//! The part of BuildKit's shell lexer (`frontend/dockerfile/shell`, `ProcessWords`) that the
//! parser uses to find heredocs: words split on white space, quotes, escapes and `$` expansion
//! with an empty environment. Only what decides heredocs is modelled; no value is substituted.

#[derive(Clone, Copy)]
pub struct Lex {
    /// keep quote characters in the words
    pub raw_quotes: bool,
    /// keep escape characters in the words
    pub raw_escapes: bool,
    /// leave unset variables as written instead of expanding them to nothing
    pub skip_unset: bool,
}

#[derive(Debug)]
pub struct LexError(pub String);

struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() && self.in_word {
            if !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else if !ch.is_whitespace() {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        for c in s.chars() {
            self.add_char(c);
        }
    }
    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
        self.words
    }
}

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    lex: Lex,
}

const ESC: char = '\\';

impl Lex {
    pub fn process_words(&self, src: &str) -> Result<Vec<String>, LexError> {
        let mut sc = Scanner { chars: src.chars().peekable(), lex: *self };
        sc.process_stop_on(None).map(|(_, w)| w)
    }
}

fn is_special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

impl Scanner<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }
    fn next(&mut self) -> Option<char> {
        self.chars.next()
    }

    fn process_stop_on(&mut self, stop: Option<char>) -> Result<(String, Vec<String>), LexError> {
        let mut result = String::new();
        let mut words = Words { word: String::new(), words: Vec::new(), in_word: false };
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            match ch {
                '\'' => {
                    let t = self.single_quote()?;
                    result.push_str(&t);
                    words.add_raw_string(&t);
                }
                '"' => {
                    let t = self.double_quote()?;
                    result.push_str(&t);
                    words.add_raw_string(&t);
                }
                '$' => {
                    let t = self.dollar()?;
                    result.push_str(&t);
                    words.add_string(&t);
                }
                _ => {
                    let mut ch = self.next().unwrap();
                    if ch == ESC {
                        if self.lex.raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        match self.next() {
                            None => break,
                            Some(c) => ch = c,
                        }
                        words.add_raw_char(ch);
                    } else {
                        words.add_char(ch);
                    }
                    result.push(ch);
                }
            }
        }
        if let Some(s) = stop {
            return Err(LexError(format!("unexpected end of statement while looking for matching {s}")));
        }
        Ok((result, words.finish()))
    }

    fn single_quote(&mut self) -> Result<String, LexError> {
        let mut r = String::new();
        let q = self.next().unwrap();
        if self.lex.raw_quotes {
            r.push(q);
        }
        loop {
            match self.next() {
                None => return Err(LexError("unexpected end of statement while looking for matching single-quote".into())),
                Some('\'') => {
                    if self.lex.raw_quotes {
                        r.push('\'');
                    }
                    return Ok(r);
                }
                Some(c) => r.push(c),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, LexError> {
        let mut r = String::new();
        let q = self.next().unwrap();
        if self.lex.raw_quotes {
            r.push(q);
        }
        loop {
            match self.peek() {
                None => return Err(LexError("unexpected end of statement while looking for matching double-quote".into())),
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        r.push('"');
                    }
                    return Ok(r);
                }
                Some('$') => {
                    let v = self.dollar()?;
                    r.push_str(&v);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap();
                    if ch == ESC {
                        if self.lex.raw_escapes {
                            r.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some('"') | Some('$') | Some(ESC) => ch = self.next().unwrap(),
                            Some(_) => {}
                        }
                    }
                    r.push(ch);
                }
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    name.push(d);
                    self.next();
                }
                return name;
            }
            if name.is_empty() && is_special_param(ch) {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.next();
        }
        name
    }

    fn dollar(&mut self) -> Result<String, LexError> {
        self.next(); // '$'
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(if self.lex.skip_unset { format!("${name}") } else { String::new() });
        }
        self.next(); // '{'
        match self.peek() {
            None => return Err(LexError("syntax error: missing '}'".into())),
            Some('{') | Some('}') | Some(':') => return Err(LexError("syntax error: bad substitution".into())),
            _ => {}
        }
        let name = self.name();
        match self.next() {
            Some('}') => Ok(if self.lex.skip_unset { format!("${{{name}}}") } else { String::new() }),
            Some('?') => {
                self.process_stop_on(Some('}'))?;
                Err(LexError(format!("{name}: is not allowed to be unset")))
            }
            Some(':') => {
                let modifier = self.next();
                let (word, _) = self.process_stop_on(Some('}'))?;
                let m = modifier.map(String::from).unwrap_or_default();
                if self.lex.skip_unset {
                    return Ok(format!("${{{name}:{m}{word}}}"));
                }
                match modifier {
                    Some('+') => Ok(String::new()),
                    Some('-') => Ok(word),
                    Some('?') => Err(LexError(format!("{name}: is not allowed to be unset"))),
                    _ => Err(LexError(format!("unsupported modifier ({m}) in substitution"))),
                }
            }
            _ => Err(LexError("missing ':' in substitution".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: Lex = Lex { raw_quotes: true, raw_escapes: true, skip_unset: true };
    const PLAIN: Lex = Lex { raw_quotes: false, raw_escapes: false, skip_unset: true };

    #[test]
    fn raw_words_keep_quotes() {
        let w = RAW.process_words(r#"RUN cat <<"EOF" 'a b' c\ d"#).unwrap();
        assert_eq!(w, vec!["RUN", "cat", "<<\"EOF\"", "'a b'", r"c\ d"]);
    }

    #[test]
    fn plain_words_drop_quotes() {
        assert_eq!(PLAIN.process_words(r#""EOF""#).unwrap(), vec!["EOF"]);
        assert_eq!(PLAIN.process_words(r"\EOF").unwrap(), vec!["EOF"]);
        assert_eq!(PLAIN.process_words("$X").unwrap(), vec!["$X"]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert!(RAW.process_words("echo don't <<EOF").is_err());
        assert!(RAW.process_words("echo ${x").is_err());
    }
}
