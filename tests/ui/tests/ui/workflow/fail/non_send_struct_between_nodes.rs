//! A user struct holding an `Rc` passed from one node to another: one error per node
//! signature naming it (the output of `load`, the input of `size`), at the type, with
//! the fix in the bound it shows; the workflow holding the value adds none.
use std::rc::Rc;
use workflow_core::prelude::*;

#[derive(Clone)]
pub struct Doc {
    pub text: Rc<String>,
}

#[node]
async fn load(url: String) -> Doc {
    Doc { text: Rc::new(url) }
}

#[node]
async fn size(doc: Doc) -> usize {
    doc.text.len()
}

workflow! {
    struct Etl {
        input url: String,
        doc = load(url),
        n = size(doc),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
