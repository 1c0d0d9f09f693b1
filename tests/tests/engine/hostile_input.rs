//! Where and how a run is driven, as an outside crate may do it: inside `spawn_blocking`
//! on a current-thread runtime, with the tokio runtime dropped under it, or outside tokio
//! altogether. Each either works, or fails as `Runtime::execute`'s `# Panics` says.

use std::time::Duration;

use workflow_core::prelude::*;

/// A minimal executor with no tokio context (another crate's `block_on`): parks the
/// thread until woken.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[node]
async fn plain(x: u64) -> u64 {
    x + 1
}

#[node(spawn)]
async fn spawned(x: u64) -> u64 {
    x + 1
}

#[node(timeout = "1s")]
async fn limited(x: u64) -> u64 {
    x + 1
}

workflow! {
    struct Plain {
        input x: u64,
        a = plain(x),
        b = plain(x: a),
    }
}

workflow! {
    struct WithSpawn {
        input x: u64,
        a = spawned(x),
    }
}

workflow! {
    struct WithTimeout {
        input x: u64,
        a = limited(x),
    }
}

workflow! {
    struct Naps {
        input mss: Vec<u64>,
        naps = for ms in mss {
            n = nap(ms),
        } => n,
    }
}

/// A run of in-task nodes needs nothing of tokio: it runs on any executor, traced too,
/// and `shutdown` with no run in flight returns at once.
#[test]
fn outside_tokio_a_run_of_plain_nodes_works() {
    let rt = Runtime::new();
    let run = block_on(rt.execute(Plain, PlainInput { x: 1 })).unwrap();
    assert_eq!(run.outputs.b, 3);
    let opts = RunOptions::new().trace(true);
    let run = block_on(rt.execute_with(Plain, PlainInput { x: 1 }, opts)).unwrap();
    assert!(run.trace.is_some());
    assert_eq!(block_on(rt.shutdown()).runs_still_active, 0);
}

/// A node's timeout needs tokio's timer: outside tokio, it is that node's panic, with
/// tokio's message, not a panic of the caller.
#[test]
fn outside_tokio_a_node_timeout_is_the_nodes_panic() {
    let rt = Runtime::new();
    let err = block_on(rt.execute(WithTimeout, WithTimeoutInput { x: 1 })).unwrap_err();
    match &err {
        WorkflowError::NodePanicked { node, message, .. } => {
            assert_eq!(&**node, "a");
            assert!(message.contains("Tokio 1.x runtime"), "{message}");
        }
        other => panic!("expected the node's panic, got {other:?}"),
    }
}

/// A run timeout outside tokio panics as tokio does (`Runtime::execute`'s `# Panics`).
#[test]
#[should_panic(expected = "must be called from the context of a Tokio 1.x runtime")]
fn outside_tokio_a_run_timeout_panics_as_documented() {
    let rt = Runtime::new();
    let opts = RunOptions::new().timeout(Duration::from_secs(1));
    let _ = block_on(rt.execute_with(Plain, PlainInput { x: 1 }, opts));
}

/// A `#[node(spawn)]` node outside tokio panics as tokio does (`# Panics`).
#[test]
#[should_panic(expected = "must be called from the context of a Tokio 1.x runtime")]
fn outside_tokio_a_spawned_node_panics_as_documented() {
    let rt = Runtime::new();
    let _ = block_on(rt.execute(WithSpawn, WithSpawnInput { x: 1 }));
}

/// On a blocking thread of a current-thread runtime, a run driven by
/// `Handle::block_on` spawns its `#[node(spawn)]` node on that runtime and ends.
#[test]
fn a_run_driven_inside_spawn_blocking_of_a_current_thread_runtime() {
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = tokio_rt.block_on(async {
        let rt = Runtime::new();
        tokio::task::spawn_blocking(move || {
            let handle = tokio::runtime::Handle::current();
            handle.block_on(rt.execute(WithSpawn, WithSpawnInput { x: 1 }))
        })
        .await
        .unwrap()
    });
    assert_eq!(out.unwrap().outputs.a, 2);
}

/// The tokio runtime dropped under runs in flight (a sleeping fan-out, a spawned node):
/// the runs are dropped with their tasks, the workflow runtime counts none active, and
/// its `shutdown` on another tokio runtime returns at once instead of waiting for them.
#[test]
fn a_tokio_runtime_dropped_mid_run_leaves_no_run_active() {
    let rt = Runtime::new();
    {
        let tokio_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (one, two) = (rt.clone(), rt.clone());
        tokio_rt.spawn(async move {
            let input = NapsInput {
                mss: vec![3_600_000, 3_600_000],
            };
            one.execute(Naps, input).await
        });
        tokio_rt.spawn(async move { two.execute(WithSpawn, WithSpawnInput { x: 1 }).await });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while rt.active_runs() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the runs never started"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert_eq!(rt.active_runs(), 0);
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let report = tokio_rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), rt.shutdown()).await })
        .expect("shutdown returns");
    assert_eq!(report.runs_still_active, 0);
}
