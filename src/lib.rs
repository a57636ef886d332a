//! `compliance`: checks Kubernetes manifests, API-key inventories and retention settings
//! against Cedar policies derived from an LLM gateway's security guide.
//!
//! Pipeline, one module per stage: [`discover`] -> [`loader`] (with [`position`] for exact
//! lines) -> [`facts`] -> [`cedar`] entities -> [`engine`] -> [`checklist`] -> [`report`].
//! [`check`] runs them in order.

pub mod atomic;
pub mod authoring;
pub mod baseline;
pub mod casetest;
pub mod cedar;
pub mod check;
pub mod checklist;
pub mod config;
pub mod detect;
pub mod discover;
pub mod engine;
pub mod error;
pub mod facts;
pub mod finding;
pub mod guard;
pub mod kinds;
pub mod loader;
pub mod mask;
pub mod model;
pub mod path;
pub mod policy;
pub mod position;
pub mod pss;
pub mod render;
pub mod report;
pub mod scan;
pub mod source;
pub mod waiver;
pub mod webhook;
pub mod yaml11;

pub use error::{Error, Result};
