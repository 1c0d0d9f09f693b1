//! Sub-workflows in durable runs: a durable sub-workflow's nodes are recorded under their
//! paths (`report.layout`, `report.head.title`, `ys[1].r.body`) as they finish, so a run
//! that dies inside one resumes with its finished nodes restored and runs only the rest.
//!
//! - A child process aborts inside a top-level sub-workflow, and inside one used by a
//!   fan-out item (each with a nested sub-workflow and an `#[ephemeral]` node); the
//!   parent resumes: the nodes recorded before the abort ran exactly once in all, the
//!   rest once in the parent, the outputs are an uninterrupted run's, and the store
//!   holds a row for every node but the ephemeral ones.
//! - In process, over every store: recorded rows of a sub-workflow are restored; they
//!   are not when the sub-workflow changed in the graph or something upstream of it (in
//!   the run, or in its fan-out item) runs again; a stale row is not restored.
//! - A sub-workflow that is not durable (`#[ephemeral]`), or has policies of its own, is
//!   recorded as a whole, as its one value or not at all.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{
    ManualClock, MemoryStore, OwnerId, Record, RecordedOutput, RunFilter, RunId, SqliteStore,
    Store, Timestamp,
};

use crate::durable::clocked_stores;
use crate::support::{file_counts, paths, TempDir, Visits};

/// A handle that cannot be recorded (no serde): an `#[ephemeral]` node's output.
struct Conn(u64);

#[node]
async fn sw_page(n: u64, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    n + 100
}

#[node]
async fn sw_step(x: u64, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    step(x)
}

#[node]
async fn sw_connect(x: u64, visits: Res<Visits>, ctx: &Context) -> Conn {
    visits.visit(ctx).await;
    Conn(x % 5)
}

#[node]
async fn sw_html(a: u64, b: u64, conn: Conn, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    a + b * 7 + conn.0
}

#[node]
async fn sw_list(n: u64, after: u64, visits: Res<Visits>, ctx: &Context) -> Vec<u64> {
    visits.visit(ctx).await;
    let _ = after;
    (0..n).collect()
}

#[node]
async fn sw_done(html: u64, ys: Vec<SwRenderOutput>, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    html + ys.iter().map(|y| y.html).sum::<u64>()
}

#[node]
async fn sw_sum(ys: Vec<SwRenderOutput>, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    ys.iter().map(|y| y.html).sum()
}

fn step(x: u64) -> u64 {
    x * 3 + 1
}

workflow! {
    /// A sub-workflow's sub-workflow: one node.
    #[workflow(durable)]
    pub(crate) struct SwHead {
        input x: u64,
        #[output]
        title = sw_step(x: x),
    }
}

workflow! {
    /// A chain `layout → head (a sub-workflow) → body → html`, with an ephemeral handle
    /// feeding `html`.
    #[workflow(durable)]
    pub(crate) struct SwRender {
        input page: u64,
        layout = sw_step(x: page),
        head = SwHead(x: layout),
        body = sw_step(x: head.title),
        #[ephemeral]
        conn = sw_connect(x: page),
        #[output]
        html = sw_html(a: layout, b: body, conn: conn),
    }
}

/// What `SwRender` returns for `page`.
fn html(page: u64) -> u64 {
    let layout = step(page);
    let body = step(step(layout));
    layout + body * 7 + page % 5
}

workflow! {
    /// A sub-workflow at the top, then a fan-out (one item at a time) whose items call
    /// it too; the list waits for the first sub-workflow, so a kill inside it finds no
    /// item started.
    #[workflow(durable)]
    struct Site {
        input n: u64,
        page = sw_page(n: n),
        report = SwRender(page: page),
        xs = sw_list(n: n, after: report.html),
        #[concurrency = 1]
        ys = for x in xs {
            r = SwRender(page: x),
        } => r,
        #[output]
        done = sw_done(html: report.html, ys: ys),
    }
}

/// What an uninterrupted run of `Site` over `n` returns.
fn site_done(n: u64) -> u64 {
    html(n + 100) + (0..n).map(html).sum::<u64>()
}

/// The paths of `SwRender`'s nodes at `at` (`report`, `ys[1].r`), the ephemeral `conn`
/// and the nested sub-workflow's node included.
fn render_nodes(at: &str) -> Vec<String> {
    ["layout", "head.title", "conn", "body", "html"]
        .iter()
        .map(|n| format!("{at}.{n}"))
        .collect()
}

/// The rows an ended `SwRender` at `at` leaves: every node's but `conn`'s, the nested
/// sub-workflow's own value (`head`), and the sub-workflow's value (`at`).
fn render_rows(at: &str) -> Vec<String> {
    ["layout", "head.title", "head", "body", "html"]
        .iter()
        .map(|n| format!("{at}.{n}"))
        .chain([at.to_owned()])
        .collect()
}

fn runtime(store: Arc<dyn Store>, visits: Visits) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new("subworkflows"))
        .keep_records(true)
        .resource(visits)
        .build()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// `path` and the paths above it (`ys[1].r.head` → `ys`, `ys[1]`, `ys[1].r`, itself).
fn above(path: &str) -> Vec<&str> {
    path.match_indices(['.', '['])
        .map(|(i, _)| &path[..i])
        .chain([path])
        .collect()
}

// ---- Killed inside a sub-workflow, across processes ----

const CHILD_ENV: &str = "WORKFLOW_SUBWORKFLOWS_CHILD";
const ITEMS: u64 = 3;
const TEST_NAME: &str =
    "subworkflows::a_run_killed_inside_a_sub_workflow_resumes_its_unfinished_nodes_only";

/// The rows committed when the child aborts inside `kill`: everything that finished
/// before it (the run is a chain there: the list waits for `report`, items go one by
/// one, and `html` is the last node of a `SwRender`).
fn rows_at(kill: &str) -> Vec<String> {
    let at = kill.strip_suffix(".html").unwrap();
    let mut rows = vec!["page".to_owned()];
    if at != "report" {
        rows.extend(render_rows("report"));
        rows.push("xs".into());
        let item: u64 = at["ys[".len()..at.len() - "].r".len()].parse().unwrap();
        for i in 0..item {
            rows.extend(render_rows(&format!("ys[{i}].r")));
        }
    }
    // The killed sub-workflow's nodes before `html` (`conn` is never recorded).
    rows.extend(
        render_rows(at)
            .into_iter()
            .filter(|r| !r.ends_with(".html") && *r != at),
    );
    rows
}

/// In the child: run `Site` durably on the database and abort inside `kill` once the
/// rows before it are committed.
fn child(spec: &str) {
    let mut parts = spec.split('|');
    let (db, file, kill) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).unwrap());
    let visits = Visits {
        file: Some(file.into()),
        abort_at: Some(kill.into()),
        wait_for: rows_at(kill),
        store: Some(Arc::clone(&store)),
        ..Visits::default()
    };
    let rt = runtime(store, visits);
    let result = block_on(rt.start_durable(Site, SiteInput { n: ITEMS }, Some("site")));
    panic!("{kill} should have aborted the process: {:?}", result.err());
}

/// Runs `Site` in a child process that aborts inside `kill`, resumes it here, and
/// checks executions, outputs and rows.
fn crash_and_resume(kill: &str) {
    let dir = TempDir::new("subworkflows-kill");
    let (db, child_file) = (dir.file("runs.db"), dir.file("child"));
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--test-threads=1"])
        .env(
            CHILD_ENV,
            format!("{}|{}|{kill}", db.display(), child_file.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "{kill}: the child aborted");

    let rt = runtime(Arc::new(SqliteStore::open(&db).unwrap()), Visits::default());
    let (before, run, after) = block_on(async {
        let store = rt.store().unwrap();
        let runs = store.list_runs(RunFilter::default()).await.unwrap();
        assert_eq!(runs.len(), 1);
        let before = paths(store, runs[0].id).await;
        // The same key: the unfinished run is resumed (its owner is this runtime's).
        let run = rt
            .start_durable(Site, SiteInput { n: ITEMS }, Some("site"))
            .await
            .unwrap();
        let after = paths(store, run.run_id).await;
        (before, run, after)
    });
    assert_eq!(run.outputs.done, site_done(ITEMS), "{kill}");

    // At the abort, the store held exactly the rows of the nodes that had finished: the
    // killed sub-workflow's are there node by node, not its value.
    let want: BTreeSet<String> = rows_at(kill).into_iter().collect();
    assert_eq!(before, want, "{kill}: rows at the abort");

    // Every node ran exactly once in all, but the killed node and the ephemeral handle
    // it needs (once in the child, once in the parent). A node is covered by its own
    // row or one above it (`report` covers `report.conn`, a restored `report.head`
    // covers `report.head.title`): covered nodes ran in the child only.
    let child = file_counts(&child_file);
    let parent = rt.resource::<Visits>().unwrap().counts();
    let at = kill.strip_suffix(".html").unwrap();
    let covered = |path: &str| above(path).iter().any(|p| before.contains(*p));
    let mut all: Vec<String> = vec!["page".into(), "xs".into(), "done".into()];
    all.extend(render_nodes("report"));
    for i in 0..ITEMS {
        all.extend(render_nodes(&format!("ys[{i}].r")));
    }
    for path in &all {
        let (c, p) = (
            child.get(path).copied().unwrap_or(0),
            parent.get(path).copied().unwrap_or(0),
        );
        if covered(path) {
            assert_eq!(
                (c, p),
                (1, 0),
                "{kill}: {path} was recorded, so it ran once"
            );
        } else if path == kill || *path == format!("{at}.conn") {
            assert_eq!((c, p), (1, 1), "{kill}: {path} ran in the child, and again");
        } else {
            assert_eq!((c, p), (0, 1), "{kill}: {path} had not run: it runs once");
        }
    }
    // Reported restored: each row nothing above it covers (the rows under a restored
    // node are not read).
    let mut restored: Vec<&str> = run.restored();
    restored.sort_unstable();
    let want: Vec<&str> = before
        .iter()
        .map(String::as_str)
        .filter(|row| above(row).iter().all(|p| p == row || !before.contains(*p)))
        .collect();
    assert_eq!(restored, want, "{kill}: restored");
    assert!(
        !before.contains(at),
        "{kill}: the killed sub-workflow ran again, from its rows"
    );

    // The resumed run recorded the rest: every node's row, no ephemeral one.
    let mut want: BTreeSet<String> = ["page", "xs", "ys", "done"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    want.extend(render_rows("report"));
    for i in 0..ITEMS {
        want.extend(render_rows(&format!("ys[{i}].r")));
    }
    assert_eq!(after, want, "{kill}: rows after the resume");
}

#[test]
fn a_run_killed_inside_a_sub_workflow_resumes_its_unfinished_nodes_only() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    // At the top, and inside a fan-out's item after an item that ended.
    crash_and_resume("report.html");
    crash_and_resume("ys[1].r.html");
}

// ---- In process, over every store ----

/// A run of `workflow` (its `fingerprint`) over `n` whose owner died, with `rows`
/// recorded.
async fn interrupted(
    store: &Arc<dyn Store>,
    workflow: &str,
    fingerprint: &str,
    n: u64,
    rows: &[(&str, u64)],
) -> RunId {
    crate::durable::dead_run_over(store, workflow, fingerprint, n, |run| {
        rows.iter()
            .map(|(path, value)| {
                Record::Output(
                    RecordedOutput::encode(run, path.parse().unwrap(), 1, value).unwrap(),
                )
            })
            .collect()
    })
    .await
}

/// What a run of `Site` records: `report`'s entry carries its sub-workflow's shape.
static SITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(workflow_core::__private::durable_fingerprint::<Site>);

/// Resumes `run` of `Site` over `n` on `store`; returns the outputs' `done`, the
/// restored nodes (sorted) and the nodes that ran.
async fn resume_site(store: &Arc<dyn Store>, run: RunId) -> (u64, Vec<String>, Vec<String>) {
    let rt = runtime(Arc::clone(store), Visits::default());
    let result = rt.resume(Site, run).await.unwrap();
    let mut restored: Vec<String> = result.restored().into_iter().map(String::from).collect();
    restored.sort_unstable();
    let counts = rt.resource::<Visits>().unwrap().counts();
    assert!(counts.values().all(|&c| c == 1), "{counts:?}");
    (result.outputs.done, restored, counts.into_keys().collect())
}

/// The nodes a run of `Site` over `n` executes, but `skip`.
fn site_nodes_but(n: u64, skip: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = vec!["page".into(), "xs".into(), "done".into()];
    all.extend(render_nodes("report"));
    for i in 0..n {
        all.extend(render_nodes(&format!("ys[{i}].r")));
    }
    all.retain(|p| !skip.contains(&p.as_str()));
    all.sort_unstable();
    all
}

#[tokio::test]
async fn recorded_nodes_of_a_sub_workflow_are_restored_and_only_the_rest_run() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("subworkflows", &clock).await {
        // `report` died after its nested `head`'s node was recorded, but not `head`
        // itself: `head` runs again and restores its node; `body`, downstream of a node
        // that runs again, runs again too (its row is not trusted, as in a fan-out).
        let page = 102;
        let layout = step(page);
        let title = step(layout);
        let rows = [
            ("page", page),
            ("report.layout", layout),
            ("report.head.title", title),
            ("report.body", step(title)),
        ];
        let run = interrupted(&store, "Site", &SITE, 2, &rows).await;
        clock.advance(Duration::from_secs(11));
        let (done, restored, ran) = resume_site(&store, run).await;
        assert_eq!(done, site_done(2), "{kind}");
        assert_eq!(
            restored,
            ["page", "report.head.title", "report.layout"],
            "{kind}"
        );
        assert_eq!(
            ran,
            site_nodes_but(2, &["page", "report.layout", "report.head.title"]),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn sub_workflow_rows_are_not_restored_when_something_upstream_runs_again() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("subworkflows_upstream", &clock).await {
        // `page` has no row: it runs again, and `report`'s rows were computed from the
        // value it returned then (999 here: restoring it would change the output).
        let rows = [("report.layout", 999), ("report.head.title", 999)];
        let run = interrupted(&store, "Site", &SITE, 1, &rows).await;
        clock.advance(Duration::from_secs(11));
        let (done, restored, ran) = resume_site(&store, run).await;
        assert_eq!(done, site_done(1), "{kind}");
        assert!(restored.is_empty(), "{kind}: {restored:?}");
        assert_eq!(ran, site_nodes_but(1, &[]), "{kind}");
    }
}

#[tokio::test]
async fn sub_workflow_rows_are_not_restored_when_the_graph_changed_at_it() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    // The run started when `report` read another node: it changed, so it runs again
    // and its rows go (the resume moves the run to the current graph).
    let old = SITE.replace("report=SwRender(page<-page)", "report=SwRender(page<-n)");
    assert_ne!(
        old, *SITE,
        "the fingerprint names `report`'s entry: {}",
        *SITE
    );
    for (kind, store) in clocked_stores("subworkflows_changed", &clock).await {
        let rows = [("page", 101), ("report.layout", 999), ("report.body", 999)];
        let run = interrupted(&store, "Site", &old, 1, &rows).await;
        clock.advance(Duration::from_secs(11));
        let (done, restored, ran) = resume_site(&store, run).await;
        assert_eq!(done, site_done(1), "{kind}");
        assert_eq!(restored, ["page"], "{kind}");
        assert_eq!(ran, site_nodes_but(1, &["page"]), "{kind}");
    }
}

#[tokio::test]
async fn sub_workflow_rows_are_not_restored_when_the_sub_workflow_itself_changed() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    // The run started when `SwRender` was another graph (another node fn, arm or node):
    // its entry reads the same (`report=SwRender(page<-page)`), but the hash of its
    // shape after it differs, so `report` runs again as a whole and its rows go (its
    // old nodes' values may be ones the current graph would not compute: trial31 saw a
    // restored row of an arm the new router did not take).
    let entry = SITE
        .split(';')
        .find(|e| e.starts_with("report="))
        .expect("report's entry")
        .to_owned();
    let (text, hash) = entry
        .split_once('#')
        .expect("a sub-workflow's entry has its shape's hash");
    assert_eq!(hash.len(), 16, "{entry}");
    let old = SITE.replace(&entry, &format!("{text}#0123456789abcdef"));
    assert_ne!(old, *SITE);
    for (kind, store) in clocked_stores("subworkflows_shape", &clock).await {
        let layout = step(101);
        let rows = [
            ("page", 101),
            ("report.layout", layout),
            ("report.body", 999),
        ];
        let run = interrupted(&store, "Site", &old, 1, &rows).await;
        clock.advance(Duration::from_secs(11));
        let (done, restored, ran) = resume_site(&store, run).await;
        assert_eq!(done, site_done(1), "{kind}");
        assert_eq!(restored, ["page"], "{kind}");
        assert_eq!(ran, site_nodes_but(1, &["page"]), "{kind}");
    }
}

/// The hash in a sub-workflow's entry follows its graph: `SwHead` (one node) and
/// `SwRender` (which runs `SwHead` and more) differ, and it is the same for each run.
#[test]
fn a_sub_workflows_shape_hash_tells_graphs_apart() {
    let hash_of = |fingerprint: &str, binding: &str| {
        fingerprint
            .split(';')
            .find(|e| e.starts_with(&format!("{binding}=")))
            .and_then(|e| e.split_once('#'))
            .map(|(_, h)| h.to_owned())
            .unwrap_or_else(|| panic!("no hash for {binding} in {fingerprint}"))
    };
    let render = hash_of(&SITE, "report");
    let head = hash_of(
        &workflow_core::__private::durable_fingerprint::<SwRender>(),
        "head",
    );
    assert_ne!(render, head);
    assert_eq!(
        render,
        hash_of(
            &workflow_core::__private::durable_fingerprint::<Site>(),
            "report"
        )
    );
}

#[tokio::test]
async fn a_stale_row_in_a_sub_workflow_is_not_restored() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("subworkflows_stale", &clock).await {
        let run = interrupted(&store, "Site", &SITE, 1, &[("page", 101)]).await;
        // `report.layout` recorded as text by older code: another output type, so it
        // runs again, and so does everything downstream of it in the sub-workflow;
        // `report.conn`'s sibling rows upstream-independent of it do not exist here.
        let lease = store
            .claim_run(run, &OwnerId::new("dead"), Duration::from_secs(10))
            .await
            .unwrap();
        let stale =
            RecordedOutput::encode(run, "report.layout".parse().unwrap(), 1, &"old").unwrap();
        let body = RecordedOutput::encode(run, "report.body".parse().unwrap(), 1, &999u64).unwrap();
        store
            .record_all(
                &lease.lease,
                vec![Record::Output(stale), Record::Output(body)],
            )
            .await
            .unwrap();
        clock.advance(Duration::from_secs(11));
        let (done, restored, ran) = resume_site(&store, run).await;
        assert_eq!(done, site_done(1), "{kind}");
        assert_eq!(restored, ["page"], "{kind}");
        assert_eq!(ran, site_nodes_but(1, &["page"]), "{kind}");
    }
}

workflow! {
    /// Items that compute a page, then call a sub-workflow on it.
    #[workflow(durable)]
    struct Pages {
        input n: u64,
        xs = sw_list(n: n, after: n),
        ys = for x in xs {
            a = sw_step(x: x),
            r = SwRender(page: a),
        } => r,
        #[output]
        sum = sw_sum(ys: ys),
    }
}

#[tokio::test]
async fn an_items_sub_workflow_rows_follow_the_items_own_rows() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    let fingerprint = &workflow_core::__private::durable_fingerprint::<Pages>();
    for (kind, store) in clocked_stores("subworkflows_items", &clock).await {
        // Item 0: `a` has no row, so its sub-workflow's rows (999) are not trusted.
        // Item 1: `a` and the sub-workflow's `layout` are restored, the rest runs.
        let xs: Vec<u64> = vec![0, 1];
        let a1 = step(1);
        let rows = [
            ("ys[0].r.layout", 999),
            ("ys[0].r.head.title", 999),
            ("ys[1].a", a1),
            ("ys[1].r.layout", step(a1)),
        ];
        let run = interrupted(&store, "Pages", fingerprint, 2, &rows).await;
        let lease = store
            .claim_run(run, &OwnerId::new("dead"), Duration::from_secs(10))
            .await
            .unwrap();
        let list = RecordedOutput::encode(run, "xs".parse().unwrap(), 1, &xs).unwrap();
        store
            .record_all(&lease.lease, vec![Record::Output(list)])
            .await
            .unwrap();
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Visits::default());
        let result = rt.resume(Pages, run).await.unwrap();
        assert_eq!(
            result.outputs.sum,
            html(step(0)) + html(step(1)),
            "{kind}: restoring item 0's rows would have changed it"
        );
        let mut restored = result.restored();
        restored.sort_unstable();
        assert_eq!(restored, ["xs", "ys[1].a", "ys[1].r.layout"], "{kind}");
        let counts = rt.resource::<Visits>().unwrap().counts();
        assert!(counts.values().all(|&c| c == 1), "{kind}: {counts:?}");
        let mut want: Vec<String> = vec!["sum".into(), "ys[0].a".into()];
        want.extend(render_nodes("ys[0].r"));
        want.extend(
            render_nodes("ys[1].r")
                .into_iter()
                .filter(|p| p != "ys[1].r.layout"),
        );
        want.sort_unstable();
        let ran: Vec<String> = counts.into_keys().collect();
        assert_eq!(ran, want, "{kind}");
    }
}

// ---- Recorded as a whole ----

workflow! {
    /// Not durable: its values need not be serializable.
    pub(crate) struct SwPlain {
        input x: u64,
        #[output]
        y = sw_step(x: x),
    }
}

workflow! {
    /// Durable, with a run timeout: it runs as a whole child run.
    #[workflow(durable, timeout = "1h")]
    pub(crate) struct SwTimed {
        input x: u64,
        #[output]
        y = sw_step(x: x),
    }
}

#[node]
async fn sw_add(a: u64, b: u64) -> u64 {
    a + b
}

workflow! {
    /// A plain sub-workflow (ephemeral: its output cannot be recorded) and a durable
    /// one with policies of its own.
    #[workflow(durable)]
    struct Wholes {
        input n: u64,
        #[ephemeral]
        plain = SwPlain(x: n),
        timed = SwTimed(x: n),
        #[output]
        out = sw_add(a: plain.y, b: timed.y),
    }
}

#[tokio::test]
async fn a_plain_or_policied_sub_workflow_is_recorded_as_a_whole() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let rt = runtime(Arc::clone(&store), Visits::default());
    let run = rt
        .start_durable(Wholes, WholesInput { n: 4 }, None)
        .await
        .unwrap();
    assert_eq!(run.outputs.out, 2 * step(4));
    let rows = paths(&store, run.run_id).await;
    let want: BTreeSet<String> = ["timed", "out"].iter().map(|s| s.to_string()).collect();
    assert_eq!(
        rows, want,
        "no row of their nodes, none of the ephemeral one"
    );
    let counts = rt.resource::<Visits>().unwrap().counts();
    assert_eq!(counts.get("plain.y"), Some(&1));
    assert_eq!(counts.get("timed.y"), Some(&1));
}

#[tokio::test]
async fn sub_workflow_rows_are_restored_when_the_graph_changed_elsewhere() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    // The run started when `done` read the list instead of the fan-out: `done` changed,
    // but nothing `report` reads from did, so its rows are restored and kept (the
    // rebase drops only the rows of what runs again).
    let old = SITE.replace("ys<-ys", "ys<-xs");
    assert_ne!(
        old, *SITE,
        "the fingerprint names `done`'s entry: {}",
        *SITE
    );
    for (kind, store) in clocked_stores("subworkflows_elsewhere", &clock).await {
        let layout = step(101);
        let rows = [("page", 101), ("report.layout", layout)];
        let run = interrupted(&store, "Site", &old, 1, &rows).await;
        clock.advance(Duration::from_secs(11));
        let (done, restored, ran) = resume_site(&store, run).await;
        assert_eq!(done, site_done(1), "{kind}");
        assert_eq!(restored, ["page", "report.layout"], "{kind}");
        assert_eq!(ran, site_nodes_but(1, &["page", "report.layout"]), "{kind}");
        let rows = paths(&store, run).await;
        assert!(rows.contains("report.layout"), "{kind}: {rows:?}");
    }
}
