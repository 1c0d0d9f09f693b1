//! A fn of tokio, futures or std bound as a node (Temporal's `workflow.sleep` between
//! two activities, `join_all` over a list, a `timeout` around a call, plain std): one
//! error at the path saying where the call goes, not the ports' message at the
//! arguments plus rustc's "could not find `sleep` in `time`" with its "remove `!`".
use std::time::Duration;
use workflow_core::prelude::*;

#[node]
async fn remind(user: String) -> String {
    user
}

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Reminder {
        input user: String,
        first = remind(user),
        pause = tokio::time::sleep(Duration::from_secs(3600)),
        second = remind(user: first),
    }
}

workflow! {
    struct Crawl {
        input urls: Vec<String>,
        sizes = futures::future::join_all(urls.into_iter().map(fetch)),
    }
}

workflow! {
    struct Limited {
        input url: String,
        size = tokio::time::timeout(Duration::from_secs(5), fetch(url)),
    }
}

workflow! {
    struct Larger {
        input a: usize,
        input b: usize,
        m = std::cmp::max(a, b),
    }
}

fn main() {}
