use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Query {
    pub city: String,
}

#[node]
async fn look(q: Query) -> String {
    q.city
}

workflow! {
    #[workflow(durable)]
    struct Weather {
        input q: Query,
        city = look(q),
    }
}

fn main() {}
