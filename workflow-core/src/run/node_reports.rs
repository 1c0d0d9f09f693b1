//! [`NodeReports`]: a run's per-node reports, kept as compact records until first read.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::{NodeReport, NodeStatus};
use crate::error::NodeName;

/// The names of one node of a plan (`Plan::names`): its spec's `name` and `node_fn`.
#[derive(Debug)]
#[doc(hidden)]
pub struct NodeNames {
    /// The binding's name.
    pub name: &'static str,
    /// The `#[node]` fn's name.
    pub node_fn: &'static str,
}

/// What the run writes of one node: a [`NodeReport`] less its names (the plan's),
/// with its times in nanoseconds from the start of the run. 24 bytes where a
/// [`NodeReport`] is 80: the report of a chain of 1,000 nodes was 80 KB of stores a
/// run, most of a cold run's data misses (issue 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeRecord {
    /// When it first started, in nanoseconds from the start of the run;
    /// [`NodeRecord::NEVER`] if it never started.
    pub(crate) started: u64,
    /// Time from its first start to its end, in nanoseconds.
    pub(crate) duration: u64,
    /// Attempts made.
    pub(crate) attempts: u32,
    /// How it ended.
    pub(crate) status: NodeStatus,
}

impl NodeRecord {
    /// `started` of a node that never started.
    pub(crate) const NEVER: u64 = u64::MAX;

    /// A node that has not started.
    pub(crate) const NOT_STARTED: Self = Self {
        started: Self::NEVER,
        duration: 0,
        attempts: 0,
        status: NodeStatus::NotStarted,
    };

    /// A node that succeeded at once at the run's start, in no time: every node that
    /// ends in the run's first poll, whose clock reads zero then (see
    /// [`NodeReports`]).
    pub(crate) const RAN_AT_START: Self = Self {
        started: 0,
        duration: 0,
        attempts: 1,
        status: NodeStatus::Succeeded,
    };

    /// `d` in nanoseconds (saturated: a run's times stay below 584 years, and below
    /// [`NEVER`](Self::NEVER)).
    ///
    /// Below [`NANOS_EXACT_SECS`](Self::NANOS_EXACT_SECS) seconds (every time a run
    /// has) the sum cannot overflow nor reach `NEVER - 1`: one comparison, a multiply
    /// and an add, where the saturating arithmetic at every step was ~11 instructions,
    /// two or three times a spawned node (issue 17). Beyond, the saturating form, out of
    /// line: the same values.
    #[inline(always)]
    pub(crate) fn nanos(d: Duration) -> u64 {
        let secs = d.as_secs();
        if secs < Self::NANOS_EXACT_SECS {
            secs * 1_000_000_000 + u64::from(d.subsec_nanos())
        } else {
            Self::nanos_saturating(d)
        }
    }

    /// The whole seconds below which [`nanos`](Self::nanos) needs no saturation:
    /// `(NANOS_EXACT_SECS - 1) * 10^9 + 999_999_999` is below `NEVER - 1`.
    pub(super) const NANOS_EXACT_SECS: u64 = (Self::NEVER - 1) / 1_000_000_000;

    /// [`nanos`](Self::nanos) of a time of 584 years or more.
    #[cold]
    #[inline(never)]
    fn nanos_saturating(d: Duration) -> u64 {
        let n = d.as_secs().saturating_mul(1_000_000_000);
        n.saturating_add(u64::from(d.subsec_nanos()))
            .min(Self::NEVER - 1)
    }

    /// When it first started, from the start of the run.
    #[inline]
    pub(crate) fn started_at(&self) -> Option<Duration> {
        (self.started != Self::NEVER).then(|| Duration::from_nanos(self.started))
    }

    /// Its public report, named by `names`.
    #[inline]
    pub(crate) fn report(&self, names: &'static NodeNames) -> NodeReport {
        NodeReport {
            name: NodeName::Borrowed(names.name),
            node_fn: names.node_fn,
            status: self.status,
            attempts: self.attempts,
            duration: Duration::from_nanos(self.duration),
            started_at: self.started_at(),
        }
    }
}

/// The nodes of a [`RunReport`](crate::RunReport) ([`RunReport::nodes`](crate::RunReport::nodes)): a slice of [`NodeReport`]s.
///
/// It dereferences to `[NodeReport]`, so it reads like the `Vec` it was: index it, call
/// `iter()`, `len()`, `first()`, loop over `&report.nodes`. A run writes a compact
/// record of each of its nodes (24 bytes, no names) and the `NodeReport`s are made from
/// them the first time they are read, once: a run whose report nobody reads (most runs
/// of a service) pays for neither the entries nor their drop. Take them out as a `Vec`
/// with [`into_vec`](Self::into_vec) or `Vec::from`; make one from a `Vec` with
/// `NodeReports::from`.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
/// use workflow_core::{NodeReport, NodeReports};
///
/// #[node]
/// async fn double(x: u32) -> u32 { x * 2 }
///
/// workflow! {
///     struct Twice {
///         input x: u32,
///         a = double(x),
///         b = double(x: a),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
/// let nodes: &NodeReports = &run.report.nodes;
/// assert_eq!(nodes.len(), 2);
/// assert_eq!(nodes[1].name, "b");
/// assert!(nodes.iter().all(|n| n.status == NodeStatus::Succeeded));
/// for n in nodes {
///     assert_eq!(n.attempts, 1);
/// }
/// let owned: Vec<NodeReport> = run.report.nodes.into_vec();
/// assert_eq!(owned.len(), 2);
/// # }
/// ```
///
/// 16 bytes where the `Vec` was 24: a run whose nodes all ran in its first poll, at
/// its start (W4's diamond, a chain or lattice run in one poll, issue 17) keeps only
/// the names of its nodes (a thin reference to its plan's), as the reports of every such
/// run of a workflow are the same; any other keeps its records boxed, the view made on
/// first read with them. (It was 48 bytes until session 21, and the `Result` that
/// `Runtime::execute` returns for a small output struct 160, which `futures`' `join_all`
/// moved with a `memmove` call six times a run; now 128, which LLVM moves inline.)
#[derive(Clone)]
pub struct NodeReports(pub(super) Repr);

/// What a [`NodeReports`] keeps (16 bytes: a tag and a pointer).
#[derive(Clone)]
pub(super) enum Repr {
    /// The nodes of `names`, every one of which succeeded at once, started at the
    /// run's start and in no time, as every node that ends in the run's first poll
    /// (`NodeRecord::RAN_AT_START`; none for a report of no node).
    /// Their reports are made once per workflow and process ([`ran_at_start`]).
    RanAtStart(&'static &'static [NodeNames]),
    /// Any other.
    Boxed(Box<Compact>),
    /// The reports of a run a `workflow-test` harness recorded, with its number there
    /// ([`RunReport::harness_number`](crate::RunReport::harness_number)); only a harness's runs pay for the box.
    Numbered(Box<(NodeReports, u64)>),
}

/// The reports of a run that did not all run at its start (see [`Repr`]).
#[derive(Clone)]
pub(super) struct Compact {
    /// The names of `records`' nodes (the plan's `names` field, by a thin reference).
    names: &'static &'static [NodeNames],
    /// The run's records (none if there are no names, or `built` is set).
    records: Records,
    /// The reports, made on first read (or given).
    built: OnceLock<Box<[NodeReport]>>,
}

/// The records of a run's nodes: one per node, or one for all of them (a run whose
/// nodes all ended alike, in the poll that started them: a diamond, a fused chain;
/// nothing allocated, issue 17). 24 bytes (the record's status has room for the tag).
#[derive(Clone)]
pub(super) enum Records {
    /// One per node, in order.
    Each(Box<[NodeRecord]>),
    /// The record of every node.
    All(NodeRecord),
}

impl NodeReports {
    /// The reports of a run's nodes named `names`, as its records say (one each).
    #[inline]
    pub(crate) fn compact(names: &'static &'static [NodeNames], records: Vec<NodeRecord>) -> Self {
        debug_assert_eq!(names.len(), records.len());
        Self::boxed(names, Records::Each(records.into_boxed_slice()))
    }

    /// The reports of a run's nodes named `names`, each as `record` says.
    #[inline]
    pub(crate) fn all(names: &'static &'static [NodeNames], record: NodeRecord) -> Self {
        if record == NodeRecord::RAN_AT_START {
            return Self(Repr::RanAtStart(names));
        }
        Self::boxed(names, Records::All(record))
    }

    /// Reports kept as their records (out of line: most runs' reports are not).
    #[inline(never)]
    fn boxed(names: &'static &'static [NodeNames], records: Records) -> Self {
        Self(Repr::Boxed(Box::new(Compact {
            names,
            records,
            built: OnceLock::new(),
        })))
    }

    /// Whether the reports are made (read, or given) — for tests of laziness.
    #[cfg(test)]
    pub(super) fn is_built(&self) -> bool {
        match &self.0 {
            Repr::RanAtStart(_) => false,
            Repr::Boxed(compact) => compact.built.get().is_some(),
            Repr::Numbered(numbered) => numbered.0.is_built(),
        }
    }

    /// How many nodes (without making their reports).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::RanAtStart(names) => names.len(),
            Repr::Boxed(compact) => match compact.built.get() {
                Some(built) => built.len(),
                None => compact.names.len(),
            },
            Repr::Numbered(numbered) => numbered.0.len(),
        }
    }

    /// The harness's number of the run, if a harness set it.
    pub(super) fn harness_number(&self) -> Option<u64> {
        match &self.0 {
            Repr::Numbered(numbered) => Some(numbered.1),
            _ => None,
        }
    }

    /// The same reports, with the harness's number of the run.
    #[cold]
    pub(super) fn numbered(self, number: u64) -> Self {
        let reports = match self.0 {
            Repr::Numbered(numbered) => numbered.0,
            other => Self(other),
        };
        Self(Repr::Numbered(Box::new((reports, number))))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The reports, as a `Vec`.
    pub fn into_vec(self) -> Vec<NodeReport> {
        match self.0 {
            Repr::RanAtStart(names) => {
                build(names, &Records::All(NodeRecord::RAN_AT_START)).into_vec()
            }
            Repr::Boxed(compact) => {
                let Compact {
                    names,
                    records,
                    built,
                } = *compact;
                built
                    .into_inner()
                    .unwrap_or_else(|| build(names, &records))
                    .into_vec()
            }
            Repr::Numbered(numbered) => numbered.0.into_vec(),
        }
    }
}

/// The reports of `records`, named by `names`.
#[cold]
#[inline(never)]
fn build(names: &'static [NodeNames], records: &Records) -> Box<[NodeReport]> {
    match records {
        Records::Each(records) => records
            .iter()
            .zip(names)
            .map(|(r, n)| r.report(n))
            .collect(),
        Records::All(record) => names.iter().map(|n| record.report(n)).collect(),
    }
}

/// The reports of the nodes `names` of a run that ran them all at its start
/// ([`Repr::RanAtStart`]): the same for every such run of the workflow, so made on the
/// first read of one and kept for the process (one slice per workflow whose report is
/// read, as its plan is).
#[cold]
#[inline(never)]
fn ran_at_start(names: &'static [NodeNames]) -> &'static [NodeReport] {
    type Made = HashMap<(usize, usize), &'static [NodeReport]>;
    static MADE: Mutex<Option<Made>> = Mutex::new(None);
    if names.is_empty() {
        return &[];
    }
    // (A panic cannot leave the map half-written: poisoning is ignored.)
    let mut made = MADE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let made = made.get_or_insert_with(HashMap::new);
    let key = (names.as_ptr() as usize, names.len());
    made.entry(key)
        .or_insert_with(|| Box::leak(build(names, &Records::All(NodeRecord::RAN_AT_START))))
}

impl Deref for NodeReports {
    type Target = [NodeReport];

    fn deref(&self) -> &[NodeReport] {
        match &self.0 {
            Repr::RanAtStart(names) => ran_at_start(names),
            Repr::Boxed(compact) => compact
                .built
                .get_or_init(|| build(compact.names, &compact.records)),
            Repr::Numbered(numbered) => &numbered.0,
        }
    }
}

/// The names of no node (of reports given as a `Vec`, or none).
const NO_NAMES: &&[NodeNames] = &(&[] as &[NodeNames]);

/// No nodes.
impl Default for NodeReports {
    fn default() -> Self {
        Self(Repr::RanAtStart(NO_NAMES))
    }
}

impl From<Vec<NodeReport>> for NodeReports {
    fn from(reports: Vec<NodeReport>) -> Self {
        Self(Repr::Boxed(Box::new(Compact {
            names: NO_NAMES,
            records: Records::Each(Box::default()),
            built: OnceLock::from(reports.into_boxed_slice()),
        })))
    }
}

impl From<NodeReports> for Vec<NodeReport> {
    fn from(reports: NodeReports) -> Self {
        reports.into_vec()
    }
}

impl FromIterator<NodeReport> for NodeReports {
    fn from_iter<I: IntoIterator<Item = NodeReport>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a NodeReports {
    type Item = &'a NodeReport;
    type IntoIter = std::slice::Iter<'a, NodeReport>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for NodeReports {
    type Item = NodeReport;
    type IntoIter = std::vec::IntoIter<NodeReport>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl PartialEq for NodeReports {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for NodeReports {}

impl fmt::Debug for NodeReports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for NodeReports {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}
