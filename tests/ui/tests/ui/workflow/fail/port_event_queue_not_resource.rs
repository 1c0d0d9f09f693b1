// An `EventQueue<T>` parameter (a port) where `Res<EventQueue<T>>` (a resource) was
// meant: the unconnected port's error says to take it as a `Res`.
use std::time::Duration;
use workflow_core::prelude::*;

#[node]
async fn listen(events: EventQueue<String>) -> usize {
    let mut n = 0;
    while let Ok(Some(_)) = events.recv_timeout(Duration::from_millis(50)).await {
        n += 1;
    }
    n
}

workflow! {
    struct Listen {
        n = listen(),
    }
}

fn main() {}
