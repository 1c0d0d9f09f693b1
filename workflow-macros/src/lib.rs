//! Procedural macros of `workflow-core`: `#[node]`, `workflow!` and `#[workflow_test]`.
//!
//! This crate is an implementation detail: depend on `workflow-core` (and
//! `workflow-test` for `#[workflow_test]`), which re-export these macros with their
//! documentation. Each entry point parses, checks and expands in separate modules, never
//! panics on user input, and reports every error of one call in one pass.
//!
//! # Layout
//!
//! Each macro has a module whose `mod.rs` runs its phases in order, each phase in its own
//! file: `attr.rs` (options), `ast.rs` (the input as written), `check.rs` (rules, one
//! small function each), `expand.rs` (code, one function per generated piece).
//! `workflow!`, whose grammar is the largest, parses in `parse/` into the types of
//! `ast.rs`, and adds `resolve.rs` (names) and `graph.rs` (links, order) between parsing
//! and checking. Shared by all three:
//!
//! - `internals/`: the parse/check building blocks: `Ctxt` (the one error collector
//!   every phase reports into), option-value parsers, duration literals, the policy
//!   options `timeout`/`retry(..)`/`spawn`, "did you mean" suggestions;
//! - `codegen.rs`: expansion helpers; generated code names only `<crate>::__private`.
//!
//! A new diagnostic is a small function in the phase that has the facts: a bad option
//! value in `attr.rs`, a misspelt name in `resolve.rs`, a rule about the fn or the graph
//! in `check.rs`; it reports into the `Ctxt` and lets the pipeline go on. Errors that only
//! rustc can find (types, auto traits) are shaped in `expand` by spans and
//! `#[diagnostic::on_unimplemented]`. `workflow!` emits its user-facing items even next
//! to errors (`workflow/expand/fallback.rs`), so code using them adds no errors.

#![forbid(unsafe_code)]

mod codegen;
#[cfg(test)]
mod expanded_snapshot;
mod internals;
mod node;
mod workflow;
mod workflow_test;

use proc_macro::TokenStream;

/// Turns an `async fn` into a workflow node.
///
/// Each ordinary parameter is a typed **input port** named after it; the return value
/// (`T`, or `Result<T, E>` with `E: std::error::Error + Send + Sync + 'static`) is the
/// node's **output** `T`. The `Result` is seen in the return type as written, so write it
/// `Result<..>` (`io::Result<T>`, `anyhow::Result<T>` work too): an alias of another name
/// (`type PayResult<T> = Result<T, PayError>`) is a compile error, as the node would
/// otherwise take the whole `Result` as its value and an `Err` would not fail it. Two kinds of parameters are not ports: `Res<T>` (a resource
/// registered on the `Runtime`) and `&Context` (node name, attempt, cancellation, trace
/// events, tracked waits). The fn itself is left unchanged and stays callable as plain
/// Rust, so it can be unit-tested directly.
///
/// Beside the fn, `#[node]` declares a hidden struct of its ports and a hidden macro, both
/// under the fn's name (so they are imported with it), through which `workflow!` learns
/// the ports and reports a port mistake as one: "`total` has no port `values`". A node
/// named like a std prelude macro (`format`, `write`, `vec`, `matches`, `env`, ..) gets
/// no such macro, so as not to shadow the std one; port mistakes on it are reported by
/// rustc as struct-literal errors.
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `timeout = "500ms"` | limit on each attempt (units `ns`, `us`, `ms`, `s`, `m`, `h`) |
/// | `retry(max = 3, backoff = "100ms", max_backoff = "1s", multiplier = 1.5, jitter, retry_if = path, retry_timeouts = false, total_timeout = "5s")` | retries with exponential backoff; `max` counts all attempts; `retry_if` is a `fn(&E) -> bool`; every input must be `Clone` |
/// | `spawn` | run each attempt as its own tokio task (CPU-heavy nodes) |
/// | `spawn_blocking` | on a plain (non-`async`) fn: run it on tokio's blocking pool, for blocking I/O or heavy CPU work |
/// | `version = 2` | for durable runs: bump it when the fn computes something else; a resumed run re-runs the node (and what is downstream of it) instead of restoring an output recorded at another version (default 1) |
/// | `crate = path` | path of `workflow_core` if it is re-exported under another name |
///
/// A `workflow!` binding can override these per use: `#[timeout = ".."]`, `#[retry(..)]`,
/// `#[spawn]`. Each replaces the node's option of that name (`#[retry(..)]` as a whole);
/// the others stay the node's, so a binding's `timeout` meets the node's
/// `retry(total_timeout)` and the other way round: a per-attempt `timeout` not shorter
/// than the `total_timeout` it meets could never fire, and is a compile error at the
/// binding's value.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use workflow_core::prelude::*;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("temporarily unavailable")]
/// struct Unavailable;
///
/// /// Ports: `user_id`. Output: `String`. Retried up to 3 attempts, 1 s each.
/// #[node(timeout = "1s", retry(max = 3, backoff = "100ms"))]
/// async fn lookup(user_id: u64, ctx: &Context) -> Result<String, Unavailable> {
///     if ctx.attempt() < 2 {
///         return Err(Unavailable);
///     }
///     Ok(format!("user-{user_id}"))
/// }
///
/// workflow! {
///     struct Lookup {
///         input user_id: u64,
///         name = lookup(user_id),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let run = Runtime::new().execute(Lookup, LookupInput { user_id: 7 }).await.unwrap();
/// assert_eq!(run.outputs.name, "user-7");
/// assert_eq!(run.report.node("name").unwrap().attempts, 2);
/// # });
/// ```
///
/// # Errors
///
/// Compile errors, each at the offending tokens: a fn that is not `async`, takes
/// `self`, has generics or lifetimes, is `unsafe`, carries a second `#[node]`,
/// destructures a parameter, takes an `impl Trait`
/// or borrowed port, returns `impl Trait`; unknown or malformed options (all of them, in
/// one pass, with the valid ones listed); `max_backoff` below `backoff`; a `retry(..)`
/// that can never run (the fn cannot fail and has no `timeout`: an error rather than a
/// warning, which stable proc macros cannot emit), a `retry_if` on a fn that cannot
/// return an error (no `Result`: only its timeouts are retried). Type checks land on the user's tokens
/// too: an output or a future that is not `Send` (at the fn's name, with rustc's note on
/// the value held across an `.await`), an error type that is not a boxable
/// `std::error::Error` (at `E`), a non-`Clone` input of a retried node. A workflow
/// calling a misshapen fn adds no error of its own: `#[node]` still declares the node's
/// ports, as the errors say to write them (`async`, owned ports, `&Context`), with an
/// error type where the fix cannot be guessed (generics, `impl Trait`), about which
/// rustc says nothing more.
///
/// A node is a free fn at module (or fn-body) scope. On a fn inside an `impl` or `trait`
/// block, `#[node]` is one error, rustc's `struct is not supported in traits or impls` at
/// the attribute (the fn's own errors, if any, come once it is moved): move the fn out of
/// the block (and pass what `self` held as a `Res<T>`).
///
/// # Generated items
///
/// Besides the fn, a hidden braced struct of the same name (`struct lookup { pub user_id: u64 }`,
/// in the type namespace, so it does not clash with the fn) implementing
/// `workflow_core::Node`. `workflow!` fills that struct, which is how rustc checks
/// every edge.
///
/// The struct has the fn's visibility, so that a `pub` node can be used from other
/// modules and crates, and its `Node` impl names the fn's port, output and error types.
/// So the types of a `pub` node fn must be as visible as the fn: a `pub fn` returning
/// `Result<_, Down>` with a private `Down` compiles as a plain fn (reachable only in its
/// crate), but as a node it is rustc's E0446 ("private type `Down` in public
/// interface") at the type. Make the type `pub`, or the fn `pub(crate)` (or
/// `pub(super)`), as visible as its workflows need.
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    node::expand(args.into(), item.into()).into()
}

/// Declares a workflow: a graph of `#[node]` fns whose every edge rustc checks.
///
/// ```text
/// workflow! {
///     /// docs
///     #[workflow(timeout = "2s")]          // optional workflow policies
///     pub struct Name {
///         input url: String,              // a typed input -> NameInput { url }
///         page = fetch(url),              // shorthand: port `url` <- source `url`
///         items = parse(raw: page),       // port `raw` <- the whole output of `page`
///         total = sum(values: items.values), // port <- a field of an output
///         #[output] #[retry(max = 5)]     // per-binding attributes
///         report = render(total, title: page.title),
///     }
/// }
/// ```
///
/// A **source** is a workflow `input`, a binding (its whole output) or
/// `binding.field` (a field of its output, also `binding.0`). `node_fn(x)` is short for
/// `node_fn(x: x)`, and `node_fn(page.title)` for `node_fn(title: page.title)`.
///
/// # Branches
///
/// `match t { Pattern (if guard)? => { entries.. } .. }` routes on a source (an
/// `if ok { .. } else { .. }` is a `match` on a `bool`; arms nest). The arms are a real
/// `match`, checked by rustc (a missing variant is E0004 at the `match`); a guard may use
/// only its own pattern's bindings, which the arm's entries may connect like sources. A
/// binding defined in every arm is one value after the `match` (same type in every
/// arm); one defined in some arms only is read outside as `name?`, an `Option`. The
/// nodes of the arms not taken end *not taken*; the decision is a node of the plan
/// named `match_t` (or `if_ok`) whose output is the arm taken (recorded by durable
/// runs). See the crate's README, section *Branches*.
///
/// # Generated items
///
/// - `Name`: a unit struct implementing `workflow_core::Workflow`, with the consts
///   `TOPOLOGICAL_ORDER`, `MERMAID` and `DOT` describing the graph.
/// - `NameInput`: one public field per `input`.
/// - `NameOutput`: one public field per **sink** binding (an output no node consumes)
///   and per binding marked `#[output]` (an `Option` for a binding of some arms only).
///   Outputs move to their last consumer and are cloned for the others, so an output
///   with several consumers in one run must be `Clone`.
///
/// # Workflow options (`#[workflow(..)]`)
///
/// | option | meaning |
/// |---|---|
/// | `timeout = "2s"` | limit on the whole run |
/// | `deadlock = "5s"` | stall watchdog: fail with a deadlock report if no node finishes for this long; a node slower than this counts as stalled, so set it above the slowest node's time (tracked waits are found at once, whatever it is); after a node inside a fan-out item or sub-workflow finishes, a stall is reported within 1x to 1.25x this (`RunOptions::deadlock`) |
/// | `concurrency = 4` / `sequential` | most nodes of one run in flight at once; also the most items of each fan-out and nodes of each sub-workflow at once (`sequential`: the whole run one node at a time) |
/// | `failure = "fail_fast"` / `"continue"` | stop at the first failure (default), or let independent branches finish and report all failures |
/// | `durable` | runs can be recorded in a store and resumed (`Runtime::start_durable`); every input and node output, except `#[ephemeral]` bindings', must be `Serialize + Deserialize` |
/// | `crate = path` | path of `workflow_core` if it is re-exported |
///
/// # Binding attributes
///
/// `#[output]` (keep this output for the caller), `#[timeout = "1s"]`, `#[retry(..)]`
/// (same settings as on `#[node]`), `#[spawn]`, `#[ephemeral]` (in a
/// `#[workflow(durable)]` workflow: the output is not recorded and need not be
/// serializable; a resumed run recomputes it only for a node that runs and needs it),
/// and doc comments (copied to the output field).
///
/// # Example
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[derive(Debug, Clone)]
/// struct Page { title: String, words: Vec<String> }
///
/// #[node]
/// async fn fetch(url: String) -> Page {
///     Page { title: url.to_uppercase(), words: vec!["a".into(), "bb".into()] }
/// }
///
/// #[node]
/// async fn count(words: Vec<String>) -> usize {
///     words.len()
/// }
///
/// #[node]
/// async fn longest(words: Vec<String>) -> Option<String> {
///     words.into_iter().max_by_key(|w| w.len())
/// }
///
/// workflow! {
///     /// Fetches a page and analyses its words concurrently.
///     #[workflow(timeout = "5s")]
///     pub struct Analyse {
///         input url: String,
///         #[output]
///         page = fetch(url),
///         n = count(page.words),
///         long = longest(words: page.words),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let run = Runtime::new().execute(Analyse, AnalyseInput { url: "x".into() }).await.unwrap();
/// assert_eq!(run.outputs.n, 2);
/// assert_eq!(run.outputs.long.as_deref(), Some("bb"));
/// assert_eq!(run.outputs.page.title, "X");
/// assert_eq!(Analyse::TOPOLOGICAL_ORDER, ["page", "n", "long"]);
/// # });
/// ```
///
/// # Errors
///
/// Compile errors at the user's tokens, all reported in one pass: an edge whose types
/// differ (naming the edge and both types), an unknown node fn, port, field or source,
/// an unconnected port, a port connected twice, a duplicate name, an unused input (an
/// error rather than a warning: connect it or remove it), a cycle (printed as
/// `a -> b -> a`, on the edge that closes it), unknown or malformed options (a node's
/// `version` or a policy of the wrong level says where it goes), a
/// `deadlock` not shorter than the `timeout`, a shared output that is not `Clone` (a
/// `#[failure = "collect"]` fan-out, whose `Vec<Result<_, WorkflowError>>` never is, with
/// a second consumer: said in the DSL's terms, at that consumer), an
/// input typed `impl Trait` or `_`, a workflow declared twice in one module (one error,
/// at the second name: the second declaration's items are not emitted). Rust
/// habits are recognised and said in the DSL's terms (`fetch(url).await`, `page.clone()`,
/// `&page`, a nested call, a literal argument, `let x = f(a);`, `input x: u32 = 3`).
/// Next to any error the workflow's types are still emitted with every entry that could
/// be understood (parsing resumes at the next `,`), so code using them adds no errors of
/// its own.
///
/// ```text
/// error[E0277]: edge `fetch -> parse.raw` carries `Vec<u8>`, but input `raw` of `parse` takes `String`
///   --> src/main.rs:17:28
///    |
/// 17 |         parse = parse(raw: fetch),
///    |                            ^^^^^ this is `Vec<u8>`
/// ```
#[proc_macro]
pub fn workflow(input: TokenStream) -> TokenStream {
    workflow::expand(input.into()).into()
}

/// The ports literal of one node call in `workflow!`, reached through the node's ports
/// callback. Not public API.
#[doc(hidden)]
#[proc_macro]
pub fn node_ports(input: TokenStream) -> TokenStream {
    let input = input.into();
    let gen = codegen::mentions_gen(&input);
    let out = workflow::expand::node_ports(input);
    if gen { codegen::raw_gen(out) } else { out }.into()
}

/// Which unused inputs of a workflow no node call claims (by leaving a port of the same
/// name unconnected), reached through the nodes' ports callbacks. Not public API.
#[doc(hidden)]
#[proc_macro]
pub fn node_claims(input: TokenStream) -> TokenStream {
    let input = input.into();
    let gen = codegen::mentions_gen(&input);
    let out = workflow::expand::node_claims(input);
    if gen { codegen::raw_gen(out) } else { out }.into()
}

/// Emits the item it is on (a node's ports struct) followed by its arguments (the rest of
/// the node's items). `#[node]` puts the module-level items of a node behind this
/// attribute so that a `#[node]` fn inside an `impl` or `trait` is one error: rustc
/// rejects the struct there before it expands any attribute, and drops the items with
/// it. Not public API.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn node_items(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut out = item;
    out.extend(args);
    out
}

/// Runs an async test with a watchdog. See `workflow_test::workflow_test`.
#[proc_macro_attribute]
pub fn workflow_test(args: TokenStream, item: TokenStream) -> TokenStream {
    workflow_test::expand(args.into(), item.into()).into()
}
