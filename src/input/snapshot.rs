//! The `snapshot` section of an imported `ApiKeyInventory`: where and when the keys were
//! read, so that the file is evidence an auditor can trace (schemas/api-key-inventory.schema.json).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// `litellm`, `openai` or `anthropic`.
    pub source: String,
    /// The admin API's base URL the keys were read from.
    pub url: String,
    /// RFC 3339, seconds, UTC (`--now` in tests).
    pub fetched_at: String,
    /// `compliance 0.1.0`.
    pub tool: String,
    /// SHA-256 over the response bodies read, in request order, each preceded by its path.
    pub responses_sha256: String,
    /// How many responses were read.
    pub responses: u64,
    /// The key settings the source reports; only these are compared by the drift rules.
    pub reports: Vec<String>,
    /// Where the gateway enforces each control (`allowedSubnets: proxy`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enforcement: BTreeMap<String, String>,
}

impl Snapshot {
    /// How a finding names the snapshot: `litellm https://proxy.example/ at 2026-12-01T10:00:00Z`.
    pub fn label(&self) -> String {
        format!("{} snapshot of {}", self.source, self.url)
    }

    pub fn reports(&self, field: &str) -> bool {
        self.reports.iter().any(|r| r == field)
    }
}
