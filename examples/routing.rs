//! Routing: a `match` on a node's output inside `workflow!`.
//!
//! An order is small, large or rejected; each arm runs its own nodes. `receipt` is
//! bound in every arm, so after the `match` it is one value (a merge) that `email`
//! waits for; `approval` is bound in one arm only, so it is used as `approval?`, an
//! `Option`. The nodes of the arms a run does not take end *not taken*.
//!
//! Run with `cargo run --example routing`.

use workflow_core::prelude::*;

/// Orders up to this total are approved by a manager; larger ones are refused.
const LIMIT: u32 = 1_000;

/// An order.
#[derive(Debug, Clone)]
pub struct Order {
    /// Its total, in euros.
    pub total: u32,
}

/// How an order is handled.
#[derive(Debug, Clone)]
pub enum Triage {
    /// Paid at once.
    Small(Order),
    /// Needs a manager's approval (or is refused above the limit).
    Large(Order),
    /// Not an order at all.
    Rejected(String),
}

/// Sorts an order.
#[node]
async fn triage(order: Order) -> Triage {
    match order.total {
        0 => Triage::Rejected("empty order".into()),
        1..=99 => Triage::Small(order),
        _ => Triage::Large(order),
    }
}

/// Charges a small order.
#[node]
async fn pay_now(order: Order) -> String {
    format!("paid {} €", order.total)
}

/// Asks a manager; returns the approved total.
#[node]
async fn ask_manager(order: Order) -> u32 {
    order.total
}

/// Charges an approved order.
#[node]
async fn pay_after(approval: u32) -> String {
    format!("paid {approval} € after approval")
}

/// Refuses an order over the limit.
#[node]
async fn refuse_large(order: Order) -> String {
    format!("refused {} €: over the limit", order.total)
}

/// Refuses a rejected order.
#[node]
async fn refuse(reason: String) -> String {
    format!("refused: {reason}")
}

/// Sends the receipt.
#[node]
async fn email(receipt: String) -> String {
    format!("emailed \"{receipt}\"")
}

/// Logs an approval, if there was one.
#[node]
async fn log_approval(approval: Option<u32>) -> String {
    approval.map_or_else(|| "no approval".into(), |a| format!("approved {a} €"))
}

workflow! {
    /// Checks out an order: pay now, ask first, or refuse.
    pub struct Checkout {
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
        sent = email(receipt),              // bound in every arm: a plain value
        audit = log_approval(approval?),    // bound in one arm: `?` makes it an Option
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), WorkflowError> {
    let runtime = Runtime::new();
    for total in [40, 400, 4_000, 0] {
        let run = runtime
            .execute(
                Checkout,
                CheckoutInput {
                    order: Order { total },
                },
            )
            .await?;
        println!("{total:>5} €: {}; {}", run.outputs.sent, run.outputs.audit);
        let not_taken: Vec<_> = run
            .report
            .with_status(NodeStatus::NotTaken)
            .map(|n| format!("{} ({})", n.name, n.node_fn))
            .collect();
        println!("         not taken: {}", not_taken.join(", "));
    }
    println!("\n{}", <Checkout as Workflow>::MERMAID);
    Ok(())
}
