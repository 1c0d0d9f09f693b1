//! Fan-out: `for x in xs { .. } => t` and `map(Workflow, xs)` run one child run per
//! item, give the outputs in input order, bound the items in flight with
//! `#[concurrency = N]`, fail fast (or collect with `#[failure = "collect"]`), and name
//! every item's nodes by their path (`thumbs[3].img`).

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::trace::TraceKind;
use workflow_test::{workflow_test, Harness};

#[derive(Debug, thiserror::Error)]
#[error("cannot download {0}")]
struct DownloadError(String);

/// Sleeps for a pseudo-random time derived from the url, so items finish out of order.
#[node]
async fn download(url: String) -> Result<Vec<u8>, DownloadError> {
    let jitter = url
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    tokio::time::sleep(Duration::from_millis(10 + jitter % 90)).await;
    if url.contains("broken") {
        return Err(DownloadError(url));
    }
    Ok(url.into_bytes())
}

#[node]
async fn resize(img: Vec<u8>, scale: usize) -> usize {
    img.len() * scale
}

#[node]
async fn scale() -> usize {
    10
}

#[node]
async fn total(sizes: Vec<usize>) -> usize {
    sizes.iter().sum()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        scale = scale(),
        #[output]
        thumbs = for url in urls {
            img = download(url),
            t = resize(img, scale),
        } => t,
        sum = total(sizes: thumbs),
    }
}

fn urls(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}")).collect()
}

#[tokio::test(start_paused = true)]
async fn outputs_are_in_input_order_under_random_sleeps() {
    let input: Vec<String> = (0..20).map(|i| "x".repeat(i + 1)).collect();
    let run = Runtime::new()
        .execute_with(
            Gallery,
            GalleryInput { urls: input },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    let want: Vec<usize> = (0..20).map(|i| (i + 1) * 10).collect();
    // ... in input order ...
    assert_eq!(run.outputs.thumbs, want);
    assert_eq!(run.outputs.sum, want.iter().sum::<usize>());
    // ... though the items finished out of order.
    let finished: Vec<&str> = run
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Completed { .. }))
        .filter_map(|e| e.node.as_deref())
        .filter(|n| n.ends_with(".t"))
        .collect();
    let in_order: Vec<String> = (0..20).map(|i| format!("thumbs[{i}].t")).collect();
    assert_eq!(finished.len(), 20);
    assert_ne!(finished, in_order);
    // Every item's nodes are in the report, by path, in item order.
    assert_eq!(
        run.node("thumbs[0].img").unwrap().status,
        NodeStatus::Succeeded
    );
    assert_eq!(
        run.node("thumbs[19].t").unwrap().status,
        NodeStatus::Succeeded
    );
    let names: Vec<&str> = run.report.nodes.iter().map(|n| &*n.name).collect();
    assert_eq!(
        &names[..4],
        ["scale", "thumbs", "thumbs[0].img", "thumbs[0].t"]
    );
    assert_eq!(names.last(), Some(&"sum"));
}

workflow! {
    struct Thumbs {
        input urls: Vec<String>,
        scale = scale(),
        #[concurrency = 3]
        thumbs = for url in urls {
            img = download(url),
            t = resize(img, scale),
        } => t,
    }
}

#[tokio::test(start_paused = true)]
async fn the_list_comes_back_in_input_order_with_a_bound() {
    let input: Vec<String> = (0..12).map(|i| "y".repeat(12 - i)).collect();
    let run = Runtime::new()
        .execute(Thumbs, ThumbsInput { urls: input })
        .await
        .unwrap();
    let want: Vec<usize> = (0..12).map(|i| (12 - i) * 10).collect();
    assert_eq!(run.outputs.thumbs, want);
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_bound_is_visible_in_the_trace() {
    let run = Runtime::new()
        .execute_with(
            Thumbs,
            ThumbsInput { urls: urls(10) },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    let trace = run.trace.unwrap();
    // Items in flight over time: +1 when an item's first node starts, -1 when its last
    // node ends.
    let mut changes: Vec<(Duration, i32)> = Vec::new();
    for e in trace.iter() {
        let Some(node) = e.node.as_deref() else {
            continue;
        };
        match (&e.kind, node.ends_with(".img"), node.ends_with(".t")) {
            (TraceKind::Started { .. }, true, _) => changes.push((e.at, 1)),
            (TraceKind::Completed { .. }, _, true) => changes.push((e.at, -1)),
            _ => {}
        }
    }
    assert_eq!(changes.iter().filter(|c| c.1 == 1).count(), 10);
    // Ends before starts at the same instant: a slot freed is taken at once.
    changes.sort_by_key(|&(at, d)| (at, d));
    let mut in_flight = 0;
    let mut peak = 0;
    for (_, d) in changes {
        in_flight += d;
        peak = peak.max(in_flight);
    }
    assert_eq!(peak, 3, "{trace}");
}

#[tokio::test(start_paused = true)]
async fn an_empty_list_gives_an_empty_vec_and_downstream_runs() {
    let run = Runtime::new()
        .execute(Gallery, GalleryInput { urls: Vec::new() })
        .await
        .unwrap();
    assert_eq!(run.outputs.sum, 0);
    assert_eq!(run.node("thumbs").unwrap().status, NodeStatus::Succeeded);
    assert_eq!(run.node("sum").unwrap().status, NodeStatus::Succeeded);
}

#[tokio::test(start_paused = true)]
async fn the_first_failing_item_fails_fast_and_names_its_path() {
    let mut input = urls(8);
    input[3] = "broken".into();
    let outcome = Runtime::new()
        .execute_report(Thumbs, ThumbsInput { urls: input }, RunOptions::new())
        .await;
    let err = outcome.result.unwrap_err();
    assert_eq!(err.node(), Some("thumbs[3].img"));
    assert_eq!(err.workflow(), "Thumbs");
    assert!(err.downcast_ref::<DownloadError>().is_some());
    assert_eq!(
        err.to_string(),
        "node `thumbs[3].img` of workflow `Thumbs` failed after 1 attempt(s): cannot download broken"
    );
    let report = &outcome.report;
    assert_eq!(report.node("thumbs").unwrap().status, NodeStatus::Failed);
    assert_eq!(
        report.node("thumbs[3].img").unwrap().status,
        NodeStatus::Failed
    );
    // Items not yet started when it failed never ran: they are skipped, with their paths.
    assert_eq!(
        report.node("thumbs[7].img").unwrap().status,
        NodeStatus::Skipped
    );
    assert_eq!(report.node("thumbs[7].img").unwrap().attempts, 0);
    // Items in flight were cancelled.
    assert!(
        report
            .nodes
            .iter()
            .any(|n| n.name.starts_with("thumbs[") && n.status == NodeStatus::Cancelled),
        "{report}"
    );
}

workflow! {
    struct Tolerant {
        input urls: Vec<String>,
        scale = scale(),
        #[failure = "collect"]
        thumbs = for url in urls {
            img = download(url),
            t = resize(img, scale),
        } => t,
    }
}

#[tokio::test(start_paused = true)]
async fn collect_keeps_every_items_result() {
    let input = vec!["a".to_owned(), "broken".to_owned(), "ccc".to_owned()];
    let run = Runtime::new()
        .execute(Tolerant, TolerantInput { urls: input })
        .await
        .unwrap();
    let results = &run.outputs.thumbs;
    assert_eq!(results.len(), 3);
    assert_eq!(*results[0].as_ref().unwrap(), 10);
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.node(), Some("thumbs[1].img"));
    assert!(err.downcast_ref::<DownloadError>().is_some());
    assert_eq!(*results[2].as_ref().unwrap(), 30);
}

#[node]
async fn layout(page: String) -> String {
    tokio::time::sleep(Duration::from_millis(5)).await;
    format!("<{page}>")
}

workflow! {
    pub(crate) struct Render {
        input page: String,
        layout = layout(page),
    }
}

workflow! {
    struct Site {
        input urls: Vec<String>,
        pages = map(Render, urls),
    }
}

#[tokio::test(start_paused = true)]
async fn map_runs_a_workflow_per_item() {
    let run = Runtime::new()
        .execute(Site, SiteInput { urls: urls(3) })
        .await
        .unwrap();
    let layouts: Vec<&str> = run
        .outputs
        .pages
        .iter()
        .map(|o| o.layout.as_str())
        .collect();
    assert_eq!(layouts, ["<u0>", "<u1>", "<u2>"]);
    assert_eq!(
        run.node("pages[2].layout").unwrap().status,
        NodeStatus::Succeeded
    );
    assert_eq!(run.node("pages").unwrap().node_fn, "map(Render)");
}

workflow! {
    /// A workflow with a run policy of its own (a run timeout): mapped, each item is a
    /// whole child run with that policy (not a lane).
    #[workflow(timeout = "200ms")]
    pub(crate) struct Bounded {
        input ms: u64,
        #[output]
        w = wait_for(ms),
    }
}

workflow! {
    struct BoundedPages {
        input waits: Vec<u64>,
        #[failure = "collect"]
        pages = map(Bounded, waits),
    }
}

/// `map(W, xs)` over a workflow with its own policies: each item runs under them (its
/// run timeout here), its nodes reported under the item's path, and its failure names
/// that path.
#[tokio::test(start_paused = true)]
async fn a_mapped_workflow_keeps_its_own_policies() {
    let run = Runtime::new()
        .execute(
            BoundedPages,
            BoundedPagesInput {
                waits: vec![50, 500, 100],
            },
        )
        .await
        .unwrap();
    let pages = &run.outputs.pages;
    assert_eq!(pages[0].as_ref().unwrap().w, 50);
    let err = pages[1].as_ref().unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // The node it stopped is named by its path in the root run, as in the report.
    assert!(
        matches!(err, WorkflowError::Timeout { running, .. } if running == &["pages[1].w"]),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "node `pages[1]` of workflow `BoundedPages` timed out after 200ms; still running: pages[1].w"
    );
    assert_eq!(pages[2].as_ref().unwrap().w, 100);
    assert_eq!(
        run.node("pages[0].w").unwrap().status,
        NodeStatus::Succeeded
    );
    assert_eq!(
        run.node("pages[1].w").unwrap().status,
        NodeStatus::Cancelled
    );
    // The timed-out item stopped at its own limit, not the others'.
    assert_eq!(run.duration(), Duration::from_millis(200));
}

#[node]
async fn fetch(url: String) -> String {
    format!("page of {url}")
}

workflow! {
    /// A fan-out whose body calls a sub-workflow.
    struct Nested {
        input urls: Vec<String>,
        out = for url in urls {
            page = fetch(url),
            report = Render(page),
        } => report,
    }
}

#[workflow_test(start_paused = true)]
async fn a_fan_out_body_may_call_a_sub_workflow(h: Harness) {
    let run = h.assert_success(
        h.execute_with(
            Nested,
            NestedInput { urls: urls(4) },
            RunOptions::new().trace(true),
        )
        .await,
    );
    assert_eq!(run.outputs.out[1].layout, "<page of u1>");
    let node = run.node("out[3].report.layout").unwrap();
    assert_eq!(node.status, NodeStatus::Succeeded);
    assert_eq!(
        run.trace
            .as_ref()
            .unwrap()
            .finished_at("out[0].report.layout"),
        Some(Duration::from_millis(5))
    );
    // The harness counts item paths, and the path without indices counts every item.
    h.assert_executed("out[2].page", 1);
    h.assert_executed("out.page", 4);
    h.assert_executed("out.report.layout", 4);
    h.assert_executed("layout", 4);
}

/// A fan-out is drawn as a stacked block holding its body: the loop variable, the body's
/// nodes, the outer sources it uses, and the collected binding feeding downstream.
#[test]
fn a_fan_out_is_a_stacked_block_in_mermaid_and_dot() {
    let mermaid = r#"
flowchart LR
    urls[/"urls: Vec#lt;String#gt;"/]
    scale["scale<br/><small>scale</small>"]
    subgraph thumbs["thumbs<br/><small>for url in urls, one run per item</small>"]
        thumbs__url[/"url"/]
        thumbs__img["img<br/><small>download</small>"]
        thumbs__t["t<br/><small>resize</small>"]
    end
    style thumbs stroke-width:3px,stroke-dasharray:6 3
    sum["sum<br/><small>total</small>"]
    urls -->|each| thumbs__url
    thumbs__url -->|url| thumbs__img
    thumbs__img -->|img| thumbs__t
    scale -->|scale| thumbs__t
    thumbs__t -->|sizes| sum
"#;
    assert_eq!(Gallery::MERMAID, &mermaid[1..]);
    let dot = r#"
digraph "Gallery" {
    rankdir=LR;
    node [shape=box];
    "urls" [shape=parallelogram, label="urls: Vec<String>"];
    "scale" [label="scale\nscale"];
    subgraph "cluster_thumbs" {
        label="thumbs\nfor url in urls, one run per item"; style=rounded; peripheries=2;
        "thumbs__url" [shape=parallelogram, label="url"];
        "thumbs__img" [label="img\ndownload"];
        "thumbs__t" [label="t\nresize"];
    }
    "sum" [label="sum\ntotal"];
    "urls" -> "thumbs__url" [label="each"];
    "thumbs__url" -> "thumbs__img" [label="url"];
    "thumbs__img" -> "thumbs__t" [label="img"];
    "scale" -> "thumbs__t" [label="scale"];
    "thumbs__t" -> "sum" [label="sizes"];
}
"#;
    assert_eq!(Gallery::DOT, &dot[1..]);
}

/// `map(Render, ..)` is a stacked block around the mapped workflow; a sub-workflow
/// inside a body is a subroutine box labelled with its workflow.
#[test]
fn map_and_sub_workflows_are_labelled_with_their_workflow() {
    let site = r#"
flowchart LR
    urls[/"urls: Vec#lt;String#gt;"/]
    subgraph pages["pages<br/><small>map(Render), one run per item</small>"]
        pages__each[["workflow Render"]]
    end
    style pages stroke-width:3px,stroke-dasharray:6 3
    urls -->|each| pages__each
"#;
    assert_eq!(Site::MERMAID, &site[1..]);
    let nested = r#"
flowchart LR
    urls[/"urls: Vec#lt;String#gt;"/]
    subgraph out["out<br/><small>for url in urls, one run per item</small>"]
        out__url[/"url"/]
        out__page["page<br/><small>fetch</small>"]
        out__report[["report<br/><small>workflow Render</small>"]]
    end
    style out stroke-width:3px,stroke-dasharray:6 3
    urls -->|each| out__url
    out__url -->|url| out__page
    out__page -->|page| out__report
"#;
    assert_eq!(Nested::MERMAID, &nested[1..]);
}

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    /// Items that take 50 ms each, one at a time, under a 100 ms stall limit.
    #[workflow(deadlock = "100ms")]
    struct LongFanOut {
        input ms: Vec<u64>,
        #[concurrency = 1]
        naps = for m in ms {
            n = nap(ms: m),
        } => n,
    }
}

#[tokio::test(start_paused = true)]
async fn items_that_progress_are_not_a_stall_but_a_stuck_item_is() {
    let run = Runtime::new()
        .execute(LongFanOut, LongFanOutInput { ms: vec![50; 6] })
        .await
        .unwrap();
    assert_eq!(run.outputs.naps, [50; 6]);
    assert_eq!(run.duration(), Duration::from_millis(300));

    let start = tokio::time::Instant::now();
    let err = Runtime::new()
        .execute(
            LongFanOut,
            LongFanOutInput {
                ms: vec![50, 10_000],
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_deadlock(), "{err}");
    // The first item finished at 50 ms; nothing finished for 100 ms after the check
    // that saw it (at 100 ms).
    assert!(
        start.elapsed() <= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn the_runs_own_stall_report_names_the_stuck_item() {
    // A run with a stall limit keeps its items' live states for its stall report, so
    // a plain runtime (no monitor) names the item's node too, not the fan-out
    // (`naps`), as a harness (a monitored runtime) does.
    let input = || LongFanOutInput {
        ms: vec![50, 10_000],
    };
    let plain = Runtime::new()
        .execute(LongFanOut, input())
        .await
        .unwrap_err();
    let h = Harness::new();
    let monitored = h.execute(LongFanOut, input()).await.unwrap_err();
    for err in [plain, monitored] {
        assert!(err.is_deadlock(), "{err}");
        let text = err.to_string();
        assert!(text.contains("`naps[1].n` is running"), "{text}");
        assert!(!text.contains("`naps` is running"), "{text}");
    }
}

#[node]
async fn wait_for(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    /// A fan-out whose node times out while items run; two at a time.
    struct LateItems {
        input waits: Vec<u64>,
        #[timeout = "150ms"]
        #[concurrency = 2]
        done = for ms in waits {
            w = wait_for(ms),
        } => w,
    }
}

#[node(timeout = "150ms")]
async fn bounded_wait(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    /// A body whose node has a timeout of its own.
    struct BoundedItems {
        input waits: Vec<u64>,
        done = for ms in waits {
            w = bounded_wait(ms),
        } => w,
    }
}

/// An item's node that times out is named by its path in the error's scope and in
/// `running` alike (not by its bare binding, which every item shares).
#[tokio::test(start_paused = true)]
async fn an_items_node_timeout_names_it_by_path() {
    let err = Runtime::new()
        .execute(
            BoundedItems,
            BoundedItemsInput {
                waits: vec![100, 1000, 100],
            },
        )
        .await
        .unwrap_err();
    let WorkflowError::Timeout {
        scope,
        running,
        attempts,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*scope, TimeoutScope::Node("done[1].w".into()));
    assert_eq!(running, &["done[1].w"]);
    assert_eq!(*attempts, 1);
    assert_eq!(
        err.to_string(),
        "node `done[1].w` of workflow `BoundedItems` timed out after 150ms"
    );
}

#[node]
async fn sum_two(a: u64, b: u64) -> u64 {
    a + b
}

workflow! {
    /// A body with a node beside the one that may time out; items collected.
    struct BoundedPairs {
        input waits: Vec<u64>,
        #[failure = "collect"]
        done = for ms in waits {
            w = bounded_wait(ms),
            twice = wait_for(ms),
            both = sum_two(a: w, b: twice),
        } => both,
    }
}

/// An item's node that times out names, after itself, the nodes of its item that the
/// item's stop cut (as a run's driver does for a node's timeout); the other items, which
/// a collecting fan-out lets run, are not stopped and not named.
#[tokio::test(start_paused = true)]
async fn an_items_node_timeout_names_the_nodes_of_its_item_it_stopped() {
    let run = Runtime::new()
        .execute(
            BoundedPairs,
            BoundedPairsInput {
                waits: vec![40, 400, 30],
            },
        )
        .await
        .unwrap();
    let results = &run.outputs.done;
    assert_eq!(*results[0].as_ref().unwrap(), 80);
    assert_eq!(*results[2].as_ref().unwrap(), 60);
    let err = results[1].as_ref().unwrap_err();
    let WorkflowError::Timeout { scope, running, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(*scope, TimeoutScope::Node("done[1].w".into()));
    assert_eq!(running, &["done[1].w", "done[1].twice"]);
    assert_eq!(
        err.to_string(),
        "node `done[1].w` of workflow `BoundedPairs` timed out after 150ms; still running: done[1].twice"
    );
    let status = |n: &str| run.report.node(n).unwrap().status;
    assert_eq!(status("done[1].twice"), NodeStatus::Cancelled);
    assert_eq!(status("done[1].both"), NodeStatus::Skipped);
}

workflow! {
    /// Items of two steps, fail-fast: an item whose first step times out stops the
    /// others.
    struct BoundedSteps {
        input waits: Vec<u64>,
        done = for ms in waits {
            w = bounded_wait(ms),
            long = wait_for(ms: w),
        } => long,
    }
}

/// Fail-fast: an item's node that times out stops the other items in flight, and
/// names their nodes after itself.
#[tokio::test(start_paused = true)]
async fn an_items_node_timeout_names_the_other_items_the_fail_fast_stopped() {
    let err = Runtime::new()
        .execute(
            BoundedSteps,
            BoundedStepsInput {
                waits: vec![100, 400, 20],
            },
        )
        .await
        .unwrap_err();
    let WorkflowError::Timeout { scope, running, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*scope, TimeoutScope::Node("done[1].w".into()));
    // Item 0's second step runs from 100 to 200 ms; item 2 ended at 40.
    assert_eq!(running, &["done[1].w", "done[0].long"]);
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_fan_out_still_reports_its_items() {
    let outcome = Runtime::new()
        .execute_report(
            LateItems,
            LateItemsInput {
                waits: vec![100, 1000, 100, 1000],
            },
            RunOptions::new(),
        )
        .await;
    let err = outcome.result.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.node(), Some("done"));
    let report = &outcome.report;
    let status = |name: &str| report.node(name).map(|n| n.status);
    // Item 0 finished at 100 ms; item 2 then started, and items 1 and 2 were running
    // at 150 ms; item 3 never started.
    assert_eq!(status("done[0].w"), Some(NodeStatus::Succeeded));
    assert_eq!(status("done[1].w"), Some(NodeStatus::Cancelled));
    assert_eq!(status("done[2].w"), Some(NodeStatus::Cancelled));
    assert_eq!(status("done[3].w"), Some(NodeStatus::Skipped));
    assert_eq!(report.node("done[3].w").unwrap().attempts, 0);
    let names: Vec<&str> = report.nodes.iter().map(|n| &*n.name).collect();
    assert_eq!(
        names,
        ["done", "done[0].w", "done[1].w", "done[2].w", "done[3].w"],
        "{report}"
    );
}

/// Items that complete at once share a lane, yet each item's nodes keep their own
/// path, status and output.
#[tokio::test(start_paused = true)]
async fn many_items_that_complete_at_once_keep_their_own_paths() {
    let run = Runtime::new()
        .execute(
            Many,
            ManyInput {
                xs: (0..3000).collect(),
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.ys, (1..=3000).collect::<Vec<u64>>());
    assert_eq!(run.report.nodes.len(), 1 + 2 * 3000);
    assert_eq!(
        run.node("ys[2999].b").unwrap().status,
        NodeStatus::Succeeded
    );
    assert_eq!(run.node("ys[0].a").unwrap().attempts, 1);
}

workflow! {
    /// One `wait_for` per item, no bound: every item waits at the same time.
    struct Waits {
        input ms: Vec<u64>,
        done = for m in ms {
            w = wait_for(ms: m),
        } => w,
    }
}

/// Items that wait long (downloads) all start before any ends: the fan-out starts its
/// lanes a batch per poll, yet 5,000 items of 1 s take 1 s, not a batch's worth each.
#[tokio::test(start_paused = true)]
async fn items_that_wait_long_all_wait_side_by_side() {
    let start = tokio::time::Instant::now();
    let run = Runtime::new()
        .execute(
            Waits,
            WaitsInput {
                ms: vec![1000; 5000],
            },
        )
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(1000));
    assert_eq!(run.outputs.done, vec![1000; 5000]);
    assert_eq!(
        run.node("done[4999].w").unwrap().status,
        NodeStatus::Succeeded
    );
}

workflow! {
    /// Two items at a time, each waiting its own time.
    struct Paced {
        input waits: Vec<u64>,
        #[concurrency = 2]
        done = for ms in waits {
            w = wait_for(ms),
        } => w,
    }
}

/// A live snapshot of a monitored run shows the fan-out items in flight by their paths,
/// with their live statuses; a lane that moves on to the next item shows that item.
#[tokio::test(start_paused = true)]
async fn live_snapshots_show_the_items_in_flight_by_path() {
    // `RunHandle` comes with the prelude.
    let handles = std::sync::Arc::new(std::sync::Mutex::new(Vec::<RunHandle>::new()));
    let seen = std::sync::Arc::clone(&handles);
    let rt = Runtime::builder()
        .monitor(move |run| seen.lock().unwrap().push(run))
        .build();
    let run = tokio::spawn(rt.execute(
        Paced,
        PacedInput {
            waits: vec![100, 1000, 300],
        },
    ));
    let children = || {
        let snapshot = handles.lock().unwrap()[0].snapshot().unwrap();
        let children: Vec<(String, NodeStatus)> = snapshot
            .children
            .iter()
            .map(|n| (n.name.to_string(), n.status))
            .collect();
        (children, snapshot)
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (now, snapshot) = children();
    assert_eq!(
        now,
        [
            ("done[0].w".to_owned(), NodeStatus::Running),
            ("done[1].w".to_owned(), NodeStatus::Running),
        ],
        "{snapshot}"
    );
    assert_eq!(snapshot.nodes[0].status, NodeStatus::Running, "{snapshot}");
    assert!(
        snapshot
            .to_string()
            .contains("  done[1].w        running\n"),
        "{snapshot}"
    );
    // Item 0 ended at 100 ms; its lane runs item 2 now.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (now, snapshot) = children();
    assert_eq!(
        now,
        [
            ("done[2].w".to_owned(), NodeStatus::Running),
            ("done[1].w".to_owned(), NodeStatus::Running),
        ],
        "{snapshot}"
    );
    // Item 2 ended at 400 ms and its lane with it: item 1 is the one in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (now, snapshot) = children();
    assert_eq!(
        now,
        [("done[1].w".to_owned(), NodeStatus::Running)],
        "{snapshot}"
    );
    let run = run.await.unwrap().unwrap();
    assert_eq!(run.outputs.done, [100, 1000, 300]);
    assert!(handles.lock().unwrap()[0].snapshot().is_none());
}

#[node]
async fn plus_one(x: u64) -> u64 {
    x + 1
}

#[node]
async fn same(x: u64) -> u64 {
    x
}

workflow! {
    struct Many {
        input xs: Vec<u64>,
        ys = for x in xs {
            a = plus_one(x),
            b = same(x: a),
        } => b,
    }
}

#[node]
async fn is_big(x: u64) -> bool {
    x >= 10
}

#[node]
async fn halve(x: u64) -> u64 {
    x / 2
}

#[node]
async fn double(x: u64) -> u64 {
    x * 2
}

workflow! {
    /// A decision inside a fan-out body: each item takes its own arm.
    struct RoutedItems {
        input xs: Vec<u64>,
        ys = for x in xs {
            big = is_big(x),
            if big {
                y = halve(x),
            } else {
                d = double(x),
                y = same(x: d),
            }
        } => y,
    }
}

#[workflow_test(start_paused = true)]
async fn a_decision_inside_a_fan_out_body_takes_each_items_own_arm(h: Harness) {
    let run = h.assert_success(
        h.execute(
            RoutedItems,
            RoutedItemsInput {
                xs: vec![3, 20, 5, 40],
            },
        )
        .await,
    );
    assert_eq!(run.outputs.ys, vec![6, 10, 10, 20]);
    let status = |name: &str| run.node(name).map(|n| n.status);
    assert_eq!(status("ys[0].d"), Some(NodeStatus::Succeeded));
    assert_eq!(status("ys[1].d"), Some(NodeStatus::NotTaken));
    assert_eq!(status("ys[1].y"), Some(NodeStatus::Succeeded));
    assert_eq!(status("ys[3].d"), Some(NodeStatus::NotTaken));
    // Counted per item and over all items.
    h.assert_executed("ys[1].big", 1);
    h.assert_executed("ys.d", 2);
    h.assert_executed("ys.big", 4);
}

#[node]
async fn small(x: u64) -> Option<u64> {
    (x < 10).then_some(x)
}

#[node]
async fn sum_all(ys: Vec<u64>) -> u64 {
    ys.iter().sum()
}

workflow! {
    /// A `match` inside a fan-out body, with a pattern binding (`n`) and a merge (`y`)
    /// that the fan-out collects for a node downstream.
    struct SortedItems {
        input xs: Vec<u64>,
        ys = for x in xs {
            s = small(x),
            match s {
                Some(n) => {
                    y = double(x: n),
                }
                None => {
                    h = halve(x),
                    y = same(x: h),
                }
            }
        } => y,
        total = sum_all(ys),
    }
}

/// A decision inside a fan-out body is drawn as a top-level one, inside the stacked
/// block: a rhombus fed by what it matches on, a subgraph per arm entered by an edge
/// labelled with the arm's pattern, pattern bindings coming from the rhombus, and
/// every arm's definition of a merged binding feeding what consumes it.
#[test]
fn a_decision_inside_a_fan_out_body_is_drawn_in_its_block() {
    let mermaid = r#"
flowchart LR
    xs[/"xs: Vec#lt;u64#gt;"/]
    subgraph ys["ys<br/><small>for x in xs, one run per item</small>"]
        ys__x[/"x"/]
        ys__s["s<br/><small>small</small>"]
        ys__match_s{"match s"}
        subgraph ys__match_s_arm0["Some(n)"]
            ys__y["y<br/><small>double</small>"]
        end
        subgraph ys__match_s_arm1["None"]
            ys__h["h<br/><small>halve</small>"]
            ys__y__3["y<br/><small>same</small>"]
        end
    end
    style ys stroke-width:3px,stroke-dasharray:6 3
    total["total<br/><small>sum_all</small>"]
    xs -->|each| ys__x
    ys__x -->|x| ys__s
    ys__match_s -->|n as x| ys__y
    ys__x -->|x| ys__h
    ys__h -->|x| ys__y__3
    ys__s --> ys__match_s
    ys__match_s -->|"Some(n)"| ys__match_s_arm0
    ys__match_s -->|"None"| ys__match_s_arm1
    ys__y -->|ys| total
    ys__y__3 -->|ys| total
"#;
    assert_eq!(SortedItems::MERMAID, &mermaid[1..]);
    let dot = r#"
digraph "SortedItems" {
    rankdir=LR;
    node [shape=box];
    "xs" [shape=parallelogram, label="xs: Vec<u64>"];
    subgraph "cluster_ys" {
        label="ys\nfor x in xs, one run per item"; style=rounded; peripheries=2;
        "ys__x" [shape=parallelogram, label="x"];
        "ys__s" [label="s\nsmall"];
        "ys__match_s" [shape=diamond, label="match s"];
        subgraph "cluster_ys__match_s_arm0" {
            label="Some(n)";
            "ys__y" [label="y\ndouble"];
        }
        subgraph "cluster_ys__match_s_arm1" {
            label="None";
            "ys__h" [label="h\nhalve"];
            "ys__y__3" [label="y\nsame"];
        }
    }
    "total" [label="total\nsum_all"];
    "xs" -> "ys__x" [label="each"];
    "ys__x" -> "ys__s" [label="x"];
    "ys__match_s" -> "ys__y" [label="n as x"];
    "ys__x" -> "ys__h" [label="x"];
    "ys__h" -> "ys__y__3" [label="x"];
    "ys__s" -> "ys__match_s";
    "ys__match_s" -> "ys__y" [label="Some(n)", style=dashed];
    "ys__match_s" -> "ys__h" [label="None", style=dashed];
    "ys__match_s" -> "ys__y__3" [label="None", style=dashed];
    "ys__y" -> "total" [label="ys"];
    "ys__y__3" -> "total" [label="ys"];
}
"#;
    assert_eq!(SortedItems::DOT, &dot[1..]);
    // An `if` is drawn the same way (a `match` on `bool`).
    assert!(
        RoutedItems::MERMAID.contains(
            "        ys__if_big{\"if big\"}\n        subgraph ys__if_big_arm0[\"true\"]\n"
        ),
        "{}",
        RoutedItems::MERMAID
    );
}

#[node]
async fn key_of(x: u64, ctx: &Context) -> String {
    // Items that wait run in lanes of their own; those that do not share one.
    if x % 2 == 0 {
        tokio::task::yield_now().await;
    }
    format!("{} {}", ctx.path(), ctx.idempotency_key())
}

workflow! {
    struct Keys {
        input xs: Vec<u64>,
        ks = for x in xs {
            k = key_of(x),
        } => k,
    }
}

#[tokio::test(start_paused = true)]
async fn each_item_has_its_own_path_and_idempotency_key() {
    let run = Runtime::new()
        .execute(
            Keys,
            KeysInput {
                xs: (0..6).collect(),
            },
        )
        .await
        .unwrap();
    let keys = &run.outputs.ks;
    for (i, k) in keys.iter().enumerate() {
        let (path, key) = k.split_once(' ').unwrap();
        assert_eq!(path, format!("ks[{i}].k"));
        assert!(key.starts_with("Keys/local-"), "{key}");
        assert!(key.ends_with(&format!("/ks[{i}].k")), "{key}");
    }
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6);
}

workflow! {
    /// A top-level `match` with a fan-out in one arm.
    struct RoutedFanOut {
        input xs: Vec<u64>,
        input x: u64,
        s = small(x),
        match s {
            Some(n) => {
                ys = for x in xs { y = double(x), } => y,
                total = sum_all(ys),
            }
            None => {
                total = halve(x),
            }
        }
    }
}

/// A fan-out inside a top-level arm is drawn as a stacked block inside the arm's
/// subgraph, as it is without decisions (it was a plain box before).
#[test]
fn a_fan_out_inside_a_top_level_arm_is_a_stacked_block() {
    let mermaid = RoutedFanOut::MERMAID;
    assert!(
        mermaid.contains("subgraph match_s_arm0[\"Some(n)\"]\n        subgraph ys[\"ys<br/><small>for x in xs, one run per item</small>\"]\n            ys__x[/\"x\"/]\n            ys__y[\"y<br/><small>double</small>\"]\n        end\n        style ys stroke-width:3px,stroke-dasharray:6 3\n"),
        "{mermaid}"
    );
    assert!(mermaid.contains("    xs -->|each| ys__x\n"), "{mermaid}");
    assert!(mermaid.contains("    s --> match_s\n"), "{mermaid}");
    let dot = RoutedFanOut::DOT;
    assert!(dot.contains("subgraph \"cluster_ys\""), "{dot}");
    assert!(dot.contains("peripheries=2"), "{dot}");
}

/// Fails each item's first attempt when the item is even (attempts counted per item in
/// a resource, since every fan-out retry starts the item's own attempts at 1 again).
#[node]
async fn flaps_once(
    x: u32,
    calls: Res<std::sync::Mutex<std::collections::HashMap<u32, u32>>>,
) -> Result<u32, DownloadError> {
    let n = {
        let mut calls = calls.lock().unwrap();
        let n = calls.entry(x).or_insert(0);
        *n += 1;
        *n
    };
    if x % 2 == 0 && n == 1 {
        return Err(DownloadError(format!("item {x}")));
    }
    Ok(x)
}

workflow! {
    struct RetryEachItem {
        input xs: Vec<u32>,
        out = for x in xs {
            #[retry(max = 2, backoff = "10ms")]
            f = flaps_once(x),
        } => f,
    }
}

workflow! {
    struct RetryWholeFanOut {
        input xs: Vec<u32>,
        #[concurrency = 1]
        #[retry(max = 2, backoff = "10ms")]
        out = for x in xs { f = flaps_once(x), } => f,
    }
}

/// README (Fan-out): `#[retry]` on the body's binding retries each item on its own; on
/// the fan-out's binding it retries the whole fan-out, running every item again.
#[workflow_test(timeout = "5s", start_paused = true)]
async fn a_retry_on_the_body_is_per_item_and_on_the_fan_out_is_whole(h: Harness) {
    let calls = || std::sync::Mutex::new(std::collections::HashMap::<u32, u32>::new());
    h.insert_resource(calls());
    let run = h.assert_success(
        h.execute(
            RetryEachItem,
            RetryEachItemInput {
                xs: vec![1, 2, 3, 4],
            },
        )
        .await,
    );
    assert_eq!(run.outputs.out, [1, 2, 3, 4]);
    // Items 2 and 4 took two attempts each; 1 and 3 ran once.
    assert_eq!(h.execution_count("out.f"), 6);
    assert_eq!(h.execution_count("out[1].f"), 2);
    assert_eq!(h.execution_count("out[0].f"), 1);

    h.insert_resource(calls());
    let run = h.assert_success(
        h.execute(
            RetryWholeFanOut,
            RetryWholeFanOutInput { xs: vec![1, 2, 3] },
        )
        .await,
    );
    assert_eq!(run.outputs.out, [1, 2, 3]);
    assert_eq!(run.node("out").unwrap().attempts, 2);
    let calls = h
        .resource::<std::sync::Mutex<std::collections::HashMap<u32, u32>>>()
        .unwrap();
    let calls = calls.lock().unwrap();
    // Attempt 1 ran items 1 and 2 (2 failed, 3 never started); attempt 2 ran all three:
    // item 1, which had succeeded, ran again.
    assert_eq!((calls[&1], calls[&2], calls[&3]), (2, 2, 1));
}

/// Fails item 0 on every attempt; other items succeed.
#[node]
async fn zero_always_fails(x: u32) -> Result<u32, DownloadError> {
    if x == 0 {
        return Err(DownloadError(format!("item {x}")));
    }
    Ok(x)
}

workflow! {
    struct RetryWholeFanOutGivesUp {
        input xs: Vec<u32>,
        #[concurrency = 1]
        #[retry(max = 3, backoff = "10ms")]
        out = for x in xs { f = zero_always_fails(x), } => f,
    }
}

/// After a whole fan-out's retries give up, the error's attempt count and the report's
/// agree: the failing item ran once per attempt of the fan-out.
#[workflow_test(timeout = "5s", start_paused = true)]
async fn a_whole_fan_out_retry_that_gives_up_counts_attempts_as_the_report_does(h: Harness) {
    let err = h.assert_failure(
        h.execute(
            RetryWholeFanOutGivesUp,
            RetryWholeFanOutGivesUpInput { xs: vec![1, 0, 2] },
        )
        .await,
    );
    let run = h.last_run().unwrap();
    let report = run.report();
    let item = report.node("out[1].f").unwrap();
    assert_eq!((item.status, item.attempts), (NodeStatus::Failed, 3));
    assert_eq!(report.node("out").unwrap().attempts, 3);
    assert_eq!(err.node(), Some("out[1].f"));
    assert_eq!(err.attempts(), Some(3));
    assert_eq!(
        err.to_string(),
        "node `out[1].f` of workflow `RetryWholeFanOutGivesUp` failed after 3 attempt(s): \
         cannot download item 0"
    );
}
