//! `compliance`: checks Kubernetes manifests, API-key inventories and retention settings
//! against Cedar policies derived from an LLM gateway's security guide.
//!
//! Pipeline, one module per stage: [`discover`] -> [`loader`] (with [`position`] for exact
//! lines) -> [`facts`] -> [`cedar`] entities -> [`engine`] -> [`checklist`] -> [`report`].
//! [`check`] runs them in order.

pub mod authoring;
pub mod base;
pub mod check;
pub mod cli;
pub mod config;
pub mod engine;
pub mod facts;
pub mod findings;
pub mod input;
pub mod report;
pub mod scan;
pub mod secrets;
pub mod webhook;

pub use base::error::{Error, Result};
