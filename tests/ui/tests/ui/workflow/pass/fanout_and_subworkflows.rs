//! Fan-outs and sub-workflows compile without warnings under strict lints.
#![deny(warnings, missing_docs, missing_debug_implementations, unreachable_pub)]

use workflow_core::prelude::*;

/// Lays a page out.
#[node]
pub async fn layout(page: String) -> String {
    format!("<{page}>")
}

/// Measures a page.
#[node]
pub async fn measure(html: String, unit: usize) -> usize {
    html.len() * unit
}

/// A unit.
#[node]
pub async fn unit() -> usize {
    1
}

workflow! {
    /// Renders one page.
    pub struct Render {
        input page: String,
        html = layout(page),
    }
}

workflow! {
    /// Renders and measures pages.
    pub struct Site {
        input pages: Vec<String>,
        unit = unit(),
        one = Render(page: unit_page),
        unit_page = layout(page: one_input),
        input one_input: String,
        rendered = map(Render, pages),
        #[concurrency = 4]
        #[failure = "collect"]
        sizes = for page in pages2 {
            r = Render(page),
            size = measure(html: r.html, unit),
        } => size,
        input pages2: Vec<String>,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let out = rt
        .block_on(Runtime::new().execute(
            Site,
            SiteInput {
                pages: vec!["a".into()],
                one_input: "x".into(),
                pages2: vec!["bb".into(), "c".into()],
            },
        ))
        .unwrap()
        .outputs;
    assert_eq!(out.one.html, "<<x>>");
    assert_eq!(out.rendered[0].html, "<a>");
    let sizes: Vec<usize> = out.sizes.into_iter().map(Result::unwrap).collect();
    assert_eq!(sizes, [4, 3]);
}
