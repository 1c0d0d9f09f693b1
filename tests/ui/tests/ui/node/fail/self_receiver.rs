use workflow_core::prelude::*;

pub struct Client;

impl Client {
    #[node]
    async fn fetch(&self, url: String) -> String {
        url
    }
}

fn main() {}
