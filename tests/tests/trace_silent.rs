//! Without a subscriber the library prints nothing and installs nothing. (A binary of
//! its own: other tests install scoped subscribers, which would flip the check.)

use workflow_core::prelude::*;

#[node(retry(max = 2))]
async fn chatty(ctx: &Context) -> Result<u8, std::io::Error> {
    ctx.emit("hello");
    if ctx.attempt() == 1 {
        return Err(std::io::Error::other("first attempt fails"));
    }
    Ok(1)
}

workflow! {
    struct Chatty {
        c = chatty(),
    }
}

#[tokio::test]
async fn silent_without_a_subscriber() {
    let run = Runtime::new()
        .execute(Chatty, ChattyInput {})
        .await
        .unwrap();
    assert_eq!(run.outputs.c, 1);
    assert!(
        !tracing::dispatcher::has_been_set(),
        "the library must not install a subscriber"
    );
}
