//! The executor: drives one run of a [`Workflow`] inside the caller's task.
//!
//! # The parts
//!
//! - `workflow`: the contract with generated code. `workflow!` implements [`Workflow`]
//!   for the workflow type; its `run` receives an [`Executor`] and hands it the *cell
//!   table*, a closure `cells(state, i, op)` with an arm per node *type*: node `i`'s
//!   ports and output wrap come from its record in its type's static table, its cell
//!   from its type index (data, not code per node). A run returns a [`RunOutcome`].
//! - `lifecycle`: `Executor::run`: setup (run id, resource check, the run's
//!   [`RunShared`](crate::shared::RunShared) or, for a run that needs none from its
//!   start, a [`RunSlot`](crate::shared::RunSlot) that makes it when first shared,
//!   monitors), the driver, and teardown (unconsumed values, end-of-run events, the
//!   outcome).
//! - `driver`: the loop. Starts ready nodes, polls pending ones when woken, stores
//!   outputs into the output slots and schedules successors, and stops the run on the
//!   first event that ends it. Split by concept: `driver/counts.rs` (each node's
//!   predecessors left and the ready queue), `driver/waiting.rs` (how a poll ends and
//!   the next begins: deadlock, stall and cancellation checks, the wake threshold of
//!   spawned nodes, a wake-up that only took their outcomes), `driver/stop.rs` (errors,
//!   what a failure blocks, `abort`, which winds a stopped run down),
//!   `driver/restore.rs` (a durable run's resume), `driver/fused.rs` (fused segments).
//! - `cells`: an inline node's future lives in its type's *cell*, a pinned `Option` in
//!   the run's own future, one per node type (per distinct `#[node]` fn), not per node:
//!   the code and the run's data do not grow per node. A node started while its type's
//!   cell holds another pending node, and a node with policies or `#[spawn]`, is boxed
//!   in the run's [`BoxedNodes`]. [`Op`] is what the driver asks of a node: start
//!   ([`start_node`]), poll, drop ([`cell_op`], [`BoxedNodes::step`]).
//! - `fused`: *fused segments* (issue 17). `workflow!` also compiles each linear run of
//!   plain nodes (each the only input and the only reader of the next; top level, no
//!   binding policy, not a fan-out; at most 64) into one `async fn` that awaits them in
//!   sequence, handing each output straight to the next node's ports; what the macro
//!   cannot see (a node's own policy, `&Context`/`Res<T>`, a sub-workflow) makes the
//!   constant [`FusedSegment::plain`](crate::plan::FusedSegment) false. The driver runs
//!   a segment fused (`driver/fused.rs`) when its first node would start in a poll that
//!   wants nothing per node beyond the report (`Driver::quiet`) and no node is
//!   supervised; otherwise its nodes run one by one as below, so both paths give the
//!   same outputs and report. Fused, the segment is one pending unit (keyed by its first
//!   node), in a cell of its own, reached with `Op::Fused`; it writes the position of
//!   the node it runs into the run's `FusedProgress`, from which the driver writes one
//!   report entry per node and names the node of a failure or panic. A stop drops a
//!   pending segment: its node in flight is cancelled, the rest skipped. The plan is
//!   unchanged: `Workflow::FUSED` is not part of it. Code per segment, not per node type
//!   (the one exception to the rule below): an `async fn` with a call per node, a cell,
//!   an arm and a record.
//! - `attempt`: the only reader of node policies. [`Mode`](attempt::Mode) says how a node
//!   runs (decided once per node and run, as it starts); the supervised path runs
//!   retries, timeouts, spawning and the node limit; panics become failures here. It
//!   sees the node through `dyn ErasedNode` (its ports boxed, each call's output boxed),
//!   so it is compiled once in this crate, not per node type in every crate that
//!   executes a workflow (issue 17: compile time).
//! - `wake`: which pending nodes to poll again: one waker per pending node, setting its
//!   bit in the run's wake set; and (`wake/outcomes.rs`) the run's outcome queue, into
//!   which the task of a spawned node (`Mode::Spawned`) pushes its outcome, drained once
//!   per wake-up. While the run waits for all of more than a few such nodes (a spawned
//!   fan-out's branches), a branch that ends well leaves its outcome in its own task
//!   instead, and the run waits on the tasks' `JoinHandle`s, as hand-written code does
//!   (`PendingNodes::wait_in_tasks`): the branches then write no line they share.
//! - `durable` (feature `store`): a durable run's restored outputs and the records of
//!   finished nodes (the group-commit rule is in that file); `item_records`: a durable
//!   run's fan-out items recorded and restored node by node, under their paths.
//! - `status`: the single writer of a node's status, feeding the report, the live
//!   snapshot and the trace.
//! - `child`: child runs. A sub-workflow node (`report = Render(page)`) and each item of
//!   a fan-out (`for x in xs { .. } => t`, `map(W, xs)`) run a whole run of the child
//!   workflow inside the future of one node of the parent: the parent's plan stays
//!   static. A child run shares the parent's runtime, cancellation token (a child of
//!   it; the items of a fail-fast fan-out share one), trace recorder and run id; it
//!   names its nodes by their path (`thumbs[3].img`) in the trace and in errors, and its
//!   node reports are merged into the parent's report after the node that ran it. Its
//!   failure reaches the parent's driver wrapped in `ChildFailed`, which the driver
//!   unwraps, so the run's error names the child's node.
//!
//! # How a run flows
//!
//! 1. `Runtime::execute_report` calls the generated `Workflow::run`, which boxes the
//!    run's future, pins one empty cell per node type in it and calls [`Executor::run`] with
//!    the cell table; that sets the run up (inside the box, so the run's allocations
//!    come after it; the setup in a plain fn, `begin`, so that its locals keep no
//!    place in the future) and builds the driver. The driver keeps its pending nodes
//!    and its rarely used parts in one box (`Cold`), and a run's limits and its wait on
//!    the cancellation token are boxed when it has them: a small workflow's run future
//!    stays within 1,032 bytes, the size glibc serves from its per-thread cache (a test
//!    pins it: `tests/tests/harness/harness_memory.rs`, W4's diamond).
//! 2. The driver marks nodes without predecessors ready. Each poll of the run starts
//!    ready nodes (up to the concurrency limit): `Op::Start` builds the node's future in
//!    its type's cell (or boxed) and polls it once. A node that completes at once never gets a waker of its
//!    own; one that does not becomes pending.
//! 3. A pending node's waker sets its bit in the wake set and wakes the run; the next
//!    poll of the run polls exactly the woken nodes (`Op::Poll`).
//! 4. A finished node's output goes to its slot (`Workflow::store`); its successors'
//!    predecessor counts drop, and those at zero become ready. A failure stops the run
//!    (fail fast) or blocks the failed node's downstream (`failure = "continue"`).
//! 5. A decision's router (a node of the plan for each `match`/`if` in `workflow!`)
//!    completes on its first poll with the index of the arm it took
//!    (`Workflow::chosen_arm`); before its successors are scheduled, `take_arm` marks
//!    the nodes of every other arm *not taken* (blocked, so never ready) and counts them
//!    down as finished without an output for their successors: a merge or `name?`
//!    consumer after the decision waits for the taken arm only, decided from the static
//!    plan. `PLAN.decisions` is a constant, so a workflow without decisions pays nothing
//!    (the check folds away). A resumed durable run's router runs again, held to its
//!    recorded arm (its restored value), and restored nodes are blocked.
//! 6. The run ends when no node is ready or pending (outputs taken from the slots by
//!    `Workflow::finish`), or on an event: failure, run timeout, stall, every live node
//!    blocked in a tracked wait, or cancellation. Then `abort` cancels the run's token,
//!    gives running nodes one poll round and the grace period, drops the rest
//!    (`Op::Drop`), and marks them cancelled and the unstarted ones skipped. The grace's
//!    end is noted in the run's `RunCancel` before the token is cancelled, so child runs
//!    (a child driver's `abort`, a lane's `drain`) give their nodes the same grace.
//!
//! # Invariants
//!
//! - A node is started once, after all its predecessors stored their outputs (or, in
//!   an arm not taken, counted as finished without one); every slot is read only after
//!   it was written, except by a `name?` consumer, which reads `None` from a slot whose
//!   producer was not taken. A fused node other than its segment's first is started
//!   once its one predecessor, the previous node of the segment, returned its output,
//!   which goes straight into its ports (that slot is never written).
//! - A node of an arm not taken is never started: it is marked not taken before its
//!   router's successors are scheduled.
//! - A cell holds a future exactly while its node is running: emptied when the node
//!   finishes (in `poll_cell`, or by `Op::Drop` once a spawned node's outcome is taken
//!   from the completion queue) or when the run stops (`Op::Drop`). A running node's
//!   future is in its type's cell or in [`BoxedNodes`], never both; a node found in
//!   neither is not running. The exception: the nodes of a segment running fused
//!   (`Op::Fused`) are in their segment's cell, one at a time, and the driver's
//!   `fused` list says which node of it is in flight.
//! - A node is polled only by the driver, in the run's task, and never after it finished.
//! - Node statuses change only in `status`; the report and the live snapshot agree.
//! - Node policies are read only in `attempt`.
//! - Nothing in the hot path allocates per node for an inline node that finds its
//!   type's cell free (every node of a chain, or of a fan-out whose nodes complete at
//!   once): no box, no waker unless it is pending, no vector per wake-up. Only an inline
//!   node started while another of its type is pending is boxed. A node of a root run is named by its
//!   static binding (`NodeName::Borrowed`); only child runs build path names.

// By layer, from the bottom up: a file uses only files of lower layers (one layer per
// group; `src/layers.rs` checks this).
#[cfg(feature = "store")]
mod durable;

mod attempt;
mod wake;
mod workflow;

mod fused;

mod cells;
#[cfg(feature = "store")]
mod item_records;
mod status;

mod driver;
mod items;

mod lifecycle;

mod child;

pub(crate) use attempt::panic_message;
pub use attempt::Finished;
pub use cells::{
    cell_op, inline_call, route, start_node, start_node_sharing, BoxedNodes, NodeStarter, Op,
};
pub use child::{fan_out, fan_out_collect, sub_workflow, FanOutOptions};
#[cfg(feature = "store")]
pub(crate) use durable::{DurableExec, Resume};
pub use fused::{
    fused_context, fused_op, fused_segments_started, FusedOp, Looped, Progress as FusedProgress,
};
#[cfg(feature = "store")]
pub(crate) use lifecycle::{next_run_id, node_tokio_need};
pub use workflow::{boxed_in_place, Executor, ItemCodec, RunOutcome, Workflow};
#[doc(hidden)]
pub use workflow::{
    PicturesAreConstants, WorkflowIsAValue, WorkflowOtherNames, WorkflowsAreValues,
    WorkflowsRunOnARuntime,
};

pub(crate) use crate::sync::deadline_after;
