use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Order {
    pub total: u32,
}

#[derive(Debug, Clone)]
pub enum Triage {
    Small(Order),
    Large(Order),
    Rejected(String),
}

#[node]
async fn triage(order: Order) -> Triage {
    Triage::Small(order)
}

#[node]
async fn pay_now(order: Order) -> String {
    format!("paid {}", order.total)
}

#[node]
async fn ask_manager(order: Order) -> u32 {
    order.total
}

#[node]
async fn pay_after(approval: u32) -> String {
    format!("paid {approval}")
}

#[node]
async fn refuse(reason: String) -> String {
    reason
}

#[node]
async fn email(receipt: String) -> String {
    receipt
}

#[node]
async fn log_approval(approval: Option<u32>) -> u32 {
    approval.unwrap_or(0)
}

const LIMIT: u32 = 1000;

#[node]
async fn is_rush(order: Order) -> bool {
    order.total > 10
}

workflow! {
    /// The example, with an `if` nested in an arm.
    pub struct Checkout {
        input order: Order,
        t = triage(order),
        match t {
            Triage::Small(o) => {
                rush = is_rush(order: o),
                if rush { receipt = pay_now(order: o), } else { receipt = pay_now(order: o), }
            }
            Triage::Large(o) if o.total < LIMIT => {
                approval = ask_manager(order: o),
                receipt = pay_after(approval),
            }
            Triage::Large(o) => { receipt = pay_now(order: o), }
            Triage::Rejected(reason) => { receipt = refuse(reason), }
        }
        sent = email(receipt),
        audit = log_approval(approval?),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Checkout, CheckoutInput { order: Order { total: 5 } })
        .await
        .unwrap();
    assert_eq!(run.outputs.sent, "paid 5");
    assert_eq!(run.outputs.audit, 0);
    assert!(Checkout::MERMAID.contains("match_t{\"match t\"}"));
}
