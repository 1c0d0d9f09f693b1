//! How `start_durable`, `resume`, `retry` and `recover` (public, in `mod.rs`) do their
//! work: start a run (or find the one its key started), claim and load a run to resume
//! or retry, recover every run whose lease lapsed; each ends in a drive (`drive.rs`).

use std::sync::Arc;

use super::*;
use crate::error::WorkflowError;
use crate::executor::Workflow;
use crate::runtime::{Driving, DurableConfig, Runtime};
use crate::store::{
    CreatedRun, GraphFingerprint, Lease, NewRun, RunFilter, RunId, RunOutcome, RunRecord,
    RunStatus, StoreError,
};

impl Runtime {
    /// The store's configuration, for a drive of a durable run (a start, resume, retry
    /// or recovery), which records on a tokio task: refused outside tokio (another
    /// executor's `block_on`) before the store is touched, where `tokio::spawn` panicked
    /// once the run was claimed.
    fn durable_config<W: Workflow>(&self) -> Result<Arc<DurableConfig>, WorkflowError> {
        let cfg = self.durable.clone().ok_or_else(|| {
            other_error::<W>(
                RunId(0),
                "no store configured: build the runtime with `Runtime::builder().store(..)`".into(),
            )
        })?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(WorkflowError::NeedsTokio {
                workflow: W::NAME,
                node: None,
                cause: crate::error::TokioNeed::DurableRecording,
            });
        }
        Ok(cfg)
    }

    pub(super) async fn start_durable_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        input: W::Input,
        idempotency_key: Option<&str>,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let answers = AnswerLimit::of(&cfg);
        let no_run = RunId(0);
        let encoded = W::encode_input(&input).map_err(|e| store_error::<W>(no_run, e))?;
        let created = cfg.store.create_run(NewRun {
            workflow: W::NAME.to_owned(),
            fingerprint: GraphFingerprint(fingerprint::<W>()),
            input: encoded,
            idempotency_key: idempotency_key.map(str::to_owned),
            owner: cfg.owner.clone(),
            lease: cfg.lease,
        });
        let created = answers
            .answer("creating a run", None, created)
            .await
            .map_err(|e| store_error::<W>(no_run, e))?;
        match created {
            CreatedRun::New(claimed) => {
                let run = claimed.lease.run;
                let (driving, waited) = take::<W>(&cfg, run, &answers).await?;
                if !waited {
                    let restore = Restore::default();
                    return self
                        .drive::<W>(&cfg, claimed.lease, input, restore, &answers)
                        .await;
                }
                // A resume of this new run (found by listing the store) drove it meanwhile:
                // what it left is the run's state now.
                self.start_existing::<W>(&cfg, run, None, driving, &answers)
                    .await
            }
            CreatedRun::Existing(row) => {
                // Driven by this runtime now (a start with the same key still running, or a
                // resume)? Then wait for that drive to end and read what it left, rather
                // than claim the run again, which the store allows its own owner, and run
                // its nodes a second time.
                let run = row.id;
                let (driving, waited) = take::<W>(&cfg, run, &answers).await?;
                let row = (!waited).then_some(row);
                self.start_existing::<W>(&cfg, run, row, driving, &answers)
                    .await
            }
        }
    }

    /// A start with the idempotency key of the existing run `run`: `row`, or the row read
    /// again when a drive of the run by this runtime ended meanwhile. `_driving` keeps
    /// other drives of it in this runtime waiting until this one ends.
    async fn start_existing<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
        row: Option<crate::store::RunRecord>,
        _driving: Driving<'_>,
        answers: &AnswerLimit,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let row = match row {
            Some(row) => row,
            None => answers
                .answer("reading a run", Some(run), cfg.store.get_run(run))
                .await
                .map_err(|e| store_error::<W>(run, e))?,
        };
        match row.status {
            RunStatus::Succeeded => {
                let bytes = row.output.as_deref().ok_or_else(|| {
                    other_error::<W>(row.id, "succeeded, but its outputs were not kept".into())
                })?;
                let outputs =
                    W::decode_output(bytes, row.id).map_err(|e| store_error::<W>(row.id, e))?;
                Ok(DurableRun {
                    run_id: row.id,
                    outputs,
                    report: None,
                    trace: None,
                })
            }
            RunStatus::Failed => Err(other_error::<W>(
                row.id,
                format!(
                    "an earlier run with this idempotency key failed: {}; run it again \
                     from where it failed with `Runtime::retry(.., RunId({}))`",
                    row.error.as_deref().unwrap_or("(no error recorded)"),
                    row.id.0
                ),
            )),
            RunStatus::Running => self.resume_taken::<W>(cfg, run, answers).await,
        }
    }

    pub(super) async fn read_outputs<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<W::Output, WorkflowError> {
        // Only a read: no tokio task records anything, so no tokio check.
        let cfg = self.durable.clone().ok_or_else(|| {
            other_error::<W>(
                run,
                "no store configured: build the runtime with `Runtime::builder().store(..)`".into(),
            )
        })?;
        // Bounded by `store_timeout` like every other wait on the store.
        let row = AnswerLimit::of(&cfg)
            .answer("reading a run", Some(run), cfg.store.get_run(run))
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        of_workflow::<W>(run, &row)?;
        if row.status != RunStatus::Succeeded {
            return Err(store_error::<W>(
                run,
                StoreError::NotSucceeded {
                    run,
                    status: row.status,
                },
            ));
        }
        let bytes = row.output.as_deref().ok_or_else(|| {
            other_error::<W>(run, "succeeded, but its outputs were not kept".into())
        })?;
        W::decode_output(bytes, run).map_err(|e| store_error::<W>(run, e))
    }

    pub(super) async fn resume_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let answers = AnswerLimit::of(&cfg);
        // While this runtime drives the run (a start, another resume), wait for that drive
        // to end: claiming it now would succeed (the lease is this runtime's own) and run
        // its nodes a second time. After it, a finished run is refused as usual.
        let _driving = take::<W>(&cfg, run, &answers).await?;
        self.resume_taken::<W>(&cfg, run, &answers).await
    }

    /// [`Runtime::resume`] of a run this runtime does not drive otherwise.
    async fn resume_taken<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
        answers: &AnswerLimit,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        // Another workflow's run is refused before it is claimed: claiming it first would
        // lease it to this owner until the lease expired, keeping its own workflow's
        // `recover` away from it. (The workflow of a run never changes, so there is no
        // race between this read and the claim.)
        let row = answers
            .answer("reading a run", Some(run), cfg.store.get_run(run))
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        of_workflow::<W>(run, &row)?;
        let claimed = cfg.store.claim_run(run, &cfg.owner, cfg.lease);
        let claimed = answers
            .answer("claiming a run", Some(run), claimed)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        self.resume_claimed::<W>(cfg, claimed.lease, answers).await
    }

    pub(super) async fn retry_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let answers = AnswerLimit::of(&cfg);
        // Held while the retry drives the run, so that a start with its key waits for it.
        let _driving = take::<W>(&cfg, run, &answers).await?;
        let claimed = cfg.store.retry_run(run, W::NAME, &cfg.owner, cfg.lease);
        let claimed = answers
            .answer("retrying a run", Some(run), claimed)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        match self.load_claimed::<W>(&cfg, run, &answers).await {
            Ok((input, restore)) => {
                self.drive::<W>(&cfg, claimed.lease, input, restore, &answers)
                    .await
            }
            // The retry cannot start (the workflow's inputs changed, a record no longer
            // decodes): the run is failed again, with this error, rather than left
            // running for nobody (a resume would meet the same error).
            Err(e) => {
                let outcome = RunOutcome::Failed {
                    error: e.to_string(),
                };
                let finished = cfg.store.finish_run(&claimed.lease, outcome, cfg.retention);
                match answers.answer("finishing a run", Some(run), finished).await {
                    Ok(_) => Err(e),
                    Err(finish) => Err(with_run_error(store_error::<W>(run, finish), Some(e))),
                }
            }
        }
    }

    pub(super) async fn recover_runs<W: DurableWorkflow>(
        &self,
        _workflow: W,
    ) -> Result<Vec<(RunId, Result<DurableRun<W::Output>, WorkflowError>)>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let answers = AnswerLimit::of(&cfg);
        let runs = cfg.store.list_runs(RunFilter {
            status: Some(RunStatus::Running),
            workflow: Some(W::NAME.to_owned()),
            ..RunFilter::default()
        });
        let runs = answers
            .answer("listing runs", None, runs)
            .await
            .map_err(|e| store_error::<W>(RunId(0), e))?;
        let now = cfg.store.clock().now();
        let mut claimed = Vec::new();
        // A claim the store failed is that run's entry: the others are still resumed
        // (returning early would leave the runs claimed before unresumed until their new
        // lease expired).
        let mut unclaimed = Vec::new();
        for row in runs {
            if row.lease_expires_at.is_some_and(|t| t > now) {
                continue;
            }
            // A run this runtime drives now is not dead, whatever its lease says.
            let Some(driving) = cfg.drives.try_take(row.id) else {
                continue;
            };
            // Another recoverer may claim it first: then it is theirs, not an error.
            let claim = cfg.store.claim_run(row.id, &cfg.owner, cfg.lease);
            match answers.answer("claiming a run", Some(row.id), claim).await {
                Ok(c) => claimed.push((c, driving)),
                Err(StoreError::LeaseHeld { .. } | StoreError::Finished { .. }) => {}
                Err(e) => unclaimed.push((row.id, Err(store_error::<W>(row.id, e)))),
            }
        }
        let resumed = claimed.into_iter().map(|(c, driving)| {
            let (cfg, answers) = (&cfg, &answers);
            async move {
                let id = c.lease.run;
                let result = self.resume_claimed::<W>(cfg, c.lease, answers).await;
                drop(driving);
                (id, result)
            }
        });
        let mut recovered = futures::future::join_all(resumed).await;
        recovered.extend(unclaimed);
        Ok(recovered)
    }

    /// Loads a claimed run, decides what to restore, and drives it.
    async fn resume_claimed<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        lease: Lease,
        answers: &AnswerLimit,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let (input, restore) = self.load_claimed::<W>(cfg, lease.run, answers).await?;
        self.drive::<W>(cfg, lease, input, restore, answers).await
    }

    /// A claimed run's input, and what to restore.
    async fn load_claimed<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
        answers: &AnswerLimit,
    ) -> Result<(W::Input, Restore<W::Value>), WorkflowError> {
        let state = answers
            .answer("loading a run", Some(run), cfg.store.load_run(run))
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        if state.run.workflow != W::NAME {
            return Err(other_error::<W>(
                run,
                format!("the run is of workflow `{}`", state.run.workflow),
            ));
        }
        // Before the input is decoded: an input added or removed since the run started
        // makes it fail to decode, which would not say which input changed.
        refuse_changed_inputs::<W>(&state.run.fingerprint.0, run)?;
        let input = W::decode_input(&state.run.input, run).map_err(|e| store_error::<W>(run, e))?;
        Ok((input, restorable::<W>(state)?))
    }
}

/// Takes `run` for a drive by this runtime (see `Drives`): after any drive of it by this
/// runtime ended, and that drive's recorder committed what it queued (within `answers`'
/// limit: a recorder still waiting for its store then is the store's silence); and
/// whether it waited for a drive.
async fn take<'a, W: Workflow>(
    cfg: &'a DurableConfig,
    run: RunId,
    answers: &AnswerLimit,
) -> Result<(Driving<'a>, bool), WorkflowError> {
    let (driving, waited) = cfg.drives.take(run).await;
    let earlier = || {
        let operation = "recording node outputs (an earlier drive's, in this runtime)";
        (operation, Some(run), None)
    };
    answers
        .wait(cfg.drives.recorded(run), earlier)
        .await
        .map_err(|e| store_error::<W>(run, e))?;
    Ok((driving, waited))
}

/// `Ok` when `row` is a run of `W`; [`StoreError::WrongWorkflow`] otherwise.
fn of_workflow<W: Workflow>(run: RunId, row: &RunRecord) -> Result<(), WorkflowError> {
    if row.workflow == W::NAME {
        return Ok(());
    }
    Err(store_error::<W>(
        run,
        StoreError::WrongWorkflow {
            run,
            workflow: row.workflow.clone(),
            expected: W::NAME.to_owned(),
        },
    ))
}
