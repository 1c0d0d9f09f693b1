//! Routing in `workflow!`: `match` and `if` on a node's output. Only the taken arm runs;
//! a binding every arm defines is one value (a merge), waited for once; a binding of
//! some arms is an `Option` through `name?`; nodes of the arms not taken end *not taken*.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use workflow_core::prelude::*;

const LIMIT: u32 = 1000;

#[derive(Debug, Clone, PartialEq)]
struct Order {
    total: u32,
}

#[derive(Debug, Clone, PartialEq)]
enum Triage {
    Small(Order),
    Large(Order),
    Rejected(String),
}

#[node]
async fn triage(order: Order) -> Triage {
    match order.total {
        0 => Triage::Rejected("empty order".into()),
        t if t < 100 => Triage::Small(order),
        _ => Triage::Large(order),
    }
}

#[node]
async fn pay_now(order: Order) -> String {
    format!("paid {}", order.total)
}

#[node]
async fn ask_manager(order: Order) -> u32 {
    tokio::time::sleep(Duration::from_millis(30)).await;
    order.total
}

#[node]
async fn pay_after(approval: u32) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    format!("paid {approval} after approval")
}

#[node]
async fn refuse_large(order: Order) -> String {
    format!("refused {}: too large", order.total)
}

#[node]
async fn refuse(reason: String) -> String {
    format!("refused: {reason}")
}

static EMAILS: AtomicU32 = AtomicU32::new(0);

#[node]
async fn email(receipt: String) -> String {
    EMAILS.fetch_add(1, Ordering::SeqCst);
    format!("sent <{receipt}>")
}

#[node]
async fn log_approval(approval: Option<u32>) -> String {
    match approval {
        Some(a) => format!("approved {a}"),
        None => "no approval".into(),
    }
}

workflow! {
    struct Checkout {
        input order: Order,
        t = triage(order),
        match t {
            Triage::Small(o) => { receipt = pay_now(order: o), }
            Triage::Large(o) if o.total < LIMIT => {
                approval = ask_manager(order: o),
                receipt = pay_after(approval),
            }
            Triage::Large(o) => { receipt = refuse_large(order: o), }
            Triage::Rejected(reason) => { receipt = refuse(reason), }
        }
        sent = email(receipt),
        audit = log_approval(approval?),
    }
}

async fn checkout(total: u32) -> Run<CheckoutOutput> {
    Runtime::new()
        .execute(
            Checkout,
            CheckoutInput {
                order: Order { total },
            },
        )
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn only_the_taken_arm_runs() {
    let run = checkout(5).await;
    assert_eq!(run.outputs.sent, "sent <paid 5>");
    assert_eq!(run.outputs.audit, "no approval");
    let status = |n: &str| run.report.node(n).unwrap().status;
    assert_eq!(status("receipt"), NodeStatus::Succeeded);
    assert_eq!(status("approval"), NodeStatus::NotTaken);
    assert_eq!(status("sent"), NodeStatus::Succeeded);
    assert_eq!(
        run.report.with_status(NodeStatus::NotTaken).count(),
        4,
        "{}",
        run.report
    );
}

#[tokio::test(start_paused = true)]
async fn a_guarded_arm_and_a_partial_binding() {
    let run = checkout(500).await;
    assert_eq!(run.outputs.sent, "sent <paid 500 after approval>");
    assert_eq!(run.outputs.audit, "approved 500");
    assert_eq!(run.duration(), Duration::from_millis(50));
    let run = checkout(5000).await;
    assert_eq!(run.outputs.sent, "sent <refused 5000: too large>");
    assert_eq!(run.outputs.audit, "no approval");
    let run = checkout(0).await;
    assert_eq!(run.outputs.sent, "sent <refused: empty order>");
}
