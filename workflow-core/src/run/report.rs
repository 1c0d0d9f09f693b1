//! A run's report: [`RunReport`], each node's [`NodeReport`] and [`NodeStatus`], and how a
//! merge's arms are named in them.

use std::fmt;
use std::time::Duration;

use super::NodeReports;
use crate::error::NodeName;

/// What happened to the nodes of one run, successful or not: [`Run::report`](crate::Run::report),
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
        for line in self.node_lines() {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

impl RunReport {
    /// One line per node as `{}` prints them (without the indent): a merge's nodes
    /// named with their fn, every status in one column, as wide as the widest name
    /// needs ([`name_column`]). `workflow-test`'s run records print these lines, so the
    /// harness's messages and the report line up the same way.
    #[doc(hidden)]
    pub fn node_lines(&self) -> Vec<String> {
        let labels: Vec<std::borrow::Cow<'_, str>> = if self.merges().is_empty() {
            self.nodes
                .iter()
                .map(|n| std::borrow::Cow::Borrowed(&*n.name))
                .collect()
        } else {
            self.labels()
                .into_iter()
                .map(std::borrow::Cow::Owned)
                .collect()
        };
        let width = name_column(labels.iter().map(|l| &**l));
        self.nodes
            .iter()
            .zip(&labels)
            .map(|(n, label)| n.line(label, width))
            .collect()
    }
}

/// The narrowest name column of a report or a live snapshot (`RunReport`, `RunSnapshot`
/// and `workflow-test`'s messages): most bindings fit.
const NAME_COLUMN: usize = 16;

/// The width of the name column for `names`: the widest name, and at least 16, so that
/// one long name (a merge's arm, `receipt (refuse_large)`; a path, `thumbs[12].img`)
/// widens the column for every line rather than pushing its own status out of it.
#[doc(hidden)]
pub fn name_column<'a>(names: impl IntoIterator<Item = &'a str>) -> usize {
    names
        .into_iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(NAME_COLUMN)
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
/// around every node instead, and its [`ExecutionTrace`](crate::ExecutionTrace) times every attempt.
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

    /// `label` in a column of `width`, the status, and attempts and time if it started (no
    /// time when none was read: a report so far of an untraced run).
    fn line(&self, label: &str, width: usize) -> String {
        // The status is padded only when something follows it: no trailing spaces on
        // the lines of nodes that never started (snapshot tests, editors that trim).
        if self.attempts > 0 && self.started_at.is_none() {
            // Started, but no clock was read for it: the report so far of an untraced
            // run (`RunHandle::report_so_far`, a run whose future was dropped), which
            // has no times. `time=0ns` would read as a measurement.
            format!(
                "{:<width$} {:<10} attempts={}",
                label,
                self.status.as_str(),
                self.attempts
            )
        } else if self.attempts > 0 {
            format!(
                "{:<width$} {:<10} attempts={} time={:?}",
                label,
                self.status.as_str(),
                self.attempts,
                self.duration
            )
        } else {
            format!("{:<width$} {}", label, self.status.as_str())
        }
    }

    /// `label`, the status, and attempts and time if it started.
    fn write_line(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        f.write_str(&self.line(label, NAME_COLUMN))
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
    #[doc(alias = "Pending")]
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
