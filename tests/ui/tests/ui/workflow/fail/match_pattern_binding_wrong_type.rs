use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Order {
    pub total: u32,
}

#[derive(Debug, Clone)]
pub enum Triage {
    Small(Order),
    Large(Order),
}

#[node]
async fn triage(order: Order) -> Triage {
    if order.total < 100 { Triage::Small(order) } else { Triage::Large(order) }
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
async fn email(receipt: String) -> String {
    receipt
}

#[node]
async fn charge(amount: u32) -> String {
    format!("charged {amount}")
}

workflow! {
    struct Checkout {
        input order: Order,
        t = triage(order),
        match t {
            Triage::Small(o) => { receipt = charge(amount: o), }
            Triage::Large(o) => { receipt = pay_now(order: o), }
        }
        sent = email(receipt),
    }
}

fn main() {}
