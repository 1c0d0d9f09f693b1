//! Building blocks of the parse and check phases shared by the three macros (as in
//! serde_derive's `internals`): the error context, option-value parsers, duration
//! literals, the policy options `timeout`/`retry(..)`/`spawn`, name suggestions, the
//! receiver of a forgotten parameter (`unbound`), and types as the user wrote them (`types`).
//! Nothing here emits code; the shared expansion helpers are in `crate::codegen`. Two
//! test-only modules guard all three macros: `no_panic` (mutated and random token
//! streams never make a macro panic) and `readme` (the README quotes real output).

pub(crate) mod attr;
pub(crate) mod ctxt;
pub(crate) mod duration;
#[cfg(test)]
mod no_panic;
pub(crate) mod not_send;
pub(crate) mod policy;
#[cfg(test)]
mod readme;
pub(crate) mod suggest;
pub(crate) mod types;
pub(crate) mod unbound;

pub(crate) use ctxt::Ctxt;
