//! Field paths, written the way kubectl and kube-linter print them:
//! `spec.template.spec.containers[0].env[2].value`, with keys that are not plain
//! identifiers quoted: `metadata.labels["app.kubernetes.io/name"]`.

fn plain(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `base.key`
pub fn key(base: &str, key: &str) -> String {
    let mut out = String::with_capacity(base.len() + key.len() + 4);
    out.push_str(base);
    push_key(&mut out, key);
    out
}

fn push_key(out: &mut String, key: &str) {
    if plain(key) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push_str("[\"");
        for c in key.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("\"]");
    }
}

/// `base[i]`
pub fn index(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

/// `base.a.b.c` from a dotted list of plain keys.
pub fn keys(base: &str, dotted: &str) -> String {
    let mut out = base.to_string();
    for k in dotted.split('.').filter(|k| !k.is_empty()) {
        push_key(&mut out, k);
    }
    out
}

/// The path one level up, or `None` at the document root.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        let cut = if path.ends_with("\"]") {
            path.rfind("[\"")
        } else {
            path.rfind('[')
        };
        return cut.map(|i| &path[..i]);
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

/// Converts a JSON pointer (`/keys/0/createdAt`, as jsonschema and serde report) to a path.
pub fn from_pointer(base: &str, pointer: &str) -> String {
    let mut out = base.to_string();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        match seg.parse::<usize>() {
            Ok(i) => out = index(&out, i),
            Err(_) => push_key(&mut out, &seg),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_walks_up() {
        let p = index(&key(&keys("", "spec.template.spec"), "containers"), 0);
        let p = key(&index(&key(&p, "env"), 2), "value");
        assert_eq!(p, "spec.template.spec.containers[0].env[2].value");
        assert_eq!(parent(&p), Some("spec.template.spec.containers[0].env[2]"));
        assert_eq!(parent("spec"), Some(""));
        assert_eq!(parent(""), None);
        let l = key("metadata.labels", "app.kubernetes.io/name");
        assert_eq!(l, "metadata.labels[\"app.kubernetes.io/name\"]");
        assert_eq!(parent(&l), Some("metadata.labels"));
        assert_eq!(
            from_pointer("items[1]", "/keys/0/createdAt"),
            "items[1].keys[0].createdAt"
        );
    }
}
