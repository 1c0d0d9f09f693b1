//! The stall timer of a run with a `deadlock` limit: when it fires, and what it makes of
//! the progress it sees then (see [`Stall`]).

use std::future::Future;
use std::pin::Pin;
use std::task::Context as TaskContext;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::plan::Plan;
use crate::sync::instant_after;

/// In how many steps the timer of a run with child runs (fan-outs, sub-workflows) goes
/// through its limit: it sees their nodes' ends only when it fires, so a stall after
/// such progress is reported at most `limit / STEPS` late (1.25x the limit).
const STEPS: u32 = 4;

/// Whether `plan` has fan-outs or sub-workflows: nodes whose child runs progress
/// without the run's own `record_finished` (they only count `child_progress`).
const fn has_child_runs(plan: &Plan) -> bool {
    if !plan.fan_outs.is_empty() {
        return true;
    }
    let mut k = 0;
    while k < plan.nodes.len() {
        if plan.nodes[k].child.is_some() {
            return true;
        }
        k += 1;
    }
    false
}

/// A stall timer: the limit, the step it fires by, since when the run has not
/// progressed (as far as the timer knows), and the timer itself. Boxed: the run's
/// future holds one word for it (a run's future of a small workflow must stay within
/// the 1,032 bytes glibc's per-thread cache serves, see `Executor::run`), and few runs
/// watch for stalls.
///
/// A node of the run itself finishing is seen at once ([`progressed`](Self::progressed),
/// which reads the clock anyway to re-arm the timer). A node of a child run finishing is
/// only counted (no clock read per child node, `RunShared::note_progress`), and seen
/// when the timer fires next. So a run with child runs steps through its limit in
/// quarters: the stall is reported when a whole limit has gone by from the last step
/// that saw progress, i.e. between 1x and 1.25x the limit after the last progress. A
/// run without child runs steps by the whole limit, as it always did.
pub(in crate::executor) struct Stall {
    /// The `deadlock` limit.
    pub(super) limit: Duration,
    /// How far apart the timer looks: the limit, or a quarter of it for a plan with
    /// child runs (at least a millisecond, tokio's timer resolution, and never more than
    /// the limit).
    step: Duration,
    /// When the run last progressed, as far as the timer knows.
    quiet_since: Instant,
    /// Fires at the next step, or when the limit is up.
    timer: Pin<Box<Sleep>>,
}

/// What the fired timer makes of the run ([`Stall::fired`]).
pub(super) enum Look {
    /// The run progressed within the limit: the timer is armed again.
    Armed,
    /// Nothing progressed for a whole limit.
    Stalled,
}

impl Stall {
    /// A timer for `limit` in a run of `plan`, counting from now.
    pub(super) fn new(limit: Duration, plan: &Plan) -> Box<Self> {
        let step = if has_child_runs(plan) {
            (limit / STEPS).max(Duration::from_millis(1)).min(limit)
        } else {
            limit
        };
        let now = Instant::now();
        Box::new(Self {
            limit,
            step,
            quiet_since: now,
            timer: Box::pin(tokio::time::sleep_until(instant_after(now, step))),
        })
    }

    /// Whether the timer fired (registers `cx`'s waker otherwise).
    #[inline]
    pub(super) fn poll_fired(&mut self, cx: &mut TaskContext<'_>) -> bool {
        self.timer.as_mut().poll(cx).is_ready()
    }

    /// A node of the run itself finished: the run progressed now.
    #[inline(always)]
    pub(super) fn progressed(&mut self) {
        let now = Instant::now();
        self.quiet_since = now;
        self.timer.as_mut().reset(instant_after(now, self.step));
    }

    /// The timer fired: `child_progress` says whether a node of a child run finished
    /// since it last looked, `retry` when a node last began waiting out a retry's backoff
    /// or an attempt after one (progress the runtime has scheduled, not a stall). Either
    /// is progress; otherwise the run stalled once a whole limit has gone by since its
    /// last progress. Re-armed (with `cx`'s waker) unless stalled.
    pub(super) fn fired(
        &mut self,
        child_progress: bool,
        retry: impl FnOnce() -> Option<Instant>,
        cx: &mut TaskContext<'_>,
    ) -> Look {
        let now = Instant::now();
        if child_progress {
            self.quiet_since = now;
        }
        let mut due = instant_after(self.quiet_since, self.limit);
        if due <= now {
            match retry().filter(|&at| instant_after(at, self.limit) > now) {
                Some(at) => {
                    self.quiet_since = at;
                    due = instant_after(at, self.limit);
                }
                None => return Look::Stalled,
            }
        }
        self.timer
            .as_mut()
            .reset(instant_after(now, self.step).min(due));
        if self.poll_fired(cx) {
            // Not expected (the next look is after now), but a timer that is ready at
            // once would never wake the run: look again at the next poll.
            cx.waker().wake_by_ref();
        }
        Look::Armed
    }
}
