use workflow_core::prelude::*;

#[node]
async fn parse(text: String) -> Vec<u32> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

#[node]
async fn total(nums: Vec<u32>) -> u32 {
    nums.iter().sum()
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
        input text: String,
        parsed = ParseFile(text),
        sum = total(nums: parsed.nums),
    }
}

fn main() {}
