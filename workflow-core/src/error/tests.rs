use super::*;

fn node_failed(node: &'static str, message: &str) -> WorkflowError {
    WorkflowError::NodeFailed {
        workflow: "W",
        node: node.into(),
        attempts: 2,
        source: std::io::Error::other(message.to_owned()).into(),
    }
}

/// What anyhow's `{:#}` prints: every error of the `source()` chain, joined by `: `.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// `{:?}` of the run's own timeout says only what is true of it: no `attempts: 0,
/// all_attempts: false` (a node's timeout's fields, found by a new-user trial); a
/// node's timeout and the other variants print as `#[derive(Debug)]` did.
#[test]
fn debug_of_the_runs_timeout_leaves_out_the_fields_of_a_nodes_timeout() {
    let timeout = |scope, attempts| WorkflowError::Timeout {
        workflow: "W",
        scope,
        limit: Duration::from_millis(700),
        running: vec!["y".into()],
        attempts,
        all_attempts: false,
        retrying: Vec::new(),
    };
    let run = timeout(TimeoutScope::Workflow, 0);
    assert_eq!(
        format!("{run:?}"),
        r#"Timeout { workflow: "W", scope: Workflow, limit: 700ms, running: ["y"], retrying: [] }"#
    );
    assert!(!format!("{run:#?}").contains("attempts"), "{run:#?}");
    let node = timeout(TimeoutScope::Node("y".into()), 3);
    assert_eq!(
        format!("{node:?}"),
        r#"Timeout { workflow: "W", scope: Node("y"), limit: 700ms, running: ["y"], attempts: 3, all_attempts: false, retrying: [] }"#
    );
    let panicked = WorkflowError::NodePanicked {
        workflow: "W",
        node: "n".into(),
        message: "boom".into(),
    };
    assert_eq!(
        format!("{panicked:?}"),
        r#"NodePanicked { workflow: "W", node: "n", message: "boom" }"#
    );
    assert_eq!(
        format!("{:?}", WorkflowError::ShutDown { workflow: "W" }),
        r#"ShutDown { workflow: "W" }"#
    );
}

#[test]
fn type_names_print_without_module_paths() {
    let short = |name: &str| ShortType(name).to_string();
    assert_eq!(short("alloc::string::String"), "String");
    assert_eq!(short("u32"), "u32");
    assert_eq!(
        short("alloc::vec::Vec<alloc::string::String>"),
        "Vec<String>"
    );
    assert_eq!(
        short("std::collections::hash::map::HashMap<u8, alloc::sync::Arc<dyn my_app::db::Rates>>"),
        "HashMap<u8, Arc<dyn Rates>>"
    );
    assert_eq!(short("&'static str"), "&'static str");
    assert_eq!(
        short("(u8, [core::option::Option<i64>; 3])"),
        "(u8, [Option<i64>; 3])"
    );
    assert_eq!(short("<a::T as b::Tr>::Assoc"), "<T as Tr>::Assoc");
}

#[test]
fn a_missing_resource_is_named_as_it_is_written() {
    let e = WorkflowError::MissingResource {
        workflow: "W",
        node: "thumbs[0].img".into(),
        type_name: "dyn my_app::Rates",
    };
    assert_eq!(
        e.to_string(),
        "node `thumbs[0].img` of workflow `W` needs resource `dyn Rates`, which is not registered; add a value of a type that implements it with `Runtime::builder().resource_arc::<dyn Rates>(Arc::new(..))` (`insert_resource_arc::<dyn Rates>(..)` on a running runtime or a `Harness`)"
    );
    let e = WorkflowError::MissingResource {
        workflow: "Site",
        node: "per[0].one.s".into(),
        type_name: "my_app::Registry",
    };
    assert_eq!(
        e.to_string(),
        "node `per[0].one.s` of workflow `Site` needs resource `Registry`, which is not registered; add it with `Runtime::builder().resource(..)` (`insert_resource(..)` on a running runtime or a `Harness`)"
    );
    let e = WorkflowError::MissingResource {
        workflow: "B",
        node: "n".into(),
        type_name: "alloc::sync::Arc<std::sync::Mutex<my_app::Counter>>",
    };
    assert_eq!(
        e.to_string(),
        "node `n` of workflow `B` needs resource `Arc<Mutex<Counter>>`, which is not registered; register the `Arc` itself with `Runtime::builder().resource(arc)` (`insert_resource(arc)` on a running runtime or a `Harness`), or, since a `Res` is already a shared handle, take `Res<Mutex<Counter>>` in the node and register it with `resource_arc(arc)`"
    );
}

#[test]
fn a_future_registered_for_a_resource_names_the_fn_to_await() {
    let e = |registered| WorkflowError::ResourceRegisteredAsFuture {
        workflow: "W",
        node: "save".into(),
        type_name: "my_app::db::Db",
        registered,
    };
    assert_eq!(
        e("my_app::db::Db::connect::{{closure}}").to_string(),
        "node `save` of workflow `W` needs resource `Db`, which is not registered; what is registered in its place (`db::Db::connect::{{closure}}`) is a future or closure, which no `Res<..>` can name: if it is the future of `Db::connect`, `.await` it before registering, as in `Runtime::builder().resource(Db::connect(..).await)` (add `?` if it returns a `Result`)"
    );
    let boxed = e("core::pin::Pin<alloc::boxed::Box<my_app::open_db::{{closure}}>>").to_string();
    assert!(
        boxed.contains("(`open_db::{{closure}}`)")
            && boxed.contains("the future of `open_db`, `.await` it")
            && boxed.contains("resource(open_db(..).await)"),
        "{boxed}"
    );
    // A block or closure inside a fn: no fn to name.
    let nested = e("my_app::main::{{closure}}::{{closure}}").to_string();
    assert!(
        nested.ends_with("(`main::{{closure}}::{{closure}}`) is a future or closure, which no `Res<..>` can name: `.await` a future before registering its value"),
        "{nested}"
    );
}

#[test]
fn a_chain_printer_shows_the_node_error_once() {
    let e = node_failed("fetch", "connection refused");
    let expected = "node `fetch` of workflow `W` failed after 2 attempt(s): connection refused";
    assert_eq!(e.to_string(), expected);
    assert_eq!(chain(&e), expected);
    assert_eq!(format!("{e:#}"), expected);
}

/// A node error with a source of its own: `Display` shows the node error, `source()`
/// continues with *its* source, so every message appears exactly once in the chain.
#[test]
fn the_chain_continues_below_the_node_error() {
    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("could not load the page")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let e = WorkflowError::NodeFailed {
        workflow: "W",
        node: "fetch".into(),
        attempts: 1,
        source: Box::new(Outer(std::io::Error::other("connection refused"))),
    };
    assert_eq!(
        e.to_string(),
        "node `fetch` of workflow `W` failed after 1 attempt(s): could not load the page"
    );
    let expected = "node `fetch` of workflow `W` failed after 1 attempt(s): could not load the page: connection refused";
    assert_eq!(chain(&e), expected);
    assert_eq!(format!("{e:#}"), expected);
    assert!(e.downcast_ref::<Outer>().is_some());
}

#[test]
fn multiple_prints_each_failure_with_its_cause() {
    let e = WorkflowError::Multiple {
        workflow: "W",
        errors: vec![node_failed("a", "boom"), node_failed("b", "bang")],
    };
    let expected = "2 nodes of workflow `W` failed: node `a` of workflow `W` failed after 2 attempt(s): boom; node `b` of workflow `W` failed after 2 attempt(s): bang";
    assert_eq!(e.to_string(), expected);
    // No single source, so nothing is repeated by a chain printer either.
    assert!(std::error::Error::source(&e).is_none());
    assert_eq!(format!("{e:#}"), expected);
}

/// `{:#}` of several failures shows each one's whole chain; `{}` each one's message.
#[test]
fn multiple_passes_the_alternate_form_to_each_failure() {
    let inner = WorkflowError::NodeFailed {
        workflow: "W",
        node: "a".into(),
        attempts: 1,
        source: Box::new(Chained("bad page", std::io::Error::other("reset"))),
    };
    let e = WorkflowError::Multiple {
        workflow: "W",
        errors: vec![inner],
    };
    assert_eq!(
        e.to_string(),
        "1 node of workflow `W` failed: node `a` of workflow `W` failed after 1 attempt(s): bad page"
    );
    assert_eq!(
        format!("{e:#}"),
        "1 node of workflow `W` failed: node `a` of workflow `W` failed after 1 attempt(s): bad page: reset"
    );
}

/// An error with a message and a source, for chain tests.
#[derive(Debug)]
struct Chained(&'static str, std::io::Error);
impl fmt::Display for Chained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Chained {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.1)
    }
}

/// A node's timeout does not call the node "still running" (its `running` holds it,
/// by binding name, also for a fan-out item's path); a run's timeout lists every
/// node it stopped, or `none`.
#[test]
fn a_timeout_names_only_the_other_nodes_as_still_running() {
    let node = |path: &'static str, running: Vec<&'static str>| WorkflowError::Timeout {
        workflow: "W",
        scope: TimeoutScope::Node(path.into()),
        limit: Duration::from_millis(25),
        running: running.into_iter().map(NodeName::from).collect(),
        attempts: 1,
        all_attempts: false,
        retrying: Vec::new(),
    };
    assert_eq!(
        node("out[2].b", vec!["b"]).to_string(),
        "node `out[2].b` of workflow `W` timed out after 25ms"
    );
    assert_eq!(
        node("out[2].b", vec!["out[2].b", "out[3].b"]).to_string(),
        "node `out[2].b` of workflow `W` timed out after 25ms; still running: out[3].b"
    );
    assert_eq!(
        node("slow", vec!["slow"]).to_string(),
        "node `slow` of workflow `W` timed out after 25ms"
    );
    // `sb` is not `b`: only a whole path segment names the node.
    assert_eq!(
        node("b", vec!["b", "sb"]).to_string(),
        "node `b` of workflow `W` timed out after 25ms; still running: sb"
    );
    let run = WorkflowError::Timeout {
        workflow: "W",
        scope: TimeoutScope::Workflow,
        limit: Duration::from_secs(1),
        running: vec![],
        attempts: 0,
        all_attempts: false,
        retrying: Vec::new(),
    };
    assert_eq!(
        run.to_string(),
        "the run of workflow `W` timed out after 1s; still running: none"
    );
}

/// A node between two attempts when time ran out is named as waiting to retry, with
/// the attempt that failed and its error, not as still running; a node's own
/// `retry(total_timeout)` that ran out there says so in place of "during attempt".
#[test]
fn a_timeout_names_the_nodes_waiting_to_retry_apart() {
    let wait = |node: &'static str, attempt| RetryWait {
        node: node.into(),
        attempt,
        error: "refused".into(),
        delay: Duration::from_millis(500),
    };
    let run = |running: Vec<&'static str>, retrying| WorkflowError::Timeout {
        workflow: "W",
        scope: TimeoutScope::Workflow,
        limit: Duration::from_secs(1),
        running: running.into_iter().map(NodeName::from).collect(),
        attempts: 0,
        all_attempts: false,
        retrying,
    };
    assert_eq!(
        run(vec!["f"], vec![wait("f", 2)]).to_string(),
        "the run of workflow `W` timed out after 1s; waiting to retry: f (attempt 2 failed: refused)"
    );
    assert_eq!(
        run(
            vec!["g", "f", "out[1].h"],
            vec![wait("f", 2), wait("out[1].h", 1)]
        )
        .to_string(),
        "the run of workflow `W` timed out after 1s; still running: g; \
         waiting to retry: f (attempt 2 failed: refused), out[1].h (attempt 1 failed: refused)"
    );
    let total = WorkflowError::Timeout {
        workflow: "W",
        scope: TimeoutScope::Node("s".into()),
        limit: Duration::from_secs(2),
        running: vec!["s".into(), "g".into()],
        attempts: 2,
        all_attempts: true,
        retrying: vec![wait("s", 2)],
    };
    assert_eq!(
        total.to_string(),
        "node `s` of workflow `W` timed out after 2s, its `retry(total_timeout)` for all \
         attempts, while waiting to retry: attempt 2 failed: refused; still running: g"
    );
}

/// With retries, the message says which limit ran out: one attempt's `timeout`
/// (after which the last of the attempts timed out) or the node's
/// `retry(total_timeout)`, which an attempt reaches part-way.
#[test]
fn a_timeout_says_whether_the_limit_was_one_attempts_or_all() {
    let timeout = |attempts, all_attempts| WorkflowError::Timeout {
        workflow: "W",
        scope: TimeoutScope::Node("s".into()),
        limit: Duration::from_millis(330),
        running: vec!["s".into()],
        attempts,
        all_attempts,
        retrying: Vec::new(),
    };
    assert_eq!(
        timeout(3, false).to_string(),
        "node `s` of workflow `W` timed out after 330ms in the last of 3 attempt(s)"
    );
    assert_eq!(
        timeout(3, true).to_string(),
        "node `s` of workflow `W` timed out after 330ms, its `retry(total_timeout)` for all attempts, during attempt 3"
    );
    assert_eq!(
        timeout(0, true).to_string(),
        "node `s` of workflow `W` timed out after 330ms, its `retry(total_timeout)`, before its first attempt began"
    );
}

#[test]
fn errors_without_a_source_print_the_same_either_way() {
    let e = WorkflowError::Cancelled {
        workflow: "W",
        running: vec!["a".into(), "items[1].b".into()],
        retrying: Vec::new(),
    };
    assert_eq!(
        e.to_string(),
        "run of workflow `W` was cancelled; still running: a, items[1].b"
    );
    assert_eq!(format!("{e:#}"), e.to_string());
}

#[cfg(feature = "serde")]
#[test]
fn a_deadlock_report_serializes_with_its_cycle() {
    let report = DeadlockReport {
        kind: DeadlockKind::Stalled(Duration::from_millis(1500)),
        waiting: vec![
            WaitingNode {
                node: "a".into(),
                waits_for: Some("b".into()),
                publisher_ended: None,
            },
            WaitingNode {
                node: "b".into(),
                waits_for: Some("a".into()),
                publisher_ended: None,
            },
            WaitingNode {
                node: "c".into(),
                waits_for: None,
                publisher_ended: None,
            },
        ],
        cycle: Some(vec!["a".into(), "b".into(), "a".into()]),
        held_back: Vec::new(),
    };
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        serde_json::json!({
            "kind": { "stalled": { "secs": 1, "nanos": 500_000_000 } },
            "waiting": [
                { "node": "a", "waits_for": "b" },
                { "node": "b", "waits_for": "a" },
                { "node": "c", "waits_for": null },
            ],
            "cycle": ["a", "b", "a"],
        })
    );
    let scopes = [TimeoutScope::Workflow, TimeoutScope::Node("fetch".into())];
    assert_eq!(
        serde_json::to_value(scopes).unwrap(),
        serde_json::json!(["workflow", { "node": "fetch" }])
    );
}

/// With `failure = "continue"`, a run stopped after a node failed (a deadlock of the
/// nodes waiting on it, its timeout, a cancellation) holds an error no node made: the
/// first words count the nodes that failed and say what the run did, rather than "2
/// nodes failed" for one node.
#[test]
fn multiple_counts_the_failed_nodes_and_names_what_the_run_did() {
    let cancelled = || WorkflowError::Cancelled {
        workflow: "W",
        running: vec!["b".into()],
        retrying: Vec::new(),
    };
    let deadlock = || WorkflowError::Deadlock {
        workflow: "W",
        report: DeadlockReport {
            kind: DeadlockKind::AllWaiting,
            waiting: vec![WaitingNode {
                node: "w".into(),
                waits_for: Some("p".into()),
                publisher_ended: Some("failed"),
            }],
            cycle: None,
            held_back: Vec::new(),
        },
    };
    let e = WorkflowError::Multiple {
        workflow: "W",
        errors: vec![node_failed("p", "broke"), deadlock()],
    };
    assert_eq!(
        e.to_string(),
        "1 node of workflow `W` failed, then the run deadlocked: node `p` of workflow `W` failed after 2 attempt(s): broke; deadlock in workflow `W`: every live node is blocked in a tracked wait: `w` waits for `p` (nothing will publish it: node `p` failed)"
    );
    let e = WorkflowError::Multiple {
        workflow: "W",
        errors: vec![node_failed("a", "x"), node_failed("c", "y"), cancelled()],
    };
    assert!(
        e.to_string()
            .starts_with("2 nodes of workflow `W` failed, then the run was cancelled: "),
        "{e}"
    );
    let e = WorkflowError::Multiple {
        workflow: "W",
        errors: vec![cancelled()],
    };
    assert_eq!(
        e.to_string(),
        "the run of workflow `W` was cancelled: run of workflow `W` was cancelled; still running: b"
    );
}
