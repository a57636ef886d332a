//! `compliance schema`: the Cedar schema policies are validated against, and the JSON
//! Schemas of the tool's own document kinds, for editors; plus the entity types and
//! attributes of the Cedar schema, read from it, for the authoring checks.

use crate::input::kinds;
use serde_json::Value;

/// The tool's own kinds and their JSON Schemas; `config` is the `.compliance.yaml` file.
pub const JSON_KINDS: &[(&str, &str)] = &[
    ("config", crate::config::SCHEMA),
    ("ApiKeyInventory", kinds::INVENTORY_SCHEMA),
    ("RetentionPolicy", kinds::RETENTION_SCHEMA),
    ("SecurityProfile", kinds::PROFILE_SCHEMA),
    ("Waivers", kinds::WAIVERS_SCHEMA),
];

/// The Cedar schema (`schemas/compliance.cedarschema`).
pub fn cedar() -> &'static str {
    crate::engine::cedar::SCHEMA_TEXT
}

/// The JSON Schema of one of our kinds, by name (case-insensitive).
pub fn json(kind: &str) -> Result<&'static str, String> {
    JSON_KINDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(kind))
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            format!(
                "unknown kind `{kind}`: expected one of {}",
                JSON_KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            )
        })
}

/// An attribute of an entity type in the Cedar schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    /// As the schema writes it: `String`, `Bool`, `Long`, `Set<String>`, `datetime`, `ipaddr`.
    pub ty: String,
    /// `false` for `name?: T`: test it with `has` first.
    pub required: bool,
}

/// An entity type of the Cedar schema: its parents (`in [...]`), attributes and whether it
/// carries tags (Kubernetes labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityType {
    pub name: String,
    pub parents: Vec<String>,
    pub attributes: Vec<Attribute>,
    pub tags: bool,
}

fn type_name(t: &Value) -> String {
    match t.get("type").and_then(Value::as_str) {
        Some("Set") => format!("Set<{}>", t.get("element").map_or(String::new(), type_name)),
        Some("Boolean") => "Bool".to_string(),
        Some("Extension") => t.get("name").and_then(Value::as_str).unwrap_or("?").to_string(),
        Some("EntityOrCommon") | Some("Entity") => {
            let n = t.get("name").and_then(Value::as_str).unwrap_or("?");
            if n == "Boolean" {
                "Bool".into()
            } else {
                n.to_string()
            }
        }
        Some(other) => other.to_string(),
        None => "?".to_string(),
    }
}

/// The entity types of the Cedar schema, in the schema's order.
pub fn entity_types() -> Result<Vec<EntityType>, String> {
    let (fragment, _) =
        cedar_policy::SchemaFragment::from_cedarschema_str(cedar()).map_err(|e| format!("the Cedar schema: {e}"))?;
    let json = fragment.to_json_value().map_err(|e| format!("the Cedar schema: {e}"))?;
    let types = json
        .get("")
        .and_then(|ns| ns.get("entityTypes"))
        .and_then(Value::as_object)
        .ok_or("the Cedar schema has no entity types")?;
    let order: Vec<&str> = cedar()
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("entity "))
        .filter_map(|l| l.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .collect();
    let mut out: Vec<EntityType> = types
        .iter()
        .map(|(name, t)| EntityType {
            name: name.clone(),
            parents: t
                .get("memberOfTypes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            attributes: t
                .pointer("/shape/attributes")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(a, ty)| Attribute {
                    name: a.clone(),
                    ty: type_name(ty),
                    required: ty.get("required").and_then(Value::as_bool).unwrap_or(true),
                })
                .collect(),
            tags: t.get("tags").is_some(),
        })
        .collect();
    out.sort_by_key(|t| order.iter().position(|o| *o == t.name).unwrap_or(usize::MAX));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_found_case_insensitively_and_unknown_ones_listed() {
        assert!(json("apikeyinventory").unwrap().contains("\"ApiKeyInventory\""));
        assert!(json("config").unwrap().contains("failOn"));
        let e = json("Deployment").unwrap_err();
        assert!(
            e.contains("`Deployment`") && e.contains("SecurityProfile, Waivers"),
            "{e}"
        );
    }

    #[test]
    fn entity_types_come_from_the_schema_with_types_and_optionality() {
        let types = entity_types().unwrap();
        assert_eq!(
            types.len(),
            crate::facts::model::Kind::ALL.len() + 1,
            "the kinds plus Checker"
        );
        assert_eq!(types[0].name, "Checker");
        let key = types.iter().find(|t| t.name == "ApiKey").unwrap();
        assert_eq!(key.parents, ["Inventory"]);
        let attr = |n: &str| key.attributes.iter().find(|a| a.name == n).unwrap().clone();
        assert_eq!(attr("hasOwner").ty, "Bool");
        assert_eq!(attr("models").ty, "Set<String>");
        assert_eq!(attr("createdAt").ty, "datetime");
        assert!(!attr("quotaUsd").required && attr("quotaUsd").ty == "Long");
        let workload = types.iter().find(|t| t.name == "Workload").unwrap();
        assert!(workload.tags);
        assert!(!types.iter().find(|t| t.name == "Container").unwrap().tags);
    }
}
