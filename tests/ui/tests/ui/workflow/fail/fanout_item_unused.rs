//! A `for` body whose nodes never use the item (`for url in urls { page = fetch(url:
//! base) }`): one error saying `url` is the item no node of the body uses (was "input
//! `url` is not used by any node", the body's hidden workflow's word for it).
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Crawl {
        input base: String,
        input urls: Vec<String>,
        pages = for url in urls {
            page = fetch(url: base),
        } => page,
    }
}

fn main() {}
