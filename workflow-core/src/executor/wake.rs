//! Wake-ups: which pending nodes to poll again.
//!
//! A node that does not complete on its first poll becomes pending. It is then polled
//! only when its own waker fired: each pending node gets a [`NodeWaker`] that sets the
//! node's bit in the run's [`WakeSet`] and wakes the run's task. Nothing here is
//! allocated until a node is pending.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Waker};

use futures::task::AtomicWaker;

/// Wake-ups of pending nodes: one bit per node, and the run's own waker.
pub(super) struct WakeSet {
    bits: Box<[AtomicU64]>,
    pub(super) run: AtomicWaker,
}

impl WakeSet {
    fn new(nodes: usize) -> Self {
        Self {
            bits: (0..nodes.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            run: AtomicWaker::new(),
        }
    }

    /// Takes the woken nodes (ascending) into `out`.
    fn drain(&self, out: &mut Vec<usize>) {
        for (w, word) in self.bits.iter().enumerate() {
            let mut bits = word.swap(0, Ordering::Acquire);
            while bits != 0 {
                out.push(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
    }
}

/// The waker a pending node is polled with: marks the node woken, wakes the run.
struct NodeWaker {
    set: Arc<WakeSet>,
    index: usize,
}

impl std::task::Wake for NodeWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.set.bits[self.index / 64].fetch_or(1 << (self.index % 64), Ordering::Release);
        self.set.run.wake();
    }
}

/// Nodes that did not complete on their first poll. Nothing here is allocated until a
/// node is pending: a run whose nodes all complete at once never allocates a waker.
#[derive(Default)]
pub(super) struct PendingNodes {
    /// Number of pending nodes.
    pub(super) count: usize,
    /// `is[i]`: node `i` is pending.
    is: Vec<bool>,
    /// Pending nodes first polled with the run's waker rather than their own: they are
    /// polled with their own at the run's next wake-up.
    untracked: Vec<usize>,
    wakers: Vec<Option<Waker>>,
    pub(super) set: Option<Arc<WakeSet>>,
    /// Scratch for [`WakeSet::drain`].
    woken: Vec<usize>,
}

impl PendingNodes {
    /// Allocates the wake set and waker table for a run of `nodes` nodes (once).
    pub(super) fn init(&mut self, nodes: usize) {
        if self.is.is_empty() {
            self.is = vec![false; nodes];
            self.wakers = vec![None; nodes];
            self.set = Some(Arc::new(WakeSet::new(nodes)));
        }
    }

    /// Node `i` returned `Pending` from its first poll, `tracked` if polled with its
    /// own waker (else with the run's).
    pub(super) fn add(&mut self, i: usize, nodes: usize, tracked: bool) {
        self.init(nodes);
        self.is[i] = true;
        self.count += 1;
        if !tracked {
            self.untracked.push(i);
        }
    }

    pub(super) fn remove(&mut self, i: usize) {
        if self.is.get(i).copied().unwrap_or(false) {
            self.is[i] = false;
            self.count -= 1;
        }
    }

    pub(super) fn contains(&self, i: usize) -> bool {
        self.is.get(i).copied().unwrap_or(false)
    }

    /// Node `i`'s own waker (made on first use).
    pub(super) fn waker(&mut self, i: usize) -> Waker {
        let set = self.set.as_ref().expect("a pending node has a wake set");
        self.wakers[i]
            .get_or_insert_with(|| {
                Waker::from(Arc::new(NodeWaker {
                    set: Arc::clone(set),
                    index: i,
                }))
            })
            .clone()
    }

    /// Puts the pending nodes to poll now into `due`: those not yet polled with their
    /// own waker, then those woken since the last look. Registers the run's waker
    /// first, so a wake-up that races with this look is not lost.
    pub(super) fn take_due(&mut self, cx: &TaskContext<'_>, due: &mut Vec<usize>) {
        due.clear();
        let Some(set) = &self.set else { return };
        set.run.register(cx.waker());
        due.append(&mut self.untracked);
        set.drain(&mut self.woken);
        for i in self.woken.drain(..) {
            if self.is[i] {
                due.push(i);
            }
        }
    }

    /// Puts every pending node into `out` (ascending).
    pub(super) fn all(&self, out: &mut Vec<usize>) {
        out.clear();
        out.extend((0..self.is.len()).filter(|&i| self.is[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_cx() -> TaskContext<'static> {
        TaskContext::from_waker(Waker::noop())
    }

    #[test]
    fn wake_set_drains_woken_nodes_across_words_once() {
        let set = WakeSet::new(130);
        assert_eq!(set.bits.len(), 3);
        for i in [129, 0, 64, 63, 64] {
            set.bits[i / 64].fetch_or(1 << (i % 64), Ordering::Release);
        }
        let mut out = Vec::new();
        set.drain(&mut out);
        assert_eq!(out, [0, 63, 64, 129]);
        out.clear();
        set.drain(&mut out);
        assert!(out.is_empty(), "drained bits are cleared");
    }

    #[test]
    fn pending_nodes_are_due_once_untracked_then_when_woken() {
        let mut p = PendingNodes::default();
        assert!(p.set.is_none(), "nothing allocated before a node waits");
        p.add(5, 130, false);
        p.add(100, 130, false);
        p.add(7, 130, true);
        assert_eq!(p.count, 3);
        let cx = noop_cx();
        let mut due = Vec::new();
        p.take_due(&cx, &mut due);
        assert_eq!(due, [5, 100], "polled once with their own waker");
        p.take_due(&cx, &mut due);
        assert!(due.is_empty(), "nothing woken since");

        // A node's own waker makes it (and only it) due again; so does a clone of it.
        p.waker(100).wake_by_ref();
        p.waker(7).wake();
        p.take_due(&cx, &mut due);
        assert_eq!(due, [7, 100]);

        // A finished node is no longer due, even if its waker fires late.
        p.remove(100);
        assert!(!p.contains(100));
        p.waker(100).wake();
        p.take_due(&cx, &mut due);
        assert!(due.is_empty());
        assert_eq!(p.count, 2);
        p.all(&mut due);
        assert_eq!(due, [5, 7]);
    }
}
