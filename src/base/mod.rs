//! The vocabulary every stage shares: positions in a source file, field paths, the finding
//! and input-error types, the library error, and atomic file writes. Imports nothing of the
//! crate above it.

pub mod atomic;
pub mod digest;
pub mod error;
pub mod exit;
pub mod finding;
pub mod path;
pub mod source;
pub mod timings;
