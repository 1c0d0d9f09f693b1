//! Child runs: a sub-workflow used as a node (`report = Render(page)`) and the items of
//! a fan-out (`thumbs = for url in urls { .. } => t`, `pages = map(Render, urls)`).
//!
//! A child run is a whole run of the child workflow (its own plan, driver, policies),
//! driven inside the future of the one parent node that started it, so the parent's
//! plan stays static. It shares the parent's runtime (resources, node limit),
//! cancellation (its token is a child of the parent's), trace recorder and run id; its
//! nodes are named by their path (`report.layout`, `thumbs[3].img`) in the trace, in
//! errors, and in the parent's report, where its node reports are merged when it ends.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt as _};
use tokio_util::sync::CancellationToken;

use super::items::{fits_lanes, item_source, run_lanes, Feed, FlushOnDrop};
use super::workflow::{ChildOf, Executor, ItemCodec, RunOutcome, Workflow};
use crate::context::Context;
use crate::error::{ChildFailed, WorkflowError};
use crate::node::{NodeCallError, NodeResult};
use crate::run::RunOptions;
use crate::shared::RunShared;

/// A child run's future, its type erased (see [`run_child`]).
type ChildRun<O> = Pin<Box<dyn Future<Output = RunOutcome<O>> + Send>>;

/// The item tag of a sub-workflow's report (it has no item index).
const NO_ITEM: usize = usize::MAX;

/// Runs `W` with `input` as a child of `parent`'s node `node` (item `item`), at `path`,
/// until it ends; merges its node reports into `parent`'s. Its error names the root
/// run's workflow and the child's node by its path. The child stops when `cancel` is
/// cancelled, and cancels it when it fails (so children sharing it stop with it).
async fn run_child<W: Workflow>(
    parent: &Arc<RunShared>,
    node: usize,
    item: usize,
    path: Arc<str>,
    input: W::Input,
    cancel: CancellationToken,
) -> Result<W::Output, WorkflowError> {
    // The child records into the parent's trace (see `RunShared::new`), so it
    // builds no recorder of its own.
    let opts = RunOptions {
        trace: Some(false),
        cancel: Some(cancel),
        ..RunOptions::default()
    };
    let exec = Executor::<W>::child(
        Arc::clone(&parent.runtime),
        input,
        opts,
        ChildOf {
            parent: Arc::clone(parent),
            node,
            item,
            path,
        },
    );
    // The run's future behind `dyn`: its type no longer nests in the parent node's, so
    // rustc proves a sub-workflow nested many levels deep `Send` one level at a time
    // (with the child's future type inside, 7 levels overflowed the default recursion
    // limit where the root run's future is proved `Send`).
    let run: ChildRun<W::Output> = Box::pin(W::run(exec));
    let outcome = run.await;
    parent.add_child_report(node, item, outcome.report.nodes.into_vec());
    outcome
        .result
        .map_err(|e| e.in_workflow(parent.root_workflow))
}

/// A child run's error as the error of the node that ran it: the parent's driver passes
/// the child's own error on (see `ChildFailed`).
fn child_failed(error: WorkflowError) -> NodeCallError {
    NodeCallError::Error(Box::new(ChildFailed(error)))
}

/// The call of a sub-workflow node (`report = Render(page)`): one child run of `W` at
/// the node's path. What `workflow!` emits as `Node::call` of `W`'s input struct.
/// `codec`: how a durable run records the sub-workflow's nodes under their paths
/// (`report.layout`) as they finish, so that a resumed run restores the ones that
/// finished rather than running them again. `Some` when `W` is a durable workflow; used
/// only when it runs in a lane (no policies of its own), as for a fan-out's items;
/// otherwise the sub-workflow is recorded as one value when it ends, and runs again as
/// a whole on resume.
// Not `async fn`: the signature promises `Send`, which generated `Node::call`s need.
#[allow(clippy::manual_async_fn)]
pub fn sub_workflow<W: Workflow>(
    input: W::Input,
    ctx: Context,
    codec: Option<ItemCodec<W>>,
) -> impl Future<Output = NodeResult<W::Output>> + Send + 'static {
    async move {
        let (shared, node) = ctx.parts();
        let path: Arc<str> = Arc::from(&*shared.node_name(node));
        if fits_lanes::<W>() {
            // One item in a lane: no run of its own (see `items.rs`).
            let source = item_source(std::iter::once(input), 0, |input| input);
            let feed = Arc::new(Feed::<W>::new(
                Arc::clone(shared),
                node,
                path,
                false,
                true,
                codec,
                source,
                1,
            ));
            shared.watch_feed(Arc::downgrade(&feed) as _);
            let _stop = feed.cancel.clone().drop_guard();
            {
                let _flush = FlushOnDrop(&feed);
                run_lanes(&feed, &shared.runtime, 1).await;
            }
            let result = feed.outputs(|o| o).and_then(|outputs| {
                outputs.into_iter().next().ok_or(WorkflowError::Cancelled {
                    workflow: shared.root_workflow,
                    running: Vec::new(),
                    retrying: Vec::new(),
                })
            });
            return result.map_err(child_failed);
        }
        let cancel = shared.cancel.child_token();
        let _stop = cancel.clone().drop_guard();
        let mut child = std::pin::pin!(run_child::<W>(shared, node, NO_ITEM, path, input, cancel));
        std::future::poll_fn(|cx| {
            let polled = child.as_mut().poll(cx);
            if polled.is_pending() {
                // The node is blocked while its child run is (tracked waits).
                crate::shared::waits::check_children(shared, node, 1);
            }
            polled
        })
        .await
        .map_err(child_failed)
    }
}

/// How a fan-out runs its items (from the binding's attributes).
#[derive(Debug, Clone, Copy)]
pub struct FanOutOptions {
    /// Items in flight at most (`#[concurrency = N]`; `usize::MAX` without it).
    pub concurrency: usize,
    /// `failure = "collect"`: every item runs, and each item's result is kept. Otherwise
    /// the first failing item cancels the others and fails the node.
    pub collect: bool,
}

/// Runs `W` once per item of `items` in lanes (see `items.rs`), at most
/// `opts.concurrency` items at a time, with the semantics of [`run_items`]; the feed
/// then holds the items' outputs and failures.
async fn run_in_lanes<W, I>(
    ctx: &Context,
    items: I,
    opts: FanOutOptions,
    codec: Option<ItemCodec<W>>,
    input: impl FnMut(I::Item) -> W::Input + Send + 'static,
) -> Arc<Feed<W>>
where
    W: Workflow,
    I: IntoIterator,
    I::IntoIter: Send + 'static,
{
    let (shared, node) = ctx.parts();
    let items = items.into_iter();
    let hint = items.size_hint().0;
    let source = item_source(items, shared.first_item, input);
    let path: Arc<str> = Arc::from(&*shared.node_name(node));
    let mut feed = Feed::<W>::new(
        Arc::clone(shared),
        node,
        path,
        opts.collect,
        false,
        codec,
        source,
        hint,
    );
    feed.first_item = shared.first_item;
    let feed = Arc::new(feed);
    // A monitored run's report so far lists the items that finished.
    shared.watch_feed(Arc::downgrade(&feed) as _);
    // No item outlives the fan-out.
    let _stop = feed.cancel.clone().drop_guard();
    {
        let _flush = FlushOnDrop(&feed);
        run_lanes(&feed, &shared.runtime, opts.concurrency).await;
    }
    feed
}

/// Runs `W` once per item of `items`, at most `opts.concurrency` at a time, each as a
/// child run at `<node>[i]`; `input` makes an item's workflow input and `pick` takes
/// what the fan-out keeps from its output. The results are in input order.
///
/// Fail-fast (the default): the first failing item cancels the items in flight (they
/// end as cancelled, and their reports are kept), starts no more, and its error (naming
/// the item's node by its path, `thumbs[3].img`) fails the node. With `opts.collect`,
/// every item runs and each one's `Result` is kept.
async fn run_items<W, I, T>(
    ctx: &Context,
    items: I,
    opts: FanOutOptions,
    mut input: impl FnMut(I::Item) -> W::Input,
    pick: fn(W::Output) -> T,
) -> Result<Vec<Result<T, WorkflowError>>, WorkflowError>
where
    W: Workflow,
    I: IntoIterator,
{
    let (shared, node) = ctx.parts();
    let items = items.into_iter();
    let mut results: Vec<Option<Result<T, WorkflowError>>> = Vec::new();
    results.resize_with(items.size_hint().0, || None);
    // Fail-fast items share this token: the first failing item cancels it as its run
    // stops, and so the others; collected items get a child token each. Cancelled when
    // the fan-out ends or its future is dropped, so no item outlives it.
    let cancel = shared.cancel.child_token();
    let _stop = cancel.clone().drop_guard();
    let mut path = String::from(&*shared.node_name(node));
    let name_len = path.len();
    let mut running = FuturesUnordered::new();
    let mut items = items.enumerate();
    let mut first_error: Option<WorkflowError> = None;
    loop {
        while first_error.is_none() && running.len() < opts.concurrency {
            let Some((i, item)) = items.next() else { break };
            if i >= results.len() {
                results.resize_with(i + 1, || None);
            }
            // One allocation per item for its path.
            path.truncate(name_len);
            let _ = write!(path, "[{}]", i + shared.first_item);
            let token = if opts.collect {
                cancel.child_token()
            } else {
                cancel.clone()
            };
            let child = run_child::<W>(shared, node, i, Arc::from(&*path), input(item), token);
            running.push(async move { (i, child.await) });
        }
        let next = std::future::poll_fn(|cx| {
            let polled = running.poll_next_unpin(cx);
            if polled.is_pending() {
                // The node is blocked while each item's run is (tracked waits).
                crate::shared::waits::check_children(shared, node, running.len());
            }
            polled
        })
        .await;
        let Some((i, result)) = next else {
            break;
        };
        if first_error.is_some() {
            continue; // winding down: only the first failure counts
        }
        match result {
            Err(e) if !opts.collect => {
                first_error = Some(e);
                cancel.cancel();
            }
            r => results[i] = Some(r.map(pick)),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(WorkflowError::Cancelled {
                    workflow: shared.root_workflow,
                    running: Vec::new(),
                    retrying: Vec::new(),
                })
            })
        })
        .collect())
}

/// What a fan-out's items run under: its binding's options, with at most its run's
/// limit in flight (`RunShared::concurrency`: a `sequential` run's items go one by one).
/// Told to the engine that called the node by itself (Temporal), which schedules the
/// items itself.
fn item_options(ctx: &Context, opts: FanOutOptions) -> FanOutOptions {
    let shared = ctx.parts().0;
    let opts = FanOutOptions {
        concurrency: opts.concurrency.min(shared.concurrency),
        ..opts
    };
    if let Some(seen) = &shared.called_fan_out {
        seen.store(opts.concurrency, std::sync::atomic::Ordering::Relaxed);
    }
    opts
}

/// The call of a fail-fast fan-out node: `Vec<T>` in input order, or the first item's
/// failure (see `run_items`). `codec`: how a durable run records each item's nodes
/// (`Some` when `W` is a durable workflow; used only when items run in lanes, so a body
/// with policies of its own is recorded as part of the fan-out's one value).
// Not `async fn`: the signature promises `Send`, which generated `Node::call`s need.
#[allow(clippy::manual_async_fn)]
pub fn fan_out<W, I, T>(
    ctx: Context,
    items: I,
    opts: FanOutOptions,
    codec: Option<ItemCodec<W>>,
    input: impl FnMut(I::Item) -> W::Input + Send + 'static,
    pick: fn(W::Output) -> T,
) -> impl Future<Output = NodeResult<Vec<T>>> + Send + 'static
where
    W: Workflow,
    I: IntoIterator + Send + 'static,
    I::IntoIter: Send + 'static,
    I::Item: Send,
    T: Send + 'static,
{
    async move {
        let opts = item_options(&ctx, opts);
        if fits_lanes::<W>() {
            let feed = run_in_lanes::<W, I>(&ctx, items, opts, codec, input).await;
            return feed.outputs(pick).map_err(child_failed);
        }
        let results = run_items::<W, I, T>(&ctx, items, opts, input, pick)
            .await
            .map_err(child_failed)?;
        results
            .into_iter()
            .collect::<Result<Vec<T>, WorkflowError>>()
            .map_err(child_failed)
    }
}

/// The call of a fan-out node with `failure = "collect"`: every item's result, in input
/// order.
// Not `async fn`: the signature promises `Send`, which generated `Node::call`s need.
#[allow(clippy::manual_async_fn)]
pub fn fan_out_collect<W, I, T>(
    ctx: Context,
    items: I,
    opts: FanOutOptions,
    codec: Option<ItemCodec<W>>,
    input: impl FnMut(I::Item) -> W::Input + Send + 'static,
    pick: fn(W::Output) -> T,
) -> impl Future<Output = NodeResult<Vec<Result<T, WorkflowError>>>> + Send + 'static
where
    W: Workflow,
    I: IntoIterator + Send + 'static,
    I::IntoIter: Send + 'static,
    I::Item: Send,
    T: Send + 'static,
{
    async move {
        let opts = item_options(&ctx, opts);
        let opts = FanOutOptions {
            collect: true,
            ..opts
        };
        if fits_lanes::<W>() {
            let feed = run_in_lanes::<W, I>(&ctx, items, opts, codec, input).await;
            return Ok(feed.results(pick));
        }
        run_items::<W, I, T>(&ctx, items, opts, input, pick)
            .await
            .map_err(child_failed)
    }
}
