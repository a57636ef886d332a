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

/// One step of a path: a key or an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// The steps of a path written by this module; `None` for text it does not write.
pub fn segments(path: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            let mut key = String::new();
            let mut chars = r.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => key.push(chars.next()?.1),
                    (i, '"') => break i,
                    (_, c) => key.push(c),
                }
            };
            rest = r[end + 1..].strip_prefix(']')?;
            out.push(Segment::Key(key));
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Segment::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            out.push(Segment::Key(r[..end].to_string()));
            rest = &r[end..];
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_read_back_what_is_written() {
        let p = key(&index(&key(&key("", "data"), "a.b\"c\\"), 3), "mode");
        assert_eq!(
            segments(&p),
            Some(vec![
                Segment::Key("data".into()),
                Segment::Key("a.b\"c\\".into()),
                Segment::Index(3),
                Segment::Key("mode".into()),
            ])
        );
        assert_eq!(segments(""), Some(vec![]));
        assert_eq!(segments("a..b"), None);
        assert_eq!(segments("a[x]"), None);
    }

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
