//! A port fed from a field of an output, by name or by tuple index, several fields of
//! one output going to different nodes, and the same field going to two nodes.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub words: Vec<String>,
}

#[node]
async fn fetch(url: String) -> Page {
    Page {
        title: url.to_uppercase(),
        body: Body {
            words: url.split('/').map(str::to_owned).collect(),
        },
    }
}

#[node]
async fn split(text: String) -> (usize, String) {
    (text.len(), text)
}

#[node]
async fn count(words: Vec<String>) -> usize {
    words.len()
}

#[node]
async fn shout(text: String) -> String {
    format!("{text}!")
}

#[node]
async fn add(a: usize, b: usize) -> usize {
    a + b
}

workflow! {
    struct Projections {
        input url: String,
        page = fetch(url),
        words = count(page.body.words),
        again = count(words: page.body.words),
        title = shout(text: page.title),
        parts = split(text: page.title),
        total = add(a: parts.0, b: words),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Projections, ProjectionsInput { url: "a/b/c".into() })
        .await
        .unwrap();
    let out = run.outputs;
    assert_eq!(out.again, 3);
    assert_eq!(out.title, "A/B/C!");
    assert_eq!(out.total, 5 + 3);
}
