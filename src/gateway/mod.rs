//! LLM gateways as evidence: a LiteLLM proxy's own configuration ([`litellm`]), key
//! inventories imported from the gateways' admin APIs ([`import`], written with a
//! [`snapshot`] section), and the drift between such a snapshot and the inventory a team
//! declares ([`drift`]). See docs/gateways.md.

pub mod drift;
pub mod import;
pub mod litellm;
pub mod snapshot;
