//! A worker: polls one workflow's task queue, runs its generated Temporal workflow and its
//! nodes' activities.

use std::sync::mpsc;
use std::thread;

use temporalio_common::worker::WorkerDeploymentOptions;
use temporalio_sdk::runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder};
use temporalio_sdk::{Runtime as SdkRuntime, Worker, WorkerOptions};
use workflow_core::remote::NodeByNode;
use workflow_core::Runtime;

use crate::activity::NodeImpl;
use crate::client::TemporalClient;
use crate::error::Error;
use crate::graph::GraphWorkflow;
use crate::policy::{build_id, task_queue};

/// A Temporal worker for the workflow `W`: every node of `W` registered as an activity
/// (`W.binding`), and `W`'s graph as the Temporal workflow `W`.
///
/// Nodes run on `runtime`, a [`workflow_core::Runtime`]: its resources are what nodes'
/// `Res<T>` parameters receive, as in-process.
pub struct TemporalWorker {
    worker: Worker,
    task_queue: String,
    // The SDK's runtime must outlive its workers.
    _sdk: SdkRuntime,
}

impl std::fmt::Debug for TemporalWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporalWorker")
            .field("task_queue", &self.task_queue)
            .finish_non_exhaustive()
    }
}

impl TemporalWorker {
    /// A worker for `W`, connected through `client`, running nodes on `runtime`. Must be
    /// called inside a tokio runtime (the SDK's core runs on it).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when `W` has an `#[ephemeral]` binding;
    /// [`Error::Temporal`] when the SDK refuses the worker.
    pub fn new<W: NodeByNode>(client: &TemporalClient, runtime: Runtime) -> Result<Self, Error> {
        Error::check_supported::<W>()?;
        let sdk = SdkRuntime::from_current_tokio(Default::default())
            .map_err(|e| Error::temporal("starting the SDK runtime", e))?;
        let settings = &client.settings;
        let queue = task_queue::<W>(settings);
        let mut options = WorkerOptions::new(queue.clone())
            .register_workflow::<GraphWorkflow<W>>()
            .map_err(|e| Error::temporal("registering the workflow", e))?;
        for node in 0..W::PLAN.nodes.len() {
            options = options.register_activities(NodeImpl::<W>::new(
                node,
                runtime.clone(),
                settings.heartbeat,
                settings.max_payload_bytes,
            ));
        }
        // The SDK's default slots, but `max_concurrent_nodes` activity slots.
        let slots = FixedSizeSlotSupplier::new;
        let tuner = TunerHolder::builder()
            .workflow_task_slot_supplier(slots(100))
            .activity_task_slot_supplier(slots(settings.max_concurrent_nodes.max(1)))
            .local_activity_task_slot_supplier(slots(100))
            .nexus_task_slot_supplier(slots(100))
            .build();
        let options = options
            .deployment_options(WorkerDeploymentOptions::from_build_id(build_id::<W>()))
            .tuner(tuner)
            .build();
        let worker = Worker::new(&sdk, client.client.clone(), options)
            .map_err(|e| Error::temporal("creating the worker", e))?;
        Ok(Self {
            worker,
            task_queue: queue,
            _sdk: sdk,
        })
    }

    /// The task queue this worker polls.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    /// A fn that asks the worker to stop: it finishes the tasks it holds, then
    /// [`run`](Self::run) returns.
    pub fn shutdown_handle(&self) -> impl Fn() + Send + Sync + 'static {
        self.worker.shutdown_handle()
    }

    /// Polls and runs tasks until [`shutdown_handle`](Self::shutdown_handle) is called.
    ///
    /// The future is not `Send` (the SDK runs workflow code on one thread): await it in
    /// `main`, on a `LocalSet`, or use [`spawn`](Self::spawn).
    ///
    /// # Errors
    ///
    /// [`Error::Temporal`] when the worker fails (the server went away for good).
    pub async fn run(mut self) -> Result<(), Error> {
        self.worker
            .run()
            .await
            .map_err(|e| Error::temporal("running the worker", e))
    }
}

/// A worker running on a thread of its own ([`TemporalWorker::spawn`]); stopped when
/// dropped.
pub struct WorkerThread {
    shutdown: Box<dyn Fn() + Send + Sync>,
    thread: Option<thread::JoinHandle<Result<(), Error>>>,
}

impl std::fmt::Debug for WorkerThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerThread").finish_non_exhaustive()
    }
}

impl WorkerThread {
    /// Stops the worker (it finishes the tasks it holds) and waits for its thread.
    ///
    /// # Errors
    ///
    /// What [`TemporalWorker::run`] returned.
    pub fn stop(mut self) -> Result<(), Error> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), Error> {
        (self.shutdown)();
        match self.thread.take().map(thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::temporal(
                "running the worker",
                "the worker thread panicked",
            )),
            None => Ok(()),
        }
    }
}

impl Drop for WorkerThread {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

impl TemporalWorker {
    /// Starts a worker for `W` on a new thread with its own single-threaded tokio
    /// runtime (nodes run there too), for embedding a worker in a process that does
    /// other things, and for tests.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn spawn<W: NodeByNode>(
        client: &TemporalClient,
        runtime: Runtime,
    ) -> Result<WorkerThread, Error> {
        let client = client.clone();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name(format!("temporal-worker-{}", W::NAME))
            .spawn(move || -> Result<(), Error> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Error::temporal("starting the worker's tokio runtime", e))?;
                rt.block_on(async move {
                    let worker = match Self::new::<W>(&client, runtime) {
                        Ok(worker) => worker,
                        Err(e) => {
                            let message = e.to_string();
                            let _ = ready_tx.send(Err(e));
                            return Err(Error::temporal("creating the worker", message));
                        }
                    };
                    let shutdown: Box<dyn Fn() + Send + Sync> = Box::new(worker.shutdown_handle());
                    let _ = ready_tx.send(Ok(shutdown));
                    worker.run().await
                })
            })
            .map_err(|e| Error::temporal("starting the worker thread", e))?;
        match ready_rx.recv() {
            Ok(Ok(shutdown)) => Ok(WorkerThread {
                shutdown,
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => Error::temporal("starting the worker", "the worker thread ended early"),
            }),
        }
    }
}
