use workflow_core::prelude::*;
#[node]
fn fetch(url: String) -> impl std::future::Future<Output = usize> {
    async move { url.len() }
}
fn main() {}
