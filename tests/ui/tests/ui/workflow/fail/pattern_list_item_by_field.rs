// From a trial of a new user (trial24): a `for` inside a `match` arm over the arm's pattern binding.
use workflow_core::prelude::*;
#[derive(Debug, Clone)] pub struct Item { pub id: u32 }
#[derive(Debug, Clone)] pub enum K { Items(Vec<Item>), None }
#[node] async fn k(x: u32) -> K { if x > 0 { K::Items(vec![Item { id: x }]) } else { K::None } }
#[node] async fn double(x: u32) -> u32 { x * 2 }
#[node] async fn total(xs: Vec<u32>) -> u32 { xs.iter().sum() }
#[node] async fn zero() -> u32 { 0 }
workflow! {
    struct W {
        input x: u32,
        kk = k(x),
        match kk {
            K::Items(items) => {
                ds = for it in items { d = double(x: it.id), } => d,
                out = total(xs: ds),
            }
            K::None => { out = zero(), }
        }
    }
}
fn main() {}
