//! Tracked waits: values that nodes of one run publish under a key and wait for
//! ([`Context::publish`](crate::Context::publish), [`Context::wait`](crate::Context::wait)),
//! the count of nodes blocked in such a wait (the executor declares a deadlock when it
//! reaches the number of live nodes), and the wait-for cycle in a deadlock report.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use crate::error::{DeadlockKind, DeadlockReport, WaitingNode};
use crate::sync::lock;

/// A tracked wait had a value of another type than asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value published under `{key}` is not a `{expected}`")]
pub struct WaitError {
    /// The key.
    pub key: String,
    /// The type the waiter asked for.
    pub expected: &'static str,
}

/// The published values of one run and the nodes waiting for them.
#[derive(Default)]
pub(crate) struct Waits {
    published: Mutex<Published>,
    /// Nodes currently blocked in a tracked wait.
    blocked: AtomicUsize,
}

/// Values published by key, with the nodes waiting for each.
#[derive(Default)]
struct Published {
    entries: HashMap<String, Entry>,
    /// What each blocked node waits for, by node index.
    waiting_on: HashMap<usize, String>,
}

#[derive(Default)]
struct Entry {
    value: Option<Arc<dyn Any + Send + Sync>>,
    waiters: Vec<Waiter>,
}

struct Waiter {
    node: usize,
    waker: Waker,
}

impl Waits {
    fn published(&self) -> MutexGuard<'_, Published> {
        lock(&self.published)
    }

    /// Publishes `value` under `key` (replacing an earlier one) and wakes its waiters.
    pub(crate) fn publish(&self, key: String, value: Arc<dyn Any + Send + Sync>) {
        let mut published = self.published();
        let entry = published.entries.entry(key).or_default();
        entry.value = Some(value);
        let waiters = std::mem::take(&mut entry.waiters);
        for w in waiters {
            published.waiting_on.remove(&w.node);
            self.blocked.fetch_sub(1, Ordering::SeqCst);
            w.waker.wake();
        }
    }

    /// Nodes blocked in a tracked wait now.
    pub(crate) fn blocked(&self) -> usize {
        self.blocked.load(Ordering::SeqCst)
    }

    /// What each blocked node waits for (by node index).
    pub(crate) fn waiting_on(&self) -> HashMap<usize, String> {
        self.published().waiting_on.clone()
    }
}

/// One node's wait for the value under `key`.
pub(crate) struct TrackedWait<'a> {
    waits: &'a Waits,
    node: usize,
    key: String,
    /// Counted in [`Waits::blocked`] (until a publisher or this wait releases it).
    registered: bool,
}

impl<'a> TrackedWait<'a> {
    pub(crate) fn new(waits: &'a Waits, node: usize, key: String) -> Self {
        Self {
            waits,
            node,
            key,
            registered: false,
        }
    }

    /// The value once published; calls `on_block` with the key when the node starts
    /// blocking (outside the lock).
    pub(crate) fn poll_value<T: Clone + 'static>(
        &mut self,
        waker: &Waker,
        on_block: impl FnOnce(&str),
    ) -> Poll<Result<T, WaitError>> {
        let mut published = self.waits.published();
        let entry = published.entries.entry(self.key.clone()).or_default();
        if let Some(value) = &entry.value {
            let value = Arc::clone(value);
            if self.registered {
                // Not yet released by a publisher (a spurious poll): release ourselves.
                self.unregister_locked(&mut published);
            }
            drop(published);
            return Poll::Ready(value.downcast_ref::<T>().cloned().ok_or_else(|| WaitError {
                key: self.key.clone(),
                expected: std::any::type_name::<T>(),
            }));
        }
        match entry.waiters.iter_mut().find(|w| w.node == self.node) {
            Some(w) => w.waker.clone_from(waker),
            None => {
                entry.waiters.push(Waiter {
                    node: self.node,
                    waker: waker.clone(),
                });
                published.waiting_on.insert(self.node, self.key.clone());
                if !self.registered {
                    self.waits.blocked.fetch_add(1, Ordering::SeqCst);
                    self.registered = true;
                }
                drop(published);
                on_block(&self.key);
            }
        }
        Poll::Pending
    }

    /// Removes this waiter if a publisher has not already done so.
    fn unregister_locked(&mut self, published: &mut Published) {
        if !self.registered {
            return;
        }
        self.registered = false;
        if let Some(entry) = published.entries.get_mut(&self.key) {
            let before = entry.waiters.len();
            entry.waiters.retain(|w| w.node != self.node);
            if entry.waiters.len() != before {
                published.waiting_on.remove(&self.node);
                self.waits.blocked.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

impl Drop for TrackedWait<'_> {
    fn drop(&mut self) {
        if self.registered {
            let waits = self.waits;
            let mut published = waits.published();
            self.unregister_locked(&mut published);
        }
    }
}

/// A deadlock report for the live nodes `waiting`, with the wait-for cycle when wait
/// keys name live nodes.
pub(crate) fn deadlock_report(kind: DeadlockKind, waiting: Vec<WaitingNode>) -> DeadlockReport {
    let cycle = find_cycle(&waiting);
    DeadlockReport {
        kind,
        waiting,
        cycle,
    }
}

fn find_cycle(waiting: &[WaitingNode]) -> Option<Vec<String>> {
    let next = |node: &str| -> Option<&str> {
        waiting
            .iter()
            .find(|w| w.node == node)
            .and_then(|w| w.waits_for.as_deref())
            .filter(|key| waiting.iter().any(|w| w.node == *key))
    };
    for start in waiting {
        let mut path: Vec<&str> = vec![start.node];
        let mut current = start.node;
        while let Some(n) = next(current) {
            if let Some(pos) = path.iter().position(|p| *p == n) {
                let mut cycle: Vec<String> = path[pos..].iter().map(|s| (*s).to_owned()).collect();
                cycle.push(n.to_owned());
                return Some(cycle);
            }
            path.push(n);
            current = n;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_is_found_and_printed() {
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            vec![
                WaitingNode {
                    node: "task1",
                    waits_for: Some("task2".into()),
                },
                WaitingNode {
                    node: "task2",
                    waits_for: Some("task1".into()),
                },
            ],
        );
        assert_eq!(
            report.to_string(),
            "every live node is blocked in a tracked wait: `task1` waits for `task2`, `task2` waits for `task1` (cycle: task1 -> task2 -> task1)"
        );
    }

    #[test]
    fn no_cycle_when_keys_are_not_nodes() {
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            vec![WaitingNode {
                node: "a",
                waits_for: Some("config".into()),
            }],
        );
        assert_eq!(report.cycle, None);
    }
}
