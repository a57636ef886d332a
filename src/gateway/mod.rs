//! LLM gateways' admin APIs as evidence: `compliance inventory import` reads a gateway's key
//! list and writes it as an `ApiKeyInventory` snapshot (docs/gateways.md). The LiteLLM
//! config input kind is `input::litellm` and `facts::gateway`; drift between a declared
//! inventory and a snapshot is `facts::drift`.

pub mod import;
