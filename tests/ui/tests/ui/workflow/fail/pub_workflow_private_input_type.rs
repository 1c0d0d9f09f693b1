//! A `pub` workflow (a sub-workflow for other modules) whose inputs' types are private:
//! rustc's E0446, at the input's type, once per workflow (not at the whole `workflow!`
//! call, once for the single-input `map` impl and once for the port's type).
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
struct Order {
    qty: u32,
}

#[node]
async fn price(order: Order) -> u32 {
    order.qty * 3
}

#[node]
async fn priced(order: Order, rate: u32) -> u32 {
    order.qty * rate
}

workflow! {
    pub struct Invoice {
        input order: Order,
        amount = price(order),
    }
}

workflow! {
    pub struct Quote {
        input order: Order,
        input rate: u32,
        amount = priced(order, rate),
    }
}

fn main() {}
