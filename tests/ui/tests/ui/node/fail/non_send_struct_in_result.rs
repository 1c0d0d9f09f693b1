//! A user type holding an `Rc`, returned in a `Result`: one error, at the return type
//! (the ports struct, the future and the `Node` impl add none).
use std::rc::Rc;
use workflow_core::prelude::*;

pub struct Doc {
    pub text: Rc<String>,
}

#[node]
async fn load(url: String) -> Result<Doc, std::io::Error> {
    Ok(Doc { text: Rc::new(url) })
}

fn main() {}
