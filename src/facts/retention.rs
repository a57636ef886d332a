//! Retention settings.

use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::kinds::Retention;
use crate::input::loader::Document;

pub fn policy(doc: &Document, r: &Retention, out: &mut Vec<Resource>) {
    let display = format!("RetentionPolicy {}", r.metadata.name);
    let loc = |p: String| super::at(doc, p);
    let pol = Resource::new(Kind::RetentionPolicy, loc(doc.base.clone()), display.clone())
        .str("name", r.metadata.name.clone())
        .set("dataTypes", r.rules.iter().map(|x| x.data_type.clone()))
        .field("dataTypes", path::keys(&doc.base, "rules"));
    let id = pol.id.clone();
    out.push(pol);
    let base = path::keys(&doc.base, "rules");
    for (i, rule) in r.rules.iter().enumerate() {
        let rp = path::index(&base, i);
        let reason = rule.reason.clone().unwrap_or_default();
        let region = rule.region.clone().unwrap_or_default();
        out.push(
            Resource::new(Kind::RetentionRule, loc(rp.clone()), display.clone())
                .parent(Kind::RetentionPolicy, &id)
                .str("dataType", rule.data_type.clone())
                .long("retentionDays", i64::try_from(rule.retention_days).unwrap_or(i64::MAX))
                .bool("hasReason", !reason.trim().is_empty())
                .str("reason", reason)
                .bool("hasRegion", !region.trim().is_empty())
                .str("region", region)
                .str("policy", r.metadata.name.clone())
                .field("retentionDays", path::key(&rp, "retentionDays"))
                .field("reason", path::key(&rp, "reason"))
                .field("region", path::key(&rp, "region")),
        );
    }
}
