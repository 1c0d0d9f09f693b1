//! Airflow's `task.expand(arg=list)` as a binding: one error naming the `for` fan-out with
//! the node and its port in the body (was "to run nodes once per item of `download`").
use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn layout(page: String) -> String {
    format!("<p>{page}</p>")
}

workflow! {
    pub struct Render {
        input page: String,
        html = layout(page),
    }
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        imgs = download.expand(url: urls),
    }
}

fn main() {}
