//! Tracked waits' error and deadlock report: [`WaitError`], and the wait-for cycle in a
//! deadlock report. The values, the blocked nodes and their counts live in the run
//! tree's registry (`shared/waits.rs`).

use crate::error::{DeadlockKind, DeadlockReport, WaitingNode};

/// A tracked wait had a value of another type than asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value published under `{key}` is not a `{expected}`")]
pub struct WaitError {
    /// The key.
    pub key: String,
    /// The type the waiter asked for.
    pub expected: &'static str,
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
                },
                WaitingNode {
                    node: "task2".into(),
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
                node: "a".into(),
                waits_for: Some("config".into()),
            }],
        );
        assert_eq!(report.cycle, None);
    }
}
