use std::time::Duration;

use super::node_reports::*;
use super::report::*;
use super::*;

fn node(name: &'static str, status: NodeStatus, attempts: u32) -> NodeReport {
    NodeReport {
        name: name.into(),
        node_fn: "f",
        status,
        attempts,
        duration: Duration::from_millis(u64::from(attempts) * 5),
        started_at: (attempts > 0).then_some(Duration::ZERO),
    }
}

/// One line per node; a node that never started ends at its status, with no padding
/// after it (found by a new-user trial snapshotting `{report}`).
#[test]
fn a_report_prints_a_line_per_node_without_trailing_spaces() {
    let report = RunReport {
        workflow: "Checkout",
        run_id: 7,
        durable_run: None,
        duration: Duration::from_millis(10),
        nodes: NodeReports::from(vec![
            node("t", NodeStatus::Succeeded, 2),
            node("approval", NodeStatus::NotTaken, 0),
            node("sent", NodeStatus::Skipped, 0),
        ]),
    };
    assert_eq!(
        report.to_string(),
        "run 7 of `Checkout` (10ms):\n  t                succeeded  attempts=2 time=10ms\n  approval         not taken\n  sent             skipped\n"
    );
    assert_eq!(report.clone(), report);
}

/// A merge (one binding in every arm) has a node per arm: each is printed with its
/// fn, and a durable run is named by its id in the store (carried from trial12: two
/// rows `done`, and `run 1026` beside the store's `run 1`).
#[test]
fn a_merge_prints_each_arm_with_its_fn_and_a_durable_run_its_store_id() {
    let arm = |node_fn, status, attempts| NodeReport {
        node_fn,
        ..node("done", status, attempts)
    };
    let report = RunReport {
        workflow: "Checkout",
        run_id: 1026,
        durable_run: Some(1),
        duration: Duration::from_millis(5),
        nodes: NodeReports::from(vec![
            node("r", NodeStatus::Restored, 0),
            arm("charge", NodeStatus::NotTaken, 0),
            arm("bill", NodeStatus::Succeeded, 1),
        ]),
    };
    assert_eq!(report.merges(), ["done"]);
    assert_eq!(report.node("done").unwrap().node_fn, "bill");
    assert_eq!(
        report.to_string(),
        "durable run 1 of `Checkout` (5ms):\n  r                restored\n  done (charge)    not taken\n  done (bill)      succeeded  attempts=1 time=5ms\n"
    );
}

/// A name longer than the column (a merge's arm with its fn, a path in a fan-out's
/// item) widens the column for every line instead of pushing its own status out of
/// line (trial43: `shipped (ship_standard) succeeded` beside `route            succeeded`).
#[test]
fn a_long_name_widens_the_column_for_every_line() {
    let arm = |node_fn, status, attempts| NodeReport {
        node_fn,
        ..node("shipped", status, attempts)
    };
    let report = RunReport {
        workflow: "Shipping",
        run_id: 3,
        durable_run: None,
        duration: Duration::from_millis(5),
        nodes: NodeReports::from(vec![
            node("route", NodeStatus::Succeeded, 1),
            arm("ship_express", NodeStatus::NotTaken, 0),
            arm("ship_standard", NodeStatus::Succeeded, 1),
            node("items[12].thumbnail", NodeStatus::Skipped, 0),
        ]),
    };
    assert_eq!(
        report.to_string(),
        "run 3 of `Shipping` (5ms):\n\
         \x20 route                   succeeded  attempts=1 time=5ms\n\
         \x20 shipped (ship_express)  not taken\n\
         \x20 shipped (ship_standard) succeeded  attempts=1 time=5ms\n\
         \x20 items[12].thumbnail     skipped\n"
    );
    assert_eq!(report.node_lines().len(), 4);
    // A report of short names keeps the narrowest column, 16.
    assert_eq!(name_column(["a", "bb"]), 16);
    assert_eq!(name_column(["shipped (ship_standard)"]), 23);
    assert_eq!(name_column(std::iter::empty()), 16);
}

/// Under a harness, the header names the run by the harness's number first, with
/// the runtime's id (or the store's) beside it.
#[test]
fn a_harness_runs_header_has_its_number_and_its_id() {
    let mut report = RunReport {
        workflow: "Checkout",
        run_id: 1025,
        durable_run: None,
        duration: Duration::ZERO,
        nodes: NodeReports::all(&NAMES_REF, NodeRecord::RAN_AT_START),
    };
    let header = |r: &RunReport| r.to_string().lines().next().unwrap().to_owned();
    assert_eq!(report.harness_number(), None);
    assert_eq!(header(&report), "run 1025 of `Checkout` (0ns):");
    let plain = report.clone();
    report.set_harness_number(1);
    assert_eq!(report.harness_number(), Some(1));
    assert_eq!(header(&report), "run 1 (id 1025) of `Checkout` (0ns):");
    // The nodes read as before.
    assert_eq!(report.nodes, plain.nodes);
    assert_eq!(report.nodes.len(), 3);
    assert_eq!(report.node("html").unwrap().attempts, 1);
    report.set_harness_number(2);
    assert_eq!(report.harness_number(), Some(2));
    report.durable_run = Some(3);
    assert_eq!(
        header(&report),
        "run 2 (durable run 3) of `Checkout` (0ns):"
    );
    assert_eq!(report.clone().nodes.into_vec(), plain.nodes.into_vec());
}

static NAMES: [NodeNames; 3] = [
    NodeNames {
        name: "fetch",
        node_fn: "fetch_data",
    },
    NodeNames {
        name: "html",
        node_fn: "render",
    },
    NodeNames {
        name: "sent",
        node_fn: "send",
    },
];

static NAMES_REF: &[NodeNames] = &NAMES;

/// The compact records a run writes read as the reports they stand for: the same
/// entries, `Debug` and serialized form as a `Vec<NodeReport>`, made once.
#[test]
fn compact_records_read_as_their_reports() {
    let records = vec![
        NodeRecord {
            started: 0,
            duration: 1_500_000_000,
            attempts: 2,
            status: NodeStatus::Succeeded,
        },
        NodeRecord {
            started: NodeRecord::nanos(Duration::from_millis(1500)),
            duration: 0,
            attempts: 1,
            status: NodeStatus::Running,
        },
        NodeRecord::NOT_STARTED,
    ];
    let compact = NodeReports::compact(&NAMES_REF, records);
    assert_eq!(compact.len(), 3);
    assert!(!compact.is_built(), "len() makes no report");
    let want = vec![
        NodeReport {
            name: "fetch".into(),
            node_fn: "fetch_data",
            status: NodeStatus::Succeeded,
            attempts: 2,
            duration: Duration::from_millis(1500),
            started_at: Some(Duration::ZERO),
        },
        NodeReport {
            name: "html".into(),
            node_fn: "render",
            status: NodeStatus::Running,
            attempts: 1,
            duration: Duration::ZERO,
            started_at: Some(Duration::from_millis(1500)),
        },
        NodeReport {
            name: "sent".into(),
            node_fn: "send",
            status: NodeStatus::NotStarted,
            attempts: 0,
            duration: Duration::ZERO,
            started_at: None,
        },
    ];
    assert_eq!(*compact, *want);
    assert_eq!(format!("{compact:?}"), format!("{want:?}"));
    #[cfg(feature = "serde")]
    assert_eq!(
        serde_json::to_string(&compact).unwrap(),
        serde_json::to_string(&want).unwrap()
    );
    let names: Vec<&str> = (&compact).into_iter().map(|n| &*n.name).collect();
    assert_eq!(names, ["fetch", "html", "sent"]);
    assert_eq!(compact, NodeReports::from(want.clone()));
    assert_eq!(compact.clone().into_vec(), want);
    let blank = NodeReports::compact(&NAMES_REF, vec![NodeRecord::NOT_STARTED; 3]);
    assert_eq!(blank.into_vec()[2], want[2]);
    assert_eq!(std::mem::size_of::<NodeReports>(), 16);
}

/// A report whose nodes all ended alike keeps one record for all of them.
#[test]
fn one_record_for_every_node() {
    let ran = NodeRecord {
        started: 5,
        duration: 0,
        attempts: 1,
        status: NodeStatus::Succeeded,
    };
    let one = NodeReports::all(&NAMES_REF, ran);
    assert_eq!(one.len(), 3);
    assert!(!one.is_built(), "len() makes no report");
    assert_eq!(one, NodeReports::compact(&NAMES_REF, vec![ran; 3]));
    assert!(one
        .iter()
        .all(|n| n.started_at == Some(Duration::from_nanos(5))));
    assert_eq!(one.into_vec()[2].name, "sent");
    assert_eq!(std::mem::size_of::<Records>(), 24);
}

/// A report whose nodes all ran at the run's start keeps only their names; its
/// reports are made once per workflow, and read as any other's.
#[test]
fn nodes_that_ran_at_the_start_share_their_reports() {
    let ran = NodeReports::all(&NAMES_REF, NodeRecord::RAN_AT_START);
    assert!(matches!(ran.0, Repr::RanAtStart(_)));
    assert_eq!(ran.len(), 3);
    let again = NodeReports::all(&NAMES_REF, NodeRecord::RAN_AT_START);
    assert!(std::ptr::eq(&*ran, &*again), "made once");
    assert_eq!(
        ran,
        NodeReports::compact(&NAMES_REF, vec![NodeRecord::RAN_AT_START; 3])
    );
    assert_eq!(ran[1].name, "html");
    assert_eq!(ran[1].started_at, Some(Duration::ZERO));
    assert_eq!(ran[1].attempts, 1);
    assert_eq!(ran.clone().into_vec(), ran.to_vec());
    assert!(NodeReports::default().is_empty());
    assert!(NodeReports::default().iter().next().is_none());
}

/// `Runtime::execute`'s output for a small output struct is at most 128 bytes, which
/// LLVM moves inline (issue 17: `join_all` moved the 160 bytes it was with a
/// `memmove` call six times a run).
#[test]
fn a_small_runs_result_is_moved_inline() {
    use crate::error::WorkflowError;
    assert!(std::mem::size_of::<RunReport>() <= 72);
    assert!(std::mem::size_of::<Result<Run<u64>, WorkflowError>>() <= 128);
}

/// Times beyond what nanoseconds in a `u64` hold (584 years) saturate below "never
/// started".
#[test]
fn record_times_saturate() {
    assert_eq!(NodeRecord::nanos(Duration::MAX), NodeRecord::NEVER - 1);
    assert_eq!(NodeRecord::nanos(Duration::new(3, 7)), 3_000_000_007);
    // Around the exact path's bound: the same values as saturating arithmetic.
    let saturating = |d: Duration| {
        d.as_secs()
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(d.subsec_nanos()))
            .min(NodeRecord::NEVER - 1)
    };
    let bound = NodeRecord::NANOS_EXACT_SECS;
    for secs in [bound - 1, bound, bound + 1, u64::MAX] {
        for nanos in [0, 1, 709_551_613, 709_551_614, 709_551_615, 999_999_999] {
            let d = Duration::new(secs, nanos);
            assert_eq!(NodeRecord::nanos(d), saturating(d), "{d:?}");
        }
    }
    assert_eq!(
        NodeRecord::nanos(Duration::new(bound - 1, 999_999_999)),
        (bound - 1) * 1_000_000_000 + 999_999_999
    );
    assert_eq!(
        NodeRecord::nanos(Duration::new(bound, 0)),
        bound * 1_000_000_000
    );
}
