use workflow_core::prelude::*;

#[node]
async fn parse(text: String) -> Vec<u32> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

#[node]
async fn count(docs: Vec<ParseFileOutput>) -> usize {
    docs.iter().map(|d| d.nums.len()).sum()
}

// Not durable: its `ParseFileOutput` is not `Serialize + Deserialize`.
workflow! {
    pub struct ParseFile {
        input text: String,
        nums = parse(text),
    }
}

workflow! {
    #[workflow(durable)]
    pub struct Nightly {
        input texts: Vec<String>,
        docs = map(ParseFile, texts),
        n = count(docs),
    }
}

fn main() {}
