//! A string that a `pattern` matches, for the examples in the docs.
//!
//! It reads the common subset of ECMAScript regular expressions that schemas use: literals and
//! escapes, `.`, classes (`[A-Z0-9_-]`, `\d`, `\w`, `\s`), groups with alternatives (the first
//! one is taken), and the quantifiers `?`, `*`, `+` and `{n,m}` (the least count, or one where that is
//! zero, so the example shows the optional part). Anything else (look-arounds, back-references, negated classes
//! that leave nothing obvious) gives `None`, and the caller falls back to a plain string.

/// A string that `pattern` matches; `seed` varies it where the pattern leaves room.
pub(super) fn example(pattern: &str, seed: usize) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parser = Parser {
        chars: &chars,
        at: 0,
        seed,
    };
    let mut out = String::new();
    parser.alternatives(&mut out)?;
    (parser.at == chars.len()).then_some(out)
}

struct Parser<'a> {
    chars: &'a [char],
    at: usize,
    seed: usize,
}

/// One atom: what it writes, as a set of choices for each repetition.
enum Atom {
    /// Nothing (an anchor).
    Empty,
    /// One of these characters.
    Class(Vec<char>),
    /// A group, already parsed: its text.
    Group(String),
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// `a|b|c`: writes the first alternative, skips the others.
    fn alternatives(&mut self, out: &mut String) -> Option<()> {
        self.sequence(out)?;
        while self.peek() == Some('|') {
            self.at += 1;
            let mut ignored = String::new();
            self.sequence(&mut ignored)?;
        }
        Some(())
    }

    fn sequence(&mut self, out: &mut String) -> Option<()> {
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let (min, max) = self.quantifier()?;
            // The least count, but at least one where the pattern allows it: an example shows
            // what the optional part looks like.
            let count = if min > 0 || max == Some(0) { min } else { 1 };
            for i in 0..count {
                match &atom {
                    Atom::Empty => {}
                    Atom::Class(set) => {
                        let choice = set.get((self.seed + i) % set.len().max(1))?;
                        out.push(*choice);
                    }
                    Atom::Group(text) => out.push_str(text),
                }
            }
        }
        Some(())
    }

    fn atom(&mut self) -> Option<Atom> {
        let c = self.peek()?;
        self.at += 1;
        Some(match c {
            '^' | '$' => Atom::Empty,
            '.' => Atom::Class(vec!['a', 'b', 'c']),
            '(' => {
                // Non-capturing and named groups read the same; look-arounds are not supported.
                if self.peek() == Some('?') {
                    match self.chars.get(self.at + 1) {
                        Some(':') => self.at += 2,
                        Some('<') if !matches!(self.chars.get(self.at + 2), Some('=' | '!')) => {
                            while self.peek()? != '>' {
                                self.at += 1;
                            }
                            self.at += 1;
                        }
                        _ => return None,
                    }
                }
                let mut text = String::new();
                self.alternatives(&mut text)?;
                if self.peek()? != ')' {
                    return None;
                }
                self.at += 1;
                Atom::Group(text)
            }
            '[' => Atom::Class(self.class()?),
            '\\' => Atom::Class(self.escape(false)?),
            '*' | '+' | '?' | '{' | ')' | '|' => return None,
            c => Atom::Class(vec![c]),
        })
    }

    /// After a `\`: the characters it stands for.
    fn escape(&mut self, in_class: bool) -> Option<Vec<char>> {
        let c = self.peek()?;
        self.at += 1;
        Some(match c {
            'd' => ('0'..='9').collect(),
            'w' => ('a'..='z').chain('0'..='9').collect(),
            's' => vec![' '],
            'n' => vec!['\n'],
            't' => vec!['\t'],
            'r' => vec!['\r'],
            'b' if in_class => vec!['\u{8}'],
            'D' | 'W' | 'S' | 'b' | 'B' | 'k' | 'p' | 'P' | 'u' | 'x' | 'c' | '0'..='9' => {
                return None;
            }
            c => vec![c],
        })
    }

    /// After a `[`: the class's characters, in order.
    fn class(&mut self) -> Option<Vec<char>> {
        if self.peek() == Some('^') {
            return None;
        }
        let mut set = vec![];
        let mut first = true;
        loop {
            let c = self.peek()?;
            if c == ']' && !first {
                self.at += 1;
                break;
            }
            first = false;
            self.at += 1;
            let start = if c == '\\' {
                let chars = self.escape(true)?;
                if chars.len() != 1 {
                    set.extend(chars);
                    continue;
                }
                chars[0]
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|c| *c != ']') {
                self.at += 1;
                let end = self.peek()?;
                self.at += 1;
                let end = if end == '\\' {
                    *self.escape(true)?.first()?
                } else {
                    end
                };
                if end < start {
                    return None;
                }
                set.extend((start..=end).take(64));
            } else {
                set.push(start);
            }
        }
        (!set.is_empty()).then_some(set)
    }

    /// The quantifier after an atom: (least, most) repetitions.
    fn quantifier(&mut self) -> Option<(usize, Option<usize>)> {
        let quantifier = match self.peek() {
            Some('?') => {
                self.at += 1;
                (0, Some(1))
            }
            Some('*') => {
                self.at += 1;
                (0, None)
            }
            Some('+') => {
                self.at += 1;
                (1, None)
            }
            Some('{') => {
                let close = self.chars[self.at..].iter().position(|c| *c == '}')?;
                let inside: String = self.chars[self.at + 1..self.at + close].iter().collect();
                self.at += close + 1;
                let (min, max) = match inside.split_once(',') {
                    Some((min, "")) => (min.trim().parse().ok()?, None),
                    Some((min, max)) => (min.trim().parse().ok()?, Some(max.trim().parse().ok()?)),
                    None => {
                        let n = inside.trim().parse().ok()?;
                        (n, Some(n))
                    }
                };
                (min, max)
            }
            _ => (1, Some(1)),
        };
        // A lazy quantifier matches the same strings.
        if self.peek() == Some('?') && quantifier != (1, Some(1)) {
            self.at += 1;
        }
        let (min, max) = quantifier;
        if max.is_some_and(|m| m < min) || min > 256 {
            return None;
        }
        Some((min, max))
    }
}

#[cfg(test)]
mod tests {
    use super::example;

    #[test]
    fn simple_patterns() {
        assert_eq!(example("^[A-Z]{3}-[0-9]+$", 0).as_deref(), Some("ABC-0"));
        assert_eq!(example("^[0-9]{5}$", 0).as_deref(), Some("01234"));
        assert_eq!(
            example("^[A-Z]{1,6}(-[A-Z]{1,4})?$", 0).as_deref(),
            Some("A-A")
        );
        assert_eq!(example("^(ab|cd)+x?$", 0).as_deref(), Some("abx"));
        assert_eq!(example(r"^\d+\.\d+$", 0).as_deref(), Some("0.0"));
        assert_eq!(example("^[a-z_][a-z0-9_]*$", 1).as_deref(), Some("bb"));
        assert_eq!(example("^(?=x)", 0), None);
        assert_eq!(example("[^a]", 0), None);
    }
}
