//! Compile-time graph facts: `Workflow::MERMAID`, `Workflow::DOT`,
//! `Workflow::TOPOLOGICAL_ORDER` and `Workflow::NAME`, as snapshots.

#![allow(dead_code)]

use std::collections::HashMap;

use workflow_core::prelude::*;

// ---- the quick-start workflow (same wiring as examples/quickstart.rs; the README
// shows this Mermaid graph) ----

#[derive(Debug, Clone)]
struct Product;

#[node]
async fn fetch_catalogue(region: String) -> Vec<Product> {
    let _ = region;
    Vec::new()
}

#[node]
async fn stock_value(products: Vec<Product>) -> u64 {
    products.len() as u64
}

#[node]
async fn sold_out(products: Vec<Product>) -> Vec<String> {
    let _ = products;
    Vec::new()
}

#[node]
async fn priciest(products: Vec<Product>) -> Option<String> {
    let _ = products;
    None
}

#[node]
async fn report(value: u64, sold_out: Vec<String>, top: Option<String>) -> String {
    format!("{value} {sold_out:?} {top:?}")
}

workflow! {
    pub(crate) struct CatalogueReport {
        input region: String,
        catalogue = fetch_catalogue(region),
        value = stock_value(products: catalogue),
        empty = sold_out(products: catalogue),
        top = priciest(products: catalogue),
        summary = report(value, sold_out: empty, top),
    }
}

#[test]
fn quickstart_mermaid() {
    assert_eq!(
        CatalogueReport::MERMAID,
        r#"flowchart LR
    region[/"region: String"/]
    catalogue["catalogue<br/><small>fetch_catalogue</small>"]
    value["value<br/><small>stock_value</small>"]
    empty["empty<br/><small>sold_out</small>"]
    top["top<br/><small>priciest</small>"]
    summary["summary<br/><small>report</small>"]
    region -->|region| catalogue
    catalogue -->|products| value
    catalogue -->|products| empty
    catalogue -->|products| top
    value -->|value| summary
    empty -->|sold_out| summary
    top -->|top| summary
"#
    );
}

#[test]
fn quickstart_dot() {
    assert_eq!(
        CatalogueReport::DOT,
        r#"digraph "CatalogueReport" {
    rankdir=LR;
    node [shape=box];
    "region" [shape=parallelogram, label="region: String"];
    "catalogue" [label="catalogue\nfetch_catalogue"];
    "value" [label="value\nstock_value"];
    "empty" [label="empty\nsold_out"];
    "top" [label="top\npriciest"];
    "summary" [label="summary\nreport"];
    "region" -> "catalogue" [label="region"];
    "catalogue" -> "value" [label="products"];
    "catalogue" -> "empty" [label="products"];
    "catalogue" -> "top" [label="products"];
    "value" -> "summary" [label="value"];
    "empty" -> "summary" [label="sold_out"];
    "top" -> "summary" [label="top"];
}
"#
    );
}

#[test]
fn quickstart_order_and_name() {
    assert_eq!(CatalogueReport::NAME, "CatalogueReport");
    assert_eq!(
        CatalogueReport::TOPOLOGICAL_ORDER,
        ["catalogue", "value", "empty", "top", "summary"]
    );
}

// ---- fields of outputs, generic types, names Mermaid reserves ----

#[derive(Debug, Clone)]
struct Page {
    items: Vec<u32>,
    total: u32,
}

#[node]
async fn fetch_page(urls: HashMap<String, Vec<u8>>, limit: Option<&'static str>) -> Page {
    let _ = (urls, limit);
    Page {
        items: vec![1, 2],
        total: 3,
    }
}

#[node]
async fn sum(items: Vec<u32>, expected: u32) -> bool {
    items.iter().sum::<u32>() == expected
}

#[node]
async fn finish(ok: bool) -> bool {
    ok
}

workflow! {
    struct Fields {
        input urls: HashMap<String, Vec<u8>>,
        input limit: Option<&'static str>,
        page = fetch_page(urls, limit),
        check = sum(items: page.items, expected: page.total),
        end = finish(ok: check),
    }
}

#[test]
fn fields_generics_and_reserved_words_mermaid() {
    assert_eq!(
        Fields::MERMAID,
        r#"flowchart LR
    urls[/"urls: HashMap#lt;String, Vec#lt;u8#gt;#gt;"/]
    limit[/"limit: Option#lt;&'static str#gt;"/]
    page["page<br/><small>fetch_page</small>"]
    check["check<br/><small>sum</small>"]
    end_["end<br/><small>finish</small>"]
    urls -->|urls| page
    limit -->|limit| page
    page -->|items| check
    page -->|total as expected| check
    check -->|ok| end_
"#
    );
}

#[test]
fn fields_generics_and_reserved_words_dot() {
    assert_eq!(
        Fields::DOT,
        r#"digraph "Fields" {
    rankdir=LR;
    node [shape=box];
    "urls" [shape=parallelogram, label="urls: HashMap<String, Vec<u8>>"];
    "limit" [shape=parallelogram, label="limit: Option<&'static str>"];
    "page" [label="page\nfetch_page"];
    "check" [label="check\nsum"];
    "end" [label="end\nfinish"];
    "urls" -> "page" [label="urls"];
    "limit" -> "page" [label="limit"];
    "page" -> "check" [label="items"];
    "page" -> "check" [label="total as expected"];
    "check" -> "end" [label="ok"];
}
"#
    );
    assert_eq!(Fields::TOPOLOGICAL_ORDER, ["page", "check", "end"]);
}

// ---- a graph whose declaration order is not a topological order ----

#[node]
async fn source() -> u8 {
    1
}

#[node]
async fn pass(x: u8) -> u8 {
    x
}

workflow! {
    struct Backwards {
        c = pass(x: b),
        b = pass(x: a),
        a = source(),
    }
}

#[test]
fn topological_order_puts_dependencies_first() {
    assert_eq!(Backwards::TOPOLOGICAL_ORDER, ["a", "b", "c"]);
    // Declaration order is kept in the pictures, so they read like the source.
    assert_eq!(
        Backwards::MERMAID,
        r#"flowchart LR
    c["c<br/><small>pass</small>"]
    b["b<br/><small>pass</small>"]
    a["a<br/><small>source</small>"]
    b -->|x| c
    a -->|x| b
"#
    );
}

/// The constants are usable in const contexts.
const _: &str = CatalogueReport::MERMAID;
const _: usize = CatalogueReport::TOPOLOGICAL_ORDER.len();
