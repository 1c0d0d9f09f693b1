//! Building blocks of the parse and check phases shared by the three macros (as in
//! serde_derive's `internals`): the error context, option-value parsers, duration
//! literals, the policy options `timeout`/`retry(..)`/`spawn`, and name suggestions.
//! Nothing here emits code; the shared expansion helpers are in `crate::codegen`.

pub(crate) mod attr;
pub(crate) mod ctxt;
pub(crate) mod duration;
pub(crate) mod policy;
pub(crate) mod suggest;

pub(crate) use ctxt::Ctxt;
