use workflow_core::prelude::*;

#[node(timeout = "abc")]
async fn fetch(url: String) -> String {
    url
}

#[node(timeout = 5)]
async fn fetch2(url: String) -> String {
    url
}

#[node(retry(max = 3, backof = "1s"))]
async fn fetch3(url: String) -> String {
    url
}

#[node(retry(backoff = "1s"))]
async fn fetch4(url: String) -> String {
    url
}

#[node(spawn = true)]
async fn fetch5(url: String) -> String {
    url
}

fn main() {}
