//! [`EventQueue`]: events fed into a running workflow from outside (a test, a server).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Mutex};

/// A typed queue that code outside a run feeds while nodes consume it.
///
/// Register it as a resource and take it as `Res<EventQueue<T>>` in a node; keep a clone
/// (or a [`EventSender`]) to send events. Clones share one queue.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::prelude::*;
///
/// #[derive(Debug, Clone, PartialEq)]
/// enum Event { Data(u32), Stop }
///
/// #[node]
/// async fn listen(events: Res<EventQueue<Event>>) -> Vec<u32> {
///     let mut seen = Vec::new();
///     // Stop on a `Stop` event, or after one idle second.
///     while let Ok(Some(event)) = events.recv_timeout(Duration::from_secs(1)).await {
///         match event {
///             Event::Data(v) => seen.push(v),
///             Event::Stop => break,
///         }
///     }
///     seen
/// }
///
/// workflow! {
///     struct Listen {
///         seen = listen(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let queue = EventQueue::new();
/// let rt = Runtime::builder().resource(queue.clone()).build();
/// let run = rt.execute(Listen, ListenInput {});
/// queue.send(Event::Data(1));
/// queue.send(Event::Data(2));
/// queue.send(Event::Stop);
/// assert_eq!(run.await.unwrap().outputs.seen, [1, 2]);
/// # });
/// ```
pub struct EventQueue<T> {
    tx: mpsc::UnboundedSender<T>,
    rx: Arc<Mutex<mpsc::UnboundedReceiver<T>>>,
}

impl<T> Clone for EventQueue<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            rx: Arc::clone(&self.rx),
        }
    }
}

impl<T> fmt::Debug for EventQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventQueue").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Default for EventQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends into an [`EventQueue`].
pub struct EventSender<T> {
    tx: mpsc::UnboundedSender<T>,
}

impl<T> Clone for EventSender<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for EventSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSender").finish_non_exhaustive()
    }
}

impl<T> EventSender<T> {
    /// Sends an event; returns it back if every receiver is gone.
    pub fn send(&self, event: T) -> Result<(), T> {
        self.tx.send(event).map_err(|e| e.0)
    }
}

/// [`EventQueue::recv_timeout`] saw no event in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no event within {0:?}")]
pub struct RecvTimeout(pub Duration);

impl<T: Send + 'static> EventQueue<T> {
    /// An empty, unbounded queue.
    pub fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            tx,
            rx: Arc::new(Mutex::new(rx)),
        }
    }

    /// A sender for code outside the run.
    pub fn sender(&self) -> EventSender<T> {
        EventSender {
            tx: self.tx.clone(),
        }
    }

    /// Sends an event. Never blocks; the queue lives as long as any clone does.
    pub fn send(&self, event: T) {
        // The receiver lives in `self`, so this cannot fail.
        let _ = self.tx.send(event);
    }

    /// The next event; waits for one.
    pub async fn recv(&self) -> Option<T> {
        self.rx.lock().await.recv().await
    }

    /// The next event if one arrives within `limit` (on tokio's clock).
    ///
    /// # Errors
    ///
    /// [`RecvTimeout`] when nothing arrived in time.
    pub async fn recv_timeout(&self, limit: Duration) -> Result<Option<T>, RecvTimeout> {
        tokio::time::timeout(limit, self.recv())
            .await
            .map_err(|_| RecvTimeout(limit))
    }

    /// An event already queued, without waiting.
    pub fn try_recv(&self) -> Option<T> {
        self.rx.try_lock().ok()?.try_recv().ok()
    }

    /// Events waiting in the queue.
    pub fn len(&self) -> usize {
        self.rx.try_lock().map_or(0, |rx| rx.len())
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
