//! Policy authoring: what a security team needs to write its own Cedar rules with
//! confidence. [`validate`] (`compliance policy validate`) checks policies against the
//! schema and the annotation conventions and renders miette-style diagnostics;
//! [`runner`] (`compliance test`) runs data-driven cases like a test runner; [`explain`]
//! (`compliance explain`) shows a rule with its Cedar source and proven examples, taken
//! from [`cases`]; [`schema`] (`compliance schema`) prints the Cedar and JSON Schemas.

pub mod cases;
pub mod casetest;
pub mod diagnostics;
pub mod explain;
pub mod runner;
pub mod schema;
pub mod validate;
