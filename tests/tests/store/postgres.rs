//! What only the Postgres store must show: a server that becomes unreachable in the middle
//! of a run gives clear errors naming the run and node, loses nothing already recorded,
//! and the store carries on once the server is back.
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
    RecordedOutput, Store, StoreError,
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
