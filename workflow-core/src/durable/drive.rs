//! One drive of a durable run: the run on the executor, its recorder task committing
//! node records in batches and renewing the lease, the run row finished at the end.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::error::WorkflowError;
use crate::executor::{DurableExec, Executor};
use crate::run::RunOptions;
use crate::runtime::{DurableConfig, DurableRunEnd, OnDurableEnd, Recording, Runtime};
use crate::shared::TaskGuard;
use crate::store::{Lease, NodePath, Record, RunOutcome, Store, StoreError};

/// The store operation a recorder waits for now, and the node of the first record it
/// writes (`None` when it waits for none): what its drive names when the store does not
/// answer within its limit (`answer.rs`).
type InFlight = Arc<std::sync::Mutex<Option<(&'static str, Option<NodePath>)>>>;

impl Runtime {
    /// Runs the workflow under `lease`, doing with each node what `resume` says (empty:
    /// run them all), recording as it goes, and finishes the run row; each of the store's
    /// answers it waits for bounded by `answers`.
    pub(super) async fn drive<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        lease: Lease,
        input: W::Input,
        restore: Restore<W::Value>,
        answers: &AnswerLimit,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let run = lease.run;
        let inner = self.shared();
        let _active = inner.enter_run();
        if inner.is_closed() {
            return Err(WorkflowError::ShutDown { workflow: W::NAME });
        }
        if let Some((fingerprint, forget)) = restore.rebase {
            let rebased = cfg.store.rebase_run(&lease, fingerprint, forget);
            answers
                .answer("rebasing a run", Some(run), rebased)
                .await
                .map_err(|e| store_error::<W>(run, e))?;
        }
        let stop = CancellationToken::new();
        let (records, queue) = mpsc::unbounded_channel();
        // The recorder outlives this future when it is dropped (the run cut by a timeout):
        // it commits what the run queued, and meanwhile holds the run against a new drive
        // (a resume at once restores those nodes rather than running them again) and
        // counts as a task `Runtime::shutdown` waits for.
        let holds = (cfg.drives.recording(run), inner.track_task());
        let in_flight = InFlight::default();
        let recorder = tokio::spawn(record(
            Arc::clone(&cfg.store),
            lease,
            cfg.lease,
            queue,
            stop.clone(),
            Arc::clone(&in_flight),
            holds,
        ));
        let exec = Executor::durable(
            Arc::clone(inner),
            input,
            RunOptions::new().cancel_token(stop.clone()),
            DurableExec {
                run,
                records,
                encode: W::encode_value,
                output_type: W::output_type,
                ephemeral: W::EPHEMERAL,
                versions: W::NODE_VERSIONS,
                resume: restore.nodes,
                items: restore.items,
            },
        );
        let outcome = W::run(exec).await;
        // The run's record queue closed with the run: the recorder commits what is left,
        // within the store's limit (from when this wait began). Past it the recorder goes
        // on without this drive (it holds the run against a new drive until the store
        // answered), and the run stays unfinished with what the store took.
        let waited = answers.wait(recorder, || {
            let in_flight = in_flight.lock().ok().and_then(|now| now.clone());
            let (operation, node) = in_flight.unwrap_or(("recording node outputs", None));
            (operation, Some(run), node)
        });
        let recorded = match waited.await {
            Ok(joined) => {
                joined.unwrap_or_else(|e| Err(StoreError::unavailable("recording", e.to_string())))
            }
            Err(silent) => Err(silent),
        };
        let (mut report, trace) = (outcome.report, outcome.trace);
        // Named as the store names it (its errors, `resume`), not by its id in this process.
        report.durable_run = Some(run.0);
        let ended = |error: Option<&WorkflowError>| {
            if let Some(OnDurableEnd(on_end)) = &cfg.on_end {
                let end = DurableRunEnd {
                    run_id: run,
                    report: &report,
                    trace: trace.as_ref(),
                    error,
                    plan: crate::runtime::PlanOf(W::PLAN),
                };
                // Contained: the hook's bug does not take the run's result from its
                // caller.
                let called =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| on_end(&end)));
                if let Err(payload) = called {
                    crate::shared::callback_panicked(
                        "on_durable_run_end",
                        W::NAME,
                        run,
                        payload.as_ref(),
                    );
                }
            }
        };
        let lease = match recorded {
            Ok(lease) => lease,
            // The run stays unfinished (what was recorded is kept): it can be resumed, by
            // this owner at once or by `recover` once its lease expires. A run that had
            // failed by itself keeps its own error beside the store's; one cancelled by
            // the recorder (`stop`) failed because of the store.
            Err(e) => {
                let own = match outcome.result {
                    Err(WorkflowError::Cancelled { .. }) if stop.is_cancelled() => None,
                    Err(own) => Some(own),
                    Ok(_) => None,
                };
                let e = with_run_error(store_error::<W>(run, e), own);
                ended(Some(&e));
                return Err(e);
            }
        };
        let (outcome, result) = match outcome.result {
            Ok(outputs) => match W::encode_output(&outputs, run) {
                Ok(bytes) => (
                    RunOutcome::Succeeded {
                        output: Some(bytes),
                    },
                    Ok(outputs),
                ),
                Err(e) => {
                    let e = store_error::<W>(run, e);
                    (
                        RunOutcome::Failed {
                            error: e.to_string(),
                        },
                        Err(e),
                    )
                }
            },
            Err(e) => (
                RunOutcome::Failed {
                    error: e.to_string(),
                },
                Err(e),
            ),
        };
        let finished = cfg.store.finish_run(&lease, outcome, cfg.retention);
        let finished = answers.answer("finishing a run", Some(run), finished).await;
        let result = match (finished, result) {
            (Ok(_), result) => result,
            // The failed run's own error is kept beside the store's.
            (Err(e), result) => Err(with_run_error(store_error::<W>(run, e), result.err())),
        };
        ended(result.as_ref().err());
        result.map(|outputs| DurableRun {
            run_id: run,
            outputs,
            report: Some(report),
            trace,
        })
    }
}

/// The recorder of one run: commits its records in order, in batches of whatever has
/// queued while the previous batch committed, and renews the lease every third of its
/// length. Ends when the queue closes (the run ended, or its future was dropped) with the
/// current lease. On a store error it cancels the run (`stop`) and returns the error.
/// `in_flight` says which store operation it waits for; `_holds` (see `drive`) end with it.
async fn record(
    store: Arc<dyn Store>,
    mut lease: Lease,
    length: Duration,
    mut queue: mpsc::UnboundedReceiver<Record>,
    stop: CancellationToken,
    in_flight: InFlight,
    _holds: (Recording, TaskGuard),
) -> Result<Lease, StoreError> {
    let waiting = |now: Option<(&'static str, Option<NodePath>)>| {
        if let Ok(mut in_flight) = in_flight.lock() {
            *in_flight = now;
        }
    };
    let renew_every = length / 3;
    let mut renewed = tokio::time::Instant::now();
    let mut batch = Vec::new();
    loop {
        let wait = renew_every.saturating_sub(renewed.elapsed());
        match tokio::time::timeout(wait, queue.recv_many(&mut batch, 4096)).await {
            Ok(0) => return Ok(lease),
            Ok(_) => {
                let node = batch.iter().find_map(|record| match record {
                    Record::Output(output) => Some(output.path.clone()),
                    _ => None,
                });
                waiting(Some(("recording node outputs", node)));
                let recorded = store.record_all(&lease, std::mem::take(&mut batch)).await;
                waiting(None);
                if let Err(e) = recorded {
                    stop.cancel();
                    return Err(e);
                }
            }
            Err(_elapsed) => {}
        }
        if renewed.elapsed() >= renew_every {
            waiting(Some(("renewing a lease", None)));
            let renewed_now = store.renew_lease(&lease, length).await;
            waiting(None);
            match renewed_now {
                Ok(new) => {
                    lease = new;
                    renewed = tokio::time::Instant::now();
                }
                Err(e) => {
                    stop.cancel();
                    return Err(e);
                }
            }
        }
    }
}
