//! A user struct holding an `Rc` as a workflow input (also a node input): one error at
//! each type, none from the workflow's generated items or from building its input.
use std::rc::Rc;
use workflow_core::prelude::*;

#[derive(Clone)]
pub struct Config {
    pub name: Rc<String>,
}

#[node]
async fn greet(config: Config, name: String) -> String {
    format!("{}{name}", config.name)
}

workflow! {
    struct Hello {
        input config: Config,
        input name: String,
        greeting = greet(config, name),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let config = Config { name: Rc::new("x".into()) };
    let _ = Runtime::new()
        .execute(Hello, HelloInput { config, name: "y".into() })
        .await;
}
