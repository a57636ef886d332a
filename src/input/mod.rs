//! Stage 1, input: find the files under the checked folders (`discover`), read them within
//! limits (`guard`), render Helm charts and Kustomize overlays (`render`), and load each
//! document as a typed object (`loader`, `kinds`, `yaml11`) with exact positions
//! (`position`). Imports [`crate::base`] and [`crate::secrets`].

pub mod discover;
pub mod guard;
pub mod kinds;
pub mod litellm;
pub mod loader;
pub mod position;
pub mod read;
pub mod render;
pub mod snapshot;
pub mod yaml11;
