//! `Arc<RefCell<T>>` (not `Send`: `RefCell` is not `Sync`) as a node input fed by a
//! workflow input: one error at each signature naming it, with rustc's `RwLock` hint.
use std::cell::RefCell;
use std::sync::Arc;
use workflow_core::prelude::*;

#[node]
async fn count(seen: Arc<RefCell<Vec<String>>>, url: String) -> usize {
    seen.borrow_mut().push(url);
    seen.borrow().len()
}

workflow! {
    struct Crawl {
        input seen: Arc<RefCell<Vec<String>>>,
        input url: String,
        n = count(seen, url),
    }
}

fn main() {}
