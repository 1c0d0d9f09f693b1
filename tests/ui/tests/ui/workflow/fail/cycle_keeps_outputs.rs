//! After a cycle, the output struct is the one without the closing connection: `y` is a sink.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub items: Vec<u32>,
}

#[node]
async fn fetch(url: String) -> Page {
    Page { title: url, items: vec![1, 2] }
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

#[node]
async fn shout(title: String) -> String {
    title.to_uppercase()
}

#[node]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct Loop {
        input a: u32,
        x = add(a, b: y),
        y = add(a, b: x),
    }
}

fn main() {
    let input = LoopInput { a: 1 };
    println!("{input:?}");
    let _ = |run: Run<LoopOutput>| (run.outputs.y, format!("{:?}", run.outputs));
}
