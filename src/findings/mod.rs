//! Stage 5, findings: what happens to the engine's findings before they are reported:
//! waivers (`waiver`), the accepted-findings baseline (`baseline`) and the roll-up into the
//! guide's checklist (`checklist`). Imports the stages below it.

pub mod baseline;
pub mod checklist;
pub mod fields;
pub mod outcome;
pub mod place;
pub mod subjects;
pub mod waiver;
