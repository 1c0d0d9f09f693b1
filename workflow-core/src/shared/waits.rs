//! Tracked waits: values that nodes of one run tree publish under a key and wait for
//! ([`Context::publish`](crate::Context::publish), [`Context::wait`](crate::Context::wait)),
//! and the count of each run's nodes blocked in such a wait (the executor declares a
//! deadlock when it reaches the number of live nodes).
//!
//! One registry serves a whole run tree: the root run's. A child run (a sub-workflow, a
//! fan-out item, in a lane or in a run of its own) publishes and waits there, so keys
//! are global to the tree and a parent's publish reaches a child's wait. Who waits is
//! keyed by (run, node). A child run never declares a deadlock itself (a node above it
//! may still publish): when all its live nodes are blocked it tells the node that runs
//! it, which counts as blocked in its own run once every live child run it runs is
//! (see [`all_blocked`], [`check_children`]). The root run, finding all its live nodes
//! blocked, fails with the deadlock. Every count goes down again, under the registry's
//! lock, when a publish (or a dropped wait) releases a node below it.
//!
//! A run that never waits pays one atomic load per poll of its driver (as before) and
//! one per poll of a node that runs child runs.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Poll, Waker};

use super::RunShared;
use crate::error::{NodeName, WaitingNode};
use crate::sync::lock;
use crate::waits::WaitError;

/// One run's part in the tracked waits of its run tree; the root run's also holds the
/// tree's registry.
#[derive(Default)]
pub(crate) struct Waits {
    /// This run's nodes counted as blocked: in a tracked wait, or running child runs
    /// that are all blocked. Written under the root's registry lock; read without it by
    /// the run's driver.
    blocked: AtomicUsize,
    /// The waker of the run's driver (or lane) while it has nodes in tasks of their own:
    /// such a node that starts blocking wakes it, so it looks for a deadlock at once.
    waker: Mutex<Option<Waker>>,
    /// Root run only: nodes of the tree blocked in a tracked wait now (a node that runs
    /// child runs skips the registry while it is 0).
    waiting: AtomicUsize,
    /// Root run only: the tree's published values and blocked nodes, made by the first
    /// publish or wait (a run that uses neither builds no maps). Boxed: inline, its
    /// 250 bytes of empty maps made every run's shared state that much larger to build
    /// and move (issue 17).
    registry: OnceLock<Box<Mutex<Registry>>>,
}

/// A run's identity in the registry: the address of its shared state (alive while any
/// of its nodes is registered, as each wait holds its run).
type RunId = usize;

fn id(run: &RunShared) -> RunId {
    std::ptr::from_ref(run) as RunId
}

/// Values published by key, the nodes waiting for them, and which runs and nodes count
/// as blocked because of what runs below them.
#[derive(Default)]
struct Registry {
    entries: HashMap<String, Entry>,
    /// Each wait in which a node is blocked, by serial number.
    waiting: HashMap<u64, Blocked>,
    /// The number of such waits of each blocked node, by (run, node): a node in two
    /// (`join!`) counts once.
    nodes: HashMap<(RunId, usize), usize>,
    /// The next wait's serial number.
    serial: u64,
    /// Child runs that told the node running them they are all blocked.
    marked: HashSet<RunId>,
    /// Nodes running child runs, by (run, node), with at least one child all blocked.
    groups: HashMap<(RunId, usize), Group>,
}

#[derive(Default)]
struct Entry {
    value: Option<Arc<dyn Any + Send + Sync>>,
    /// The published value's type, for a waiter that asks for another.
    type_name: &'static str,
    waiters: Vec<Waiter>,
}

struct Waiter {
    serial: u64,
    waker: Waker,
}

/// A node blocked in a tracked wait.
struct Blocked {
    node: usize,
    key: String,
    /// Its name in reports: its path in a child run.
    name: NodeName,
    /// Its run (whose blocked count it is in).
    run: Arc<RunShared>,
}

/// The child runs of one node that are all blocked.
#[derive(Default)]
struct Group {
    blocked_children: usize,
    /// The node counts as blocked in its run (every live child run was all blocked when
    /// the node last looked).
    marked: bool,
}

impl Waits {
    /// Nodes of this run counted as blocked now. (Inlined: the driver, instantiated in
    /// the crate of each workflow, asks it on every wait of a run with spawned nodes.)
    #[inline]
    pub(crate) fn blocked(&self) -> usize {
        self.blocked.load(Ordering::SeqCst)
    }

    /// `waker` is the driver's (or lane's) while it has nodes in tasks of their own;
    /// `cached` is what it registered last (so a poll with the same waker takes no lock).
    pub(crate) fn register_waker(&self, waker: &Waker, cached: &mut Option<Waker>) {
        if cached.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return;
        }
        *cached = Some(waker.clone());
        *lock(&self.waker) = Some(waker.clone());
    }

    fn wake(&self) {
        if let Some(w) = lock(&self.waker).as_ref() {
            w.wake_by_ref();
        }
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        lock(self.registry.get_or_init(Box::default))
    }
}

/// Publishes `value` (of type `type_name`) under `key` (replacing an earlier one) in
/// `run`'s tree and wakes its waiters.
pub(crate) fn publish(
    run: &RunShared,
    key: String,
    value: Arc<dyn Any + Send + Sync>,
    type_name: &'static str,
) {
    let root = run.wait_root();
    let mut released = Vec::new();
    let mut wakers = Vec::new();
    {
        let mut reg = root.waits.registry();
        let entry = reg.entries.entry(key).or_default();
        entry.value = Some(value);
        entry.type_name = type_name;
        let waiters = std::mem::take(&mut entry.waiters);
        for w in waiters {
            released.extend(release(&mut reg, root, w.serial));
            wakers.push(w.waker);
        }
    }
    wakers.into_iter().for_each(Waker::wake);
    // The runs' handles go after the lock (none is the last: each waiter holds its run).
    drop(released);
}

/// Wait `serial` ends (its value was published, or it was dropped): its node is
/// released if it waits in no other. The node's run, to drop after the lock.
fn release(reg: &mut Registry, root: &RunShared, serial: u64) -> Option<Arc<RunShared>> {
    let blocked = reg.waiting.remove(&serial)?;
    root.waits.waiting.fetch_sub(1, Ordering::SeqCst);
    let node = (id(&blocked.run), blocked.node);
    let count = reg.nodes.get_mut(&node)?;
    *count -= 1;
    if *count == 0 {
        reg.nodes.remove(&node);
        unblock(reg, &blocked.run);
    }
    Some(blocked.run)
}

/// One of `run`'s blocked nodes is released: `run` is no longer all blocked, nor is the
/// node running it (if that counted it), and so on up the tree.
fn unblock(reg: &mut Registry, run: &RunShared) {
    run.waits.blocked.fetch_sub(1, Ordering::SeqCst);
    let mut run = run;
    while reg.marked.remove(&id(run)) {
        let Some(parent) = run.parent() else {
            break;
        };
        let key = (id(parent), run.parent_node());
        let Some(group) = reg.groups.get_mut(&key) else {
            break;
        };
        group.blocked_children -= 1;
        let was_marked = std::mem::replace(&mut group.marked, false);
        if group.blocked_children == 0 {
            reg.groups.remove(&key);
        }
        if !was_marked {
            break;
        }
        parent.waits.blocked.fetch_sub(1, Ordering::SeqCst);
        run = parent;
    }
}

/// Every one of the `live` nodes of `run` is blocked (its blocked count reached `live`):
/// whether that is a deadlock. In a root run it is; a child run tells the node that
/// runs it instead (that node's run decides, see [`check_children`]).
pub(crate) fn all_blocked(run: &RunShared, live: usize) -> bool {
    let Some(parent) = run.parent() else {
        return true;
    };
    let mut reg = run.wait_root().waits.registry();
    // Released since the caller looked, or already told.
    if run.waits.blocked() < live || !reg.marked.insert(id(run)) {
        return false;
    }
    reg.groups
        .entry((id(parent), run.parent_node()))
        .or_default()
        .blocked_children += 1;
    false
}

/// Node `node` of `run` runs `live` child runs (a sub-workflow, or a fan-out's lanes or
/// item runs), and has just polled them: it counts as blocked in `run` while each of
/// them is all blocked. Called by the node's future each time it is pending.
pub(crate) fn check_children(run: &RunShared, node: usize, live: usize) {
    let root = run.wait_root();
    // Nothing waits anywhere: no child is all blocked, no node is counted.
    if root.waits.waiting.load(Ordering::SeqCst) == 0 {
        return;
    }
    let mut reg = root.waits.registry();
    let key = (id(run), node);
    let Some(group) = reg.groups.get_mut(&key) else {
        return;
    };
    let all = live > 0 && group.blocked_children >= live;
    if all && !group.marked {
        group.marked = true;
        run.waits.blocked.fetch_add(1, Ordering::SeqCst);
        drop(reg);
        run.waits.wake();
    } else if !all && group.marked {
        group.marked = false;
        unblock(&mut reg, run);
    }
}

/// What each blocked node of `run` waits for, by node index (for live snapshots).
pub(crate) fn waiting_on(run: &RunShared) -> HashMap<usize, String> {
    let root = run.wait_root();
    if root.waits.waiting.load(Ordering::SeqCst) == 0 {
        return HashMap::new();
    }
    let me = id(run);
    root.waits
        .registry()
        .waiting
        .values()
        .filter(|b| id(&b.run) == me)
        .map(|b| (b.node, b.key.clone()))
        .collect()
}

/// The live nodes of `run` (`running`, by index) for a deadlock report: a node blocked
/// in a tracked wait with its key; in place of a node running child runs, the nodes
/// blocked below it (by path, in name order); any other node as running.
pub(crate) fn waiting_nodes(
    run: &RunShared,
    running: impl Iterator<Item = usize>,
) -> Vec<WaitingNode> {
    let root = run.wait_root();
    let reg = root.waits.registry();
    let me = id(run);
    let mut out = Vec::new();
    for i in running {
        let own = reg
            .waiting
            .values()
            .find(|b| b.node == i && id(&b.run) == me);
        if let Some(b) = own {
            out.push(WaitingNode {
                node: run.node_name(i),
                waits_for: Some(b.key.clone()),
                publisher_ended: None,
            });
            continue;
        }
        let mut below: Vec<WaitingNode> = reg
            .waiting
            .values()
            .filter(|b| runs_under(&b.run, run, i))
            .map(|b| WaitingNode {
                node: b.name.clone(),
                waits_for: Some(b.key.clone()),
                publisher_ended: None,
            })
            .collect();
        if below.is_empty() {
            // Not in a tracked wait: the running nodes inside it when known (a
            // monitored or stall-watched run), else the node itself.
            let mut running = run.running_children_under(i);
            if running.is_empty() {
                running.push(run.node_name(i));
            }
            running.sort();
            out.extend(running.into_iter().map(|node| WaitingNode {
                node,
                waits_for: None,
                publisher_ended: None,
            }));
        } else {
            below.sort_by(|a, b| a.node.cmp(&b.node));
            out.append(&mut below);
        }
    }
    out
}

/// Whether `child` is a run below node `node` of `run`.
fn runs_under(child: &RunShared, run: &RunShared, node: usize) -> bool {
    let mut at = child;
    while let Some(parent) = at.parent() {
        if std::ptr::eq(&**parent, run) {
            return at.parent_node() == node;
        }
        at = parent;
    }
    false
}

/// One node's wait for the value under `key`.
pub(crate) struct TrackedWait<'a> {
    run: &'a Arc<RunShared>,
    node: usize,
    key: String,
    /// Its serial number while it is registered (until a publisher or this wait
    /// releases it).
    serial: Option<u64>,
}

impl<'a> TrackedWait<'a> {
    pub(crate) fn new(run: &'a Arc<RunShared>, node: usize, key: String) -> Self {
        Self {
            run,
            node,
            key,
            serial: None,
        }
    }

    /// The value once published; calls `on_block` with the key when the node starts
    /// blocking (outside the lock).
    pub(crate) fn poll_value<T: Clone + 'static>(
        &mut self,
        waker: &Waker,
        on_block: impl FnOnce(&str),
    ) -> Poll<Result<T, WaitError>> {
        let root = self.run.wait_root();
        let mut reg = root.waits.registry();
        let entry = reg.entries.entry(self.key.clone()).or_default();
        if let Some(value) = &entry.value {
            let value = Arc::clone(value);
            let found = entry.type_name;
            // Not yet released by a publisher (a spurious poll): release ourselves.
            let released = self.unregister_locked(&mut reg);
            drop(reg);
            drop(released);
            return Poll::Ready(value.downcast_ref::<T>().cloned().ok_or_else(|| WaitError {
                key: self.key.clone(),
                expected: std::any::type_name::<T>(),
                found,
            }));
        }
        if let Some(serial) = self.serial {
            if let Some(w) = entry.waiters.iter_mut().find(|w| w.serial == serial) {
                w.waker.clone_from(waker);
                return Poll::Pending;
            }
        }
        let serial = reg.serial;
        reg.serial += 1;
        let entry = reg.entries.entry(self.key.clone()).or_default();
        entry.waiters.push(Waiter {
            serial,
            waker: waker.clone(),
        });
        reg.waiting.insert(
            serial,
            Blocked {
                node: self.node,
                key: self.key.clone(),
                name: self.run.node_name(self.node),
                run: Arc::clone(self.run),
            },
        );
        self.serial = Some(serial);
        root.waits.waiting.fetch_add(1, Ordering::SeqCst);
        let count = reg.nodes.entry((id(self.run), self.node)).or_insert(0);
        *count += 1;
        if *count == 1 {
            self.run.waits.blocked.fetch_add(1, Ordering::SeqCst);
        }
        drop(reg);
        // The run may now be all blocked: a node in a task of its own wakes it to look.
        self.run.waits.wake();
        on_block(&self.key);
        Poll::Pending
    }

    /// Removes this waiter if a publisher has not already done so; its run's handle, to
    /// drop after the lock.
    fn unregister_locked(&mut self, reg: &mut Registry) -> Option<Arc<RunShared>> {
        let serial = self.serial.take()?;
        if let Some(entry) = reg.entries.get_mut(&self.key) {
            entry.waiters.retain(|w| w.serial != serial);
        }
        release(reg, self.run.wait_root(), serial)
    }
}

impl Drop for TrackedWait<'_> {
    fn drop(&mut self) {
        if self.serial.is_some() {
            let root = self.run.wait_root();
            let mut reg = root.waits.registry();
            let released = self.unregister_locked(&mut reg);
            drop(reg);
            drop(released);
        }
    }
}
