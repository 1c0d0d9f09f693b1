// A workflow's input struct is `Clone` when every input is, so one input starts several
// runs (`rt.execute(Twice, input.clone())`, a durable run started again with its key); an
// input type without it (`Handle` here) leaves the struct without it, and the workflow
// still compiles and runs.
use workflow_core::prelude::*;

#[derive(Debug)]
pub struct Handle(u32);

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn greet(name: &'static str, tags: Vec<String>) -> String {
    format!("hello {name} {}", tags.len())
}

#[node]
async fn read(h: Handle) -> u32 {
    h.0
}

workflow! {
    struct Twice {
        input x: u32,
        input name: &'static str,
        input tags: Vec<String>,
        y = double(x),
        hi = greet(name, tags),
    }
}

workflow! {
    struct Reads {
        input h: Handle,
        v = read(h),
    }
}

fn main() {
    let input = TwiceInput { x: 2, name: "a", tags: vec!["t".into()] };
    let kept = input.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let runtime = Runtime::new();
        let first = runtime.execute(Twice, input.clone()).await.unwrap();
        let second = runtime.execute(Twice, input).await.unwrap();
        assert_eq!(first.outputs, second.outputs);
        assert_eq!(second.outputs.hi, "hello a 1");
        assert_eq!(kept.x, 2);
        let read = runtime.execute(Reads, ReadsInput { h: Handle(7) }).await.unwrap();
        assert_eq!(read.outputs.v, 7);
    });
}
