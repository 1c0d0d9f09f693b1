//! The compiled plan that `workflow!` emits: the static description of the graph
//! ([`Plan`], one [`NodeSpec`] per node) and the typed output [`Slot`]s that carry values
//! along its edges.

use crate::policy::{NodePolicy, WorkflowPolicy};
use crate::resources::ResourceReq;
pub use crate::run::NodeNames;

/// The static plan of a workflow: its nodes, their edges and policies.
#[derive(Debug)]
#[doc(hidden)]
pub struct Plan {
    /// The workflow's name.
    pub name: &'static str,
    /// The nodes, in declaration order.
    pub nodes: &'static [NodeSpec],
    /// Each node's number of distinct upstream nodes, by index in `nodes`: what a run
    /// copies to count down (one array, not a field of each `NodeSpec`, issue 17).
    pub deps: &'static [u32],
    /// Each node's names again, by index in `nodes`, packed: what every run's report is
    /// made of, read once a node (32 bytes a node rather than a whole 80-byte
    /// `NodeSpec`: a cold run of a chain of 1,000 read 80 KB of specs for it, issue 17).
    pub names: &'static [NodeNames],
    /// Each node's successors again, packed in one table (see [`Plan::next_of`]): first
    /// one entry a node and one more, where each node's successors begin in this same
    /// table (node `i`'s are `[next[i]..next[i + 1]]`), then the successors of every
    /// node in turn. What a run reads as each node ends, 4 bytes a node and 4 an edge,
    /// rather than the node's 80-byte `NodeSpec` and its separate `successors` slice (a
    /// cold run of a lattice of 1,024 nodes read ~1,300 cache lines of specs for them,
    /// issue 17). Empty for a plan without nodes.
    pub next: &'static [u32],
    /// The workflow's policies.
    pub policy: WorkflowPolicy,
    /// The `match`/`if` decisions of the workflow (empty for a static graph).
    pub decisions: &'static [Decision],
    /// Each fan-out node's index with the plan its items run: the `for` body's workflow,
    /// or `map`'s. Read by durable runs only, for the hash of the fan-out's shape in the
    /// run's fingerprint (a sub-workflow's plan is its node's [`NodeSpec::child`]).
    pub fan_outs: &'static [(usize, &'static Plan)],
}

/// A `match` (or `if`) in `workflow!`: a *router* node of the plan picks one arm; the
/// nodes of every other arm end *not taken* and count as finished without an output
/// for their successors (a merge after the decision waits for the taken arm only).
#[derive(Debug)]
#[doc(hidden)]
pub struct Decision {
    /// The router's node index: a node that reads the matched value, evaluates the
    /// patterns and guards, and outputs the index of the arm it took.
    pub router: usize,
    /// Per arm, every node inside it (nested decisions' routers and arms included).
    pub arms: &'static [&'static [usize]],
}

impl Plan {
    /// Node `i`'s successors (each once), from the packed table [`Plan::next`]: the same
    /// nodes as `nodes[i].successors`. Empty for an index past the plan's nodes.
    ///
    /// ```
    /// # use workflow_core::__private::{Plan, WorkflowPolicy};
    /// // Three nodes: 0 -> 1, 0 -> 2, 1 -> 2.
    /// let plan = Plan {
    ///     name: "Tri",
    ///     nodes: &[],
    ///     deps: &[0, 1, 2],
    ///     names: &[],
    ///     next: &[4, 6, 7, 7, 1, 2, 2],
    ///     policy: WorkflowPolicy::DEFAULT,
    ///     decisions: &[],
    ///     fan_outs: &[],
    /// };
    /// assert_eq!(plan.next_of(0), [1, 2]);
    /// assert_eq!(plan.next_of(1), [2]);
    /// assert!(plan.next_of(2).is_empty());
    /// assert!(plan.next_of(3).is_empty());
    /// ```
    #[inline(always)]
    pub fn next_of(&self, i: usize) -> &'static [u32] {
        let next = self.next;
        match (next.get(i), next.get(i.wrapping_add(1))) {
            (Some(&from), Some(&to)) => next.get(from as usize..to as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The decision whose router is node `index`, if any.
    pub fn decision_of(&self, index: usize) -> Option<&'static Decision> {
        self.decisions.iter().find(|d| d.router == index)
    }
}

/// One node of a [`Plan`].
#[derive(Debug)]
#[doc(hidden)]
pub struct NodeSpec {
    /// The binding's name.
    pub name: &'static str,
    /// The `#[node]` fn's name.
    pub node_fn: &'static str,
    /// Downstream nodes (each once).
    pub successors: &'static [usize],
    /// The effective policy. A reference, so that the nodes of the plan, which a run
    /// reads one by one, stay small (a policy is about 100 bytes, and most nodes of a
    /// large workflow share one).
    pub policy: &'static NodePolicy,
    /// Resources the node needs.
    pub resources: &'static [ResourceReq],
    /// The plan of the sub-workflow this node runs, if it is one: its resources are
    /// checked when the outer run starts, with the node's own.
    pub child: Option<&'static Plan>,
}

/// A *segment*: a linear run of plain in-task nodes that `workflow!` also compiled into
/// one future awaiting them in sequence (see `executor/fused.rs`). Each node but the
/// last is the only input of the next and has no other reader. An execution detail:
/// the nodes stay nodes of the [`Plan`], each with its report entry.
#[derive(Debug)]
#[doc(hidden)]
pub struct FusedSegment {
    /// The nodes, in the order they run (the first is the segment's *head*).
    pub nodes: &'static [u32],
    /// Whether every node is plain: no policy, no `Context` or resource, not a
    /// sub-workflow (from the plan and `Node::CONTEXT`, a constant). A segment that is
    /// not plain never runs fused.
    pub plain: bool,
}

impl FusedSegment {
    /// Whether `nodes` of `plan` are all plain as far as the plan says (no retry,
    /// timeout, spawn, resource or child plan): `Node::CONTEXT` is the caller's part.
    pub const fn plain_in(plan: &Plan, nodes: &[u32]) -> bool {
        let mut k = 0;
        while k < nodes.len() {
            let node = &plan.nodes[nodes[k] as usize];
            let policy = node.policy;
            if policy.retry.is_some()
                || policy.timeout.is_some()
                || matches!(policy.execution, crate::policy::Execution::Spawn)
                || !node.resources.is_empty()
                || node.child.is_some()
            {
                return false;
            }
            k += 1;
        }
        true
    }
}

/// A typed output slot with the number of consumers still to come.
///
/// With one consumer left, the value is moved out; with more, consumers get clones.
/// A slot with a single consumer (most of them: every link of a chain) counts nothing:
/// `Slot<T, One>` is the `Option<T>` alone, half the stores to make it empty and a
/// third less memory for a `u64` (issue 17: the generated `init` makes every slot of
/// the workflow, straight-line code that a cold run fetches).
///
/// ```
/// # use workflow_core::__private::{OneConsumer, Slot};
/// let mut shared: Slot<Vec<u8>> = Slot::filled(vec![1], 2);
/// assert_eq!(shared.consume(|v| v.len(), |v| v.len() + 10), 1); // a clone's part
/// assert_eq!(shared.consume(|v| v.len(), |v| v.len() + 10), 11); // the last one moves
/// let mut single: Slot<u64, OneConsumer> = Slot::empty(1);
/// single.put(7);
/// assert_eq!(single.take(), 7);
/// assert_eq!(size_of::<Slot<u64, OneConsumer>>(), size_of::<Option<u64>>());
/// ```
#[doc(hidden)]
#[derive(Debug)]
pub struct Slot<T, N: Consumers = u32> {
    value: Option<T>,
    remaining: N,
}

/// How many consumers of a [`Slot`] are still to come: a count (`u32`), or
/// [`OneConsumer`], which needs none.
#[doc(hidden)]
pub trait Consumers: Copy {
    /// The count for a slot with `n` consumers. Not named `new`: rustc lists every
    /// trait with an item of the name a user calls on their own type
    /// (`EtlInput::new(..)`), and this one would show there as `__private::Consumers`.
    fn of_count(n: u32) -> Self;
    /// Consumers still to come.
    fn left(self) -> u32;
    /// One consumer took its part.
    fn served(&mut self);
}

impl Consumers for u32 {
    #[inline(always)]
    fn of_count(n: u32) -> Self {
        n
    }

    #[inline(always)]
    fn left(self) -> u32 {
        self
    }

    #[inline(always)]
    fn served(&mut self) {
        *self = self.saturating_sub(1);
    }
}

/// The count of a [`Slot`] read by a single consumer, which takes its value: nothing
/// to count (zero-sized).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct OneConsumer;

impl Consumers for OneConsumer {
    #[inline(always)]
    fn of_count(_: u32) -> Self {
        Self
    }

    #[inline(always)]
    fn left(self) -> u32 {
        1
    }

    #[inline(always)]
    fn served(&mut self) {}
}

impl<T> Slot<T, OneConsumer> {
    /// An empty slot for one consumer, as a constant: the generated `init` fills an
    /// array of such slots (a long run of one node fn's slots, see `Slot::counted`)
    /// with `[const { Slot::empty_one() }; N]`, a loop, where a field per slot was a
    /// store per slot in straight-line code (a chain of 1,000: 11 KB of machine code
    /// that every cold run fetched, issue 17).
    ///
    /// ```
    /// # use workflow_core::__private::{OneConsumer, Slot};
    /// let mut slots: [Slot<u64, OneConsumer>; 3] = [const { Slot::empty_one() }; 3];
    /// slots[1].put(7);
    /// assert_eq!(slots[1].take(), 7);
    /// ```
    #[inline(always)]
    pub const fn empty_one() -> Self {
        Self {
            value: None,
            remaining: OneConsumer,
        }
    }

    /// `LEN` empty slots for one consumer each: the generated `init`'s value for an
    /// array of slots. Not inlined, so that the array is written where the caller's
    /// state is (the call's return place, which rustc and LLVM make the field itself):
    /// built inline, the array went to a temporary on the stack and was then copied
    /// (16 KB for a chain of 1,000, a `memcpy` a run). `extern "C"`, so that the call
    /// cannot unwind (this loop of constant writes cannot panic): LLVM passes the
    /// caller's return place only to a call that cannot unwind (see
    /// [`BoxedSlots::build`]).
    #[inline(never)]
    #[allow(improper_ctypes_definitions)]
    pub extern "C" fn empty_run<const LEN: usize>() -> [Self; LEN] {
        [const { Self::empty_one() }; LEN]
    }
}

impl<T> Slot<T, u32> {
    /// An empty slot for `consumers` consumers, as a constant (see
    /// [`Slot::empty_one`]).
    ///
    /// ```
    /// # use workflow_core::__private::Slot;
    /// let mut slots: [Slot<u64>; 2] = [const { Slot::counted(2) }; 2];
    /// slots[0].put(7);
    /// assert_eq!(slots[0].consume(|v| *v, |v| v), 7); // a copy for the first
    /// assert_eq!(slots[0].consume(|v| *v, |v| v), 7); // the value for the last
    /// ```
    #[inline(always)]
    pub const fn counted(consumers: u32) -> Self {
        Self {
            value: None,
            remaining: consumers,
        }
    }

    /// `LEN` empty slots for `COUNT` consumers each (see [`Slot::empty_run`]).
    #[inline(never)]
    #[allow(improper_ctypes_definitions)]
    pub extern "C" fn counted_run<const LEN: usize, const COUNT: u32>() -> [Self; LEN] {
        [const { Self::counted(COUNT) }; LEN]
    }
}

impl<T, N: Consumers> Slot<T, N> {
    /// An empty slot awaiting a value for `consumers` consumers.
    #[inline(always)]
    pub fn empty(consumers: u32) -> Self {
        Self {
            value: None,
            remaining: N::of_count(consumers),
        }
    }

    /// A slot holding a workflow input.
    #[inline(always)]
    pub fn filled(value: T, consumers: u32) -> Self {
        Self {
            value: Some(value),
            remaining: N::of_count(consumers),
        }
    }

    /// Stores a node's output.
    pub fn put(&mut self, value: T) {
        self.value = Some(value);
    }

    /// Takes the value for its single consumer.
    pub fn take(&mut self) -> T {
        self.remaining.served();
        match self.value.take() {
            Some(v) => v,
            None => unreachable_slot(),
        }
    }

    /// Gives a consumer its part: by move for the last consumer, by reference otherwise.
    pub fn consume<U>(&mut self, by_ref: impl FnOnce(&T) -> U, by_val: impl FnOnce(T) -> U) -> U {
        if self.remaining.left() <= 1 {
            self.take_with(by_val)
        } else {
            self.remaining.served();
            match &self.value {
                Some(v) => by_ref(v),
                None => unreachable_slot(),
            }
        }
    }

    /// Takes the value for its single consumer, if it was written: `None` when its
    /// producer is in an arm the run did not take (a `name?` consumer).
    pub fn take_opt(&mut self) -> Option<T> {
        self.remaining.served();
        self.value.take()
    }

    /// [`consume`](Self::consume) for a `name?` consumer: `None` when the value was never
    /// written.
    pub fn consume_opt<U>(
        &mut self,
        by_ref: impl FnOnce(&T) -> U,
        by_val: impl FnOnce(T) -> U,
    ) -> Option<U> {
        if self.value.is_none() {
            self.remaining.served();
            return None;
        }
        Some(self.consume(by_ref, by_val))
    }

    fn take_with<U>(&mut self, f: impl FnOnce(T) -> U) -> U {
        f(self.take())
    }
}

/// The slots of a long run of one node fn's nodes that are each inside a fused segment
/// (not its last node: a chain's links), made on first use rather than with the run's
/// state.
///
/// A segment that runs fused hands each output straight to the next node: the slots
/// of its nodes but the last are written and read only when it runs node by node (a
/// traced or monitored run, see `executor/driver/fused.rs`). `init` wrote them all the
/// same, as one array of the state: 16 KB a run of a chain of 1,000, 250 cache lines
/// that every cold run fetched from memory to write (issue 17). This keeps one pointer
/// until a slot is first reached, then makes all `LEN` in one allocation.
///
/// ```
/// # use workflow_core::__private::LazySlots;
/// let mut slots: LazySlots<u64, 3> = LazySlots::new();
/// assert!(!slots.is_made());
/// slots.at(1).put(7);
/// assert!(slots.is_made());
/// assert_eq!(slots.at(1).take(), 7);
/// ```
#[doc(hidden)]
#[derive(Debug)]
pub struct LazySlots<T, const LEN: usize> {
    slots: Option<Box<[Slot<T, OneConsumer>]>>,
}

impl<T, const LEN: usize> LazySlots<T, LEN> {
    /// None made yet.
    #[inline(always)]
    pub const fn new() -> Self {
        Self { slots: None }
    }

    /// Whether the slots were made (one of them was reached).
    pub fn is_made(&self) -> bool {
        self.slots.is_some()
    }

    /// Slot `k` (of `LEN`), every slot made empty first if none was yet.
    ///
    /// Not inlined: one copy per group, called from each of its nodes' ports fns (on
    /// the path of a segment run node by node only), which stay as small for rustc as
    /// with an array's constant index.
    #[inline(never)]
    pub fn at(&mut self, k: usize) -> &mut Slot<T, OneConsumer> {
        &mut self.slots.get_or_insert_with(Self::make)[k]
    }

    /// The `LEN` empty slots, written in their allocation.
    #[cold]
    #[inline(never)]
    fn make() -> Box<[Slot<T, OneConsumer>]> {
        (0..LEN).map(|_| Slot::empty_one()).collect()
    }
}

impl<T, const LEN: usize> Default for LazySlots<T, LEN> {
    fn default() -> Self {
        Self::new()
    }
}

/// The output slots of a large workflow, in an allocation of their own made when its
/// run starts (`Workflow::init`), rather than in the run's future (issue 17).
///
/// The run's future is moved twice as it is built (into its box, and the executor's
/// part of it into the generated part), and each move copies all of it: with the slots
/// inline that was ~50 bytes a node (~50 KB a run of a 1,000-node chain). Here the
/// future keeps a pointer, and the slots are written straight into their allocation:
/// `Box::default` makes it without building a value first, and the slots are built by
/// a call whose result goes straight into it. `workflow!` uses this for workflows with
/// many slots (`BOXED_SLOTS_ABOVE` in `workflow-macros`' `expand/run.rs`); smaller ones
/// keep their slots inline, where the copies cost less than an allocation.
///
/// ```
/// # use workflow_core::__private::{BoxedSlots, Slot};
/// struct Slots {
///     a: Slot<u64>,
/// }
/// let mut slots = BoxedSlots::new(|| Slots { a: Slot::filled(7, 1) });
/// assert_eq!(slots.a.take(), 7);
/// ```
#[doc(hidden)]
pub struct BoxedSlots<S>(Box<Option<S>>);

impl<S> BoxedSlots<S> {
    /// The slots that `slots` builds, in their allocation. Inlined, so that `slots`'s
    /// result (the generated `init`'s, out of line) is written in place when LLVM can:
    /// see [`BoxedSlots::build`] for the form that guarantees it.
    #[inline(always)]
    pub fn new(slots: impl FnOnce() -> S) -> Self {
        // Not `Box::new(None)`: that builds the `None` on the stack and copies all of it.
        let mut home: Box<Option<S>> = Box::default();
        home.get_or_insert_with(slots);
        Self(home)
    }

    /// The slots that `slots(input)` builds, written straight into their allocation:
    /// the generated `init`'s form (issue 17).
    ///
    /// `slots` is an `extern "C"` fn so that the call cannot unwind (a panic in it
    /// aborts; the generated one only moves the inputs and writes empty slots, which
    /// cannot panic). That is what lets LLVM pass the allocation itself as the call's
    /// return place: were the call able to unwind, the unwinding path (which frees the
    /// box) would see the half-written slots, so LLVM built them in a stack temporary
    /// and copied them over (16 KB a run for a chain of 1,000, once its slots were an
    /// array built by a call of their own, `Slot::empty_run`).
    ///
    /// ```
    /// # use workflow_core::__private::{BoxedSlots, Slot};
    /// struct Slots {
    ///     a: Slot<u64>,
    /// }
    /// #[allow(improper_ctypes_definitions)]
    /// extern "C" fn slots(a: u64) -> Slots {
    ///     Slots { a: Slot::filled(a, 1) }
    /// }
    /// let mut slots = BoxedSlots::build(slots, 7);
    /// assert_eq!(slots.a.take(), 7);
    /// ```
    #[inline(always)]
    pub fn build<I>(slots: extern "C" fn(I) -> S, input: I) -> Self {
        let mut home: Box<Option<S>> = Box::default();
        home.get_or_insert_with(|| slots(input));
        Self(home)
    }
}

impl<S> std::fmt::Debug for BoxedSlots<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxedSlots").finish_non_exhaustive()
    }
}

impl<S> std::ops::Deref for BoxedSlots<S> {
    type Target = S;

    #[inline(always)]
    fn deref(&self) -> &S {
        match &*self.0 {
            Some(slots) => slots,
            None => unreachable_slot(),
        }
    }
}

impl<S> std::ops::DerefMut for BoxedSlots<S> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut S {
        match &mut *self.0 {
            Some(slots) => slots,
            None => unreachable_slot(),
        }
    }
}

#[cold]
#[inline(never)]
fn unreachable_slot() -> ! {
    // The executor starts a node only after all its producers stored their outputs and
    // hands out exactly as many values as the macro counted consumers.
    unreachable!("workflow slot read before it was written; this is a bug in workflow-core")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_consumer_moves() {
        let mut s: Slot<_> = Slot::filled(String::from("x"), 1);
        assert_eq!(s.consume(|_| unreachable!(), |v| v), "x");
    }

    #[test]
    fn last_of_many_consumers_moves_others_clone() {
        let mut s: Slot<_> = Slot::filled(vec![1, 2], 3);
        let a = s.consume(|v| (v.clone(), "clone"), |v| (v, "move"));
        let b = s.consume(|v| (v.clone(), "clone"), |v| (v, "move"));
        let c = s.consume(|v| (v.clone(), "clone"), |v| (v, "move"));
        assert_eq!([a.1, b.1, c.1], ["clone", "clone", "move"]);
        assert_eq!(c.0, vec![1, 2]);
    }

    #[test]
    fn optional_consumers_see_none_for_an_unwritten_slot() {
        let mut s: Slot<u8> = Slot::empty(2);
        assert_eq!(s.consume_opt(|v| *v, |v| v), None);
        assert_eq!(s.take_opt(), None);
        let mut s: Slot<_> = Slot::empty(2);
        s.put(7u8);
        assert_eq!(s.consume_opt(|v| *v + 1, |v| v), Some(8));
        assert_eq!(s.take_opt(), Some(7));
    }
}
