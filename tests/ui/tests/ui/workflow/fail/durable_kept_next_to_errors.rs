// A workflow declared durable stays durable next to its errors: `durable = true` and
// `#[ephemeral]` on an input are one error each, and `start_durable` adds none.
use workflow_core::prelude::*;
use workflow_core::store::MemoryStore;

#[node]
async fn fetch(city: String) -> usize {
    city.len()
}

workflow! {
    #[workflow(durable = true)]
    struct Weather {
        input city: String,
        n = fetch(city),
    }
}

workflow! {
    #[workflow(durable)]
    struct Forecast {
        #[ephemeral]
        input city: String,
        n = fetch(city),
    }
}

async fn run() {
    let rt = Runtime::builder().store(MemoryStore::new()).build();
    let a = rt.start_durable(Weather, WeatherInput { city: "Paris".into() }, None).await;
    let b = rt.start_durable(Forecast, ForecastInput { city: "Oslo".into() }, None).await;
    let _ = (a.unwrap().outputs.n, b.unwrap().outputs.n);
}

fn main() {
    let _ = run;
}
