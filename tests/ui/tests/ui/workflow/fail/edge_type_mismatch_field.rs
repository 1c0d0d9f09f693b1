use workflow_core::prelude::*;

#[derive(Clone)]
pub struct Page {
    pub title: String,
    pub size: u64,
}

#[node]
async fn fetch(url: String) -> Page {
    Page {
        title: url,
        size: 0,
    }
}

#[node]
async fn count(n: usize) -> usize {
    n
}

workflow! {
    struct Pipeline {
        input url: String,
        page = fetch(url),
        words = count(n: page.size),
        chars = count(n: page.title),
    }
}

fn main() {}
