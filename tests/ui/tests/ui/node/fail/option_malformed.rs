use workflow_core::prelude::*;

#[node(timeout = "abc", spawn = true, retry(max = 0, backof = "1s", multiplier = "2", jitter = 1))]
async fn fetch(url: String) -> String {
    url
}

#[node(timeout = 5, retry)]
async fn fetch2(url: String) -> String {
    url
}

#[node(retry(backoff = "1s"))]
async fn fetch3(url: String) -> String {
    url
}

#[node(timeout = "0s")]
async fn fetch4(url: String) -> String {
    url
}

fn main() {}
