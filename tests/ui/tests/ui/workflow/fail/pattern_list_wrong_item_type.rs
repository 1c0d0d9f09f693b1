// From a trial of a new user (trial24): a `for` inside a `match` arm over the arm's pattern binding.
use workflow_core::prelude::*;
#[derive(Debug, Clone)] pub enum K { Names(Vec<String>), Num(u32) }
#[node] async fn k(x: u32) -> K { if x > 0 { K::Num(x) } else { K::Names(vec![]) } }
#[node] async fn double(x: u32) -> u32 { x * 2 }
#[node] async fn total(xs: Vec<u32>) -> u32 { xs.iter().sum() }
workflow! {
    struct W {
        input x: u32,
        kk = k(x),
        match kk {
            K::Names(ns) => {
                ds = for n in ns { d = double(x: n), } => d,
                out = total(xs: ds),
            }
            K::Num(v) => { out = double(x: v), }
        }
    }
}
fn main() {}
