//! An unconnected port next to the input meant for it: one error, the port's (the input is not also reported as unused).
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
        input a: u32,
        input b: u32,
        c = add(a),
    }
}

fn main() {
    let _ = SumInput { a: 1, b: 2 };
}
