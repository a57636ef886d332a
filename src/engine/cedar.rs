//! The Cedar side of the model: type names, entities, the schema and the request shape.

use crate::facts::model::{Attr, Kind, Resource};
use cedar_policy::{Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression, Schema};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

/// Below this many entities (one admission request has a handful) rayon's hand-off to
/// other threads costs more than it saves.
pub const PARALLEL_FROM: usize = 64;

pub const SCHEMA_TEXT: &str = include_str!("../../schemas/compliance.cedarschema");

/// Parsed entity type names, made once (parsing one costs about 0.4 µs).
pub struct Names {
    types: HashMap<Kind, EntityTypeName>,
    pub principal: EntityUid,
    pub action: EntityUid,
}

impl Names {
    pub fn new() -> Result<Names, String> {
        let mut types = HashMap::new();
        for k in Kind::ALL {
            types.insert(k, EntityTypeName::from_str(k.name()).map_err(|e| e.to_string())?);
        }
        let checker = EntityTypeName::from_str("Checker").map_err(|e| e.to_string())?;
        let action = EntityTypeName::from_str("Action").map_err(|e| e.to_string())?;
        Ok(Names {
            types,
            principal: EntityUid::from_type_name_and_id(checker, EntityId::new("compliance")),
            action: EntityUid::from_type_name_and_id(action, EntityId::new("check")),
        })
    }

    /// The names, parsed once per process: a webhook request would otherwise pay for
    /// parsing them again.
    pub fn shared() -> Result<&'static Names, String> {
        static NAMES: OnceLock<Result<Names, String>> = OnceLock::new();
        NAMES.get_or_init(Names::new).as_ref().map_err(Clone::clone)
    }

    pub fn uid(&self, kind: Kind, id: &str) -> Option<EntityUid> {
        self.types
            .get(&kind)
            .map(|t| EntityUid::from_type_name_and_id(t.clone(), EntityId::new(id)))
    }
}

/// What the policies may read of the entity store.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// Attribute names (see [`crate::engine::policy::reads`]), of every policy.
    pub attributes: HashSet<String>,
    /// The words of the policies that judge each entity type: all a request on an entity
    /// of that type can read of the store, unless `other_entities`.
    pub by_kind: HashMap<Kind, HashSet<String>>,
    /// Some policy names an entity other than the action (`Namespace::"prod"`), so it may
    /// read an entity that is neither the request's resource nor one of its ancestors.
    pub other_entities: bool,
}

impl Reads {
    /// The attributes an entity of `kind` must carry in the store, or `None` when no
    /// request can read it at all: no policy judges its type, and none names an entity,
    /// so it is neither a request's resource nor reachable from one (no attribute holds an
    /// entity, and `in` can only test the resource against the principal and the action).
    pub fn of(&self, kind: Kind) -> Option<&HashSet<String>> {
        if self.other_entities {
            Some(&self.attributes)
        } else {
            self.by_kind.get(&kind)
        }
    }
}

pub fn schema() -> Result<Schema, String> {
    Schema::from_cedarschema_str(SCHEMA_TEXT)
        .map(|(s, _warnings)| s)
        .map_err(|e| e.to_string())
}

fn expr(a: &Attr) -> RestrictedExpression {
    match a {
        Attr::Str(s) => RestrictedExpression::new_string(s.clone()),
        Attr::Long(n) => RestrictedExpression::new_long(*n),
        Attr::Bool(b) => RestrictedExpression::new_bool(*b),
        Attr::Set(v) => RestrictedExpression::new_set(v.iter().map(|s| RestrictedExpression::new_string(s.clone()))),
        Attr::DateTime(s) => RestrictedExpression::new_datetime(s),
        Attr::Ip(s) => RestrictedExpression::new_ip(s),
    }
}

/// The Cedar entity of `r`, with only the attributes in `keep` when it is given, and its
/// tags only when they are kept too (`getTag`/`hasTag` among the words read).
pub fn entity(r: &Resource, names: &Names, keep: Option<&HashSet<String>>) -> Result<Entity, String> {
    let uid = names
        .uid(r.kind, &r.id)
        .ok_or_else(|| format!("unknown entity type `{}`", r.kind))?;
    let parents: Vec<EntityUid> = r.parents.iter().filter_map(|(k, id)| names.uid(*k, id)).collect();
    let tags = keep.is_none_or(keeps_tags);
    Entity::new_with_tags(
        uid,
        r.attrs
            .iter()
            .filter(|(n, _)| keep.is_none_or(|k| k.contains(*n)))
            .map(|(n, a)| ((*n).to_string(), expr(a))),
        parents,
        r.tags
            .iter()
            .filter(|_| tags)
            .map(|(k, v)| (k.clone(), RestrictedExpression::new_string(v.clone()))),
    )
    .map_err(|e| e.to_string())
}

/// Whether policies whose words are `keep` may read tags.
pub fn keeps_tags(keep: &HashSet<String>) -> bool {
    keep.contains("getTag") || keep.contains("hasTag")
}

/// The store of one run. Parents that are not in the run (a namespace no object declares)
/// are simply absent: `in` is then false.
///
/// With `validate`, every entity is checked against the schema (the tests do this on every
/// run). Release runs skip it: it is most of the store's cost (140 of 150 ms on the shared
/// corpus), entities come only from `facts`, and a mistyped attribute would still surface
/// as a reported evaluation error, never as a silent pass.
///
/// Without validation, `reads` (what the policies read, see [`Reads::of`]) leaves out the
/// entities no request can read and, of the others, the attributes no policy of their type
/// names: building an attribute is most of an entity's cost, and Cedar never looks at one
/// no policy names. Validation needs every attribute the schema requires, so it keeps
/// them all.
pub fn store<R: std::borrow::Borrow<Resource> + Sync>(
    resources: &[R],
    names: &Names,
    schema: &Schema,
    validate: bool,
    reads: Option<&Reads>,
) -> Result<Entities, String> {
    use rayon::prelude::*;
    let reads = reads.filter(|_| !validate);
    let one = |r: &R| -> Option<Result<Entity, String>> {
        let r = r.borrow();
        match reads {
            None => Some(entity(r, names, None)),
            Some(reads) => reads.of(r.kind).map(|keep| entity(r, names, Some(keep))),
        }
    };
    let entities: Vec<Entity> = if resources.len() < PARALLEL_FROM {
        resources.iter().filter_map(one).collect::<Result<_, _>>()?
    } else {
        resources.par_iter().filter_map(one).collect::<Result<_, _>>()?
    };
    Entities::from_entities(entities, validate.then_some(schema)).map_err(|e| {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        msg
    })
}

/// The request context for `now` (RFC 3339). The last one is kept: building it parses the
/// timestamp through Cedar's extension machinery, a large share of a webhook request, and
/// consecutive requests in the same second share it.
pub fn context(now: &str) -> Result<Context, String> {
    static LAST: Mutex<Option<(String, Context)>> = Mutex::new(None);
    if let Ok(last) = LAST.lock() {
        if let Some((stamp, ctx)) = last.as_ref() {
            if stamp == now {
                return Ok(ctx.clone());
            }
        }
    }
    let ctx = Context::from_pairs([("now".to_string(), RestrictedExpression::new_datetime(now))])
        .map_err(|e| e.to_string())?;
    if let Ok(mut last) = LAST.lock() {
        *last = Some((now.to_string(), ctx.clone()));
    }
    Ok(ctx)
}
