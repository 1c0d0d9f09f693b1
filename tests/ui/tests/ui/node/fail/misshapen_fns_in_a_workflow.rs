// Each fn's shape is one error at the fn; the workflow calling them adds none (no
// "cannot find macro `fetch`": `#[node]` declares the ports of the fn as its errors say
// to write it).
use workflow_core::prelude::*;

#[node]
fn fetch(url: String) -> String {
    url
}

#[node]
async fn greet(name: Option<&str>) -> String {
    format!("hi {}", name.unwrap_or("you"))
}

#[node]
async fn push(items: &mut Vec<u32>, ctx: &mut Context) -> usize {
    ctx.emit("pushing");
    items.push(1);
    items.len()
}

workflow! {
    struct Pipeline {
        input url: String,
        input name: Option<String>,
        input items: Vec<u32>,
        page = fetch(url),
        hello = greet(name),
        n = push(items),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let input = PipelineInput { url: "x".into(), name: None, items: vec![] };
    let run = Runtime::new().execute(Pipeline, input).await.unwrap();
    println!("{} {} {}", run.outputs.page, run.outputs.hello, run.outputs.n);
}
