//! One output feeds several ports, of one node and of several nodes.
use workflow_core::prelude::*;

#[node]
async fn numbers(n: u32) -> Vec<u32> {
    (0..n).collect()
}

#[node]
async fn sum(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

#[node]
async fn count(items: Vec<u32>) -> usize {
    items.len()
}

#[node]
async fn zip(left: Vec<u32>, right: Vec<u32>) -> usize {
    left.len() + right.len()
}

workflow! {
    struct FanOut {
        input n: u32,
        numbers = numbers(n),
        sum = sum(items: numbers),
        count = count(items: numbers),
        both = zip(left: numbers, right: numbers),
    }
}

fn main() {
    let _: fn(FanOutOutput) -> (u32, usize, usize) = |o| (o.sum, o.count, o.both);
}
