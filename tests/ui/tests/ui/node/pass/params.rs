//! `Res<T>` and `&Context` parameters are not ports; `Result` return types through
//! aliases (`std::io::Result<T>`, a crate's own `Result<T>`) are fallible nodes.
use std::sync::Arc;

use workflow_core::prelude::*;

pub struct Prefix(String);

#[derive(Debug, thiserror::Error)]
#[error("bad input")]
pub struct MyError;

pub type Result<T> = std::result::Result<T, MyError>;

#[node]
async fn greet(name: String, prefix: Res<Prefix>, ctx: &Context) -> String {
    format!("{} {name} from {}", prefix.0, ctx.node())
}

#[node]
async fn read(text: String) -> std::io::Result<usize> {
    Ok(text.len())
}

#[node]
async fn check(n: usize) -> Result<usize> {
    if n > 0 {
        Ok(n)
    } else {
        Err(MyError)
    }
}

#[node]
async fn nothing() {}

workflow! {
    struct Params {
        input name: String,
        hello = greet(name),
        len = read(text: hello),
        ok = check(n: len),
        unit = nothing(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::builder()
        .resource_arc(Arc::new(Prefix("hi".into())))
        .build();
    let run = rt
        .execute(Params, ParamsInput { name: "ada".into() })
        .await
        .unwrap();
    assert_eq!(run.outputs.ok, "hi ada from hello".len());
    let () = run.outputs.unit;
}
