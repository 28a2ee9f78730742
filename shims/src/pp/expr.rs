//! `#if` expressions: integer arithmetic over the tokens left after macro expansion, with C's
//! precedence. Values are i128, so both intmax_t and uintmax_t ranges fit; unsignedness is
//! tracked for the comparisons and shifts where it changes the answer.

use super::lex::{Tok, T};
use super::Fallback;

#[derive(Clone, Copy, Debug)]
struct V {
    v: i128,
    unsigned: bool,
}

impl V {
    fn s(v: i128) -> V {
        V { v, unsigned: false }
    }
    /// The value as the preprocessor's type holds it: wrapped to uintmax_t or intmax_t.
    fn wrap(self) -> V {
        if self.unsigned {
            V {
                v: as_uintmax(self.v),
                unsigned: true,
            }
        } else {
            V {
                v: as_intmax(self.v),
                unsigned: false,
            }
        }
    }
}

/// `v` converted to uintmax_t (64 bits), as C converts: modulo 2^64.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // the wrap is C's conversion
fn as_uintmax(v: i128) -> i128 {
    i128::from(v as u64)
}

/// `v` converted to intmax_t (64 bits), wrapping as gcc does.
#[allow(clippy::cast_possible_truncation)] // the wrap is gcc's conversion to intmax_t
fn as_intmax(v: i128) -> i128 {
    i128::from(v as i64)
}

pub fn eval(toks: &[T]) -> Result<bool, Fallback> {
    let mut p = P {
        t: toks,
        i: 0,
        skip: 0,
    };
    let v = p.cond()?;
    if p.i != toks.len() {
        return Err(Fallback::new(format!(
            "cannot evaluate #if: stray `{}`",
            toks[p.i].tok.text()
        )));
    }
    Ok(v.v != 0)
}

struct P<'a> {
    t: &'a [T],
    i: usize,
    /// Inside the unevaluated side of `&&`, `||` or `?:`: errors such as division by zero
    /// do not count there.
    skip: u32,
}

impl P<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i).map(|t| &t.tok)
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_punct(p)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn cond(&mut self) -> Result<V, Fallback> {
        let c = self.binary(0)?;
        if self.eat("?") {
            let skip_a = c.v == 0;
            self.skip += u32::from(skip_a);
            let a = self.cond()?;
            self.skip -= u32::from(skip_a);
            if !self.eat(":") {
                return Err(Fallback::new("#if: ? without :"));
            }
            self.skip += u32::from(!skip_a);
            let b = self.cond()?;
            self.skip -= u32::from(!skip_a);
            let unsigned = a.unsigned || b.unsigned;
            let r = if c.v != 0 { a } else { b };
            return Ok(V { v: r.v, unsigned }.wrap());
        }
        Ok(c)
    }

    fn binary(&mut self, min: u8) -> Result<V, Fallback> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Punct(op)) = self.peek() {
            let op: &'static str = op;
            let Some(prec) = precedence(op) else { break };
            if prec < min {
                break;
            }
            self.i += 1;
            // && and || short-circuit: the other side still parses, unevaluated.
            let short = (op == "&&" && lhs.v == 0) || (op == "||" && lhs.v != 0);
            self.skip += u32::from(short);
            let rhs = self.binary(prec + 1)?;
            self.skip -= u32::from(short);
            lhs = match apply(op, lhs, rhs) {
                Err(_) if self.skip > 0 || short => V::s(0),
                r => r?,
            };
            if short {
                lhs = V::s(i128::from(op == "||"));
            }
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<V, Fallback> {
        if self.eat("!") {
            let v = self.unary()?;
            return Ok(V::s(i128::from(v.v == 0)));
        }
        if self.eat("-") {
            let v = self.unary()?;
            return Ok(V {
                v: -v.v,
                unsigned: v.unsigned,
            }
            .wrap());
        }
        if self.eat("+") {
            return self.unary();
        }
        if self.eat("~") {
            let v = self.unary()?;
            return Ok(V {
                v: !v.v,
                unsigned: v.unsigned,
            }
            .wrap());
        }
        if self.eat("(") {
            let v = self.cond()?;
            if !self.eat(")") {
                return Err(Fallback::new("#if: unbalanced parentheses"));
            }
            return Ok(v);
        }
        let tok = self.peek().cloned();
        self.i += 1;
        match tok {
            Some(Tok::Number(n)) => number(&n),
            Some(Tok::Char(c)) => character(&c),
            // A name left after expansion is 0; the scan has already asked the compiler what
            // `true` is (1 in C++, a name in gcc 12's C).
            Some(Tok::Ident(_)) => Ok(V::s(0)),
            Some(t) => Err(Fallback::new(format!("#if: unexpected `{}`", t.text()))),
            None => Err(Fallback::new("#if: expression ends early")),
        }
    }
}

fn precedence(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        _ => return None,
    })
}

fn apply(op: &str, lhs: V, rhs: V) -> Result<V, Fallback> {
    let unsigned = lhs.unsigned || rhs.unsigned;
    let (x, y) = if unsigned {
        (as_uintmax(lhs.v), as_uintmax(rhs.v))
    } else {
        (lhs.v, rhs.v)
    };
    let bool_ = |c: bool| Ok(V::s(i128::from(c)));
    let r = match op {
        "||" => return bool_(x != 0 || y != 0),
        "&&" => return bool_(x != 0 && y != 0),
        "==" => return bool_(x == y),
        "!=" => return bool_(x != y),
        "<" => return bool_(x < y),
        ">" => return bool_(x > y),
        "<=" => return bool_(x <= y),
        ">=" => return bool_(x >= y),
        "|" => x | y,
        "^" => x ^ y,
        "&" => x & y,
        // The clamp keeps the count in u32's range.
        "<<" => x
            .checked_shl(u32::try_from(y.clamp(0, 127)).unwrap_or(127))
            .unwrap_or(0),
        ">>" => x >> y.clamp(0, 127),
        "+" => x + y,
        "-" => x - y,
        "*" => x.wrapping_mul(y),
        "/" | "%" if y == 0 => return Err(Fallback::new("#if: division by zero")),
        "/" => x / y,
        "%" => x % y,
        _ => return Err(Fallback::new(format!("#if: operator {op}"))),
    };
    Ok(V {
        v: r,
        unsigned: unsigned && !matches!(op, "<<" | ">>")
            || (matches!(op, "<<" | ">>") && lhs.unsigned),
    }
    .wrap())
}

fn number(n: &str) -> Result<V, Fallback> {
    let lower = n.to_ascii_lowercase().replace('\'', "");
    let digits = lower.trim_end_matches(['u', 'l']);
    let unsigned = lower[digits.len()..].contains('u');
    let v = if let Some(h) = digits.strip_prefix("0x") {
        i128::from_str_radix(h, 16)
    } else if let Some(b) = digits.strip_prefix("0b") {
        i128::from_str_radix(b, 2)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i128::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse::<i128>()
    }
    .map_err(|_| Fallback::new(format!("#if: not an integer: {n}")))?;
    // Decimal literals too big for intmax_t are unsigned, as in gcc.
    let unsigned = unsigned || v > i128::from(i64::MAX);
    Ok(V { v, unsigned }.wrap())
}

fn character(c: &str) -> Result<V, Fallback> {
    let body = c.trim_start_matches(['L', 'u', 'U', '8']);
    let inner = body
        .strip_prefix('\'')
        .and_then(|b| b.strip_suffix('\''))
        .unwrap_or("");
    let chars: Vec<char> = inner.chars().collect();
    let v = match chars.as_slice() {
        [ch] => i128::from(u32::from(*ch)),
        ['\\', 'n'] => 10,
        ['\\', 't'] => 9,
        ['\\', 'r'] => 13,
        ['\\', '0'] => 0,
        ['\\', '\\'] => 92,
        ['\\', '\''] => 39,
        ['\\', '"'] => 34,
        ['\\', 'x', rest @ ..] => {
            let s: String = rest.iter().collect();
            i128::from_str_radix(&s, 16)
                .map_err(|_| Fallback::new("#if: bad character constant"))?
        }
        _ => return Err(Fallback::new(format!("#if: character constant {c}"))),
    };
    Ok(V::s(v))
}

#[cfg(test)]
mod tests {
    use super::super::lex::tokens;
    use super::*;

    fn e(s: &str) -> bool {
        eval(&tokens(s)).expect("evaluates")
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert!(e("1 + 2 * 3 == 7"));
        assert!(e("(12 << 16) + 2 >= (4 << 16) + 4 || 0"));
        assert!(!e("0 && 1 / 0 == 0"));
        assert!(e("1 || 1 / 0"));
        assert!(e("0 ? 1 / 0 : 2"));
        assert!(e("-1 < 0"));
        assert!(!e("-1 < 0u"));
        assert!(e("0x7fffffffffffffff > 0"));
        assert!(e("'A' == 65"));
        assert!(e("1 ? 2 : 0"));
        assert!(e("~0 == -1"));
        assert!(e("10 % 3 == 1 && 077 == 63"));
        assert!(e("undefined_identifier == 0"));
    }
}
