//! Entities that Cedar must judge alike. Unless a policy names an entity, a request reads
//! nothing of the store but its resource's own attributes and tags (see
//! [`crate::engine::cedar::Reads::of`]), so two entities of one type that agree on every
//! attribute their type's policies name get the same decision. Manifests repeat
//! themselves (one chart's containers, a monorepo's services), and each repeat is then
//! one request instead of an entity built and judged anew.

use crate::engine::cedar::{keeps_tags, Reads};
use crate::facts::model::{Attr, Resource};
use std::collections::HashMap;

/// For each resource, the first resource judged alike (itself when it is the first), or
/// `None` when no policy judges its type; and the first ones, in order.
pub fn representatives(reads: &Reads, resources: &[Resource]) -> (Vec<Option<usize>>, Vec<usize>) {
    let mut first: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut unique = Vec::new();
    let of = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let keep = reads.of(r.kind)?;
            let key = key(r, keep);
            Some(*first.entry(key).or_insert_with(|| {
                unique.push(i);
                i
            }))
        })
        .collect();
    (of, unique)
}

/// What a request on `r` can read, written so that two entities get the same bytes only
/// when they agree on all of it: the type, the number of kept attributes, each of them,
/// then the tags if they are kept; every string and list preceded by its length.
fn key(r: &Resource, keep: &std::collections::HashSet<String>) -> Vec<u8> {
    let mut k = Vec::with_capacity(128);
    k.push(r.kind as u8);
    let kept: Vec<&(&str, Attr)> = r.attrs.iter().filter(|(n, _)| keep.contains(*n)).collect();
    k.extend_from_slice(&(kept.len() as u64).to_le_bytes());
    for (name, value) in kept {
        text(&mut k, name);
        match value {
            Attr::Str(s) => tagged(&mut k, 1, s),
            Attr::Long(n) => {
                k.push(2);
                k.extend_from_slice(&n.to_le_bytes());
            }
            Attr::Bool(b) => k.extend_from_slice(&[3, u8::from(*b)]),
            Attr::Set(items) => {
                k.push(4);
                k.extend_from_slice(&(items.len() as u64).to_le_bytes());
                for s in items {
                    text(&mut k, s);
                }
            }
            Attr::DateTime(s) => tagged(&mut k, 5, s),
            Attr::Ip(s) => tagged(&mut k, 6, s),
        }
    }
    if keeps_tags(keep) {
        k.push(7);
        k.extend_from_slice(&(r.tags.len() as u64).to_le_bytes());
        for (t, v) in &r.tags {
            text(&mut k, t);
            text(&mut k, v);
        }
    }
    k
}

fn tagged(k: &mut Vec<u8>, tag: u8, s: &str) {
    k.push(tag);
    text(k, s);
}

fn text(k: &mut Vec<u8>, s: &str) {
    k.extend_from_slice(&(s.len() as u64).to_le_bytes());
    k.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::model::{Kind, Location};

    fn container(file: usize, name: &str, privileged: bool) -> Resource {
        let loc = Location {
            file,
            doc: 0,
            path: "spec.containers[0]".into(),
            pos: None,
        };
        Resource::new(Kind::Container, loc, format!("Container {name}"))
            .str("name", name)
            .bool("privileged", privileged)
    }

    fn reads(words: &[&str]) -> Reads {
        let words: std::collections::HashSet<String> = words.iter().map(|w| w.to_string()).collect();
        Reads {
            attributes: words.clone(),
            by_kind: [(Kind::Container, words)].into_iter().collect(),
            other_entities: false,
        }
    }

    #[test]
    fn entities_agreeing_on_what_is_read_are_judged_once() {
        let resources = [
            container(0, "a", true),
            container(1, "b", true),
            container(2, "c", false),
        ];
        // `name` is not read: a and b are alike
        let (of, unique) = representatives(&reads(&["privileged"]), &resources);
        assert_eq!(of, [Some(0), Some(0), Some(2)]);
        assert_eq!(unique, [0, 2]);
        // once it is read, each is judged on its own
        let (of, _) = representatives(&reads(&["privileged", "name"]), &resources);
        assert_eq!(of, [Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn a_type_no_policy_judges_is_not_judged() {
        let loc = Location {
            file: 0,
            doc: 0,
            path: String::new(),
            pos: None,
        };
        let object = Resource::new(Kind::Object, loc, "ConfigMap x".into());
        let (of, unique) = representatives(&reads(&["privileged"]), &[object]);
        assert_eq!(of, [None]);
        assert!(unique.is_empty());
    }

    #[test]
    fn strings_are_told_apart_by_length_not_by_separators() {
        let a = container(0, "a", true).str("x", "ab").str("y", "c");
        let b = container(1, "a", true).str("x", "a").str("y", "bc");
        let keep = reads(&["x", "y"]);
        assert_ne!(
            key(&a, &keep.by_kind[&Kind::Container]),
            key(&b, &keep.by_kind[&Kind::Container])
        );
    }
}
