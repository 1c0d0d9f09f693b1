//! A binding whose entry does not parse is its one syntax error: the code reading its
//! output adds none (the fallback's output struct keeps its field, of an error type).
use workflow_core::prelude::*;

#[node]
async fn render(title: String) -> String {
    title
}

workflow! {
    pub struct Site {
        input titles: Vec<String>,
        pages = map(render, titles),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Site, SiteInput { titles: vec![] }).await.unwrap();
    println!("{}", run.outputs.pages.len());
}
