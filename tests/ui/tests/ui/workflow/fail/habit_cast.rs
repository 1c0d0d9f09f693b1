//! `a as u32` in a connection: one error saying to convert in a node.
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
    struct Sum {
        input a: u8,
        input b: u32,
        c = add(a: a as u32, b),
    }
}

fn main() {
    let input = SumInput { a: 1, b: 2 };
    println!("{input:?}");
    let _ = |run: Run<SumOutput>| run.outputs.c;
}
