//! A durable run's resume: restored outputs put into their slots before the run starts,
//! and the decisions it recorded taken again (see `executor/durable.rs` for the record).

use std::task::Poll;

use super::{Driver, Workflow};
use crate::executor::attempt::Finished;
use crate::executor::cells::Op;

impl<'a, W: Workflow, C> Driver<'a, W, C>
where
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    /// Puts a durable run's restored outputs into their slots and marks those nodes
    /// restored; their successors' predecessor counts drop as if they had finished.
    /// Which nodes do not run (restored, or `#[ephemeral]` and not needed), by index
    /// (empty for a run that restores nothing).
    ///
    /// A node that does not run can still have a predecessor that runs: an
    /// `#[ephemeral]` one, recomputed for another consumer. So those nodes are also
    /// marked blocked, and no finishing node ever schedules one.
    #[cfg(feature = "store")]
    #[inline]
    pub(super) fn restore(&mut self) -> Vec<bool> {
        // (Most runs are not durable: a test, not a call.)
        if self.pending.get().is_none_or(|c| c.durable.is_none()) {
            return Vec::new();
        }
        self.restore_durable()
    }

    /// [`restore`](Self::restore) in a durable run.
    #[cfg(feature = "store")]
    #[cold]
    pub(super) fn restore_durable(&mut self) -> Vec<bool> {
        use crate::executor::durable::Resume;
        let Some(durable) = self.pending.0.as_mut().and_then(|c| c.durable.as_mut()) else {
            return Vec::new();
        };
        let mut resume = std::mem::take(&mut durable.resume);
        if resume.is_empty() {
            return Vec::new();
        }
        if !W::PLAN.decisions.is_empty() {
            self.restore_routes(&mut resume);
        }
        let mut held = vec![false; self.deps.len()];
        for (i, what) in resume.into_iter().enumerate() {
            match what {
                Resume::Run => continue,
                Resume::Skip => {}
                Resume::Restore(value) => {
                    self.statuses.restored(self.shared, i);
                    W::store(&mut self.state, value);
                    for &s in W::PLAN.nodes[i].successors {
                        self.deps.count_down(s);
                    }
                }
            }
            held[i] = true;
        }
        self.blocked = held.as_slice().into();
        held
    }

    /// A resumed run's decisions: each router with a recorded arm runs again, held to
    /// that arm by its stored value (so a changed guard cannot change a resumed run's
    /// route), and puts the arm's pattern bindings back into their slots as it does.
    /// Restored outputs of nodes in the arms it will not take are dropped (a merge's
    /// row is found under its name, which every arm's binding shares). `restore` then
    /// blocks the nodes that stay restored, so a router finishing again never schedules
    /// them.
    #[cfg(feature = "store")]
    #[cold]
    pub(super) fn restore_routes(
        &mut self,
        resume: &mut [crate::executor::durable::Resume<W::Value>],
    ) {
        use crate::executor::durable::Resume;
        let mut not_taken = vec![false; resume.len()];
        for (i, what) in resume.iter_mut().enumerate() {
            let Resume::Restore(value) = what else {
                continue;
            };
            let Some(arm) = W::chosen_arm(value) else {
                continue;
            };
            // The router runs again, from its stored choice.
            if let Resume::Restore(value) = std::mem::replace(what, Resume::Run) {
                W::store(&mut self.state, value);
            }
            if let Some(decision) = W::PLAN.decision_of(i) {
                for (j, nodes) in decision.arms.iter().enumerate() {
                    if j != arm {
                        nodes.iter().for_each(|&n| not_taken[n] = true);
                    }
                }
            }
        }
        for (i, what) in resume.iter_mut().enumerate() {
            if not_taken[i] {
                *what = Resume::Run;
            }
        }
    }
}
