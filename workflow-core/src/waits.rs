//! Tracked waits' error and deadlock report: [`WaitError`], and the wait-for cycle in a
//! deadlock report. The values, the blocked nodes and their counts live in the run
//! tree's registry (`shared/waits.rs`).

use crate::error::{DeadlockKind, DeadlockReport, ShortType, WaitingNode};

/// A tracked wait had a value of another type than asked. Keys are shared by the whole
/// tree of runs (sub-workflows, fan-out items), so two nodes publishing different things
/// under one key is the usual cause: the message names both types.
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[node]
/// async fn announce(ctx: &Context) -> u8 {
///     ctx.publish("ready", "yes".to_string());
///     0
/// }
///
/// #[node]
/// async fn listen(ctx: &Context) -> Result<u32, WaitError> {
///     ctx.wait::<u32>("ready").await
/// }
///
/// workflow! {
///     struct Mixup {
///         a = announce(),
///         b = listen(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let err = Runtime::new().execute(Mixup, MixupInput {}).await.unwrap_err();
/// assert_eq!(err.node(), Some("b"));
/// let wait = err.downcast_ref::<WaitError>().unwrap();
/// assert_eq!((wait.expected, wait.found), ("u32", "alloc::string::String"));
/// assert_eq!(
///     err.to_string(),
///     "node `b` of workflow `Mixup` failed after 1 attempt(s): the value published under \
///      `ready` is a `String`, not a `u32`"
/// );
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the value published under `{key}` is a `{}`, not a `{}`",
    ShortType(found),
    ShortType(expected)
)]
pub struct WaitError {
    /// The key.
    pub key: String,
    /// The type the waiter asked for, as [`std::any::type_name`] gives it
    /// (`alloc::string::String`; the message prints it without module paths).
    pub expected: &'static str,
    /// The type of the value that was published under the key, as
    /// [`std::any::type_name`] gives it (the message prints `String`, `Vec<u8>`).
    pub found: &'static str,
}

/// A deadlock report for the live nodes `waiting`, with the wait-for cycle when wait
/// keys name live nodes.
pub(crate) fn deadlock_report(kind: DeadlockKind, waiting: Vec<WaitingNode>) -> DeadlockReport {
    let cycle = find_cycle(&waiting);
    DeadlockReport {
        kind,
        waiting,
        cycle,
        held_back: Vec::new(),
    }
}

fn find_cycle(waiting: &[WaitingNode]) -> Option<Vec<String>> {
    // The waiting node a waiter's key names, resolved from the waiter's own scope out.
    let next = |node: &str| -> Option<&str> {
        let key = waiting
            .iter()
            .find(|w| w.node == node)
            .and_then(|w| w.waits_for.as_deref())?;
        named_by(node, key, waiting)
    };
    for start in waiting {
        let mut path: Vec<&str> = vec![&start.node];
        let mut current: &str = &start.node;
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

/// The live node of `waiting` that `key`, waited for by the node at `waiter`, names: a
/// key names a binding as the waiter's own workflow sees it, so `pong` waited for by
/// `inner.ping` (a sub-workflow's node) names `inner.pong`, and by `items[2].w` (a fan-out
/// item's node) names `items[2].pong`; failing that, a binding of an enclosing run
/// (`pong` at the top), nearest first, or a whole path (`inner.pong`).
fn named_by<'a>(waiter: &str, key: &str, waiting: &'a [WaitingNode]) -> Option<&'a str> {
    let find = |name: &str| waiting.iter().find(|w| w.node == name).map(|w| &*w.node);
    let mut scopes: Vec<usize> = waiter.match_indices('.').map(|(i, _)| i + 1).collect();
    scopes.reverse();
    scopes
        .into_iter()
        .find_map(|end| find(&format!("{}{key}", &waiter[..end])))
        .or_else(|| find(key))
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
                    node: "task1".into(),
                    waits_for: Some("task2".into()),
                    publisher_ended: None,
                },
                WaitingNode {
                    node: "task2".into(),
                    waits_for: Some("task1".into()),
                    publisher_ended: None,
                },
            ],
        );
        assert_eq!(
            report.to_string(),
            "every live node is blocked in a tracked wait: `task1` waits for `task2`, `task2` waits for `task1` (cycle: task1 -> task2 -> task1)"
        );
    }

    /// Keys name bindings as the waiter's workflow sees them: the ring of a
    /// sub-workflow's two nodes (`inner.ping`, `inner.pong`, each waiting for the other's
    /// binding) is a cycle, as is one between a fan-out item's node and a node at the top.
    #[test]
    fn keys_name_bindings_in_the_waiters_scope() {
        let waiting = |pairs: &[(&'static str, &str)]| {
            pairs
                .iter()
                .map(|&(node, key)| WaitingNode {
                    node: node.into(),
                    waits_for: Some(key.into()),
                    publisher_ended: None,
                })
                .collect::<Vec<_>>()
        };
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            waiting(&[("inner.ping", "pong"), ("inner.pong", "ping")]),
        );
        assert_eq!(
            report.cycle.unwrap(),
            ["inner.ping", "inner.pong", "inner.ping"]
        );
        // An item's node waiting for a top-level node, which waits for that item's node
        // by its path.
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            waiting(&[("xs[1].a", "gate"), ("gate", "xs[1].a")]),
        );
        assert_eq!(report.cycle.unwrap(), ["xs[1].a", "gate", "xs[1].a"]);
        // The nearest scope wins: `b` from `s.a` is `s.b`, not the top-level `b`.
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            waiting(&[("s.a", "b"), ("s.b", "a"), ("b", "k")]),
        );
        assert_eq!(report.cycle.unwrap(), ["s.a", "s.b", "s.a"]);
        // Another item's node of the same name is not named by a bare key.
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            waiting(&[("xs[0].a", "b"), ("xs[1].b", "a")]),
        );
        assert_eq!(report.cycle, None);
    }

    #[test]
    fn no_cycle_when_keys_are_not_nodes() {
        let report = deadlock_report(
            DeadlockKind::AllWaiting,
            vec![WaitingNode {
                node: "a".into(),
                waits_for: Some("config".into()),
                publisher_ended: None,
            }],
        );
        assert_eq!(report.cycle, None);
    }
}
