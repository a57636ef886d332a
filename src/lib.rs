//! `compliance`: checks Kubernetes manifests, API-key inventories and retention settings
//! against Cedar policies derived from an LLM gateway's security guide.
//!
//! The tree is the pipeline (docs/architecture.md): [`input`] -> [`facts`] (and [`scan`]
//! for source files) -> [`engine`] -> [`findings`] -> [`report`], on the shared vocabulary
//! of [`base`] and [`secrets`]. [`check`] composes the stages; [`cli`] is the command line.

pub mod authoring;
pub mod base;
pub mod check;
pub mod cli;
pub mod config;
pub mod engine;
pub mod facts;
pub mod findings;
pub mod gateway;
pub mod input;
pub mod report;
pub mod scan;
pub mod secrets;
pub mod webhook;

pub use base::error::{Error, Result};
