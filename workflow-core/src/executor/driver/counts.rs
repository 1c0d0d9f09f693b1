//! Each node's predecessors still to finish, and the queue of nodes ready to start: the
//! run's bookkeeping per node, read on every node's path ([`Counts`]), with the plan's
//! roots and successors as the driver reads them.

use super::Workflow;

/// Calls `f` with each successor of node `i` of `W`'s plan, as node `i` ends: what
/// every node's path reads of the plan besides its counts.
///
/// A large plan's are read from its packed table ([`Plan::next_of`](crate::plan::Plan::next_of): 4 bytes a node and
/// an edge, where the node's 80-byte `NodeSpec` cost a cold run a cache line or two a
/// node, issue 17). A small plan ([`CountBuf::SMALL`] nodes or fewer, a constant per
/// workflow) keeps reading its `NodeSpec`s: fewer bounds checks on the path of every
/// node of a W4 run, whose plan is in the cache anyway.
#[inline(always)]
pub(super) fn each_successor<W: Workflow>(i: usize, mut f: impl FnMut(usize)) {
    if W::PLAN.deps.len() <= CountBuf::SMALL {
        for &s in W::PLAN.nodes[i].successors {
            f(s);
        }
    } else {
        for &s in W::PLAN.next_of(i) {
            f(s as usize);
        }
    }
}

/// Each node's predecessors still to finish, and after them the nodes ready to start,
/// first in first out (a [`CountBuf`]), for a run of `W`.
///
/// Whether `W`'s plan is small ([`CountBuf::SMALL`] nodes or fewer) is a constant per
/// workflow, and each method compiles to the code of that one form: a larger plan's
/// path stays what it was before small plans had a form of their own.
pub(super) struct Counts<W> {
    pub(super) buf: CountBuf,
    workflow: std::marker::PhantomData<fn() -> W>,
}

impl<W: Workflow> Counts<W> {
    /// Whether `W`'s plan keeps its counts in the driver itself.
    pub(super) const SMALL: bool = W::PLAN.deps.len() <= CountBuf::SMALL;

    #[inline(always)]
    pub(super) fn new() -> Self {
        Self {
            buf: CountBuf::new(W::PLAN.deps, const { CountBuf::small(W::PLAN.deps) }),
            workflow: std::marker::PhantomData,
        }
    }

    /// The number of nodes (a constant).
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        W::PLAN.deps.len()
    }

    /// Node `i`'s predecessors still to finish (`i` is a node of the plan).
    #[inline(always)]
    pub(super) fn left(&self, i: usize) -> u32 {
        self.buf.left(Self::SMALL, i)
    }

    /// One predecessor of node `i` finished: how many it has left.
    #[inline(always)]
    pub(super) fn count_down(&mut self, i: usize) -> u32 {
        self.buf.count_down(Self::SMALL, i)
    }

    #[inline(always)]
    pub(super) fn push_ready(&mut self, i: usize) {
        self.buf.push_ready(Self::SMALL, i);
    }

    #[inline(always)]
    pub(super) fn pop_ready(&mut self) -> Option<usize> {
        self.buf.pop_ready(Self::SMALL)
    }

    #[inline(always)]
    pub(super) fn ready_is_empty(&self) -> bool {
        self.buf.ready_is_empty(Self::SMALL)
    }

    /// How many nodes are ready (a spawned fan-out's queue makes room for them all).
    #[inline(always)]
    pub(super) fn ready_len(&self) -> usize {
        self.buf.ready_len(Self::SMALL)
    }

    /// The next node ready, left in the queue.
    #[inline(always)]
    pub(super) fn peek_ready(&self) -> Option<usize> {
        self.buf.peek_ready(Self::SMALL)
    }
}

/// Each node's predecessors still to finish, and after them the nodes ready to start,
/// first in first out. A node becomes ready at most once per run, so the queue never
/// wraps and never outgrows the room made for it (one place per node): the buffer and
/// the index of the queue's head, cheaper on every node's path than a ring buffer.
///
/// A plan of at most [`CountBuf::SMALL`] nodes keeps them in `small`, a byte each,
/// made at compile time per workflow ([`CountBuf::small`]): no allocation, no copy
/// loop, nothing to free (W4's diamond: ~130 instructions a run, issue 17). A larger
/// plan keeps them in `large`, one allocation per run.
///
/// Both forms have their fields, not an enum's variants: every method is told which
/// form the plan has (`small`, a constant per workflow: see [`Counts`]), so each
/// compiles to its form's code alone, without a test of the variant (one on every
/// queue operation cost the fan-out of 100 ~9 instructions a node).
pub(super) struct CountBuf {
    /// A large plan's counts (`[..nodes]`) and ready queue (`[nodes..]`); empty (no
    /// allocation) for a small plan.
    large: Vec<u32>,
    /// The ready queue's head: an index into `large` or `small`.
    head: u32,
    /// A small plan's counts (`[..nodes]`) and ready queue (`[nodes..small_len]`).
    small: [u8; 2 * CountBuf::SMALL],
    small_len: u8,
}

impl CountBuf {
    /// The most nodes kept in `small`: a count (fewer predecessors than nodes) and a
    /// node index fit in a byte.
    pub(super) const SMALL: usize = 16;

    /// The counts and queue of a plan of `deps.len()` nodes, with `small` (see
    /// [`small`](Self::small)) when it has at most [`SMALL`](Self::SMALL).
    #[inline(always)]
    pub(super) fn new(deps: &'static [u32], small: Option<[u8; 2 * CountBuf::SMALL]>) -> Self {
        let nodes = deps.len();
        match small {
            Some(small) => Self {
                large: Vec::new(),
                head: nodes as u32,
                small,
                small_len: nodes as u8,
            },
            None => {
                let mut large = Vec::with_capacity(2 * nodes);
                // One copy from the plan's own array (gathered from the node specs, 88
                // bytes each, it was ~3 instructions a node, issue 17).
                large.extend_from_slice(deps);
                Self {
                    large,
                    head: nodes as u32,
                    small: [0; 2 * CountBuf::SMALL],
                    small_len: 0,
                }
            }
        }
    }

    /// A small plan's counts as bytes, for [`new`](Self::new): evaluated at compile
    /// time per workflow (`const { CountBuf::small(W::PLAN.deps) }`). `None` for a plan
    /// of more than [`SMALL`](Self::SMALL) nodes.
    pub(super) const fn small(deps: &[u32]) -> Option<[u8; 2 * CountBuf::SMALL]> {
        if deps.len() > Self::SMALL {
            return None;
        }
        let mut buf = [0u8; 2 * CountBuf::SMALL];
        let mut i = 0;
        while i < deps.len() {
            // Fewer predecessors than nodes: below `SMALL`.
            buf[i] = deps[i] as u8;
            i += 1;
        }
        Some(buf)
    }

    #[inline(always)]
    pub(super) fn left(&self, small: bool, i: usize) -> u32 {
        if small {
            u32::from(self.small[i])
        } else {
            self.large[i]
        }
    }

    #[inline(always)]
    pub(super) fn count_down(&mut self, small: bool, i: usize) -> u32 {
        if small {
            self.small[i] -= 1;
            u32::from(self.small[i])
        } else {
            self.large[i] -= 1;
            self.large[i]
        }
    }

    #[inline(always)]
    pub(super) fn push_ready(&mut self, small: bool, i: usize) {
        if small {
            self.small[self.small_len as usize] = i as u8;
            self.small_len += 1;
        } else {
            self.large.push(i as u32);
        }
    }

    #[inline(always)]
    pub(super) fn pop_ready(&mut self, small: bool) -> Option<usize> {
        let head = self.head as usize;
        let i = if small {
            if head == self.small_len as usize {
                return None;
            }
            usize::from(self.small[head])
        } else {
            *self.large.get(head)? as usize
        };
        self.head += 1;
        Some(i)
    }

    #[inline(always)]
    pub(super) fn ready_is_empty(&self, small: bool) -> bool {
        self.head as usize == self.ready_end(small)
    }

    #[inline(always)]
    pub(super) fn ready_len(&self, small: bool) -> usize {
        self.ready_end(small) - self.head as usize
    }

    /// Where the ready queue ends (its head is `head`).
    #[inline(always)]
    pub(super) fn ready_end(&self, small: bool) -> usize {
        if small {
            self.small_len as usize
        } else {
            self.large.len()
        }
    }

    /// The nodes ready but not started, in queue order: what a concurrency limit holds
    /// back when the run stops (for its deadlock report; not on any hot path).
    #[cold]
    pub(super) fn ready_nodes(&self, small: bool) -> Vec<usize> {
        (self.head as usize..self.ready_end(small))
            .map(|k| {
                if small {
                    usize::from(self.small[k])
                } else {
                    self.large[k] as usize
                }
            })
            .collect()
    }

    /// The next node ready, left in the queue.
    #[inline(always)]
    pub(super) fn peek_ready(&self, small: bool) -> Option<usize> {
        let head = self.head as usize;
        if small {
            (head < self.small_len as usize).then(|| usize::from(self.small[head]))
        } else {
            self.large.get(head).map(|&i| i as usize)
        }
    }
}

/// The nodes of a plan without predecessors, when there are at most [`Roots::MAX`]:
/// computed at compile time per workflow (`const { Roots::of(W::PLAN) }`).
pub(super) struct Roots {
    nodes: [u32; Roots::MAX],
    /// How many; `usize::MAX` for more than `MAX`.
    len: usize,
}

impl Roots {
    const MAX: usize = 16;

    pub(super) const fn of(plan: &crate::plan::Plan) -> Self {
        let mut roots = Self {
            nodes: [0; Self::MAX],
            len: 0,
        };
        let mut i = 0;
        while i < plan.deps.len() {
            if plan.deps[i] == 0 {
                if roots.len == Self::MAX {
                    roots.len = usize::MAX;
                    return roots;
                }
                roots.nodes[roots.len] = i as u32;
                roots.len += 1;
            }
            i += 1;
        }
        roots
    }

    /// The roots, if there are at most `MAX`.
    pub(super) fn list(&self) -> Option<&[u32]> {
        self.nodes.get(..self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::CountBuf;

    /// The same counts and queue, kept in the driver (`true`) or allocated.
    fn both(deps: &'static [u32]) -> [(CountBuf, bool); 2] {
        [
            (CountBuf::new(deps, CountBuf::small(deps)), true),
            (CountBuf::new(deps, None), false),
        ]
    }

    #[test]
    fn small_counts_take_little_room() {
        // The run's future holds them (W4's diamond's is 944 bytes, glibc's per-thread
        // cache takes up to 1,024): 24 bytes more than the allocated form alone.
        assert!(std::mem::size_of::<CountBuf>() <= 64);
        assert!(CountBuf::small(&[0; CountBuf::SMALL]).is_some());
        assert!(CountBuf::small(&[0; CountBuf::SMALL + 1]).is_none());
    }

    #[test]
    fn counts_down_and_queues_first_in_first_out() {
        // A diamond: 0 -> (1, 2) -> 3.
        for (mut counts, small) in both(&[0, 1, 1, 2]) {
            assert!(counts.ready_is_empty(small));
            counts.push_ready(small, 0);
            assert_eq!(counts.pop_ready(small), Some(0));
            assert_eq!(counts.pop_ready(small), None);
            for s in [1, 2] {
                assert_eq!(counts.count_down(small, s), 0);
                counts.push_ready(small, s);
            }
            assert_eq!(counts.count_down(small, 3), 1);
            assert_eq!(counts.left(small, 3), 1);
            assert_eq!(counts.pop_ready(small), Some(1));
            assert_eq!(counts.count_down(small, 3), 0);
            counts.push_ready(small, 3);
            assert_eq!(counts.pop_ready(small), Some(2));
            assert_eq!(counts.pop_ready(small), Some(3));
            assert!(counts.ready_is_empty(small));
        }
    }

    #[test]
    fn a_full_small_plan_queues_every_node() {
        static DEPS: [u32; CountBuf::SMALL] = [0; CountBuf::SMALL];
        for (mut counts, small) in both(&DEPS) {
            (0..CountBuf::SMALL).for_each(|i| counts.push_ready(small, i));
            let order: Vec<_> = std::iter::from_fn(|| counts.pop_ready(small)).collect();
            assert_eq!(order, (0..CountBuf::SMALL).collect::<Vec<_>>());
        }
    }
}
