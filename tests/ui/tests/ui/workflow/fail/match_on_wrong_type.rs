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
async fn price(order: Order) -> u32 {
    order.total
}

workflow! {
    struct Checkout {
        input order: Order,
        p = price(order),
        match p {
            Triage::Small(o) => { receipt = pay_now(order: o), }
            Triage::Large(o) => { receipt = pay_now(order: o), }
        }
        sent = email(receipt),
    }
}

fn main() {}
