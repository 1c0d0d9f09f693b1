//! Nodes reached every way a fn is: imported with `use`, through a glob import, by a
//! path into another module, and nodes named like std prelude macros (`format`,
//! `write`), which keep the std macros usable in their module.
use workflow_core::prelude::*;

mod text {
    use workflow_core::prelude::*;

    #[node]
    pub async fn shout(text: String) -> String {
        text.to_uppercase()
    }

    #[node]
    pub(crate) async fn whisper(text: String) -> String {
        text.to_lowercase()
    }
}

mod counting {
    use workflow_core::prelude::*;

    #[node]
    pub async fn count(text: String) -> usize {
        text.len()
    }
}

#[node]
async fn format(a: String, b: String) -> String {
    format!("{a}/{b}")
}

#[node]
async fn write(text: String) -> Vec<String> {
    vec![text]
}

use counting::*;
use text::shout;

workflow! {
    struct Imports {
        input s: String,
        loud = shout(text: s),
        quiet = text::whisper(text: s),
        both = format(a: loud, b: quiet),
        n = count(text: both),
        lines = write(text: both),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Imports, ImportsInput { s: "Ab".into() })
        .await
        .unwrap();
    assert_eq!(run.outputs.n, 5);
    assert_eq!(run.outputs.lines, vec!["AB/ab".to_string()]);
}
