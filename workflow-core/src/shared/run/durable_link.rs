//! `DurableLink`: a durable run's record queue and restorable item rows.

use std::sync::Mutex;

use crate::sync::lock;

/// A durable run's record queue and restorable item rows, shared by the lanes of its
/// fan-outs (see `executor/items.rs`): each item's nodes are recorded under their paths
/// (`thumbs[3].img`), and a resumed item takes its rows from here.
#[cfg(feature = "store")]
pub(crate) struct DurableLink {
    pub(crate) run: crate::store::RunId,
    /// The run's recorder queue; `None` once the run ended (so the recorder sees the
    /// queue close even if something still holds the run's shared state).
    records: Mutex<Option<tokio::sync::mpsc::UnboundedSender<crate::store::Record>>>,
    /// Recorded rows of fan-out items and sub-workflow nodes not restored yet, by path
    /// (`ys[3].y1`, `report.layout`).
    items: Mutex<std::collections::HashMap<String, crate::store::RecordedOutput>>,
}

#[cfg(feature = "store")]
impl DurableLink {
    pub(crate) fn new(
        run: crate::store::RunId,
        records: tokio::sync::mpsc::UnboundedSender<crate::store::Record>,
        items: std::collections::HashMap<String, crate::store::RecordedOutput>,
    ) -> Self {
        Self {
            run,
            records: Mutex::new(Some(records)),
            items: Mutex::new(items),
        }
    }

    /// Queues `record` for the recorder; `false` when the queue is closed (the run
    /// ended, or its recorder stopped on a store error, which it reports itself).
    pub(crate) fn send(&self, record: crate::store::Record) -> bool {
        lock(&self.records)
            .as_ref()
            .is_some_and(|q| q.send(record).is_ok())
    }

    /// The run ended: no more records.
    pub(crate) fn close(&self) {
        lock(&self.records).take();
    }

    /// Whether any item row is left to restore (a fresh run has none).
    pub(crate) fn has_items(&self) -> bool {
        !lock(&self.items).is_empty()
    }

    /// Takes the recorded row at `path`, if any.
    pub(crate) fn take_item(&self, path: &str) -> Option<crate::store::RecordedOutput> {
        let mut items = lock(&self.items);
        if items.is_empty() {
            return None;
        }
        items.remove(path)
    }

    /// Drops the rows under the fan-out or sub-workflow at `path` (`ys`: every `ys[..]`
    /// row; `report`: every `report.*` row): it runs again from inputs those rows were
    /// not computed from.
    pub(crate) fn forget_items(&self, path: &str) {
        let mut items = lock(&self.items);
        if items.is_empty() {
            return;
        }
        items.retain(|p, _| {
            !p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with(['[', '.']))
        });
    }
}
