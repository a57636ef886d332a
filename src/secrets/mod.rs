//! What an API key looks like and how to show one without revealing it: the key-shape
//! detector every stage uses, and masking. Imports only [`crate::base`].

pub mod detect;
pub mod mask;
pub mod redact;
