//! Leak checks: after runs end, no node task is alive and every resource handle a run
//! took was released.

use std::fmt;

use workflow_core::{NodeName, NodeStatus};

use crate::harness::{lock, Harness};
use crate::runner::innermost;

/// What outlived the runs of a [`Harness`] (see [`Harness::leaks`]).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeakReport {
    /// Runs whose state is still held after they ended or were dropped: a node future,
    /// its `Context` or a task it spawned is alive. `(run number in the harness, as
    /// its reports print it, workflow, nodes that were running)`; a node inside a
    /// fan-out item or a sub-workflow is named by its path (`items[2].fetch`, not the
    /// fan-out `items` around it).
    pub live_runs: Vec<(u64, &'static str, Vec<NodeName>)>,
    /// Resources with more handles than the runtime's and the test's:
    /// `(type, extra handles)`.
    pub resources: Vec<(&'static str, usize)>,
    /// Runs the runtime still counts as in flight.
    pub active_runs: usize,
}

impl LeakReport {
    /// Whether nothing leaked.
    pub fn is_clean(&self) -> bool {
        self.live_runs.is_empty() && self.resources.is_empty() && self.active_runs == 0
    }
}

impl fmt::Display for LeakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("no leaks");
        }
        if self.active_runs > 0 {
            writeln!(f, "{} run(s) still in flight", self.active_runs)?;
        }
        for (number, workflow, running) in &self.live_runs {
            write!(
                f,
                "run {number} of `{workflow}`: its state is still held (a node future, its Context or a task it spawned is alive)"
            )?;
            if !running.is_empty() {
                write!(f, "; nodes still running: {}", running.join(", "))?;
            }
            writeln!(f)?;
        }
        for (type_name, extra) in &self.resources {
            writeln!(
                f,
                "resource `{type_name}`: {extra} handle(s) still held besides the runtime's and the test's"
            )?;
        }
        Ok(())
    }
}

impl Harness {
    /// What outlived the runs so far: live node tasks, unreleased resource handles,
    /// runs still in flight. Waits briefly (a few scheduler turns and 1ms sleeps, which
    /// take no real time under a paused clock) for aborted tasks to wind down.
    ///
    /// Handles of a resource that existed when it was registered (the runtime's, your
    /// own `Arc`s) and the handle [`Harness::mock`] returned are expected; handles made
    /// later and still alive count as leaked.
    pub async fn leaks(&self) -> LeakReport {
        let mut report = self.leaks_now();
        for i in 0..50 {
            if report.is_clean() {
                break;
            }
            if i % 5 == 4 {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            } else {
                tokio::task::yield_now().await;
            }
            report = self.leaks_now();
        }
        report
    }

    fn leaks_now(&self) -> LeakReport {
        let handles = lock(&self.inner.live).clone();
        let live_runs = handles
            .iter()
            .filter(|r| !r.handle.is_finished())
            .map(|r| {
                let h = &r.handle;
                // By path, innermost: `items[2].x`, not the fan-out `items` around it.
                let running = h
                    .snapshot()
                    .map(|s| {
                        innermost(&s)
                            .filter(|n| n.status == NodeStatus::Running)
                            .map(|n| NodeName::Owned(n.name.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                (r.number, h.workflow(), running)
            })
            .collect();
        let runtime = &self.inner.runtime;
        let mut resources: Vec<(&'static str, usize)> = lock(&self.inner.resources)
            .values()
            .filter_map(|r| {
                let held = (r.count)(runtime)?;
                (held > r.expected).then(|| (r.type_name, held - r.expected))
            })
            .collect();
        resources.sort_unstable();
        LeakReport {
            live_runs,
            resources,
            active_runs: runtime.active_runs(),
        }
    }

    /// Asserts that nothing outlived the runs so far (see [`Harness::leaks`]): call it
    /// after runs that succeeded, failed, timed out or were dropped.
    ///
    /// # Panics
    ///
    /// When something leaked, saying what.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_test::Harness;
    ///
    /// struct Pool;
    ///
    /// #[node]
    /// async fn slow(pool: Res<Pool>) -> u8 {
    ///     let _pool = pool;
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     #[workflow(timeout = "1s")]
    ///     struct Slow {
    ///         a = slow(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let h = Harness::builder().resource(Pool).build();
    /// h.assert_timeout(h.execute(Slow, SlowInput {}).await);
    /// h.assert_no_leaks().await; // the timed-out node released its `Res<Pool>`
    /// # });
    /// ```
    #[track_caller]
    pub fn assert_no_leaks(&self) -> impl std::future::Future<Output = ()> + '_ {
        let caller = std::panic::Location::caller();
        LeakCheck {
            check: Box::pin(async move {
                let report = self.leaks().await;
                if !report.is_clean() {
                    self.fail(format!("leak check failed (called at {caller}):\n{report}"));
                }
            }),
            polled: false,
            caller,
        }
    }
}

/// The future of [`Harness::assert_no_leaks`]. Dropped without ever being polled
/// (`h.assert_no_leaks();`, the `.await` forgotten), it panics: the test would otherwise
/// pass without checking anything, with only rustc's `unused_must_use` warning.
/// (`#[workflow_test]` makes that statement a compile error; this catches it in a plain
/// `#[tokio::test]` too.)
struct LeakCheck<'a> {
    check: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>,
    polled: bool,
    caller: &'static std::panic::Location<'static>,
}

impl std::future::Future for LeakCheck<'_> {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.polled = true;
        self.check.as_mut().poll(cx)
    }
}

impl Drop for LeakCheck<'_> {
    fn drop(&mut self) {
        // Not while unwinding: a second panic would abort the test binary.
        if !self.polled && !std::thread::panicking() {
            panic!(
                "`assert_no_leaks()` at {} was never awaited, so nothing was checked: add `.await` (`h.assert_no_leaks().await;`)",
                self.caller
            );
        }
    }
}
