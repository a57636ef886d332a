//! Secret values a chart generates when it is installed (`randAlphaNum`, `genPrivateKey`,
//! `uuidv4`, …) or that come from `--helm-set` are not committed: no clone of the
//! repository holds them, so the rules for committed key material must not judge them. A
//! chart is rendered twice; a single-line entry of a Secret that differs between the two
//! renders was generated, and one that holds a `--helm-set` value (as it is or in base64)
//! was given on the command line: both are read as empty. Everything else (and any render
//! whose shape differs) is kept as it is.

/// `first` with the generated Secret values it shares with `second`, and those equal to
/// one of `given` (`--helm-set` values), emptied (`key: ""`). Returns `first` unchanged
/// when the two renders do not have the same lines.
pub fn without_generated_values(first: &str, second: &str, given: &[&str]) -> String {
    let a: Vec<&str> = first.split('\n').collect();
    let b: Vec<&str> = second.split('\n').collect();
    if a.len() != b.len() {
        return first.to_string();
    }
    let mut out: Vec<String> = Vec::with_capacity(a.len());
    let mut start = 0;
    while start < a.len() {
        let end = (start + 1..a.len())
            .find(|&i| a[i].trim_end() == "---")
            .unwrap_or(a.len());
        let secret = a[start..end].iter().any(|l| l.trim_end() == "kind: Secret");
        for i in start..end {
            let changed = a[i] != b[i] || holds_given(a[i], given);
            let line = match (secret && changed).then(|| emptied(a[i], b[i])).flatten() {
                Some(l) => l,
                None => a[i].to_string(),
            };
            out.push(line);
        }
        start = end;
    }
    out.join("\n")
}

/// Does the entry on `line` hold one of `given`, as it is or in base64?
fn holds_given(line: &str, given: &[&str]) -> bool {
    let Some((_, value)) = entry(line) else {
        return false;
    };
    let value = value.trim_matches(['"', '\'']);
    given
        .iter()
        .any(|g| !g.is_empty() && (value == *g || value == base64(g.as_bytes())))
}

/// Standard base64 with padding, as helm's `b64enc` writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `  key: value` -> `  key: ""` when both lines hold the same key with a one-line value.
fn emptied(a: &str, b: &str) -> Option<String> {
    let (ka, va) = entry(a)?;
    let (kb, _) = entry(b)?;
    (ka == kb && !va.starts_with(['|', '>'])).then(|| format!("{ka}: \"\""))
}

/// Splits an indented `key: value` line into `(indent + key, value)`.
fn entry(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(' ') {
        return None;
    }
    let (key, value) = line.split_once(": ")?;
    let name = key.trim_start();
    let simple = !name.is_empty() && !name.starts_with(['-', '#']) && !name.contains(char::is_whitespace);
    (simple && !value.trim().is_empty()).then_some((key, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: &str = "---\n# Source: app/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  masterkey: UmFuZG9tT25l\n  fixed: c2stMTIzNA==\n---\n# Source: app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\ndata:\n  nonce: aaa\n";
    const SECOND: &str = "---\n# Source: app/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  masterkey: T3RoZXJPbmU=\n  fixed: c2stMTIzNA==\n---\n# Source: app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\ndata:\n  nonce: bbb\n";

    #[test]
    fn values_that_change_between_renders_are_emptied_in_secrets_only() {
        let got = without_generated_values(FIRST, SECOND, &[]);
        assert!(got.contains("  masterkey: \"\"\n"), "{got}");
        // a committed value stays, and so does anything outside a Secret
        assert!(got.contains("  fixed: c2stMTIzNA==\n"));
        assert!(got.contains("  nonce: aaa\n"));
        assert_eq!(got.lines().count(), FIRST.lines().count());
    }

    #[test]
    fn renders_of_another_shape_are_kept_whole() {
        let longer = format!("{SECOND}  extra: x\n");
        assert_eq!(without_generated_values(FIRST, &longer, &[]), FIRST);
        assert_eq!(without_generated_values(FIRST, FIRST, &[]), FIRST);
    }

    #[test]
    fn values_given_with_helm_set_are_emptied_as_they_are_or_in_base64() {
        // c2stMTIzNA== is `sk-1234`
        let got = without_generated_values(FIRST, FIRST, &["sk-1234"]);
        assert!(got.contains("  fixed: \"\"\n"), "{got}");
        assert!(got.contains("  nonce: aaa\n"));
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("sk-1234", "c2stMTIzNA=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn block_scalars_and_list_items_are_left_alone() {
        assert_eq!(emptied("  tls.key: |", "  tls.key: >"), None);
        assert_eq!(emptied("  - a: b", "  - a: c"), None);
        assert_eq!(emptied("kind: A", "kind: B"), None);
        assert_eq!(emptied("  a: x", "  b: y"), None);
    }
}
