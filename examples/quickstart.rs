//! Quick start: fetch a catalogue, fan out to three analyses, aggregate a report.
//!
//! Run with `cargo run --example quickstart`.

use std::time::Duration;

use workflow_core::prelude::*;

/// A product as the (simulated) catalogue service returns it.
#[derive(Debug, Clone)]
struct Product {
    name: String,
    price_cents: u64,
    stock: u32,
}

/// The catalogue service failed.
#[derive(Debug, thiserror::Error)]
#[error("catalogue service unavailable: {0}")]
struct CatalogueError(String);

/// Fetches the catalogue (simulated network latency: 50 ms).
#[node]
async fn fetch_catalogue(region: String) -> Result<Vec<Product>, CatalogueError> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    if region.is_empty() {
        return Err(CatalogueError("no region".into()));
    }
    Ok(vec![
        Product {
            name: "kettle".into(),
            price_cents: 2_999,
            stock: 12,
        },
        Product {
            name: "teapot".into(),
            price_cents: 4_550,
            stock: 0,
        },
        Product {
            name: "mug".into(),
            price_cents: 899,
            stock: 140,
        },
        Product {
            name: "infuser".into(),
            price_cents: 1_250,
            stock: 33,
        },
    ])
}

/// Total stock value, in cents (30 ms).
#[node]
async fn stock_value(products: Vec<Product>) -> u64 {
    tokio::time::sleep(Duration::from_millis(30)).await;
    products
        .iter()
        .map(|p| p.price_cents * u64::from(p.stock))
        .sum()
}

/// Products that are sold out (20 ms).
#[node]
async fn sold_out(products: Vec<Product>) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    products
        .into_iter()
        .filter(|p| p.stock == 0)
        .map(|p| p.name)
        .collect()
}

/// The most expensive product (40 ms).
#[node]
async fn priciest(products: Vec<Product>) -> Option<String> {
    tokio::time::sleep(Duration::from_millis(40)).await;
    products
        .into_iter()
        .max_by_key(|p| p.price_cents)
        .map(|p| p.name)
}

/// Puts the three analyses into one report.
#[node]
async fn report(value: u64, sold_out: Vec<String>, top: Option<String>) -> String {
    format!(
        "stock value ${}.{:02}; sold out: [{}]; priciest: {}",
        value / 100,
        value % 100,
        sold_out.join(", "),
        top.unwrap_or_else(|| "-".into())
    )
}

workflow! {
    /// Fetch → fan out to three analyses → aggregate.
    #[workflow(timeout = "2s")]
    pub struct CatalogueReport {
        input region: String,
        catalogue = fetch_catalogue(region),
        value = stock_value(products: catalogue),
        empty = sold_out(products: catalogue),
        top = priciest(products: catalogue),
        summary = report(value, sold_out: empty, top),
    }
}

#[tokio::main]
async fn main() -> Result<(), WorkflowError> {
    let rt = Runtime::new();
    let run = rt
        .execute(
            CatalogueReport,
            CatalogueReportInput {
                region: "eu".into(),
            },
        )
        .await?;

    println!("{}", run.outputs.summary);
    println!();
    println!("{}", run.report);
    println!("graph (Mermaid):\n{}", CatalogueReport::MERMAID);
    rt.shutdown().await;
    Ok(())
}
