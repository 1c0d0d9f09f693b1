//! The result of a run: [`Run`], its [`RunReport`] of every node, and one run's
//! [`RunOptions`].
//!
//! - `mod.rs`: [`Run`], what a successful run returns.
//! - `report`: [`RunReport`], [`NodeReport`] and [`NodeStatus`], what the report prints
//!   and serializes, and how a merge's arms are named in it.
//! - `node_reports`: [`NodeReports`], the reports kept as compact records (24 bytes a
//!   node, or none for a run whose nodes all ended at its start) until first read; the
//!   executor writes `NodeRecord`s.
//! - `options`: [`RunOptions`].
//! - `snapshot`: [`RunSnapshot`], a live picture of a run for watchdogs.

mod node_reports;
mod options;
mod report;
mod snapshot;
#[cfg(test)]
mod tests;

pub(crate) use node_reports::NodeRecord;
pub use node_reports::{NodeNames, NodeReports};
pub use options::{RunDuration, RunOptions};
pub(crate) use report::arm_label;
pub use report::{name_column, NodeReport, NodeStatus, RunReport};
pub use snapshot::{RunSnapshot, SnapshotChildNode, SnapshotNode};

use std::time::Duration;

use crate::trace::ExecutionTrace;

/// A finished, successful run: typed outputs plus what happened to every node.
#[derive(Debug)]
#[non_exhaustive]
pub struct Run<O> {
    /// The workflow's outputs (`<Name>Output`): one field per sink node, plus bindings
    /// marked `#[output]`.
    pub outputs: O,
    /// What happened to each node.
    pub report: RunReport,
    /// The execution trace, when tracing was on.
    pub trace: Option<ExecutionTrace>,
}

impl<O> Run<O> {
    /// Puts a run together from its parts (superseded by
    /// [`RunOutcome::into_run`](crate::RunOutcome::into_run)).
    #[doc(hidden)]
    pub fn from_parts(outputs: O, report: RunReport, trace: Option<ExecutionTrace>) -> Self {
        Self {
            outputs,
            report,
            trace,
        }
    }

    /// The run's id, unique in this process.
    pub fn run_id(&self) -> u64 {
        self.report.run_id
    }

    /// Wall time of the run on tokio's clock.
    pub fn duration(&self) -> Duration {
        self.report.duration
    }

    /// The report of the node binding `name`.
    pub fn node(&self, name: &str) -> Option<&NodeReport> {
        self.report.node(name)
    }

    /// The outputs, dropping the report and trace.
    pub fn into_outputs(self) -> O {
        self.outputs
    }
}
