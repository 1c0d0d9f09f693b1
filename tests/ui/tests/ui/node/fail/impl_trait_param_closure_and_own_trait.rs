//! `impl Trait` ports a service writes: a closure (a shared `Arc<dyn Fn>` is the port
//! that works, since an output may feed several nodes), a trait of the user's own (a
//! trait object, or a type of theirs), `impl Into<String>` (the type it converts to).
use workflow_core::prelude::*;

trait Pricing: Send + Sync {
    fn price(&self, sku: &str) -> u32;
}

#[node]
async fn apply(discount: impl Fn(u32) -> u32 + Send + Sync, base: u32) -> u32 {
    discount(base)
}

#[node]
async fn quote(pricing: impl Pricing, sku: String) -> u32 {
    pricing.price(&sku)
}

#[node]
async fn greet(name: impl Into<String>) -> String {
    format!("hello {}", name.into())
}

fn main() {}
