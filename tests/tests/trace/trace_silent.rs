//! Without a subscriber the library prints nothing and installs nothing. (In a process
//! of its own: other tests of this binary install scoped subscribers, which would flip
//! the check, so the outer test runs the ignored inner one in a child process.)

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

#[test]
fn silent_without_a_subscriber() {
    crate::own_process::run_alone("trace_silent::inner_silent_without_a_subscriber");
}

#[tokio::test]
#[ignore = "needs a process without subscribers: silent_without_a_subscriber runs it"]
async fn inner_silent_without_a_subscriber() {
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
