//! What only the Postgres store must show: a server that becomes unreachable in the middle
//! of a run gives clear errors naming the run and node, loses nothing already recorded,
//! and the store (and a durable run through the runtime) carries on once the server is
//! back; concurrent runs' creates and finishes share commits and fail alone; a schema
//! holding someone else's `workflow_runs` or written by a newer version is refused (the
//! Postgres side of SQLite's foreign and newer database files), and unreadable rows name
//! their run.
//!
//! The server is reached through a TCP proxy on 127.0.0.1 that the test cuts and restores.
//! Needs `WORKFLOW_TEST_POSTGRES_URL` (in `key=value` form, as `.ci/run` sets it); skipped
//! without it unless `WORKFLOW_REQUIRE_POSTGRES=1`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use workflow_core::store::{
    encode, CreatedRun, GraphFingerprint, NewRun, NodePath, OwnerId, PostgresStore, Record,
    RecordedOutput, Retention, RunFilter, RunOutcome, RunStatus, Store, StoreError,
};

use crate::support::postgres_url;

fn server_config() -> Option<tokio_postgres::Config> {
    postgres_url("store tests").map(|url| url.parse().expect("a valid connection string"))
}

/// Forwards connections on `listen` to `server` until aborted (which closes every
/// forwarded connection too).
fn proxy(listener: TcpListener, server: SocketAddr) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            connections.spawn(async move {
                if let Ok(mut upstream) = tokio::net::TcpStream::connect(server).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    })
}

fn output(run: workflow_core::store::RunId, path: &str, value: u32) -> Record {
    let path: NodePath = path.parse().unwrap();
    Record::Output(RecordedOutput::encode(run, path, 1, &value).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_clear_error_and_loses_nothing() {
    let Some(config) = server_config() else {
        return;
    };
    let server_port = config.get_ports().first().copied().unwrap_or(5432);
    let server: SocketAddr = ([127, 0, 0, 1], server_port).into();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    let mut running = proxy(listener, server);
    let via_proxy = format!(
        "host=127.0.0.1 port={} user={} dbname={}",
        proxy_addr.port(),
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or("postgres"),
    );

    let schema = "wf_test_unreachable";
    PostgresStore::drop_schema(&via_proxy, schema)
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::builder(&via_proxy)
            .schema(schema)
            .connect()
            .await
            .unwrap(),
    );
    let CreatedRun::New(claimed) = store
        .create_run(NewRun {
            workflow: "etl".into(),
            fingerprint: GraphFingerprint("fp".into()),
            input: encode(&1u8, None, "input").unwrap(),
            idempotency_key: None,
            owner: OwnerId::new("a"),
            lease: Duration::from_secs(60),
        })
        .await
        .unwrap()
    else {
        panic!("a fresh schema")
    };
    let (lease, run) = (claimed.lease, claimed.run.id);
    store.record(&lease, output(run, "page", 1)).await.unwrap();

    // The server goes away mid-run.
    running.abort();
    let _ = running.await;
    let node: NodePath = "thumbs[2].img".parse().unwrap();
    let err = store
        .record(&lease, output(run, node.as_str(), 2))
        .await
        .expect_err("a record with the server unreachable");
    assert!(
        matches!(
            err,
            StoreError::Unavailable { .. } | StoreError::Backend { .. }
        ),
        "{err}"
    );
    assert_eq!(err.run(), Some(run), "{err}");
    assert_eq!(err.node(), Some(node.clone()), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("node `thumbs[2].img` of run {run}")),
        "{text}"
    );
    // Reads fail as clearly; nothing panics, nothing hangs.
    let err = store
        .load_run(run)
        .await
        .expect_err("a load with the server unreachable");
    assert_eq!(err.run(), Some(run), "{err}");

    // The server is back (same address): the store reconnects, the earlier row is intact,
    // and the run goes on.
    let listener = TcpListener::bind(proxy_addr).await.unwrap();
    running = proxy(listener, server);
    store
        .record(&lease, output(run, node.as_str(), 3))
        .await
        .unwrap();
    let state = store.load_run(run).await.unwrap();
    let values: Vec<(String, u32)> = state
        .outputs
        .iter()
        .map(|o| (o.path.to_string(), o.decode(run).unwrap()))
        .collect();
    assert_eq!(
        values,
        [("page".to_owned(), 1), ("thumbs[2].img".to_owned(), 3)]
    );
    PostgresStore::drop_schema(&via_proxy, schema)
        .await
        .unwrap();
    running.abort();
}

/// Runs `sql` on the test server (outside any store).
pub(crate) async fn raw(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = driver.await;
}

/// The Postgres side of "a foreign database": a schema whose `workflow_runs` table
/// belongs to something else is refused, naming where, and left as it was.
#[tokio::test]
async fn a_foreign_schema_is_a_clear_error() {
    let Some(url) = postgres_url("store case `foreign schema`") else {
        return;
    };
    let schema = "wf_test_foreign";
    raw(
        &url,
        &format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
             CREATE TABLE {schema}.workflow_runs (id INT, customer TEXT); \
             INSERT INTO {schema}.workflow_runs VALUES (1, 'kept')"
        ),
    )
    .await;
    let err = PostgresStore::builder(&url)
        .schema(schema)
        .connect()
        .await
        .expect_err("a foreign table");
    let StoreError::Schema { location, reason } = &err else {
        panic!("{err:?}")
    };
    assert!(location.contains(schema), "{err}");
    assert!(reason.contains("belongs to something else"), "{err}");
    // Nothing of theirs was touched.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let kept: String = client
        .query_one(&format!("SELECT customer FROM {schema}.workflow_runs"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, "kept");
    drop(client);
    let _ = driver.await;
    PostgresStore::drop_schema(&url, schema).await.unwrap();
}

/// A schema written by a newer version of the store is refused, not misread.
#[tokio::test]
async fn a_schema_from_a_newer_version_is_a_clear_error() {
    let Some(url) = postgres_url("store case `newer schema`") else {
        return;
    };
    let schema = "wf_test_newer";
    PostgresStore::drop_schema(&url, schema).await.unwrap();
    drop(
        PostgresStore::builder(&url)
            .schema(schema)
            .connect()
            .await
            .unwrap(),
    );
    raw(
        &url,
        &format!(
            "UPDATE {schema}.workflow_store_meta SET value = '99' WHERE key = 'schema_version'"
        ),
    )
    .await;
    let err = PostgresStore::builder(&url)
        .schema(schema)
        .connect()
        .await
        .expect_err("a newer schema");
    let StoreError::Schema { location, reason } = &err else {
        panic!("{err:?}")
    };
    assert!(location.contains(schema), "{err}");
    assert!(reason.contains("newer version"), "{err}");
    PostgresStore::drop_schema(&url, schema).await.unwrap();
}

/// A schema written by version 1 (before retries) is migrated on connect: its failed runs
/// can be retried, their rows intact.
#[tokio::test]
async fn a_schema_1_store_is_migrated_and_its_failed_runs_retried() {
    let Some(url) = postgres_url("store case `schema 1`") else {
        return;
    };
    let schema = "wf_test_schema1";
    PostgresStore::drop_schema(&url, schema).await.unwrap();
    let store = PostgresStore::builder(&url)
        .schema(schema)
        .connect()
        .await
        .unwrap();
    let new = NewRun {
        workflow: "etl".into(),
        fingerprint: GraphFingerprint("fp".into()),
        input: encode(&0u8, None, "input").unwrap(),
        idempotency_key: None,
        owner: OwnerId::new("a"),
        lease: Duration::from_secs(30),
    };
    let CreatedRun::New(claimed) = store.create_run(new).await.unwrap() else {
        panic!("a new run")
    };
    let run = claimed.run.id;
    let first = RecordedOutput::encode(run, NodePath::new("first").unwrap(), 1, &1u32).unwrap();
    store
        .record(&claimed.lease, Record::Output(first))
        .await
        .unwrap();
    let failed = RunOutcome::Failed {
        error: "second: refused".into(),
    };
    store
        .finish_run(&claimed.lease, failed, Retention::DeleteOnSuccess)
        .await
        .unwrap();
    drop(store);
    // What schema 1 had: no attempts table.
    raw(
        &url,
        &format!(
            "DROP TABLE {schema}.workflow_run_attempts; \
             UPDATE {schema}.workflow_store_meta SET value = '1' WHERE key = 'schema_version'"
        ),
    )
    .await;
    let store = PostgresStore::builder(&url)
        .schema(schema)
        .connect()
        .await
        .unwrap();
    let claimed = store
        .retry_run(run, "etl", &OwnerId::new("b"), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        (claimed.run.status, claimed.run.claims),
        (RunStatus::Running, 2)
    );
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.outputs.len(), 1);
    assert_eq!(state.attempts.len(), 1);
    assert_eq!(state.attempts[0].error, "second: refused");
    drop(store);
    PostgresStore::drop_schema(&url, schema).await.unwrap();
}

/// Run rows written by concurrent runs share transactions (group commit across runs),
/// and an operation that fails inside a shared transaction rolls back alone: a create
/// the server rejects (a NUL in the workflow's name, which `TEXT` cannot hold) and
/// finishes under a lease another owner holds fail; every other operation of their
/// batches is kept and answered with its own result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_run_writes_share_commits_and_fail_alone() {
    const RUNS: usize = 300;
    const BAD: usize = 150;
    let Some(url) = postgres_url("store case `shared commits`") else {
        return;
    };
    let schema = "wf_test_shared_commits";
    PostgresStore::drop_schema(&url, schema).await.unwrap();
    let store = PostgresStore::builder(&url)
        .schema(schema)
        .connect()
        .await
        .unwrap();
    let before = store.stats().commits;
    let creates = (0..RUNS).map(|i| {
        let workflow = if i == BAD { "bad\0name" } else { "etl" };
        store.create_run(NewRun {
            workflow: workflow.into(),
            fingerprint: GraphFingerprint("fp".into()),
            input: encode(&i, None, "input").unwrap(),
            idempotency_key: Some(format!("run-{i}")),
            owner: OwnerId::new("owner"),
            lease: Duration::from_secs(60),
        })
    });
    let mut created = Vec::new();
    for (i, result) in futures::future::join_all(creates)
        .await
        .into_iter()
        .enumerate()
    {
        match result {
            Ok(CreatedRun::New(claimed)) if i != BAD => created.push(claimed.lease),
            Err(StoreError::Backend { .. }) if i == BAD => {}
            other => panic!("create {i}: {other:?}"),
        }
    }
    let commits = store.stats().commits - before;
    assert!(
        commits * 10 <= RUNS as u64,
        "{RUNS} concurrent run creations took {commits} commits"
    );

    // Finish every run at once, every other one with a lease of another owner (refused).
    let finishes = created.iter().enumerate().map(|(i, lease)| {
        let mut lease = lease.clone();
        if i % 2 == 1 {
            lease.owner = OwnerId::new("intruder");
        }
        let store = &store;
        async move {
            let outcome = RunOutcome::Succeeded { output: None };
            (i, store.finish_run(&lease, outcome, Retention::Keep).await)
        }
    });
    let before = store.stats().commits;
    for (i, result) in futures::future::join_all(finishes).await {
        if i % 2 == 1 {
            assert!(
                matches!(result, Err(StoreError::LeaseLost { .. })),
                "{i}: {result:?}"
            );
        } else {
            assert_eq!(result.unwrap().status, RunStatus::Succeeded, "{i}");
        }
    }
    let commits = store.stats().commits - before;
    assert!(
        commits * 10 <= created.len() as u64,
        "{} concurrent finishes took {commits} commits",
        created.len()
    );
    for (i, lease) in created.iter().enumerate() {
        let expected = if i % 2 == 1 {
            RunStatus::Running
        } else {
            RunStatus::Succeeded
        };
        let status = store.get_run(lease.run).await.unwrap().status;
        assert_eq!(status, expected, "{i}");
    }
    let all = store.list_runs(RunFilter::default()).await.unwrap();
    assert_eq!(all.len(), RUNS - 1, "the rejected create left no row");
    PostgresStore::drop_schema(&url, schema).await.unwrap();
}

/// Rows whose columns no longer read (a path that does not parse, a status this build
/// does not know: hand edits, or another writer) are an error naming the run, not a panic.
#[tokio::test]
async fn an_unreadable_row_is_an_error_naming_the_run() {
    let Some(url) = postgres_url("store case `unreadable rows`") else {
        return;
    };
    let schema = "wf_test_unreadable_rows";
    PostgresStore::drop_schema(&url, schema).await.unwrap();
    let store = PostgresStore::builder(&url)
        .schema(schema)
        .connect()
        .await
        .unwrap();
    let CreatedRun::New(claimed) = store
        .create_run(NewRun {
            workflow: "etl".into(),
            fingerprint: GraphFingerprint("fp".into()),
            input: encode(&1u8, None, "input").unwrap(),
            idempotency_key: None,
            owner: OwnerId::new("a"),
            lease: Duration::from_secs(60),
        })
        .await
        .unwrap()
    else {
        panic!("a fresh schema")
    };
    let run = claimed.run.id;
    store
        .record(&claimed.lease, output(run, "thumbs[2].img", 1))
        .await
        .unwrap();
    raw(
        &url,
        &format!("UPDATE {schema}.workflow_node_outputs SET path = 'thumbs[2.img'"),
    )
    .await;
    let err = store.load_run(run).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::CorruptRow { run: r, reason } if *r == run && reason.contains("thumbs[2.img")),
        "{err:?}"
    );
    assert!(err.to_string().contains(&format!("run {run}")), "{err}");
    raw(
        &url,
        &format!("UPDATE {schema}.workflow_runs SET status = 'zombie'"),
    )
    .await;
    let err = store.get_run(run).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::CorruptRow { run: r, reason } if *r == run && reason.contains("zombie")),
        "{err:?}"
    );
    PostgresStore::drop_schema(&url, schema).await.unwrap();
}

/// Opens the gate node: set by the test once the server is cut off.
#[derive(Default)]
pub(crate) struct Gate(tokio::sync::Notify);

#[workflow_core::node]
async fn gate_first(n: u64) -> u64 {
    n + 1
}

#[workflow_core::node]
async fn gate_wait(x: u64, gate: workflow_core::Res<Gate>) -> u64 {
    gate.0.notified().await;
    x * 10
}

workflow_core::workflow! {
    #[workflow(durable)]
    pub(crate) struct Gated {
        input n: u64,
        a = gate_first(n),
        b = gate_wait(x: a),
    }
}

/// A durable run whose server becomes unreachable while a node runs: the run stops with
/// an error naming the run and that node, the row recorded before stays, and once the
/// server is back the same run resumes from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_server_goes_away_stops_naming_the_node_and_resumes() {
    use workflow_core::prelude::*;
    let Some(config) = server_config() else {
        return;
    };
    let server_port = config.get_ports().first().copied().unwrap_or(5432);
    let server: SocketAddr = ([127, 0, 0, 1], server_port).into();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    let mut running = proxy(listener, server);
    let (user, db) = (
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or("postgres"),
    );
    let via_proxy = format!(
        "host=127.0.0.1 port={} user={user} dbname={db}",
        proxy_addr.port()
    );
    let direct = format!("host=127.0.0.1 port={server_port} user={user} dbname={db}");
    let schema = "wf_test_gone_mid_run";
    PostgresStore::drop_schema(&direct, schema).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::builder(&via_proxy)
            .schema(schema)
            .connect()
            .await
            .unwrap(),
    );
    let watcher = PostgresStore::builder(&direct)
        .schema(schema)
        .connect()
        .await
        .unwrap();
    let rt = Runtime::builder()
        .store_arc(Arc::clone(&store))
        .owner(OwnerId::new("test"))
        .resource(Gate::default())
        .build();
    let started = rt.start_durable(Gated, GatedInput { n: 4 }, None);
    let cut = async {
        // `b` waits at the gate until `a`'s row is committed; then the server goes away.
        loop {
            if let Some(run) = watcher
                .list_runs(RunFilter::default())
                .await
                .unwrap()
                .first()
            {
                if !watcher.load_run(run.id).await.unwrap().outputs.is_empty() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        running.abort();
        let _ = (&mut running).await;
        rt.resource::<Gate>().unwrap().0.notify_one();
    };
    let (result, ()) = tokio::join!(started, cut);
    let err = result.expect_err("the server went away mid-run");
    let WorkflowError::Store { run, node, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(node.as_deref(), Some("b"), "{err}");
    let run = workflow_core::store::RunId(*run);
    // The run and the node named once, by the run's error (the store's said ".. for
    // node `b` of run 1: .." after it), and the chain (`{:#}`) repeats no cause.
    let text = err.to_string();
    let head = format!(
        "durable run {run} of workflow `{}`, node `b`: store ",
        err.workflow()
    );
    assert!(text.starts_with(&head), "{text}");
    assert_eq!(text.matches(&format!("run {run}")).count(), 1, "{text}");
    assert_eq!(text.matches("`b`").count(), 1, "{text}");
    let mut printed = text.clone();
    let mut cause = std::error::Error::source(&err);
    while let Some(c) = cause {
        let said = c.to_string();
        assert!(
            !printed.contains(&said),
            "`{said}` printed twice, after {printed}"
        );
        printed.push_str(&said);
        cause = c.source();
    }
    let state = watcher.load_run(run).await.unwrap();
    assert_eq!(state.run.status, RunStatus::Running, "resumable");
    let rows: Vec<&str> = state.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(rows, ["a"]);

    // The server is back: the same owner resumes at once, restoring `a`.
    let listener = TcpListener::bind(proxy_addr).await.unwrap();
    running = proxy(listener, server);
    rt.resource::<Gate>().unwrap().0.notify_one();
    let resumed = rt.resume(Gated, run).await.unwrap();
    assert_eq!(resumed.outputs.b, 50);
    assert_eq!(resumed.restored(), ["a"]);
    PostgresStore::drop_schema(&direct, schema).await.unwrap();
    running.abort();
}

/// A connection string that cannot connect says where it pointed, why (the server's or
/// the system's reason, which the error kept only as "error connecting to server" or
/// "db error": the cause was turned into text without its own cause) and what to do.
#[tokio::test]
async fn a_connection_string_that_cannot_connect_says_why_and_what_to_do() {
    let connect = |url: String| async move {
        match PostgresStore::builder(&url).connect().await {
            Ok(_) => panic!("{url} connected"),
            Err(e) => e.to_string(),
        }
    };
    let refused = connect("host=127.0.0.1 port=1 user=postgres dbname=x".into()).await;
    for part in [
        "database `x` on 127.0.0.1:1",
        "Connection refused",
        "is a Postgres server running there",
    ] {
        assert!(refused.contains(part), "`{part}` in: {refused}");
    }
    let Some(config) = server_config() else {
        return;
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or("postgres");
    let no_db = connect(format!(
        "host=127.0.0.1 port={port} user={user} dbname=no_such_db"
    ))
    .await;
    for part in ["no_such_db", "does not exist", "create it"] {
        assert!(no_db.contains(part), "`{part}` in: {no_db}");
    }
    let no_user = connect(format!(
        "host=127.0.0.1 port={port} user=nobody dbname={db}"
    ))
    .await;
    for part in ["nobody", "check the user"] {
        assert!(no_user.contains(part), "`{part}` in: {no_user}");
    }
}
