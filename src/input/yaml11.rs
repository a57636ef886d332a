//! YAML 1.1 the way the Kubernetes API server reads a manifest. kubectl converts YAML to
//! JSON with sigs.k8s.io/yaml over go-yaml v2, which resolves plain (unquoted) scalars by
//! YAML 1.1 rules: `0400` is the octal integer 256, `0x1F` is 31, `1_000` is 1000, and
//! `yes`/`no`/`on`/`off`/`y`/`n` are booleans. serde_yaml reads YAML 1.2, where all of
//! these are strings. [`resolve_plain`] gives the go-yaml v2 value of one plain scalar;
//! the loader applies it to the plain scalars of a document (quoted strings stay strings).

use serde_json::Value;

/// The value go-yaml v2 gives the plain scalar `s`, when it is not a string. `None` for a
/// scalar that stays a string, and for floats JSON cannot hold (`.nan`, `.inf`).
pub fn resolve_plain(s: &str) -> Option<Value> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Some(Value::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Some(Value::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        _ => {}
    }
    match s.as_bytes().first()? {
        b'.' => float_only(s).and_then(float_value),
        // most such scalars (`10Gi`, `1.2.3`) have no `_`: no copy for them
        b'+' | b'-' | b'0'..=b'9' if s.contains('_') => number(&s.replace('_', "")),
        b'+' | b'-' | b'0'..=b'9' => number(s),
        _ => None,
    }
}

/// Digits, signs, bases and floats as go-yaml v2 tries them: Go's `ParseInt(s, 0, 64)`,
/// then `ParseUint`, then a float of YAML's shape.
fn number(plain: &str) -> Option<Value> {
    if let Some(i) = go_parse_int(plain) {
        return Some(Value::from(i));
    }
    if let Some(u) = go_parse_uint(plain) {
        return Some(Value::from(u));
    }
    if is_yaml_float(plain) {
        return plain.parse::<f64>().ok().and_then(float_value);
    }
    None
}

/// The base Go's `strconv` infers from a prefix (base 0), and the digits after it.
fn base_and_digits(s: &str) -> (u32, &str) {
    let b = s.as_bytes();
    if b.len() > 1 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => return (16, &s[2..]),
            b'b' | b'B' => return (2, &s[2..]),
            b'o' | b'O' => return (8, &s[2..]),
            _ => return (8, &s[1..]),
        }
    }
    (10, s)
}

fn go_parse_uint(s: &str) -> Option<u64> {
    let (base, digits) = base_and_digits(s);
    // Rust's parser accepts a leading `+`; Go's ParseUint does not
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, base).ok()
}

fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(rest)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// A scalar starting with `.`: Go's `ParseFloat` on it (`.5`, `.5e3`).
fn float_only(s: &str) -> Option<f64> {
    if !s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// A float as encoding/json writes it and reads it back: a whole number below 1e21 is
/// written without a fraction, so an integer field accepts it (`replicas: 1.0`).
pub fn float_value(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if f >= i64::MIN as f64 && f < i64::MAX as f64 {
            return Some(Value::from(f as i64));
        }
        if f >= 0.0 && f < u64::MAX as f64 {
            return Some(Value::from(f as u64));
        }
    }
    serde_json::Number::from_f64(f).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_leading_zero_is_octal() {
        assert_eq!(resolve_plain("0400"), Some(json!(256)));
        assert_eq!(resolve_plain("0755"), Some(json!(493)));
        assert_eq!(resolve_plain("0o644"), Some(json!(420)));
        assert_eq!(resolve_plain("-010"), Some(json!(-8)));
    }

    #[test]
    fn a_leading_zero_with_non_octal_digits_is_a_float_that_json_writes_whole() {
        // ParseInt("08", 0) fails; the YAML float pattern matches and ParseFloat gives 8
        assert_eq!(resolve_plain("08"), Some(json!(8)));
        assert_eq!(resolve_plain("09.5"), Some(json!(9.5)));
    }

    #[test]
    fn hexadecimal_binary_and_underscores() {
        assert_eq!(resolve_plain("0x1F"), Some(json!(31)));
        assert_eq!(resolve_plain("0X1f"), Some(json!(31)));
        assert_eq!(resolve_plain("-0x10"), Some(json!(-16)));
        assert_eq!(resolve_plain("0b1010"), Some(json!(10)));
        assert_eq!(resolve_plain("1_000_000"), Some(json!(1_000_000)));
        assert_eq!(resolve_plain("+12"), Some(json!(12)));
        assert_eq!(resolve_plain("18446744073709551615"), Some(json!(u64::MAX)));
    }

    #[test]
    fn yaml_1_1_booleans() {
        for t in ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"] {
            assert_eq!(resolve_plain(t), Some(json!(true)), "{t}");
        }
        for f in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(resolve_plain(f), Some(json!(false)), "{f}");
        }
        // only these spellings: go-yaml v2 reads the rest as strings
        for s in ["yES", "oN", "Enabled", "t", "f"] {
            assert_eq!(resolve_plain(s), None, "{s}");
        }
    }

    #[test]
    fn null_spellings() {
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(n), Some(Value::Null), "{n}");
        }
        assert_eq!(resolve_plain("nULL"), None);
    }

    #[test]
    fn floats_and_whole_floats() {
        assert_eq!(resolve_plain("1.5"), Some(json!(1.5)));
        assert_eq!(resolve_plain(".5"), Some(json!(0.5)));
        assert_eq!(resolve_plain("1e3"), Some(json!(1000)));
        assert_eq!(resolve_plain("1.0"), Some(json!(1)));
        assert_eq!(resolve_plain("-2.5E-1"), Some(json!(-0.25)));
        // not numbers JSON can hold: left as written
        assert_eq!(resolve_plain(".inf"), None);
        assert_eq!(resolve_plain(".nan"), None);
    }

    #[test]
    fn strings_stay_strings() {
        for s in [
            "2024-01-02",
            "1.2.3",
            "v1",
            "0x",
            "0xZZ",
            "-",
            "+",
            ".",
            "1e",
            "1:20",
            "12abc",
            "0b102",
            "inf",
            "nan",
            "-.",
            "10Gi",
            "500m",
            "0.5.1",
            "e5",
            "127.0.0.1",
        ] {
            assert_eq!(resolve_plain(s), None, "{s}");
        }
    }
}
