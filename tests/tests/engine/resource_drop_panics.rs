//! A resource whose `Drop` panics, dropped where its last holder lets it go: the
//! user's `drop` of the runtime, or the end of a run that held the last clone of the
//! runtime (the user dropped theirs while it ran). Each in a process of its own: a
//! panic in a `Drop` during an unwind would abort the process, which `run_alone` then
//! reports.

use std::time::Duration;

use workflow_core::prelude::*;

/// Panics when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("boom resource");
    }
}

#[node]
async fn uses_bomb(_bomb: Res<Bomb>) -> u32 {
    tokio::time::sleep(Duration::from_secs(1)).await;
    1
}

workflow! {
    struct UsesBomb { n = uses_bomb() }
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// The user's `drop(rt)`, with no run left, drops the resource there: its panic is
/// the caller's, as any value's panicking `Drop` is; a run that ended first is not
/// touched. A run that outlives the user's runtime drops the last clone as it ends:
/// its task ends (its output, or the resource's panic), with no hang and no abort.
#[test]
fn a_resource_whose_drop_panics_panics_where_the_runtime_is_last_dropped() {
    crate::own_process::run_alone(
        "resource_drop_panics::inner_a_resource_whose_drop_panics_panics_where_the_runtime_is_last_dropped",
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "its panics may abort: a_resource_whose_drop_panics_panics_where_the_runtime_is_last_dropped runs it alone"]
async fn inner_a_resource_whose_drop_panics_panics_where_the_runtime_is_last_dropped() {
    let rt = Runtime::builder().resource(Bomb).build();
    assert_eq!(
        rt.execute(UsesBomb, UsesBombInput {})
            .await
            .unwrap()
            .outputs
            .n,
        1
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rt)));
    assert_eq!(message(dropped.unwrap_err().as_ref()), "boom resource");

    let rt = Runtime::builder().resource(Bomb).build();
    let run = tokio::spawn(rt.execute(UsesBomb, UsesBombInput {}));
    tokio::task::yield_now().await;
    drop(rt);
    let ended = tokio::time::timeout(Duration::from_secs(3600), run)
        .await
        .expect("the run ends");
    // Where the last clone goes depends on the task: dropped in the run's last poll,
    // its panic is the task's; dropped with the finished future, tokio contains it
    // and the output stands. Either is fine; a hang or an abort is not.
    let seen = match ended {
        Ok(result) => format!("ok {}", result.unwrap().outputs.n),
        Err(e) => message(e.into_panic().as_ref()),
    };
    println!("run outliving its runtime: {seen}");
    assert!(seen == "ok 1" || seen == "boom resource", "{seen}");
}
