//! Fan-out items in lanes: how the items of a fan-out (and a sub-workflow without
//! policies of its own) run without a whole run per item.
//!
//! A *lane* is a run of the body's workflow (its generated `Workflow::run`, so its cell
//! table) that takes items one after another from the fan-out's [`Feed`]: when an item
//! ends, the lane writes its result and node reports into the feed and starts the next
//! item in the same cells, with the same predecessor counts, ready queue and status
//! table, reset. A fan-out starts a lane only when every lane it has is waiting on a
//! pending item (and `#[concurrency = N]` allows one more), so items that complete at
//! once all run in one lane: no allocation per item but its output and report entries.
//!
//! Items that wait (I/O, timers) need a lane each while they wait. The fan-out keeps a
//! queue of woken lanes (each lane's waker queues it once) and polls only those; one
//! poll handles at most [`LANE_START_BUDGET`] lanes, woken or new, then yields with a
//! wake-up deferred the way `tokio::task::yield_now` defers it. So items that wait
//! briefly (a `yield_now`, a channel answered at once) find their lanes woken at the
//! next poll and reuse them (10,000 such items: ~64 lanes, about one allocation per
//! item), while items that wait long (downloads) all start, a batch per poll.
//!
//! Each lane has one [`RunShared`] (its nodes' `Context`), named by the fan-out's path
//! and the item it runs now (`thumbs[3].img`). Item reports are kept in the feed, `k`
//! entries per item in item order, and handed to the parent run in one piece when the
//! fan-out ends or is dropped (a timed-out fan-out still reports its items: those that
//! ran, were cancelled, or never started).
//!
//! Within an item, the lane is a small driver: fail-fast, no run timeout or stall
//! limit (bodies with such policies, or `failure = "continue"`, run as whole child runs,
//! `child.rs`), and every pending node of the item is polled when the lane is woken
//! (an item has few nodes; the lane's waker is the one thing that tells items apart).

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio_util::sync::CancellationToken;

use super::attempt::{self, node_span, panic_message, supervises_all, Finished, Mode, NodeFailure};
use super::cells::{NodeStarter, Op};
use super::status::Statuses;
use super::workflow::{Executor, ItemCodec, RunOutcome, Workflow};
use crate::error::{NodeName, TimeoutScope, WorkflowError};
use crate::policy::{FailurePolicy, WorkflowPolicy};
use crate::run::{NodeRecord, NodeReport, NodeReports, NodeStatus, RunReport};
use crate::shared::{item_path, RunShared, RunSlot, RuntimeShared};
use crate::sync::lock;
use crate::trace::TraceKind;

/// Items one poll of a lane may finish before it yields to other tasks.
const ITEM_BUDGET: usize = 1024;

/// How often (in items) a lane looks at the time it has run in one poll.
const BUDGET_CHECK_EVERY: usize = 64;

/// Time one poll of a lane may take before it yields (checked every
/// [`BUDGET_CHECK_EVERY`] items).
const TIME_BUDGET: Duration = Duration::from_micros(500);

/// Lanes one poll of a fan-out polls (woken) or starts at most before it yields: a
/// poll that finds this many lanes woken starts none, so items that wait briefly
/// reuse the lanes they have rather than each taking a new one.
const LANE_START_BUDGET: usize = 64;

/// How often (in finished nodes) a lane checks for cancellation while its nodes
/// complete at once; a lane waiting on a pending item checks whenever it is woken.
const CANCEL_CHECK_EVERY: usize = 16;

/// Whether the items of `W` can run in lanes: the body has no run timeout or stall
/// limit and fails fast (what a lane's item driver does).
pub(crate) fn fits_lanes<W: Workflow>() -> bool {
    let WorkflowPolicy {
        timeout,
        deadlock,
        concurrency: _,
        failure,
    } = W::PLAN.policy;
    timeout.is_none() && deadlock.is_none() && failure == FailurePolicy::FailFast
}

/// The items of one fan-out: where lanes take them and leave their results and
/// reports (one per fan-out; the "arena" of its items).
pub(crate) struct Feed<W: Workflow> {
    /// The run whose node runs the fan-out.
    parent: Arc<RunShared>,
    /// That node.
    node: usize,
    /// Its path in the root run (`thumbs`).
    path: Arc<str>,
    /// The fan-out's token: cancelled when it fails fast, ends, or its run stops.
    pub(crate) cancel: CancellationToken,
    /// `failure = "collect"`: an item's failure stops only that item.
    collect: bool,
    /// A sub-workflow: one item, whose nodes are named `<path>.<binding>`.
    single: bool,
    /// How items' nodes are recorded in a durable run (`item_records.rs`); `None`: the
    /// fan-out (or sub-workflow) is recorded as one value only, when it ends.
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    codec: Option<ItemCodec<W>>,
    /// The index in the whole list of the source's item 0: items are named by it (a
    /// fan-out node called by itself with a slice of its list, `NodeCall::with_first_item`).
    pub(crate) first_item: usize,
    /// A lane yielded to other tasks (it ran long): it is not waiting on an item, so
    /// the fan-out starts no lane for it.
    yielded: AtomicBool,
    state: Mutex<FeedState<W>>,
    /// The lane driver of `W`'s items, which `Executor::run` finds here (see
    /// [`lane_driver`]): named only where `W` is the body of a fan-out, so a workflow
    /// that never is one does not compile it (issue 17: the lane driver was ~18% of the
    /// code every executed workflow added to its crate).
    drive: LaneDriver<W>,
}

/// A generated cell table seen through `dyn`: what a lane drives its items' nodes
/// with (one indirect call per node op, in lanes only).
pub(super) type DynCells<'c, W> = dyn FnMut(&mut <W as Workflow>::State, usize, Op<'_, '_>) -> Poll<Finished<<W as Workflow>::Value>>
    + Send
    + 'c;

/// The lane driver of `W` (`drive_lane` behind a box, see [`Feed::drive`](Feed)): runs
/// the lane whose feed and first item are given with the run's cell table.
pub(super) type LaneDriver<W> = for<'c> fn(
    Arc<RuntimeShared>,
    Arc<dyn Any + Send + Sync>,
    usize,
    <W as Workflow>::Input,
    &'c mut DynCells<'c, W>,
) -> Pin<
    Box<dyn Future<Output = RunOutcome<<W as Workflow>::Output>> + Send + 'c>,
>;

/// A fan-out's items not taken yet, each with its index: an item's input is made as it
/// is taken. Items that never start (after a failure, or a stop) are counted without
/// making theirs: that runs the user's code (a `Clone` of each value the items share),
/// which may panic, and did so again as the fan-out's reports were flushed while that
/// panic unwound (an abort).
pub(crate) trait ItemSource<In>: Send {
    /// The next item's index and input.
    fn take(&mut self) -> Option<(usize, In)>;
    /// Drops the items left, without making their inputs; how many there were.
    fn skip_rest(&mut self) -> usize;
}

/// The [`ItemSource`] of `items`, whose inputs `input` makes; `first`: the index in the
/// whole list of `items`' first (see [`Feed::first_item`]), which names an item whose
/// input panicked.
pub(crate) fn item_source<I, In>(
    items: I,
    first: usize,
    input: impl FnMut(I::Item) -> In + Send + 'static,
) -> Box<dyn ItemSource<In>>
where
    I: Iterator + Send + 'static,
{
    Box::new(Items {
        items: items.enumerate(),
        first,
        input,
        lost: false,
    })
}

struct Items<I, F> {
    items: std::iter::Enumerate<I>,
    first: usize,
    input: F,
    /// An item was taken from `items` whose input panicked: it never started, and
    /// [`skip_rest`](ItemSource::skip_rest) counts it with the items left.
    lost: bool,
}

impl<I, In, F> ItemSource<In> for Items<I, F>
where
    I: Iterator + Send,
    F: FnMut(I::Item) -> In + Send,
{
    fn take(&mut self) -> Option<(usize, In)> {
        let (i, item) = self.items.next()?;
        // Making an item's input clones each value the items share (a user's `Clone`,
        // which may panic); the panic stays the fan-out node's, and says which item and
        // where (nothing is added on the way that does not panic).
        let input = &mut self.input;
        match std::panic::catch_unwind(AssertUnwindSafe(move || input(item))) {
            Ok(input) => Some((i, input)),
            Err(payload) => {
                self.lost = true;
                attempt::item_input_panicked(payload, i + self.first)
            }
        }
    }

    fn skip_rest(&mut self) -> usize {
        usize::from(std::mem::take(&mut self.lost)) + self.items.by_ref().count()
    }
}

/// What lanes share (under the feed's lock, taken once per item).
struct FeedState<W: Workflow> {
    /// The items not taken yet, each with its index.
    source: Box<dyn ItemSource<W::Input>>,
    /// No more items will be taken (the source ended, or the fan-out stops).
    closed: bool,
    /// Items taken from the source.
    taken: usize,
    /// Each item's output, by index (`None`: not finished, or failed).
    outputs: Vec<Option<W::Output>>,
    /// The failures of a collecting fan-out's items, by item.
    errors: Vec<(usize, WorkflowError)>,
    /// `k` report records per item (`k` nodes in the body), item-major: the reports
    /// (named by their paths) are made from them when they are handed over.
    reports: Vec<NodeRecord>,
    /// Reports of child runs of items' nodes: (item, node, reports).
    children: Vec<(usize, usize, Vec<NodeReport>)>,
    /// The first failure of a fail-fast fan-out.
    first_error: Option<WorkflowError>,
    /// The reports were handed to the parent.
    flushed: bool,
}

impl<W: Workflow> Feed<W> {
    /// The feed of the fan-out run by `parent`'s node `node` at `path` over `source`
    /// (of about `hint` items). `single`: a sub-workflow (one item, no index).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        parent: Arc<RunShared>,
        node: usize,
        path: Arc<str>,
        collect: bool,
        single: bool,
        codec: Option<ItemCodec<W>>,
        source: Box<dyn ItemSource<W::Input>>,
        hint: usize,
    ) -> Self {
        let cancel = parent.cancel.child_token();
        let k = W::PLAN.nodes.len();
        let mut outputs = Vec::new();
        outputs.resize_with(hint, || None);
        let reports = vec![NodeRecord::NOT_STARTED; hint * k];
        Self {
            parent,
            node,
            path,
            cancel,
            collect,
            single,
            codec,
            first_item: 0,
            yielded: AtomicBool::new(false),
            drive: drive_boxed::<W>,
            state: Mutex::new(FeedState {
                source,
                closed: false,
                taken: 0,
                outputs,
                errors: Vec::new(),
                reports,
                children: Vec::new(),
                first_error: None,
                flushed: false,
            }),
        }
    }

    /// The next item to run, if the fan-out goes on.
    pub(crate) fn next(&self) -> Option<(usize, W::Input)> {
        lock(&self.state).next()
    }

    /// No more items start (the fan-out was cancelled).
    fn close(&self) {
        lock(&self.state).closed = true;
    }

    /// Item `item` ended with `result`, its nodes as in `reports` (and `children`, the
    /// reports of child runs of its nodes); the next item to run, if any. The first
    /// failure of a fail-fast fan-out cancels the others and starts no more.
    fn finish(
        &self,
        item: usize,
        result: Result<W::Output, WorkflowError>,
        reports: &[NodeRecord],
        children: Vec<(usize, Vec<NodeReport>)>,
        stop: bool,
    ) -> Option<(usize, W::Input)> {
        let mut state = lock(&self.state);
        state.store_reports(item, reports, children);
        match result {
            Err(e) => {
                let e = e.in_workflow(self.parent.root_workflow);
                if self.collect {
                    state.errors.push((item, e));
                } else if state.first_error.is_none() {
                    state.first_error = Some(e);
                    state.closed = true;
                    self.cancel.cancel();
                }
            }
            Ok(output) => {
                if state.outputs.len() <= item {
                    state.outputs.resize_with(item + 1, || None);
                }
                state.outputs[item] = Some(output);
            }
        }
        if stop {
            state.closed = true;
        }
        state.next()
    }

    /// A fail-fast fan-out's outcome: every item's output (`pick`ed) in input order,
    /// or its first failure (an item without an output was cancelled).
    pub(crate) fn outputs<T>(&self, pick: fn(W::Output) -> T) -> Result<Vec<T>, WorkflowError> {
        let mut state = lock(&self.state);
        if let Some(e) = state.first_error.take() {
            return Err(e);
        }
        let taken = state.taken;
        let outputs = std::mem::take(&mut state.outputs);
        outputs
            .into_iter()
            .take(taken)
            .map(|o| o.map(pick).ok_or_else(|| self.cancelled()))
            .collect()
    }

    /// A collecting fan-out's outcome: every item's result in input order.
    pub(crate) fn results<T>(&self, pick: fn(W::Output) -> T) -> Vec<Result<T, WorkflowError>> {
        let mut state = lock(&self.state);
        let taken = state.taken;
        let outputs = std::mem::take(&mut state.outputs);
        let mut errors = std::mem::take(&mut state.errors);
        errors.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut results = Vec::with_capacity(taken);
        for (i, output) in outputs.into_iter().take(taken).enumerate() {
            results.push(match output {
                Some(o) => Ok(pick(o)),
                None => match errors.last() {
                    Some((item, _)) if *item == i => Err(errors
                        .pop()
                        .map(|e| e.1)
                        .unwrap_or_else(|| self.cancelled())),
                    _ => Err(self.cancelled()),
                },
            });
        }
        results
    }

    fn cancelled(&self) -> WorkflowError {
        WorkflowError::Cancelled {
            workflow: self.parent.root_workflow,
            running: Vec::new(),
            retrying: Vec::new(),
        }
    }

    /// Hands the items' node reports to the parent run, named by their paths (once):
    /// after the fan-out ends, or when it is dropped. Items never started (after a
    /// fail-fast failure, or a stop) are reported skipped, nodes still running cancelled.
    pub(crate) fn flush(&self) {
        let mut state = lock(&self.state);
        if state.flushed {
            return;
        }
        state.flushed = true;
        // Items the source still holds never start: count them (without making their
        // inputs) so they are reported.
        state.closed = true;
        let rest = state.source.skip_rest();
        let total = state.taken + rest;
        let k = W::PLAN.nodes.len();
        state.reports.resize(total * k, NodeRecord::NOT_STARTED);
        let mut children = std::mem::take(&mut state.children);
        children.sort_by_key(|&(item, node, _)| (item, node));
        let records = std::mem::take(&mut state.reports);
        drop(state);
        let names = W::PLAN.names;
        let k = k.max(1);
        // Room for the parent's own reports too: the parent's report is built in this
        // vector when the fan-out is its only child (see `RunShared::merge_reports`).
        let mut reports = Vec::with_capacity(records.len() + self.parent.nodes.len());
        for (at, record) in records.iter().enumerate() {
            let item = at / k;
            let mut report = record.report(&names[at % k]);
            report.name = if self.single {
                format!("{}.{}", self.path, report.name).into()
            } else {
                item_path(&self.path, item + self.first_item, &report.name).into()
            };
            let kind = match report.status {
                NodeStatus::NotStarted => Some((NodeStatus::Skipped, TraceKind::Skipped)),
                NodeStatus::Running => Some((NodeStatus::Cancelled, TraceKind::Cancelled)),
                _ => None,
            };
            if let Some((status, kind)) = kind {
                report.status = status;
                self.parent.record_named(report.name.clone(), kind);
            }
            reports.push(report);
        }
        let out = if children.is_empty() {
            reports
        } else {
            let extra: usize = children.iter().map(|c| c.2.len()).sum();
            let mut out = Vec::with_capacity(reports.len() + extra);
            let mut children = children.into_iter().peekable();
            for (at, report) in reports.into_iter().enumerate() {
                let (item, node) = (at / k, at % k);
                out.push(report);
                while let Some((_, _, nodes)) = children.next_if(|c| c.0 == item && c.1 == node) {
                    out.extend(nodes);
                }
            }
            out
        };
        self.parent.add_child_report(self.node, 0, out);
    }
}

/// The items that finished so far, for the run's report so far while the fan-out is in
/// flight (a cold path: only for a monitored run, when asked).
impl<W: Workflow> crate::shared::FinishedItems for Feed<W> {
    fn finished_so_far(&self) -> (usize, Vec<(usize, Vec<NodeReport>)>) {
        let state = lock(&self.state);
        if state.flushed {
            return (self.node, Vec::new());
        }
        let k = W::PLAN.nodes.len().max(1);
        let names = W::PLAN.names;
        let mut out = Vec::new();
        // An item's records are written when it ends: one that has any is finished.
        for (item, records) in state.reports.chunks(k).enumerate() {
            if records.iter().all(|r| r.status == NodeStatus::NotStarted) {
                continue;
            }
            let mut nodes = Vec::with_capacity(k);
            for (node, record) in records.iter().enumerate() {
                let mut report = record.report(&names[node]);
                report.name = if self.single {
                    format!("{}.{}", self.path, report.name).into()
                } else {
                    item_path(&self.path, item + self.first_item, &report.name).into()
                };
                nodes.push(report);
                nodes.extend(
                    state
                        .children
                        .iter()
                        .filter(|c| c.0 == item && c.1 == node)
                        .flat_map(|c| c.2.iter().cloned()),
                );
            }
            out.push((item + self.first_item, nodes));
        }
        (self.node, out)
    }
}

impl<W: Workflow> FeedState<W> {
    fn next(&mut self) -> Option<(usize, W::Input)> {
        if self.closed {
            return None;
        }
        let Some((i, input)) = self.source.take() else {
            self.closed = true;
            return None;
        };
        self.taken = i + 1;
        Some((i, input))
    }

    /// Writes item `item`'s reports into its entries.
    fn store_reports(
        &mut self,
        item: usize,
        reports: &[NodeRecord],
        children: Vec<(usize, Vec<NodeReport>)>,
    ) {
        let k = reports.len();
        if self.reports.len() < (item + 1) * k {
            self.reports.resize((item + 1) * k, NodeRecord::NOT_STARTED);
        }
        self.reports[item * k..(item + 1) * k].copy_from_slice(reports);
        self.children.extend(
            children
                .into_iter()
                .map(|(node, nodes)| (item, node, nodes)),
        );
    }
}

/// Hands a fan-out's reports to its parent when dropped (also when the fan-out's
/// future is dropped: a timed-out fan-out still reports its items).
pub(crate) struct FlushOnDrop<'f, W: Workflow>(pub(crate) &'f Feed<W>);

impl<W: Workflow> Drop for FlushOnDrop<'_, W> {
    fn drop(&mut self) {
        self.0.flush();
    }
}

/// Lanes woken since the fan-out last looked, and the fan-out's own waker.
#[derive(Default)]
struct LaneWake {
    woken: Mutex<Vec<usize>>,
    fan: AtomicWaker,
}

/// The waker a lane is polled with: queues the lane once, wakes the fan-out.
struct LaneWaker {
    wake: Arc<LaneWake>,
    lane: usize,
    queued: AtomicBool,
}

impl Wake for LaneWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            lock(&self.wake.woken).push(self.lane);
        }
        self.wake.fan.wake();
    }
}

/// A lane: the body workflow's run future.
type LaneFuture<W> =
    Pin<Box<dyn Future<Output = RunOutcome<<W as Workflow>::Output>> + Send + 'static>>;

/// Runs every item of `feed`, at most `concurrency` at a time, in lanes; returns when
/// every lane ended (the feed then has every result). `runtime` is the parent's.
pub(crate) async fn run_lanes<W: Workflow>(
    feed: &Arc<Feed<W>>,
    runtime: &Arc<RuntimeShared>,
    concurrency: usize,
) {
    let concurrency = concurrency.max(1);
    let wake = Arc::new(LaneWake::default());
    let erased: Arc<dyn Any + Send + Sync> = Arc::clone(feed) as _;
    let mut lanes: Vec<Option<LaneFuture<W>>> = Vec::new();
    let mut wakers: Vec<(Arc<LaneWaker>, Waker)> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut due: Vec<usize> = Vec::new();
    let mut live = 0usize;
    let mut cancelled = std::pin::pin!(feed.cancel.cancelled());
    std::future::poll_fn(|cx| {
        wake.fan.register(cx.waker());
        std::mem::swap(&mut due, &mut *lock(&wake.woken));
        // Looked at in every poll, the first included, so that the token's wake-up
        // reaches this fan-out from its first poll on: an item that fails fast as this
        // poll starts lanes (a node that fails in its first poll) cancels the token,
        // and the lanes started before it, waiting on their items, must be polled
        // again to stop. Polled only once lanes ran, this missed that wake-up: where
        // nothing else polls the fan-out's node again (a fan-out in a sub-workflow's
        // or an item's lane), it waited for those items to end by themselves, and
        // forever for one that waits until it is cancelled.
        let cancel = cancelled.as_mut().poll(cx).is_ready();
        if live > 0 && cancel {
            // Every lane looks at the token: its items stop.
            feed.close();
            due.clear();
            due.extend((0..lanes.len()).filter(|&l| lanes[l].is_some()));
        }
        for &l in &due {
            let Some(lane) = lanes.get_mut(l).and_then(Option::as_mut) else {
                continue;
            };
            let (waker, w) = &wakers[l];
            waker.queued.store(false, Ordering::Release);
            if Pin::as_mut(lane)
                .poll(&mut TaskContext::from_waker(w))
                .is_ready()
            {
                lanes[l] = None;
                live -= 1;
                free.push(l);
            }
        }
        // Woken lanes use up the start budget: they took the feed's next items.
        let budget = LANE_START_BUDGET.saturating_sub(due.len());
        due.clear();
        if feed.yielded.swap(false, Ordering::Relaxed) {
            // A lane ran many items and yielded: it goes on at the next poll.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut started = 0;
        while live < concurrency {
            if started == budget {
                // Let the lanes just started make progress before starting more: items
                // that wait briefly then reuse these lanes rather than each taking one.
                // tokio defers `yield_now` wake-ups until the worker has no other task,
                // so a plain self-wake would poll the fan-out again before those lanes'
                // wake-ups land (and start a lane per item); deferring ours too puts it
                // after theirs.
                defer_wake(cx);
                return Poll::Pending;
            }
            let Some((item, input)) = feed.next() else {
                break;
            };
            started += 1;
            let l = free.pop().unwrap_or_else(|| {
                let waker = Arc::new(LaneWaker {
                    wake: Arc::clone(&wake),
                    lane: lanes.len(),
                    queued: AtomicBool::new(false),
                });
                wakers.push((Arc::clone(&waker), Waker::from(waker)));
                lanes.push(None);
                lanes.len() - 1
            });
            let exec = Executor::<W>::lane(Arc::clone(runtime), input, Arc::clone(&erased), item);
            let inner = W::run(exec);
            let mut lane: LaneFuture<W> = Box::pin(inner);
            let (waker, w) = &wakers[l];
            waker.queued.store(false, Ordering::Release);
            if lane
                .as_mut()
                .poll(&mut TaskContext::from_waker(w))
                .is_ready()
            {
                free.push(l);
            } else {
                lanes[l] = Some(lane);
                live += 1;
            }
        }
        if live == 0 {
            return Poll::Ready(());
        }
        // The fan-out's node is blocked while every lane's item is (tracked waits).
        crate::shared::waits::check_children(&feed.parent, feed.node, live);
        if !lock(&wake.woken).is_empty() {
            // Lanes woken while this poll ran (or that yielded): next poll.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    })
    .await;
}

/// Wakes the current task the way `tokio::task::yield_now` does: after the wake-ups
/// tokio deferred to the end of this poll (outside a tokio runtime, at once).
fn defer_wake(cx: &mut TaskContext<'_>) {
    let yielding = std::pin::pin!(tokio::task::yield_now());
    // The first poll of `yield_now` registers the wake-up and is always pending; the
    // future itself is not needed after that.
    let _ = yielding.poll(cx);
}

/// How an item stopped early.
enum Stop {
    Failed(WorkflowError),
    Cancelled,
}

/// A lane's driver of one item at a time (see the module docs).
struct Lane<'f, W: Workflow, C> {
    feed: &'f Feed<W>,
    runtime: Arc<RuntimeShared>,
    shared: RunSlot,
    /// The lane cancelled its token (an item of a collecting fan-out failed): the next
    /// item gets a fresh run state.
    spent: bool,
    cells: C,
    deps: Vec<u32>,
    ready: VecDeque<usize>,
    pending: Vec<bool>,
    pending_count: usize,
    /// Nodes of arms not taken (empty for a body without decisions).
    blocked: Vec<bool>,
    statuses: Statuses,
    spans: Vec<tracing::Span>,
    supervise_all: bool,
    concurrency: usize,
    clock: Option<Duration>,
    precise_timing: bool,
    /// The item running now: its reports go to the feed if the lane is dropped.
    item: Option<usize>,
    /// Some node of the body runs in a task of its own: the lane leaves its waker for
    /// such a node to wake it with when it starts blocking in a tracked wait.
    spawns: bool,
    /// The waker the lane last left so (for its current run state).
    wait_waker: Option<Waker>,
}

impl<'f, W, C> Lane<'f, W, C>
where
    W: Workflow,
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    fn new(feed: &'f Feed<W>, runtime: Arc<RuntimeShared>, cells: C) -> Self {
        let plan = W::PLAN;
        let k = plan.nodes.len();
        let shared = lane_shared(feed, &runtime);
        let supervise_all = supervises_all(&shared);
        // The body's own limit, at most the runs' above it (see `RunShared::concurrency`).
        let concurrency = shared.concurrency;
        Self {
            feed,
            supervise_all,
            spawns: plan
                .nodes
                .iter()
                .any(|n| Mode::of(n, supervise_all).spawns()),
            wait_waker: None,
            precise_timing: shared.trace.is_some(),
            runtime,
            shared,
            spent: false,
            cells,
            deps: Vec::with_capacity(k),
            ready: VecDeque::with_capacity(k),
            pending: vec![false; k],
            pending_count: 0,
            blocked: Vec::new(),
            statuses: Statuses::new(&plan.names),
            spans: Vec::new(),
            concurrency,
            clock: None,
            item: None,
        }
    }

    /// Runs item `item` with `input` to its end.
    async fn run_item(&mut self, item: usize, input: W::Input) -> Result<W::Output, WorkflowError> {
        if self.spent {
            self.shared = lane_shared(self.feed, &self.runtime);
            self.spent = false;
            self.wait_waker = None;
        }
        if !self.feed.single {
            self.shared.set_item(item + self.feed.first_item);
        }
        self.item = Some(item);
        self.statuses.reset();
        self.shared.reset_live();
        self.deps.clear();
        self.deps.extend_from_slice(W::PLAN.deps);
        self.blocked.clear();
        let mut state = W::init(input);
        #[cfg(feature = "store")]
        self.restore(&mut state)?;
        for (j, &deps) in self.deps.iter().enumerate() {
            if deps == 0 && !self.blocked.get(j).copied().unwrap_or(false) {
                self.ready.push_back(j);
                self.shared.record(Some(j), TraceKind::Scheduled);
            }
        }
        let stop = std::future::poll_fn(|cx| self.poll_item(cx, &mut state)).await;
        let result = match stop {
            None => {
                self.statuses.skip_not_started(&self.shared);
                Ok(W::finish(&mut state))
            }
            Some(stop) => {
                // The nodes running when the item stopped, before a grace lets some end.
                let running: Vec<NodeName> = self
                    .statuses
                    .running()
                    .map(|(i, _)| self.shared.node_name(i))
                    .collect();
                if let Stop::Cancelled = stop {
                    // A run above stops with a grace (`RunOptions::cancel_grace`): the
                    // item's nodes, which see the cancellation, get it too.
                    if let Some(end) = self.shared.inherited_grace_end() {
                        self.drain(&mut state, end).await;
                    }
                }
                Err(self.abort(&mut state, stop, running))
            }
        };
        // Values left in their slots are dropped here; a panicking `Drop` must not
        // unwind out of the fan-out.
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| drop(state))) {
            tracing::error!(
                target: "workflow",
                workflow = W::PLAN.name,
                panic = %panic_message(payload.as_ref()),
                "an unconsumed value panicked while being dropped"
            );
        }
        result
    }

    /// Starts ready nodes and polls pending ones until the item ends (`Ready(None)`),
    /// stops (`Ready(Some)`), or waits.
    fn poll_item(&mut self, cx: &mut TaskContext<'_>, state: &mut W::State) -> Poll<Option<Stop>> {
        if self.pending_count > 0 {
            // Woken: a new poll of the lane, with its own time.
            self.clock = None;
            if self.shared.cancel.is_cancelled() {
                return Poll::Ready(Some(Stop::Cancelled));
            }
        }
        let mut handled = 0usize;
        // Nodes pending since an earlier poll are polled once, now (the lane was woken
        // for one of them); nodes that become pending in this poll wait for a wake-up.
        if self.pending_count > 0 {
            for j in 0..self.pending.len() {
                if !self.pending[j] {
                    continue;
                }
                let Poll::Ready(done) = self.poll_node(j, state, cx) else {
                    continue;
                };
                if let Err(e) = self.on_finished(state, done) {
                    return Poll::Ready(Some(Stop::Failed(e)));
                }
            }
        }
        while self.pending_count < self.concurrency {
            let Some(j) = self.ready.pop_front() else {
                break;
            };
            match self.start_node(j, state, cx) {
                Poll::Ready(done) => {
                    handled += 1;
                    if let Err(e) = self.on_finished(state, done) {
                        return Poll::Ready(Some(Stop::Failed(e)));
                    }
                    if handled % CANCEL_CHECK_EVERY == 0 && self.shared.cancel.is_cancelled() {
                        return Poll::Ready(Some(Stop::Cancelled));
                    }
                }
                Poll::Pending => {
                    self.pending[j] = true;
                    self.pending_count += 1;
                }
            }
        }
        if self.pending_count == 0 && self.ready.is_empty() {
            return Poll::Ready(None);
        }
        if self.pending_count > 0 {
            if self.spawns {
                self.shared
                    .waits
                    .register_waker(cx.waker(), &mut self.wait_waker);
            }
            if self.shared.waits.blocked() >= self.pending_count {
                // Every node of the item waits: the fan-out's node is told (a lane is
                // never a root run, so this is never a deadlock by itself).
                crate::shared::waits::all_blocked(&self.shared, self.pending_count);
            }
        }
        Poll::Pending
    }

    fn elapsed(&mut self) -> Duration {
        if self.precise_timing {
            return self.shared.started.elapsed();
        }
        *self
            .clock
            .get_or_insert_with(|| self.shared.started.elapsed())
    }

    fn start_node(
        &mut self,
        j: usize,
        state: &mut W::State,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Finished<W::Value>> {
        let at = self.elapsed();
        self.statuses.started(&self.shared, j, at, false);
        let mode = Mode::of(&W::PLAN.nodes[j], self.supervise_all);
        if mode == Mode::Inline {
            let span = node_span(&self.shared, j, 1);
            if !span.is_disabled() {
                if self.spans.is_empty() {
                    self.spans = vec![tracing::Span::none(); self.deps.len()];
                }
                self.spans[j] = span;
            }
        }
        let _entered = self.spans.get(j).map(attempt::enter);
        let starter = NodeStarter {
            shared: &self.shared,
            mode,
            done: None,
        };
        (self.cells)(state, j, Op::Start(&starter, cx))
    }

    fn poll_node(
        &mut self,
        j: usize,
        state: &mut W::State,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Finished<W::Value>> {
        let _entered = self.spans.get(j).map(attempt::enter);
        let polled = (self.cells)(state, j, Op::Poll(cx));
        if polled.is_ready() {
            self.pending[j] = false;
            self.pending_count -= 1;
        }
        polled
    }

    /// Records a finished node; schedules its successors, or returns its failure.
    fn on_finished(
        &mut self,
        state: &mut W::State,
        done: Finished<W::Value>,
    ) -> Result<(), WorkflowError> {
        self.shared.note_progress();
        let Finished {
            index,
            attempts,
            result,
        } = done;
        if let Some(span) = self.spans.get_mut(index) {
            *span = tracing::Span::none();
        }
        let now = self.elapsed();
        match result {
            Ok(value) => {
                #[cfg(feature = "store")]
                if let (Some(codec), Some(link)) = (&self.feed.codec, &self.shared.durable) {
                    super::item_records::record_item(codec, link, &self.shared, index, &value)?;
                }
                self.statuses
                    .succeeded(&self.shared, index, attempts, now, false);
                if !W::PLAN.decisions.is_empty() {
                    if let Some(arm) = W::chosen_arm(&value) {
                        self.take_arm(index, arm);
                    }
                }
                W::store(state, value);
                for &s in W::PLAN.nodes[index].successors {
                    self.deps[s] -= 1;
                    if self.deps[s] == 0 && !self.blocked.get(s).copied().unwrap_or(false) {
                        self.ready.push_back(s);
                        self.shared.record(Some(s), TraceKind::Scheduled);
                    }
                }
                Ok(())
            }
            Err(failure) => {
                self.statuses
                    .failed(&self.shared, index, attempts, now, &failure);
                let error = self.to_error(index, attempts, failure);
                tracing::warn!(target: "workflow", node = &*self.shared.node_name(index), attempts, error = %error, "node failed");
                Err(error)
            }
        }
    }

    /// A resumed durable run's item: puts its recorded outputs into their slots and
    /// marks those nodes restored (see `item_records.rs`; as the run driver's `restore`
    /// and `restore_routes`). Nothing for an item of a run that records nothing.
    #[cfg(feature = "store")]
    fn restore(&mut self, state: &mut W::State) -> Result<(), WorkflowError> {
        use super::durable::Resume;
        let (Some(codec), Some(link)) = (&self.feed.codec, &self.shared.durable) else {
            return Ok(());
        };
        let mut resume = super::item_records::item_resume::<W>(codec, link, &self.shared)?;
        if resume.is_empty() {
            return Ok(());
        }
        // A router with a recorded arm runs again, held to it by its stored value; the
        // nodes of its other arms stay to run (they end not taken).
        let mut not_taken = vec![false; resume.len()];
        for (i, what) in resume.iter_mut().enumerate() {
            let Resume::Restore(value) = what else {
                continue;
            };
            let Some(arm) = W::chosen_arm(value) else {
                continue;
            };
            if let Resume::Restore(value) = std::mem::replace(what, Resume::Run) {
                W::store(state, value);
            }
            if let Some(decision) = W::PLAN.decision_of(i) {
                for (j, nodes) in decision.arms.iter().enumerate() {
                    if j != arm {
                        nodes.iter().for_each(|&n| not_taken[n] = true);
                    }
                }
            }
        }
        let mut held = vec![false; resume.len()];
        for (i, what) in resume.into_iter().enumerate() {
            match what {
                _ if not_taken[i] => continue,
                Resume::Run => continue,
                Resume::Skip => {}
                Resume::Restore(value) => {
                    self.statuses.restored(&self.shared, i);
                    W::store(state, value);
                    for &s in W::PLAN.nodes[i].successors {
                        self.deps[s] -= 1;
                    }
                }
            }
            held[i] = true;
        }
        self.blocked = held;
        Ok(())
    }

    /// Router `router` took arm `arm`: the nodes of the other arms end not taken and
    /// count as finished for their successors (as the run driver's `take_arm`).
    #[cold]
    fn take_arm(&mut self, router: usize, arm: usize) {
        let Some(decision) = W::PLAN.decision_of(router) else {
            return;
        };
        if self.blocked.is_empty() {
            self.blocked = vec![false; self.deps.len()];
        }
        let not_taken = decision
            .arms
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != arm)
            .flat_map(|(_, nodes)| nodes.iter().copied());
        self.statuses
            .take_arm(&self.shared, decision, arm, &mut self.blocked);
        for n in not_taken {
            for &s in W::PLAN.nodes[n].successors {
                self.deps[s] -= 1;
                if self.deps[s] == 0 && !self.blocked[s] {
                    self.ready.push_back(s);
                    self.shared.record(Some(s), TraceKind::Scheduled);
                }
            }
        }
    }

    fn to_error(&self, index: usize, attempts: u32, failure: NodeFailure) -> WorkflowError {
        // By path and in the root run's workflow, not the body's generated one (as
        // `driver.rs`'s `node_error`).
        let node = self.shared.node_name(index);
        failure.into_error(self.shared.root_workflow, node, attempts)
    }

    /// Polls the item's running nodes, which saw the cancellation, until they end or the
    /// grace ends at `end`; what they produce is discarded (they end cancelled), as a
    /// run's driver does in its grace. `abort` then drops what still runs.
    #[cold]
    async fn drain(&mut self, state: &mut W::State, end: tokio::time::Instant) {
        // Outside tokio (another executor's `block_on`) no timer can be set: the item's
        // nodes are dropped at once, and the run whose grace it is says so
        // (`TokioNeed::CancelGrace`).
        if self.pending_count > 0 && tokio::runtime::Handle::try_current().is_err() {
            self.shared.note_grace_unkept();
            return;
        }
        let drain = std::future::poll_fn(|cx| {
            for j in 0..self.pending.len() {
                if !self.pending[j] {
                    continue;
                }
                if let Poll::Ready(done) = self.poll_node(j, state, cx) {
                    let now = self.elapsed();
                    self.statuses
                        .cancelled(&self.shared, done.index, done.attempts, now);
                }
            }
            if self.pending_count == 0 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let _ = tokio::time::timeout_at(end, drain).await;
    }

    /// Stops the item: cancels its nodes (a fail-fast fan-out's token, so every item
    /// stops; a collecting fan-out's lane token, this item only), polls them once so
    /// they can notice, drops what still runs and marks the rest. `running`: the nodes
    /// running when the item stopped.
    fn abort(&mut self, state: &mut W::State, stop: Stop, running: Vec<NodeName>) -> WorkflowError {
        let error = match stop {
            Stop::Failed(mut e) => {
                // A node's own timeout names the item's nodes it stopped, after itself,
                // as a run's driver does (`name_stopped_children` in `driver.rs`).
                if let WorkflowError::Timeout {
                    scope: TimeoutScope::Node(_),
                    running: named,
                    ..
                } = &mut e
                {
                    for name in running {
                        if !named.contains(&name) {
                            named.push(name);
                        }
                    }
                }
                if self.feed.collect {
                    self.shared.cancel.cancel();
                    self.spent = true;
                } else {
                    self.feed.cancel.cancel();
                }
                e
            }
            Stop::Cancelled => WorkflowError::Cancelled {
                workflow: W::PLAN.name,
                running,
                retrying: Vec::new(),
            },
        };
        let mut cx = TaskContext::from_waker(Waker::noop());
        for j in 0..self.pending.len() {
            if !self.pending[j] {
                continue;
            }
            if let Poll::Ready(done) = self.poll_node(j, state, &mut cx) {
                let now = self.elapsed();
                self.statuses
                    .cancelled(&self.shared, done.index, done.attempts, now);
            }
        }
        let mut drop_errors = Vec::new();
        for j in 0..self.pending.len() {
            if !self.pending[j] {
                continue;
            }
            self.pending[j] = false;
            self.pending_count -= 1;
            let cells = &mut self.cells;
            let dropped = std::panic::catch_unwind(AssertUnwindSafe(|| cells(state, j, Op::Drop)));
            if let Err(payload) = dropped {
                let message = format!(
                    "panicked while being dropped: {}",
                    panic_message(payload.as_ref())
                );
                // By path and in the root run's workflow, as `to_error`.
                let node = self.shared.node_name(j);
                let workflow = self.shared.root_workflow;
                tracing::error!(target: "workflow", workflow, node = &*node, %message);
                drop_errors.push(WorkflowError::NodePanicked {
                    workflow,
                    node,
                    message,
                });
            }
        }
        self.ready.clear();
        self.end_running();
        if drop_errors.is_empty() {
            error
        } else {
            drop_errors.insert(0, error);
            WorkflowError::Multiple {
                workflow: W::PLAN.name,
                errors: drop_errors,
            }
        }
    }

    /// Marks the nodes still running cancelled (or never started, when their fn never
    /// ran) and those not started skipped.
    fn end_running(&mut self) {
        let now = self.shared.started.elapsed();
        let running: Vec<usize> = self.statuses.running().map(|(i, _)| i).collect();
        for i in running {
            let attempts = if Mode::of(&W::PLAN.nodes[i], self.supervise_all) == Mode::Inline {
                1
            } else {
                self.shared.attempts_made(i)
            };
            if attempts == 0 {
                self.statuses.never_ran(&self.shared, i);
            } else {
                self.statuses.cancelled(&self.shared, i, attempts, now);
            }
        }
        self.statuses.skip_not_started(&self.shared);
    }
}

impl<W: Workflow, C> Drop for Lane<'_, W, C> {
    /// A lane dropped with its item running (the fan-out's future was dropped: its node
    /// timed out, or its run stopped): the item's reports still reach the feed.
    fn drop(&mut self) {
        let Some(item) = self.item.take() else {
            return;
        };
        let now = self.shared.started.elapsed();
        let running: Vec<usize> = self.statuses.running().map(|(i, _)| i).collect();
        for i in running {
            let inline = Mode::of(&W::PLAN.nodes[i], self.supervise_all) == Mode::Inline;
            let attempts = if inline {
                1
            } else {
                self.shared.attempts_made(i)
            };
            if attempts == 0 {
                self.statuses.never_ran(&self.shared, i);
            } else {
                self.statuses.cancelled(&self.shared, i, attempts, now);
            }
        }
        self.statuses.skip_not_started(&self.shared);
        let children = self.shared.take_child_reports();
        lock(&self.feed.state).store_reports(item, self.statuses.reports(), children);
    }
}

/// A lane's run state: the fan-out's path, the parent's trace, run id and clock; the
/// fan-out's token (fail-fast: one for all items) or a child of it (collect).
fn lane_shared<W: Workflow>(feed: &Feed<W>, runtime: &Arc<RuntimeShared>) -> RunSlot {
    let parent = &feed.parent;
    let token = if feed.collect {
        feed.cancel.child_token()
    } else {
        feed.cancel.clone()
    };
    let shared = RunShared::new(
        parent.run_id,
        parent.started,
        W::PLAN.name,
        W::PLAN.nodes,
        Some(token),
        false,
        false,
        Arc::clone(runtime),
        Some((Arc::clone(parent), feed.node, Arc::clone(&feed.path))),
        W::PLAN.policy.concurrency,
        // A durable run's items, and a sub-workflow's nodes, are recorded node by node
        // when their workflow is durable (its values can be encoded).
        #[cfg(feature = "store")]
        parent.durable.clone().filter(|_| feed.codec.is_some()),
    );
    let shared = Arc::new(shared);
    shared.watch_as_child();
    RunSlot::made(shared)
}

/// The lane driver of `feed`, a fan-out's `Feed<W>` (what `Executor::run` calls for
/// an executor made by `Executor::lane`); `None` if it is not one.
pub(super) fn lane_driver<W: Workflow>(feed: &(dyn Any + Send + Sync)) -> Option<LaneDriver<W>> {
    feed.downcast_ref::<Feed<W>>().map(|feed| feed.drive)
}

/// What a lane's run gives back (not read: results and reports are in the feed).
pub(super) fn lane_ended<W: Workflow>() -> RunOutcome<W::Output> {
    RunOutcome {
        result: Err(WorkflowError::Cancelled {
            workflow: W::PLAN.name,
            running: Vec::new(),
            retrying: Vec::new(),
        }),
        report: RunReport {
            workflow: W::PLAN.name,
            run_id: 0,
            durable_run: None,
            duration: Duration::ZERO,
            nodes: NodeReports::default(),
        },
        trace: None,
    }
}

/// [`drive_lane`] boxed, with the cell table behind `dyn`: a [`LaneDriver`].
fn drive_boxed<'c, W: Workflow>(
    runtime: Arc<RuntimeShared>,
    feed: Arc<dyn Any + Send + Sync>,
    item: usize,
    input: W::Input,
    cells: &'c mut DynCells<'c, W>,
) -> Pin<Box<dyn Future<Output = RunOutcome<W::Output>> + Send + 'c>> {
    Box::pin(drive_lane::<W, _>(runtime, feed, item, input, cells))
}

/// Runs a lane (what `Executor::run` does for an executor made by `Executor::lane`):
/// item `item` with `input`, then the feed's next items, until it has none. The
/// outcome is not read (results and reports are in the feed).
async fn drive_lane<W, C>(
    runtime: Arc<RuntimeShared>,
    feed: Arc<dyn Any + Send + Sync>,
    item: usize,
    input: W::Input,
    cells: C,
) -> RunOutcome<W::Output>
where
    W: Workflow,
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    let Ok(feed) = feed.downcast::<Feed<W>>() else {
        return lane_ended::<W>();
    };
    let mut lane = Lane::<W, C>::new(&feed, runtime, cells);
    let mut next = Some((item, input));
    let mut handled = 0usize;
    let mut began: Option<std::time::Instant> = None;
    while let Some((i, input)) = next {
        let result = lane.run_item(i, input).await;
        let stopped = matches!(result, Err(WorkflowError::Cancelled { .. }));
        let children = lane.shared.take_child_reports();
        next = feed.finish(i, result, lane.statuses.reports(), children, stopped);
        lane.item = None;
        handled += 1;
        if handled % BUDGET_CHECK_EVERY == 0 {
            // Wall time, not tokio's clock: a paused clock must not disable this.
            let now = std::time::Instant::now();
            let since = *began.get_or_insert(now);
            if handled >= ITEM_BUDGET || now - since >= TIME_BUDGET {
                feed.yielded.store(true, Ordering::Relaxed);
                yield_once().await;
                handled = 0;
                began = None;
                lane.clock = None;
            }
        }
    }
    lane_ended::<W>()
}

/// Returns `Pending` once (waking itself), so a lane that ran many items yields.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}
