//! The `tracing` integration: every run is a `workflow` span (workflow name, run id),
//! every node attempt a `node` span (node, `#[node]` fn, attempt), with events for
//! retries, timeouts, failures, cancellation and `Context::emit`. The library prints
//! nothing on its own; here `tracing-subscriber` prints everything at DEBUG and above.
//!
//! Run with `cargo run --example tracing`.

use std::time::Duration;

use workflow_core::prelude::*;

/// The upstream service hiccupped.
#[derive(Debug, thiserror::Error)]
#[error("upstream hiccup (attempt {0})")]
struct Hiccup(u32);

/// Fails once, then answers.
#[node(retry(max = 3, backoff = "10ms"))]
async fn lookup(key: String, ctx: &Context) -> Result<u64, Hiccup> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    if ctx.attempt() == 1 {
        return Err(Hiccup(1));
    }
    ctx.emit(format!("found {key}"));
    Ok(key.len() as u64)
}

/// Too slow for its 30 ms timeout on the first attempt; fine on the second.
#[node(
    timeout = "30ms",
    retry(max = 2, backoff = "5ms", retry_timeouts = true)
)]
async fn enrich(value: u64, ctx: &Context) -> u64 {
    let work = if ctx.attempt() == 1 { 100 } else { 10 };
    tokio::time::sleep(Duration::from_millis(work)).await;
    value * 10
}

/// Runs for a second unless it is cancelled first.
#[node]
async fn slow_audit(value: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(1)).await;
    value
}

workflow! {
    struct Lookup {
        input key: String,
        found = lookup(key),
        rich = enrich(value: found),
    }
}

workflow! {
    #[workflow(timeout = "50ms")]
    struct Audit {
        input key: String,
        found = lookup(key),
        audit = slow_audit(value: found),
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_target(true)
        .init();

    let rt = Runtime::new();

    println!("--- a run with a retry and a timed-out attempt ---");
    match rt
        .execute(
            Lookup,
            LookupInput {
                key: "answer".into(),
            },
        )
        .await
    {
        Ok(run) => println!("ok: {}\n", run.outputs.rich),
        Err(e) => println!("error: {e:#}\n"),
    }

    println!("--- a run that hits its workflow timeout (the audit is cancelled) ---");
    match rt
        .execute(
            Audit,
            AuditInput {
                key: "answer".into(),
            },
        )
        .await
    {
        Ok(run) => println!("ok: {}\n", run.outputs.audit),
        Err(e) => println!("error: {e:#}\n"),
    }

    println!("--- a run cancelled from outside ---");
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        trigger.cancel();
    });
    let options = RunOptions::new()
        .cancel_token(token)
        .timeout(Duration::from_secs(5));
    match rt
        .execute_with(
            Audit,
            AuditInput {
                key: "answer".into(),
            },
            options,
        )
        .await
    {
        Ok(run) => println!("ok: {}", run.outputs.audit),
        Err(e) => println!("error: {e:#}"),
    }
    rt.shutdown().await;
}
