// `Res<&'static T>` is a resource of a `&'static` type, which can be registered (unlike
// `Res<&T>`, an error): a static configuration shared by reference.
use workflow_core::prelude::*;

struct Config {
    limit: u32,
}

static CONFIG: Config = Config { limit: 7 };

#[node]
async fn limit(config: Res<&'static Config>) -> u32 {
    config.limit
}

workflow! {
    struct Limit {
        l = limit(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::builder().resource(&CONFIG).build();
    let run = rt.execute(Limit, LimitInput {}).await.unwrap();
    assert_eq!(run.outputs.l, 7);
}
