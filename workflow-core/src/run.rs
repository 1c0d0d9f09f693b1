//! The result of a run, per-node reports, and per-run options.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::error::NodeName;
use crate::policy::FailurePolicy;
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

/// What happened to the nodes of one run, successful or not: [`Run::report`],
/// [`RunOutcome::report`](crate::RunOutcome::report) (a failed run's too), `workflow-test`'s run records.
///
/// `{}` prints a header and one line per node (status, attempts, time), as test failure
/// messages show it; with the `serde` feature it serializes (statuses in snake_case).
/// Whether the run succeeded is not in the report but in the `Result` beside it.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[node]
/// async fn fetch(id: u32) -> Result<u32, std::io::Error> {
///     if id == 0 { Err(std::io::Error::other("no such id")) } else { Ok(id) }
/// }
/// #[node]
/// async fn render(page: u32) -> String { format!("page {page}") }
/// #[node]
/// async fn ping() -> bool { true }
///
/// workflow! {
///     struct Page {
///         input id: u32,
///         page = fetch(id),
///         html = render(page),
///         alive = ping(),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let outcome = Runtime::new().execute_report(Page, PageInput { id: 0 }, RunOptions::new()).await;
/// let report = &outcome.report;
/// assert!(outcome.result.is_err());
/// assert_eq!(report.node("page").unwrap().status, NodeStatus::Failed);
/// assert_eq!(report.node("html").unwrap().attempts, 0); // skipped: never started
/// let failed: Vec<&str> = report.with_status(NodeStatus::Failed).map(|n| &*n.name).collect();
/// assert_eq!(failed, ["page"]);
/// let text = report.to_string(); // "run 1 of `Page` (0ns):" then a line per node
/// assert!(text.lines().any(|l| l.contains("html") && l.contains("skipped")));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunReport {
    /// The workflow.
    pub workflow: &'static str,
    /// The run's id, unique in this process (as [`Context::run_id`](crate::Context::run_id)
    /// and the trace say).
    pub run_id: u64,
    /// A durable run's id in its store, as its number: `DurableRun::run_id` is
    /// `RunId(n)` of this `n`, and `Runtime::resume` and `Runtime::retry` take
    /// `workflow_core::store::RunId(n)` (a plain `i64` here, since this report exists
    /// without the `store` feature); the store's errors name it too. `None` for a run
    /// without a store. `{}` prints a durable run by this id: ``durable run 3 of
    /// `Checkout` ``.
    pub durable_run: Option<i64>,
    /// Duration of the run on tokio's clock.
    pub duration: Duration,
    /// One report per node: the workflow's bindings in declaration order, the nodes of a
    /// sub-workflow or of a fan-out's items (named by path, `thumbs[3].img`) right after
    /// the node that ran them, and the decision node of each `match`/`if` (`match_t`,
    /// `if_ok`) after the bindings. A merge (a binding defined in every arm) has one entry
    /// per arm; [`RunReport::node`] picks the arm taken.
    ///
    /// A slice of [`NodeReport`]s (`report.nodes[0]`, `report.nodes.iter()`,
    /// `for n in &report.nodes`), kept compactly until first read: see
    /// [`NodeReports`].
    pub nodes: NodeReports,
}

impl RunReport {
    /// The report of the node binding `name`. A merge (a binding defined in every arm
    /// of a `match`) has one node per arm: this is the one of the arm taken; name one
    /// arm's node as the report prints it, `name (node_fn)` (`"receipt (refuse)"`,
    /// `"out[2].r (halve)"`), to read that arm's node whatever ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn is_big(n: u32) -> bool { n > 10 }
    /// #[node]
    /// async fn split(n: u32) -> u32 { n / 10 }
    /// #[node]
    /// async fn keep(n: u32) -> u32 { n }
    ///
    /// workflow! {
    ///     struct Size {
    ///         input n: u32,
    ///         big = is_big(n),
    ///         if big { v = split(n), } else { v = keep(n), }
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let run = Runtime::new().execute(Size, SizeInput { n: 50 }).await.unwrap();
    /// assert_eq!(run.report.node("v").unwrap().node_fn, "split"); // the arm taken
    /// assert_eq!(run.report.node("v (keep)").unwrap().status, NodeStatus::NotTaken);
    /// assert!(run.report.node("v (nothing)").is_none());
    /// # });
    /// ```
    ///
    /// When two arms of a merge call the same fn, the report prints the second `v (keep
    /// #2)` (the third `#3`, in declaration order), and so names it here: `"v (keep)"`
    /// is the first arm's node calling `keep`, `"v (keep #2)"` the next one's (see
    /// [`labels`](Self::labels)).
    pub fn node(&self, name: &str) -> Option<&NodeReport> {
        if let Some((binding, node_fn)) = split_with_fn(name) {
            // `r (work #2)`: the second arm's node calling `work`.
            let (node_fn, nth) = match node_fn.rsplit_once(" #") {
                Some((f, n)) => (f, n.parse::<usize>().ok().filter(|&n| n >= 2)?),
                None => (node_fn, 1),
            };
            return self
                .nodes
                .iter()
                .filter(|n| n.name == binding && n.node_fn == node_fn)
                .nth(nth - 1);
        }
        let mut named = self.nodes.iter().filter(|n| n.name == name);
        let first = named.next()?;
        if first.status != NodeStatus::NotTaken {
            return Some(first);
        }
        named
            .find(|n| n.status != NodeStatus::NotTaken)
            .or(Some(first))
    }

    /// The run's number in the `workflow-test` harness that recorded it (its `run 1`,
    /// `run 2`, as the harness's own messages say; `RunRecord::number`): set on the
    /// reports a harness records and on those of the runs `Harness::execute` returns,
    /// `None` elsewhere. `{}` then prints both numbers, ``run 1 (id 1025) of
    /// `Checkout` `` (``run 1 (durable run 3) of `Checkout` `` for a durable run), so
    /// that the report, the harness's messages and the id
    /// ([`run_id`](Self::run_id), as `Context::run_id` and the `tracing` spans say it)
    /// can be matched up.
    ///
    /// Kept with the nodes' reports (a report under a harness holds one more box), so
    /// that a `RunReport` stays 72 bytes.
    pub fn harness_number(&self) -> Option<u64> {
        self.nodes.harness_number()
    }

    /// Sets [`harness_number`](Self::harness_number): for `workflow-test`'s harness.
    #[doc(hidden)]
    pub fn set_harness_number(&mut self, number: u64) {
        self.nodes = std::mem::take(&mut self.nodes).numbered(number);
    }

    /// The nodes with a given status.
    pub fn with_status(&self, status: NodeStatus) -> impl Iterator<Item = &NodeReport> + '_ {
        self.nodes.iter().filter(move |n| n.status == status)
    }

    /// The merges of the run: bindings defined in every arm of a `match` (or `if`), which
    /// have one node per arm in the report, sorted. `{}` prints each of their nodes with
    /// its fn, `done (charge)` and `done (bill)`, so the arms' lines can be told apart.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node] async fn big(n: u32) -> bool { n > 10 }
    /// #[node] async fn charge(n: u32) -> String { format!("charged {n}") }
    /// #[node] async fn bill(n: u32) -> String { format!("billed {n}") }
    ///
    /// workflow! {
    ///     struct Pay {
    ///         input n: u32,
    ///         b = big(n),
    ///         if b { done = bill(n), } else { done = charge(n), }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let run = Runtime::new().execute(Pay, PayInput { n: 3 }).await.unwrap();
    /// assert_eq!(run.report.merges(), ["done"]);
    /// let text = run.report.to_string();
    /// assert!(text.contains("  done (bill)      not taken\n"), "{text}");
    /// assert!(text.contains("  done (charge)    succeeded  attempts=1"), "{text}");
    /// # }
    /// ```
    pub fn merges(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.nodes.iter().map(|n| &*n.name).collect();
        names.sort_unstable();
        let mut merges: Vec<&str> = names
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        merges.dedup();
        merges
    }

    /// Each node's name as `{}` prints it, in the order of [`nodes`](Self::nodes): its
    /// binding or path, and for the nodes of a merge (one per arm, see
    /// [`merges`](Self::merges)) `name (node_fn)`, with the arm's rank among those
    /// calling the same fn from the second on: `r (work)`, `r (halve)`, `r (work #2)`.
    /// [`node`](Self::node) finds a node by its label, and the trace names a merge's
    /// arm not taken by it (`r (work #2): not taken`).
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node] async fn pick(n: u32) -> u32 { n % 3 }
    /// #[node] async fn work(n: u32) -> u32 { n * 2 }
    /// #[node] async fn halve(n: u32) -> u32 { n / 2 }
    ///
    /// workflow! {
    ///     struct Three {
    ///         input n: u32,
    ///         p = pick(n),
    ///         match p {
    ///             0 => { r = work(n), }
    ///             1 => { r = halve(n), }
    ///             _ => { r = work(n: p), }
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let run = Runtime::new().execute(Three, ThreeInput { n: 5 }).await.unwrap();
    /// assert_eq!(run.outputs.r, 4); // the third arm: work(2)
    /// let labels = run.report.labels();
    /// assert_eq!(labels[..4], ["p", "r (work)", "r (halve)", "r (work #2)"]);
    /// assert_eq!(run.report.node("r (work #2)").unwrap().status, NodeStatus::Succeeded);
    /// assert_eq!(run.report.node("r (work)").unwrap().status, NodeStatus::NotTaken);
    /// # }
    /// ```
    pub fn labels(&self) -> Vec<String> {
        let merges = self.merges();
        let nodes: Vec<&NodeReport> = self.nodes.iter().collect();
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                if merges.binary_search(&&*n.name).is_err() {
                    return n.name.to_string();
                }
                let same = nodes[..i]
                    .iter()
                    .filter(|m| m.name == n.name && m.node_fn == n.node_fn)
                    .count();
                arm_label(&n.name, n.node_fn, same)
            })
            .collect()
    }

    /// The run as its reports' headers name it: ``run 1026 of `Checkout` ``, or for a
    /// durable run ``durable run 3 of `Checkout` `` (its id in the store); under a
    /// harness, by the harness's number first, as its own messages name the run: ``run 1
    /// (id 1026) of `Checkout` ``, ``run 1 (durable run 3) of `Checkout` ``.
    fn title(&self) -> String {
        match (self.harness_number(), self.durable_run) {
            (None, Some(id)) => format!("durable run {id} of `{}`", self.workflow),
            (None, None) => format!("run {} of `{}`", self.run_id, self.workflow),
            (Some(n), Some(id)) => format!("run {n} (durable run {id}) of `{}`", self.workflow),
            (Some(n), None) => format!("run {n} (id {}) of `{}`", self.run_id, self.workflow),
        }
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({:?}):", self.title(), self.duration)?;
        if self.merges().is_empty() {
            for n in &self.nodes {
                writeln!(f, "  {n}")?;
            }
            return Ok(());
        }
        for (n, label) in self.nodes.iter().zip(self.labels()) {
            f.write_str("  ")?;
            n.write_line(f, &label)?;
            f.write_str("\n")?;
        }
        Ok(())
    }
}

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
    const NANOS_EXACT_SECS: u64 = (Self::NEVER - 1) / 1_000_000_000;

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

/// The nodes of a [`RunReport`] ([`RunReport::nodes`]): a slice of [`NodeReport`]s.
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
pub struct NodeReports(Repr);

/// What a [`NodeReports`] keeps (16 bytes: a tag and a pointer).
#[derive(Clone)]
enum Repr {
    /// The nodes of `names`, every one of which succeeded at once, started at the
    /// run's start and in no time, as every node that ends in the run's first poll
    /// (`NodeRecord::RAN_AT_START`; none for a report of no node).
    /// Their reports are made once per workflow and process ([`ran_at_start`]).
    RanAtStart(&'static &'static [NodeNames]),
    /// Any other.
    Boxed(Box<Compact>),
    /// The reports of a run a `workflow-test` harness recorded, with its number there
    /// ([`RunReport::harness_number`]); only a harness's runs pay for the box.
    Numbered(Box<(NodeReports, u64)>),
}

/// The reports of a run that did not all run at its start (see [`Repr`]).
#[derive(Clone)]
struct Compact {
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
enum Records {
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
    fn is_built(&self) -> bool {
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
    fn harness_number(&self) -> Option<u64> {
        match &self.0 {
            Repr::Numbered(numbered) => Some(numbered.1),
            _ => None,
        }
    }

    /// The same reports, with the harness's number of the run.
    #[cold]
    fn numbered(self, number: u64) -> Self {
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

/// The fields as they read, `durable_run` only for a durable run, and
/// [`harness_number`](RunReport::harness_number) (kept with the nodes, not a field) only
/// for a run a `workflow-test` harness numbered: `{"workflow":"Etl","run_id":1025,
/// "harness_number":1,"duration":..,"nodes":[..]}`, so that the JSON of a harness's run
/// is matched with its messages (``run 1 of `Etl` ``).
#[cfg(feature = "serde")]
impl serde::Serialize for RunReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let harness_number = self.harness_number();
        let fields =
            4 + usize::from(self.durable_run.is_some()) + usize::from(harness_number.is_some());
        let mut s = serializer.serialize_struct("RunReport", fields)?;
        s.serialize_field("workflow", self.workflow)?;
        s.serialize_field("run_id", &self.run_id)?;
        match harness_number {
            Some(n) => s.serialize_field("harness_number", &n)?,
            None => s.skip_field("harness_number")?,
        }
        match self.durable_run {
            Some(id) => s.serialize_field("durable_run", &id)?,
            None => s.skip_field("durable_run")?,
        }
        s.serialize_field("duration", &self.duration)?;
        s.serialize_field("nodes", &self.nodes)?;
        s.end()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for NodeReports {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// What happened to one node in one run.
///
/// Times are on tokio's clock (so a paused clock gives exact figures). The executor
/// reads the clock once per poll of the run: nodes that start or finish within the same
/// poll share its reading, so a node that completes without waiting shows a duration of
/// zero even if it computed for a while (`time=0ns` in the report means "ended in the
/// poll it started in", not "took no time"). Its time is then in the run's duration,
/// and in the nodes that end at the same reading, taken after it ran, if any: in a
/// diamond whose `b` computes for 300 ms while its sibling `c` sleeps 3 ms, `c` shows
/// 300 ms (it could not be polled meanwhile) and `b` zero; a node in flight before it
/// in a chain may show it too. On the real clock, read an untraced `time=0ns` as "did
/// not wait" and a large `time=` as "this node, or nodes that ran in the same poll
/// without waiting".
/// A traced run ([`RunOptions::trace`](crate::RunOptions::trace)) reads the clock
/// around every node instead, and its [`ExecutionTrace`] times every attempt.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeReport {
    /// The binding's name (`fetch` in `fetch = fetch_data(url)`); for a node of a
    /// sub-workflow or of a fan-out's item, its path (`report.layout`, `thumbs[3].img`).
    pub name: NodeName,
    /// The `#[node]` fn's name (`fetch_data`).
    pub node_fn: &'static str,
    /// How it ended.
    pub status: NodeStatus,
    /// Attempts made (0 if it never started). A node of a child run that its parent ran
    /// more than once (a retried sub-workflow or fan-out binding) shows the last of those
    /// runs, with the attempts of all of them: every call counts.
    pub attempts: u32,
    /// Time from its first start to its end (zero if it never started).
    pub duration: Duration,
    /// When it first started, from the start of the run.
    pub started_at: Option<Duration>,
}

impl NodeReport {
    /// The node as a line of a report, named `name (node_fn)`: how `{}` of a
    /// [`RunReport`] prints the nodes of a merge ([`RunReport::merges`]), one per arm
    /// (an arm calling the same fn as an earlier one adds its rank, `name (node_fn #2)`,
    /// which only the report knows: [`RunReport::labels`]).
    pub fn with_fn(&self) -> impl fmt::Display + '_ {
        struct WithFn<'a>(&'a NodeReport);
        impl fmt::Display for WithFn<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let n = self.0;
                n.write_line(f, &format!("{} ({})", n.name, n.node_fn))
            }
        }
        WithFn(self)
    }

    /// `label`, the status, and attempts and time if it started.
    fn write_line(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        // The status is padded only when something follows it: no trailing spaces on
        // the lines of nodes that never started (snapshot tests, editors that trim).
        if self.attempts > 0 {
            write!(
                f,
                "{:<16} {:<10} attempts={} time={:?}",
                label,
                self.status.as_str(),
                self.attempts,
                self.duration
            )
        } else {
            write!(f, "{:<16} {}", label, self.status.as_str())
        }
    }
}

impl fmt::Display for NodeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_line(f, &self.name)
    }
}

/// The state of a node in a run.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeStatus {
    /// Not started (yet).
    NotStarted,
    /// Running (only seen in live snapshots).
    Running,
    /// Produced its output.
    Succeeded,
    /// Failed for good (error, panic or timeout).
    Failed,
    /// Was running when the run stopped; its future was dropped.
    Cancelled,
    /// Never started because the run stopped or an upstream node failed.
    Skipped,
    /// Not run: its output was restored from a durable run's store (a resumed run).
    Restored,
    /// Not run: it is in an arm of a `match` (or `if`) in `workflow!` that the run did
    /// not take. Unlike [`Skipped`](Self::Skipped), nothing went wrong.
    NotTaken,
}

impl NodeStatus {
    /// A lowercase name: `succeeded`, `failed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not started",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::Restored => "restored",
            Self::NotTaken => "not taken",
        }
    }

    /// Whether the node's fn was called at least once.
    pub fn ran(self) -> bool {
        matches!(
            self,
            Self::Running | Self::Succeeded | Self::Failed | Self::Cancelled
        )
    }
}

impl fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of one run, over the workflow's own `#[workflow(..)]` policies.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::RunOptions;
///
/// let opts = RunOptions::new().trace(true).timeout(Duration::from_secs(5)).concurrency(4);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunOptions {
    pub(crate) trace: Option<bool>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadlock: Option<Duration>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) failure: Option<FailurePolicy>,
    pub(crate) cancel: Option<CancellationToken>,
    pub(crate) cancel_grace: Option<Duration>,
}

impl RunOptions {
    /// No options (what `Default` gives), as a constant.
    pub(crate) const NONE: Self = Self {
        trace: None,
        timeout: None,
        deadlock: None,
        concurrency: None,
        failure: None,
        cancel: None,
        cancel_grace: None,
    };

    /// Defaults: the workflow's own policies, tracing as the runtime says.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an [`ExecutionTrace`].
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = Some(on);
        self
    }

    /// Limits the whole run (replaces `#[workflow(timeout = ..)]`).
    ///
    /// A zero `limit` is not "no limit": the run times out at its first poll, before any
    /// node starts (unlike [`tokio::time::timeout`], which polls its future once first).
    /// Leave the option unset for a run without a time limit.
    ///
    /// In the same way, a run whose last node ends exactly at the limit (ties are exact
    /// on tokio's paused clock) times out: the limit is looked at before what the nodes
    /// did. A node's own `#[timeout]` is the other way round, as `tokio::time::timeout`
    /// is: a node that ends exactly at its limit succeeds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn slow() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(10)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Slow {
    ///         s = slow(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let opts = RunOptions::new().timeout(Duration::from_millis(250));
    /// let err = Runtime::new().execute_with(Slow, SlowInput {}, opts).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// assert_eq!(err.to_string(), "the run of workflow `Slow` timed out after 250ms; still running: s");
    /// # });
    /// ```
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Fails the run with a deadlock when no node finishes for `limit` (replaces
    /// `#[workflow(deadlock = ..)]`).
    ///
    /// This stall watchdog cannot tell a stuck node from a slow one: a node that runs
    /// longer than `limit` while no other node finishes is reported as a stall
    /// ([`DeadlockKind::Stalled`](crate::DeadlockKind::Stalled)). Set it above the
    /// slowest attempt's time (its timeout). A retry's backoff is not a stall: the limit
    /// counts from the end of the wait, when the next attempt begins; a zero limit
    /// reports the first node that awaits anything (a sleep, I/O) as stalled. Nodes blocked
    /// in tracked waits ([`Context::wait`](crate::Context::wait)) are found at once,
    /// whatever the limit.
    ///
    /// The limit counts from the last node of the run that finished. A node inside a
    /// child run (a fan-out item's, a sub-workflow's) finishing is progress too, but the
    /// timer sees it only when it fires (no clock is read as each node of a child run
    /// finishes). So the timer of a run with fan-outs or sub-workflows looks every
    /// quarter `limit`, and a stall after such progress is reported between `limit` and
    /// 1.25 × `limit` after it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// /// Waits on something that never answers (not a tracked wait).
    /// #[node]
    /// async fn hung() -> u32 {
    ///     std::future::pending().await
    /// }
    ///
    /// workflow! {
    ///     struct Hung {
    ///         h = hung(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let opts = RunOptions::new().deadlock(Duration::from_secs(2));
    /// let err = Runtime::new().execute_with(Hung, HungInput {}, opts).await.unwrap_err();
    /// assert!(err.is_deadlock());
    /// assert!(err.to_string().contains("h"), "{err}");
    /// # });
    /// ```
    pub fn deadlock(mut self, limit: Duration) -> Self {
        self.deadlock = Some(limit);
        self
    }

    /// At most `n` nodes of this run in flight (`1` runs nodes one at a time; `0` counts
    /// as `1`); overrides the workflow's `#[workflow(concurrency = N)]` / `sequential`.
    ///
    /// The limit reaches the child runs too, each on its own: a fan-out (one node of the
    /// run) runs at most `n` items at a time (or its own `#[concurrency = M]`, if
    /// smaller), and a sub-workflow at most `n` of its nodes. So with `1` the whole run,
    /// fan-out items and sub-workflows included, runs one node at a time; with `n > 1`,
    /// nested levels multiply (a fan-out's items running fan-outs of their own may run
    /// `n × n` nodes at once). The runtime's `max_concurrent_nodes` bounds all runs
    /// together.
    ///
    /// # Examples
    ///
    /// Four independent 100 ms nodes, two at a time, take 200 ms (on tokio's paused
    /// clock here):
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn work(id: u32) -> u32 {
    ///     tokio::time::sleep(Duration::from_millis(100)).await;
    ///     id
    /// }
    ///
    /// workflow! {
    ///     struct Four {
    ///         input x: u32,
    ///         a = work(id: x),
    ///         b = work(id: x),
    ///         c = work(id: x),
    ///         d = work(id: x),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let start = tokio::time::Instant::now();
    /// let opts = RunOptions::new().concurrency(2);
    /// Runtime::new().execute_with(Four, FourInput { x: 1 }, opts).await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_millis(200));
    /// # });
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// Runs nodes one at a time: `concurrency(1)`.
    pub fn sequential(self) -> Self {
        self.concurrency(1)
    }

    /// Fail-fast (the default: the first failure cancels the run) or continue
    /// (independent branches finish, every failure is reported together).
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("bad {0}")]
    /// struct Bad(u32);
    ///
    /// #[node]
    /// async fn check(n: u32) -> Result<u32, Bad> {
    ///     if n % 2 == 0 { Ok(n) } else { Err(Bad(n)) }
    /// }
    ///
    /// workflow! {
    ///     struct Checks {
    ///         input a: u32,
    ///         input b: u32,
    ///         input c: u32,
    ///         x = check(n: a),
    ///         y = check(n: b),
    ///         z = check(n: c),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let opts = RunOptions::new().failure(FailurePolicy::Continue);
    /// let input = ChecksInput { a: 1, b: 2, c: 3 };
    /// let err = Runtime::new().execute_with(Checks, input, opts).await.unwrap_err();
    /// let WorkflowError::Multiple { errors, .. } = &err else { panic!("{err}") };
    /// let failed: Vec<_> = errors.iter().filter_map(|e| e.node()).collect();
    /// assert_eq!(failed, ["x", "z"]);
    /// # });
    /// ```
    pub fn failure(mut self, policy: FailurePolicy) -> Self {
        self.failure = Some(policy);
        self
    }

    /// When the run stops early (cancelled, timed out, failed fast, deadlocked), running
    /// nodes get this long to notice [`Context::cancelled`](crate::Context::cancelled)
    /// and finish before their futures are dropped. Without it they get one poll.
    ///
    /// The nodes of its sub-workflows and fan-out items (`front.html`, `thumbs[3].img`)
    /// get the same grace, ending at the same instant, when the run stops. (A fan-out
    /// that stops its own items, because one failed fast, gives them one poll.) A node
    /// whose cleanup must finish in any case keeps it in a `Drop` guard, which runs
    /// either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn upload(part: u64, ctx: &Context, flushed: Res<AtomicU32>) -> u64 {
    ///     tokio::select! {
    ///         _ = tokio::time::sleep(Duration::from_secs(1)) => {}
    ///         _ = ctx.cancelled() => {
    ///             // Flushing takes 10 ms a part.
    ///             tokio::time::sleep(Duration::from_millis(10 * part)).await;
    ///             flushed.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     }
    ///     part
    /// }
    ///
    /// workflow! {
    ///     struct Upload {
    ///         input parts: Vec<u64>,
    ///         done = for p in parts { u = upload(part: p), } => u,
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let rt = Runtime::builder().resource(AtomicU32::new(0)).build();
    /// let opts = RunOptions::new()
    ///     .timeout(Duration::from_millis(50))
    ///     .cancel_grace(Duration::from_millis(25));
    /// let err = rt.execute_with(Upload, UploadInput { parts: vec![1, 2, 3] }, opts).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// // Parts 1 and 2 flushed within the grace; part 3 (30 ms) was dropped.
    /// assert_eq!(rt.resource::<AtomicU32>().unwrap().load(Ordering::SeqCst), 2);
    /// # });
    /// ```
    pub fn cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = Some(grace);
        self
    }

    /// Cancels the run when `token` is cancelled; nodes see it through
    /// [`Context::cancellation`](crate::Context::cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn long() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Long {
    ///         l = long(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let token = CancellationToken::new();
    /// let stop = token.clone();
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     stop.cancel();
    /// });
    /// let opts = RunOptions::new().cancel_token(token);
    /// let err = Runtime::new().execute_with(Long, LongInput {}, opts).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err}");
    /// # });
    /// ```
    pub fn cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// A live picture of a run, for monitors such as a test watchdog.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunSnapshot {
    /// The workflow.
    pub workflow: &'static str,
    /// The run's id.
    pub run_id: u64,
    /// The run's number in the `workflow-test` harness whose `live_runs` took the picture
    /// (`run 1`, as the harness's messages say), `None` elsewhere. `{}` then prints both
    /// numbers, ``run 1 (id 1025) of `Etl` ``, as the run's [`RunReport`] does.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub harness_number: Option<u64>,
    /// Time since the run started.
    pub elapsed: Duration,
    /// Each node's state.
    pub nodes: Vec<SnapshotNode>,
    /// The nodes of the child runs in flight (the items a fan-out runs now, a
    /// sub-workflow), named by their paths (`thumbs[3].img`, `report.layout`), in the order
    /// their runs started.
    pub children: Vec<SnapshotChildNode>,
    /// The trace so far, when tracing is on.
    pub trace: Option<ExecutionTrace>,
    /// The nodes waiting out a retry's backoff (by path, in child runs too), each with
    /// the attempt that failed, its error and the delay: their next attempt is
    /// scheduled, so a stall watchdog does not take the wait for a stall. `nodes` shows
    /// them as running. A node stopped during its wait (a `failure = "continue"` run
    /// going on without it) stays listed while the run goes on.
    pub retrying: Vec<crate::error::RetryWait>,
}

/// A node of a child run (a fan-out item, a sub-workflow) in a [`RunSnapshot`].
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use workflow_core::prelude::*;
/// use workflow_core::RunHandle;
///
/// #[node]
/// async fn download(url: String) -> usize {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     url.len()
/// }
///
/// workflow! {
///     struct Gallery {
///         input urls: Vec<String>,
///         thumbs = for url in urls {
///             img = download(url),
///         } => img,
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let handles = Arc::new(Mutex::new(Vec::<RunHandle>::new()));
/// let seen = Arc::clone(&handles);
/// let rt = Runtime::builder()
///     .monitor(move |run| seen.lock().unwrap().push(run))
///     .build();
/// let run = tokio::spawn(rt.execute(Gallery, GalleryInput { urls: vec!["a".into(), "b".into()] }));
/// tokio::time::sleep(Duration::from_millis(10)).await;
/// let snapshot = handles.lock().unwrap()[0].snapshot().unwrap();
/// let names: Vec<&str> = snapshot.children.iter().map(|n| &*n.name).collect();
/// assert_eq!(names, ["thumbs[0].img", "thumbs[1].img"]);
/// assert_eq!(snapshot.children[1].status, NodeStatus::Running);
/// run.await.unwrap().unwrap();
/// # });
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SnapshotChildNode {
    /// Its path in the run (`thumbs[3].img`).
    pub name: crate::error::NodeName,
    /// Its state.
    pub status: NodeStatus,
    /// The key of the tracked wait it is blocked in.
    pub waits_for: Option<String>,
}

/// A node in a [`RunSnapshot`].
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SnapshotNode {
    /// The binding.
    pub name: &'static str,
    /// Its state.
    pub status: NodeStatus,
    /// The key of the tracked wait it is blocked in.
    pub waits_for: Option<String>,
}

impl fmt::Display for RunSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.harness_number {
            Some(n) => write!(f, "run {n} (id {})", self.run_id)?,
            None => write!(f, "run {}", self.run_id)?,
        }
        writeln!(f, " of `{}` after {:?}:", self.workflow, self.elapsed)?;
        for n in &self.nodes {
            let state = match (&n.waits_for, n.status) {
                (Some(key), _) => format!("waiting for `{key}`"),
                (None, status) => status.to_string(),
            };
            writeln!(f, "  {:<16} {state}", n.name)?;
        }
        for n in &self.children {
            let state = match (&n.waits_for, n.status) {
                (Some(key), _) => format!("waiting for `{key}`"),
                (None, status) => status.to_string(),
            };
            writeln!(f, "  {:<16} {state}", n.name)?;
        }
        for w in &self.retrying {
            writeln!(
                f,
                "  {:<16} waiting {:?} to retry (attempt {} failed: {})",
                w.node, w.delay, w.attempt, w.error
            )?;
        }
        if let Some(trace) = &self.trace {
            writeln!(f, "  trace so far:")?;
            for e in trace {
                writeln!(f, "    {e}")?;
            }
        }
        Ok(())
    }
}

/// How a report and the trace name the node of a merge's arm calling `node_fn`, after
/// `same` earlier arms calling it: `r (work)`, then `r (work #2)`.
pub(crate) fn arm_label(name: &str, node_fn: &str, same: usize) -> String {
    match same {
        0 => format!("{name} ({node_fn})"),
        n => format!("{name} ({node_fn} #{})", n + 1),
    }
}

/// `name (node_fn)`, as a report prints the nodes of a merge: the binding (or path) and
/// the fn, or `None` for a plain name.
fn split_with_fn(name: &str) -> Option<(&str, &str)> {
    let (binding, rest) = name.split_once(" (")?;
    Some((binding, rest.strip_suffix(')')?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &'static str, status: NodeStatus, attempts: u32) -> NodeReport {
        NodeReport {
            name: name.into(),
            node_fn: "f",
            status,
            attempts,
            duration: Duration::from_millis(u64::from(attempts) * 5),
            started_at: (attempts > 0).then_some(Duration::ZERO),
        }
    }

    /// One line per node; a node that never started ends at its status, with no padding
    /// after it (found by a new-user trial snapshotting `{report}`).
    #[test]
    fn a_report_prints_a_line_per_node_without_trailing_spaces() {
        let report = RunReport {
            workflow: "Checkout",
            run_id: 7,
            durable_run: None,
            duration: Duration::from_millis(10),
            nodes: NodeReports::from(vec![
                node("t", NodeStatus::Succeeded, 2),
                node("approval", NodeStatus::NotTaken, 0),
                node("sent", NodeStatus::Skipped, 0),
            ]),
        };
        assert_eq!(
            report.to_string(),
            "run 7 of `Checkout` (10ms):\n  t                succeeded  attempts=2 time=10ms\n  approval         not taken\n  sent             skipped\n"
        );
        assert_eq!(report.clone(), report);
    }

    /// A merge (one binding in every arm) has a node per arm: each is printed with its
    /// fn, and a durable run is named by its id in the store (carried from trial12: two
    /// rows `done`, and `run 1026` beside the store's `run 1`).
    #[test]
    fn a_merge_prints_each_arm_with_its_fn_and_a_durable_run_its_store_id() {
        let arm = |node_fn, status, attempts| NodeReport {
            node_fn,
            ..node("done", status, attempts)
        };
        let report = RunReport {
            workflow: "Checkout",
            run_id: 1026,
            durable_run: Some(1),
            duration: Duration::from_millis(5),
            nodes: NodeReports::from(vec![
                node("r", NodeStatus::Restored, 0),
                arm("charge", NodeStatus::NotTaken, 0),
                arm("bill", NodeStatus::Succeeded, 1),
            ]),
        };
        assert_eq!(report.merges(), ["done"]);
        assert_eq!(report.node("done").unwrap().node_fn, "bill");
        assert_eq!(
            report.to_string(),
            "durable run 1 of `Checkout` (5ms):\n  r                restored\n  done (charge)    not taken\n  done (bill)      succeeded  attempts=1 time=5ms\n"
        );
    }

    /// Under a harness, the header names the run by the harness's number first, with
    /// the runtime's id (or the store's) beside it.
    #[test]
    fn a_harness_runs_header_has_its_number_and_its_id() {
        let mut report = RunReport {
            workflow: "Checkout",
            run_id: 1025,
            durable_run: None,
            duration: Duration::ZERO,
            nodes: NodeReports::all(&NAMES_REF, NodeRecord::RAN_AT_START),
        };
        let header = |r: &RunReport| r.to_string().lines().next().unwrap().to_owned();
        assert_eq!(report.harness_number(), None);
        assert_eq!(header(&report), "run 1025 of `Checkout` (0ns):");
        let plain = report.clone();
        report.set_harness_number(1);
        assert_eq!(report.harness_number(), Some(1));
        assert_eq!(header(&report), "run 1 (id 1025) of `Checkout` (0ns):");
        // The nodes read as before.
        assert_eq!(report.nodes, plain.nodes);
        assert_eq!(report.nodes.len(), 3);
        assert_eq!(report.node("html").unwrap().attempts, 1);
        report.set_harness_number(2);
        assert_eq!(report.harness_number(), Some(2));
        report.durable_run = Some(3);
        assert_eq!(
            header(&report),
            "run 2 (durable run 3) of `Checkout` (0ns):"
        );
        assert_eq!(report.clone().nodes.into_vec(), plain.nodes.into_vec());
    }

    static NAMES: [NodeNames; 3] = [
        NodeNames {
            name: "fetch",
            node_fn: "fetch_data",
        },
        NodeNames {
            name: "html",
            node_fn: "render",
        },
        NodeNames {
            name: "sent",
            node_fn: "send",
        },
    ];

    static NAMES_REF: &[NodeNames] = &NAMES;

    /// The compact records a run writes read as the reports they stand for: the same
    /// entries, `Debug` and serialized form as a `Vec<NodeReport>`, made once.
    #[test]
    fn compact_records_read_as_their_reports() {
        let records = vec![
            NodeRecord {
                started: 0,
                duration: 1_500_000_000,
                attempts: 2,
                status: NodeStatus::Succeeded,
            },
            NodeRecord {
                started: NodeRecord::nanos(Duration::from_millis(1500)),
                duration: 0,
                attempts: 1,
                status: NodeStatus::Running,
            },
            NodeRecord::NOT_STARTED,
        ];
        let compact = NodeReports::compact(&NAMES_REF, records);
        assert_eq!(compact.len(), 3);
        assert!(!compact.is_built(), "len() makes no report");
        let want = vec![
            NodeReport {
                name: "fetch".into(),
                node_fn: "fetch_data",
                status: NodeStatus::Succeeded,
                attempts: 2,
                duration: Duration::from_millis(1500),
                started_at: Some(Duration::ZERO),
            },
            NodeReport {
                name: "html".into(),
                node_fn: "render",
                status: NodeStatus::Running,
                attempts: 1,
                duration: Duration::ZERO,
                started_at: Some(Duration::from_millis(1500)),
            },
            NodeReport {
                name: "sent".into(),
                node_fn: "send",
                status: NodeStatus::NotStarted,
                attempts: 0,
                duration: Duration::ZERO,
                started_at: None,
            },
        ];
        assert_eq!(*compact, *want);
        assert_eq!(format!("{compact:?}"), format!("{want:?}"));
        #[cfg(feature = "serde")]
        assert_eq!(
            serde_json::to_string(&compact).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
        let names: Vec<&str> = (&compact).into_iter().map(|n| &*n.name).collect();
        assert_eq!(names, ["fetch", "html", "sent"]);
        assert_eq!(compact, NodeReports::from(want.clone()));
        assert_eq!(compact.clone().into_vec(), want);
        let blank = NodeReports::compact(&NAMES_REF, vec![NodeRecord::NOT_STARTED; 3]);
        assert_eq!(blank.into_vec()[2], want[2]);
        assert_eq!(std::mem::size_of::<NodeReports>(), 16);
    }

    /// A report whose nodes all ended alike keeps one record for all of them.
    #[test]
    fn one_record_for_every_node() {
        let ran = NodeRecord {
            started: 5,
            duration: 0,
            attempts: 1,
            status: NodeStatus::Succeeded,
        };
        let one = NodeReports::all(&NAMES_REF, ran);
        assert_eq!(one.len(), 3);
        assert!(!one.is_built(), "len() makes no report");
        assert_eq!(one, NodeReports::compact(&NAMES_REF, vec![ran; 3]));
        assert!(one
            .iter()
            .all(|n| n.started_at == Some(Duration::from_nanos(5))));
        assert_eq!(one.into_vec()[2].name, "sent");
        assert_eq!(std::mem::size_of::<Records>(), 24);
    }

    /// A report whose nodes all ran at the run's start keeps only their names; its
    /// reports are made once per workflow, and read as any other's.
    #[test]
    fn nodes_that_ran_at_the_start_share_their_reports() {
        let ran = NodeReports::all(&NAMES_REF, NodeRecord::RAN_AT_START);
        assert!(matches!(ran.0, Repr::RanAtStart(_)));
        assert_eq!(ran.len(), 3);
        let again = NodeReports::all(&NAMES_REF, NodeRecord::RAN_AT_START);
        assert!(std::ptr::eq(&*ran, &*again), "made once");
        assert_eq!(
            ran,
            NodeReports::compact(&NAMES_REF, vec![NodeRecord::RAN_AT_START; 3])
        );
        assert_eq!(ran[1].name, "html");
        assert_eq!(ran[1].started_at, Some(Duration::ZERO));
        assert_eq!(ran[1].attempts, 1);
        assert_eq!(ran.clone().into_vec(), ran.to_vec());
        assert!(NodeReports::default().is_empty());
        assert!(NodeReports::default().iter().next().is_none());
    }

    /// `Runtime::execute`'s output for a small output struct is at most 128 bytes, which
    /// LLVM moves inline (issue 17: `join_all` moved the 160 bytes it was with a
    /// `memmove` call six times a run).
    #[test]
    fn a_small_runs_result_is_moved_inline() {
        use crate::error::WorkflowError;
        assert!(std::mem::size_of::<RunReport>() <= 72);
        assert!(std::mem::size_of::<Result<Run<u64>, WorkflowError>>() <= 128);
    }

    /// Times beyond what nanoseconds in a `u64` hold (584 years) saturate below "never
    /// started".
    #[test]
    fn record_times_saturate() {
        assert_eq!(NodeRecord::nanos(Duration::MAX), NodeRecord::NEVER - 1);
        assert_eq!(NodeRecord::nanos(Duration::new(3, 7)), 3_000_000_007);
        // Around the exact path's bound: the same values as saturating arithmetic.
        let saturating = |d: Duration| {
            d.as_secs()
                .saturating_mul(1_000_000_000)
                .saturating_add(u64::from(d.subsec_nanos()))
                .min(NodeRecord::NEVER - 1)
        };
        let bound = NodeRecord::NANOS_EXACT_SECS;
        for secs in [bound - 1, bound, bound + 1, u64::MAX] {
            for nanos in [0, 1, 709_551_613, 709_551_614, 709_551_615, 999_999_999] {
                let d = Duration::new(secs, nanos);
                assert_eq!(NodeRecord::nanos(d), saturating(d), "{d:?}");
            }
        }
        assert_eq!(
            NodeRecord::nanos(Duration::new(bound - 1, 999_999_999)),
            (bound - 1) * 1_000_000_000 + 999_999_999
        );
        assert_eq!(
            NodeRecord::nanos(Duration::new(bound, 0)),
            bound * 1_000_000_000
        );
    }
}
