//! Pictures of a run: runs a workflow with retries and parallel branches, then writes
//! its trace as Chrome trace JSON (open in <https://ui.perfetto.dev> or
//! `chrome://tracing`) and as a Mermaid Gantt chart, plus the graph as Mermaid and DOT.
//!
//! Run with `cargo run --example trace`; the files land in `target/`.

use std::path::PathBuf;
use std::time::Duration;

use workflow_core::prelude::*;

/// A document as the (simulated) store returns it.
#[derive(Debug, Clone)]
struct Raw {
    bytes: usize,
}

/// A parsed document.
#[derive(Debug, Clone)]
struct Doc {
    words: usize,
}

/// The parser's backend was busy.
#[derive(Debug, thiserror::Error)]
#[error("parser busy (attempt {0})")]
struct Busy(u32);

/// Downloads the document (40 ms).
#[node]
async fn download(source: String, ctx: &Context) -> Raw {
    tokio::time::sleep(Duration::from_millis(40)).await;
    ctx.emit(format!("downloaded {source}"));
    Raw { bytes: 4096 }
}

/// Parses it (25 ms per attempt); the backend is busy twice before it succeeds.
#[node(retry(max = 4, backoff = "15ms"))]
async fn parse(raw: Raw, ctx: &Context) -> Result<Doc, Busy> {
    tokio::time::sleep(Duration::from_millis(25)).await;
    if ctx.attempt() < 3 {
        return Err(Busy(ctx.attempt()));
    }
    Ok(Doc {
        words: raw.bytes / 6,
    })
}

/// Renders thumbnails, in parallel with parsing (90 ms).
#[node]
async fn thumbnails(raw: Raw) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(90)).await;
    (1..=raw.bytes / 2048)
        .map(|i| format!("thumb-{i}.png"))
        .collect()
}

/// Builds the search index from the parsed document (20 ms).
#[node]
async fn index(doc: Doc) -> usize {
    tokio::time::sleep(Duration::from_millis(20)).await;
    doc.words
}

/// Publishes everything (10 ms).
#[node]
async fn publish(doc: Doc, thumbs: Vec<String>, terms: usize, ctx: &Context) -> String {
    tokio::time::sleep(Duration::from_millis(10)).await;
    ctx.emit("published");
    format!(
        "{} words, {} thumbnails, {terms} index terms",
        doc.words,
        thumbs.len()
    )
}

workflow! {
    /// Download → (parse → index) ∥ thumbnails → publish.
    pub struct Ingest {
        input source: String,
        raw = download(source),
        doc = parse(raw),
        thumbs = thumbnails(raw),
        terms = index(doc),
        done = publish(doc, thumbs, terms),
    }
}

/// The cargo target directory this example was built in (`target/` by default).
fn target_dir() -> PathBuf {
    // The binary is `<target>/<profile>/examples/trace`.
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::new();
    let run = rt
        .execute_with(
            Ingest,
            IngestInput {
                source: "s3://bucket/report.pdf".into(),
            },
            RunOptions::new().trace(true),
        )
        .await?;
    println!("{}\n", run.outputs.done);
    let trace = run.trace.expect("tracing was requested");
    print!("{}", trace.render_text());

    let dir = target_dir();
    std::fs::create_dir_all(&dir)?;
    let files = [
        (
            "trace.json",
            trace.to_chrome_json(),
            "Chrome trace JSON: open in https://ui.perfetto.dev or chrome://tracing",
        ),
        (
            "trace.mmd",
            trace.to_mermaid_gantt(),
            "the run as a Mermaid Gantt chart",
        ),
        (
            "graph.mmd",
            Ingest::MERMAID.to_owned(),
            "the graph as a Mermaid flowchart",
        ),
        (
            "graph.dot",
            Ingest::DOT.to_owned(),
            "the graph in Graphviz DOT; render with `dot -Tsvg`",
        ),
    ];
    println!();
    for (name, text, what) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        println!("wrote {} ({what})", path.display());
    }
    println!("\nGantt chart (paste into a ```mermaid block on GitHub):\n");
    print!("{}", trace.to_mermaid_gantt());
    rt.shutdown().await;
    Ok(())
}
