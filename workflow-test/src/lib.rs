//! Test harness for `workflow-core`.
