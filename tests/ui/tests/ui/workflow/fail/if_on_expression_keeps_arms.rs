// `if order.total > 100`: the expression is the one error; the arms still parse, so
// `receipt` stays a field of the output struct.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Order {
    pub total: u32,
}

#[node]
async fn load(id: u32) -> Order {
    Order { total: id }
}

#[node]
async fn pay_now(order: Order) -> String {
    format!("paid {}", order.total)
}

#[node]
async fn ask_manager(order: Order) -> String {
    format!("asked {}", order.total)
}

workflow! {
    struct Checkout {
        input id: u32,
        order = load(id),
        if order.total > 100 {
            receipt = ask_manager(order),
        } else {
            receipt = pay_now(order),
        }
    }
}

async fn run() {
    let run = Runtime::new().execute(Checkout, CheckoutInput { id: 5 }).await.unwrap();
    let _ = run.outputs.receipt;
}

fn main() {
    let _ = run;
}
