//! Stage 4, evaluation: the Cedar schema bridge that turns the fact model into entities
//! (`cedar`), policy loading and rule metadata (`policy`), and the evaluation of every rule
//! against every entity (`evaluate`), once for entities judged alike (`alike`). Imports
//! the stages below it: [`crate::facts`], [`crate::input`], [`crate::secrets`],
//! [`crate::base`].

pub mod alike;
pub mod cedar;
pub mod evaluate;
pub mod policy;
