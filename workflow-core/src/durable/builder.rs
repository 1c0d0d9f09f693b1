//! What a [`RuntimeBuilder`] takes for durable runs: the store, the owner and lease,
//! the end hook, whether finished runs' records are kept.

use std::sync::Arc;
use std::time::Duration;

#[cfg(doc)]
use crate::runtime::Runtime;
use crate::runtime::{DurableRunEnd, OnDurableEnd, RuntimeBuilder};
use crate::store::{OwnerId, Retention, Store};

impl RuntimeBuilder {
    /// Records durable runs ([`Runtime::start_durable`]) in `store`.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), workflow_core::store::StoreError> {
    /// use workflow_core::Runtime;
    /// use workflow_core::store::SqliteStore;
    ///
    /// let rt = Runtime::builder().store(SqliteStore::open("runs.db")?).build();
    /// # drop(rt);
    /// # Ok(())
    /// # }
    /// ```
    pub fn store(self, store: impl Store + 'static) -> Self {
        self.store_arc(Arc::new(store))
    }

    /// Records durable runs in a store shared with other code.
    pub fn store_arc(mut self, store: Arc<dyn Store>) -> Self {
        self.durable.store = Some(store);
        self
    }

    /// Who holds this runtime's leases (default: [`OwnerId::for_this_process`]).
    pub fn owner(mut self, owner: OwnerId) -> Self {
        self.durable.owner = Some(owner);
        self
    }

    /// How long a lease lasts unless renewed (default 30 s): a run whose process died is
    /// recovered by [`Runtime::recover`] this long after its last renewal. Running runs
    /// renew every third of it.
    ///
    /// Stores keep lease times in whole milliseconds, so a lease under 1 ms (zero
    /// included) has expired when it is written: another owner's `recover` may claim a
    /// run while it still runs here, and this runtime renews it about once a millisecond
    /// (one store write each). `Duration::MAX` (saturated to the store's largest time)
    /// never expires: `recover` never picks up a run whose process died, only
    /// [`Runtime::resume`] by a runtime of the same [`OwnerId`] does.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.durable.lease = Some(lease);
        self
    }

    /// Calls `f` when a durable run executed by this runtime ends ([`Runtime::start_durable`],
    /// [`Runtime::resume`], [`Runtime::recover`]), succeeded or failed, with its report,
    /// trace and error (a start that only read an earlier run's outputs executed
    /// nothing, and calls nothing). Test harnesses use it to record durable runs as they
    /// record [`Runtime::execute`]'s: `workflow_test::Harness` with a store counts their
    /// nodes in `execution_count`, keeps them in `runs()` and `last_trace()`. A panic in
    /// `f` is contained: the run's caller gets the run's result, and the panic is a
    /// `tracing` error event (target `workflow`) naming the run and the callback.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use workflow_core::prelude::*;
    /// use workflow_core::store::MemoryStore;
    ///
    /// #[node]
    /// async fn double(x: u32) -> u32 {
    ///     x * 2
    /// }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Double {
    ///         input x: u32,
    ///         y = double(x),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let ended = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&ended);
    /// let rt = Runtime::builder()
    ///     .store(MemoryStore::new())
    ///     .on_durable_run_end(move |end| {
    ///         let node = &end.report.nodes[0];
    ///         seen.lock().unwrap().push((end.run_id, node.name.to_string(), end.error.is_none()));
    ///     })
    ///     .build();
    /// let run = rt.start_durable(Double, DoubleInput { x: 2 }, Some("d")).await.unwrap();
    /// // Again with the key: the outputs are read back, nothing runs.
    /// rt.start_durable(Double, DoubleInput { x: 2 }, Some("d")).await.unwrap();
    /// assert_eq!(*ended.lock().unwrap(), [(run.run_id, "y".to_string(), true)]);
    /// # });
    /// ```
    pub fn on_durable_run_end(
        mut self,
        f: impl Fn(&DurableRunEnd<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.durable.on_end = Some(OnDurableEnd(Arc::new(f)));
        self
    }

    /// Keeps a succeeded run's node rows (default: deleted, so tables hold work in
    /// flight, not history; run rows stay until [`Store::purge`]).
    pub fn keep_records(mut self, keep: bool) -> Self {
        self.durable.retention = if keep {
            Retention::Keep
        } else {
            Retention::DeleteOnSuccess
        };
        self
    }
}
