use workflow_core::prelude::*;

#[node]
async fn count(text: String) -> usize {
    text.len()
}

workflow! {
    struct Words {
        input text: str,
        n = count(text),
    }
}

fn main() {
    // The input struct has the `String` the error names: no second error here.
    let _ = WordsInput { text: String::new() };
}
