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

workflow! {
    struct Checkout {
        input order: Order,
        input limit: u32,
        t = triage(order),
        match t {
            Triage::Small(o) => { receipt = pay_now(order: o), }
            Triage::Large(o) if o.total < limit => { receipt = pay_now(order: o), }
            Triage::Large(o) => { receipt = pay_now(order: o), }
            Triage::Rejected(reason) => { receipt = refuse(reason), }
        }
        sent = email(receipt),
    }
}

fn main() {}
