//! A runtime's durable runs, from the caller's side: start one (or find the run its key
//! started), resume, retry or recover runs; each ends in a drive (`drive.rs`).

use std::sync::Arc;

use super::*;
use crate::error::WorkflowError;
use crate::executor::Workflow;
use crate::runtime::{Driving, DurableConfig, Runtime};
use crate::store::{
    CreatedRun, GraphFingerprint, Lease, NewRun, RunFilter, RunId, RunOutcome, RunStatus, Store,
    StoreError,
};

impl Runtime {
    /// The store durable runs are recorded in, if one was configured.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.durable.as_ref().map(|d| &d.store)
    }

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

    /// Starts a durable run of `workflow` and drives it to its end.
    ///
    /// With an `idempotency_key`, a second start with the same key does not run again: it
    /// returns the first run's outputs if that run succeeded, resumes it if it is
    /// unfinished and its lease expired or is this runtime's own (its owner's: a run whose
    /// future was dropped, such as one cut by `tokio::time::timeout`, resumes at once), and
    /// fails if it failed (the error names the run: [`Runtime::retry`] runs it again).
    /// While this runtime still drives that run (the first start has not returned), a
    /// second start waits for it and then answers as above: the nodes run once. A start
    /// from another runtime on the same store (another owner) does not wait: while the
    /// run's lease is held, it fails with [`StoreError::LeaseHeld`](crate::store::StoreError::LeaseHeld)
    /// naming that owner.
    ///
    /// Without a key, a run cut short is found again by its id
    /// ([`Store::list_runs`](crate::store::Store::list_runs) on [`Runtime::store`]) for
    /// [`Runtime::resume`], or by [`Runtime::recover`] once its lease expired. A run that
    /// failed is retried by its id ([`Runtime::retry`]): the error is a
    /// [`WorkflowError`] as for [`Runtime::execute`], and the id comes with it to
    /// [`RuntimeBuilder::on_durable_run_end`](crate::RuntimeBuilder::on_durable_run_end)
    /// (`end.run_id`, `end.error`), or from `list_runs`.
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`], plus [`WorkflowError::Store`]: no store configured, the
    /// store failed, the key names a run of another workflow or input or one still
    /// leased to another owner. Outside a tokio runtime (another executor's `block_on`),
    /// [`WorkflowError::NeedsTokio`] ([`TokioNeed::DurableRecording`]) before the store
    /// is touched, as for `resume`, `retry` and `recover`: the run is recorded by a tokio
    /// task.
    ///
    /// [`TokioNeed::DurableRecording`]: crate::TokioNeed::DurableRecording
    //
    //
    // `W` is bound once, with its input and output as parameters of their own, and the
    // future's type does not name `W`: a workflow that is not durable is then one error,
    // at `workflow` (an `async fn`, or `impl Future`, said it three times: at the
    // argument, the call and the `.await`).
    pub fn start_durable<'a, W, I, O>(
        &'a self,
        workflow: W,
        input: I,
        idempotency_key: Option<&'a str>,
    ) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Input = I, Output = O> + 'a,
        I: Send + 'a,
        O: Send + 'a,
    {
        Box::pin(self.start_durable_run(workflow, input, idempotency_key))
    }

    async fn start_durable_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        input: W::Input,
        idempotency_key: Option<&str>,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let no_run = RunId(0);
        let encoded = W::encode_input(&input).map_err(|e| store_error::<W>(no_run, e))?;
        let created = cfg
            .store
            .create_run(NewRun {
                workflow: W::NAME.to_owned(),
                fingerprint: GraphFingerprint(fingerprint::<W>()),
                input: encoded,
                idempotency_key: idempotency_key.map(str::to_owned),
                owner: cfg.owner.clone(),
                lease: cfg.lease,
            })
            .await
            .map_err(|e| store_error::<W>(no_run, e))?;
        match created {
            CreatedRun::New(claimed) => {
                let run = claimed.lease.run;
                let (driving, waited) = cfg.drives.take(run).await;
                if !waited {
                    return self
                        .drive::<W>(&cfg, claimed.lease, input, Restore::default())
                        .await;
                }
                // A resume of this new run (found by listing the store) drove it meanwhile:
                // what it left is the run's state now.
                self.start_existing::<W>(&cfg, run, None, driving).await
            }
            CreatedRun::Existing(row) => {
                // Driven by this runtime now (a start with the same key still running, or a
                // resume)? Then wait for that drive to end and read what it left, rather
                // than claim the run again, which the store allows its own owner, and run
                // its nodes a second time.
                let run = row.id;
                let (driving, waited) = cfg.drives.take(run).await;
                let row = (!waited).then_some(row);
                self.start_existing::<W>(&cfg, run, row, driving).await
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
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let row = match row {
            Some(row) => row,
            None => cfg
                .store
                .get_run(run)
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
            RunStatus::Running => self.resume_taken::<W>(cfg, run).await,
        }
    }

    /// Resumes the unfinished durable run `run`: restores its recorded outputs and runs
    /// the nodes without one.
    ///
    /// # Errors
    ///
    /// As [`Runtime::start_durable`]; also [`WorkflowError::Store`] whose `source` field
    /// (`err.downcast_ref::<StoreError>()`; `std::error::Error::source` continues below
    /// it, as for a node's error) is a [`StoreError::NotFound`] when the store has no such run, a
    /// [`StoreError::WrongWorkflow`] when the run is another workflow's (refused before it
    /// is claimed: the run is left as it was), a [`StoreError::Finished`] when it finished
    /// (a failed run is run again with [`Runtime::retry`]), or a [`StoreError::LeaseHeld`]
    /// when another owner's lease on it has not expired.
    // One bound, as in `start_durable`.
    pub fn resume<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.resume_run(workflow, run))
    }

    async fn resume_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        // While this runtime drives the run (a start, another resume), wait for that drive
        // to end: claiming it now would succeed (the lease is this runtime's own) and run
        // its nodes a second time. After it, a finished run is refused as usual.
        let _driving = cfg.drives.take(run).await;
        self.resume_taken::<W>(&cfg, run).await
    }

    /// [`Runtime::resume`] of a run this runtime does not drive otherwise.
    async fn resume_taken<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        // Another workflow's run is refused before it is claimed: claiming it first would
        // lease it to this owner until the lease expired, keeping its own workflow's
        // `recover` away from it. (The workflow of a run never changes, so there is no
        // race between this read and the claim.)
        let row = cfg
            .store
            .get_run(run)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        if row.workflow != W::NAME {
            return Err(store_error::<W>(
                run,
                StoreError::WrongWorkflow {
                    run,
                    workflow: row.workflow,
                    expected: W::NAME.to_owned(),
                },
            ));
        }
        let claimed = cfg
            .store
            .claim_run(run, &cfg.owner, cfg.lease)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        self.resume_claimed::<W>(cfg, claimed.lease).await
    }

    /// Runs the failed durable run `run` again from where it failed, under the same run
    /// id: the nodes that finished are restored from their recorded outputs (they end as
    /// [`NodeStatus::Restored`](crate::NodeStatus::Restored) and do not execute), the
    /// node that failed and everything after it run, with the run's recorded input.
    ///
    /// Meant for a failure that is gone: a dependency that was down, or a bug fixed and
    /// deployed since (a node whose code changed runs again when its
    /// `#[node(version = N)]` is bumped, and so does everything downstream of it: the rules
    /// of [`Runtime::resume`]). The run's earlier failure is kept in its attempts
    /// ([`RunState::attempts`](crate::store::RunState::attempts)); its idempotency key keeps naming it, so a later
    /// [`start_durable`](Runtime::start_durable) with the key gets this attempt's outputs.
    ///
    /// Why the same id and not a new run: the recorded outputs, the key, and the ids
    /// nodes derive for the outside world ([`Context::idempotency_key`](crate::Context::idempotency_key))
    /// all belong to the run; a new id would make every restored node's side effects look
    /// new to the services they called, and leave the key naming a failure.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use workflow_core::prelude::*;
    /// use workflow_core::store::MemoryStore;
    ///
    /// static DOWN: AtomicBool = AtomicBool::new(true);
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the mail server is down")]
    /// struct Down;
    ///
    /// #[node]
    /// async fn render(order: u32) -> String {
    ///     format!("order {order}")
    /// }
    ///
    /// #[node]
    /// async fn send(text: String) -> Result<usize, Down> {
    ///     if DOWN.load(Ordering::SeqCst) { Err(Down) } else { Ok(text.len()) }
    /// }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Mail {
    ///         input order: u32,
    ///         text = render(order),
    ///         sent = send(text),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder().store(MemoryStore::new()).build();
    /// let failed = rt.start_durable(Mail, MailInput { order: 7 }, None).await.unwrap_err();
    /// assert!(matches!(failed, WorkflowError::NodeFailed { .. }), "{failed}");
    /// let run = rt.store().unwrap().list_runs(Default::default()).await.unwrap()[0].id;
    ///
    /// DOWN.store(false, Ordering::SeqCst); // the server is back
    /// let retried = rt.retry(Mail, run).await.unwrap();
    /// assert_eq!((retried.run_id, retried.outputs.sent), (run, 7));
    /// assert_eq!(retried.restored(), ["text"]); // `render` did not run again
    /// let state = rt.store().unwrap().load_run(run).await.unwrap();
    /// assert_eq!(state.attempts.len(), 1); // the first attempt's failure
    /// assert!(state.attempts[0].error.contains("mail server is down"));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Runtime::resume`]; [`WorkflowError::Store`] whose `source` field
    /// (`err.downcast_ref::<StoreError>()`) is a [`StoreError::NotFailed`] when the run is running (resume it) or succeeded,
    /// [`StoreError::WrongWorkflow`] when it is another workflow's,
    /// [`StoreError::NotFound`] when the store has no such run; in each case nothing was
    /// changed. If the run fails again it is failed again, with both failures kept; so it
    /// is when the retry cannot start (the workflow's inputs changed since the run
    /// started, a recorded output no longer decodes): the error is returned and recorded
    /// as the run's, and it stays retryable.
    // One bound, as in `start_durable`.
    pub fn retry<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.retry_run(workflow, run))
    }

    async fn retry_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        // Held while the retry drives the run, so that a start with its key waits for it.
        let _driving = cfg.drives.take(run).await;
        let claimed = cfg
            .store
            .retry_run(run, W::NAME, &cfg.owner, cfg.lease)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        match self.load_claimed::<W>(&cfg, run).await {
            Ok((input, restore)) => self.drive::<W>(&cfg, claimed.lease, input, restore).await,
            // The retry cannot start (the workflow's inputs changed, a record no longer
            // decodes): the run is failed again, with this error, rather than left
            // running for nobody (a resume would meet the same error).
            Err(e) => {
                let outcome = RunOutcome::Failed {
                    error: e.to_string(),
                };
                match cfg
                    .store
                    .finish_run(&claimed.lease, outcome, cfg.retention)
                    .await
                {
                    Ok(_) => Err(e),
                    Err(finish) => Err(with_run_error(store_error::<W>(run, finish), Some(e))),
                }
            }
        }
    }

    /// Resumes every unfinished run of `workflow` whose lease expired (its process died),
    /// concurrently, and returns each run's result. Safe from several processes at once:
    /// each run is claimed by exactly one of them.
    ///
    /// # Errors
    ///
    /// [`WorkflowError::Store`] when the runs cannot be listed; each run's own error is in
    /// its entry.
    // One bound, as in `start_durable`.
    pub fn recover<'a, W, O>(&'a self, workflow: W) -> DurableFuture<'a, RecoveredRuns<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.recover_runs(workflow))
    }

    async fn recover_runs<W: DurableWorkflow>(
        &self,
        _workflow: W,
    ) -> Result<Vec<(RunId, Result<DurableRun<W::Output>, WorkflowError>)>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let runs = cfg
            .store
            .list_runs(RunFilter {
                status: Some(RunStatus::Running),
                workflow: Some(W::NAME.to_owned()),
                ..RunFilter::default()
            })
            .await
            .map_err(|e| store_error::<W>(RunId(0), e))?;
        let now = cfg.store.clock().now();
        let mut claimed = Vec::new();
        for row in runs {
            if row.lease_expires_at.is_some_and(|t| t > now) {
                continue;
            }
            // A run this runtime drives now is not dead, whatever its lease says.
            let Some(driving) = cfg.drives.try_take(row.id) else {
                continue;
            };
            // Another recoverer may claim it first: then it is theirs, not an error.
            match cfg.store.claim_run(row.id, &cfg.owner, cfg.lease).await {
                Ok(c) => claimed.push((c, driving)),
                Err(StoreError::LeaseHeld { .. } | StoreError::Finished { .. }) => {}
                Err(e) => return Err(store_error::<W>(row.id, e)),
            }
        }
        let resumed = claimed.into_iter().map(|(c, driving)| {
            let cfg = &cfg;
            async move {
                let id = c.lease.run;
                let result = self.resume_claimed::<W>(cfg, c.lease).await;
                drop(driving);
                (id, result)
            }
        });
        Ok(futures::future::join_all(resumed).await)
    }

    /// Loads a claimed run, decides what to restore, and drives it.
    async fn resume_claimed<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        lease: Lease,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let (input, restore) = self.load_claimed::<W>(cfg, lease.run).await?;
        self.drive::<W>(cfg, lease, input, restore).await
    }

    /// A claimed run's input, and what to restore.
    async fn load_claimed<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
    ) -> Result<(W::Input, Restore<W::Value>), WorkflowError> {
        let state = cfg
            .store
            .load_run(run)
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
