//! Attributes of `workflow!`: the workflow's `#[workflow(..)]` options, each binding's
//! `#[output]`/`#[timeout]`/`#[retry]`/`#[spawn]`/`#[ephemeral]`/docs, and the inputs'
//! docs.

use std::collections::HashSet;

use proc_macro2::Span;
use quote::ToTokens as _;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Ident, Path};

use super::ast::{Binding, InputDecl};
use crate::internals::attr::{
    crate_path, flag, int_value, path_name, positive_duration_value, skip_value, str_value,
    unknown_option_hint, value_expr,
};
use crate::internals::policy::PolicyArgs;
use crate::internals::types;
use crate::internals::Ctxt;

pub(crate) const WORKFLOW_OPTIONS: &str =
    "`timeout`, `deadlock`, `sequential`, `concurrency`, `failure`, `durable`, `crate`";
pub(crate) const BINDING_ATTRS: &str =
    "`#[output]`, `#[timeout = \"..\"]`, `#[retry(..)]`, `#[spawn]`, `#[ephemeral]`, `#[doc = ..]`";
/// What a fan-out binding takes on top of [`BINDING_ATTRS`].
const FAN_OUT_ATTRS: &str = "`#[concurrency = N]`, `#[failure = \"collect\"]`";

/// `#[workflow(..)]` options, as written. Durations are in nanoseconds.
#[derive(Default)]
pub(crate) struct WorkflowOptions {
    pub(crate) timeout: Option<u64>,
    pub(crate) deadlock: Option<u64>,
    pub(crate) concurrency: Option<u64>,
    pub(crate) continue_on_failure: bool,
    /// `durable`: runs can be recorded in a store (every value must be serializable).
    pub(crate) durable: bool,
    pub(crate) krate: Option<Path>,
    /// Where `timeout` and `deadlock` were written, for the check that they fit.
    spans: (Option<Span>, Option<Span>),
}

/// The workflow's attributes: its options and the rest (docs, derives' helpers, ..),
/// which are copied to the workflow struct.
pub(crate) struct WorkflowAttrs {
    pub(crate) options: WorkflowOptions,
    pub(crate) other: Vec<Attribute>,
}

/// A binding's attributes.
#[derive(Default)]
pub(crate) struct BindingAttrs {
    /// `#[timeout = ..]`, `#[retry(..)]`, `#[spawn]`: override the node's own policy.
    pub(crate) policy: PolicyArgs,
    /// `#[output]`: keep this output for the caller even if a node consumes it.
    pub(crate) keep_output: bool,
    /// Doc comments, copied to the output field.
    pub(crate) docs: Vec<Attribute>,
    /// `#[ephemeral]` (as written, for errors' spans): in a durable workflow, this output
    /// is not recorded; it is recomputed on resume when a node that runs needs it.
    pub(crate) ephemeral: Option<Attribute>,
    /// A fan-out's `#[concurrency = N]`: items in flight at most.
    pub(crate) concurrency: Option<u64>,
    /// A fan-out's `#[failure = "collect"]`: every item's `Result`, rather than fail-fast.
    pub(crate) collect: bool,
}

/// What the workflow struct derives itself (see `expand/items.rs`).
const DERIVED: [&str; 7] = [
    "Debug",
    "Clone",
    "Copy",
    "Default",
    "PartialEq",
    "Eq",
    "Hash",
];

/// `#[derive(..)]` on the workflow struct without the traits it already derives, each of
/// which is an error (rustc's would be "conflicting implementations").
fn derive_without_generated(cx: &Ctxt, attr: &Attribute) -> Option<Attribute> {
    use syn::punctuated::Punctuated;
    let Ok(paths) = attr.parse_args_with(Punctuated::<Path, syn::Token![,]>::parse_terminated)
    else {
        return Some(attr.clone());
    };
    let (generated, kept): (Vec<_>, Vec<_>) = paths.into_iter().partition(|p| {
        p.segments
            .last()
            .is_some_and(|s| DERIVED.contains(&s.ident.to_string().as_str()))
    });
    // One error for the attribute's generated traits, at them (the whole attribute when
    // nothing else is left in it): one mistake, however many traits it lists.
    if !generated.is_empty() {
        let names: Vec<String> = generated
            .iter()
            .map(|p| {
                p.segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default()
            })
            .collect();
        let already = format!(
            "a workflow struct already derives `{}`",
            DERIVED.join("`, `")
        );
        if kept.is_empty() {
            cx.error_spanned_by(
                attr,
                format!("remove `#[derive({})]`: {already}", names.join(", ")),
            );
        } else {
            let listed = generated.iter();
            cx.error_spanned_by(
                quote::quote!(#(#listed)*),
                format!(
                    "remove `{}` from `#[derive(..)]`: {already}",
                    names.join("`, `")
                ),
            );
        }
    }
    if kept.is_empty() {
        return None;
    }
    Some(syn::parse_quote!(#[derive(#(#kept),*)]))
}

/// Splits the workflow's attributes into `#[workflow(..)]` options and the rest.
pub(crate) fn parse_workflow_attrs(cx: &Ctxt, attrs: &[Attribute]) -> WorkflowAttrs {
    let mut options = WorkflowOptions::default();
    let mut other = Vec::new();
    let mut seen_attr = false;
    for attr in attrs {
        if attr.path().is_ident("derive") {
            other.extend(derive_without_generated(cx, attr));
            continue;
        }
        if !attr.path().is_ident("workflow") {
            let name = path_name(attr.path());
            if WORKFLOW_OPTION_NAMES.contains(&name.as_str()) || name == "retry" {
                // Passed on to the struct, it would be rustc's "cannot find attribute".
                cx.error_spanned_by(
                    attr,
                    if name == "retry" {
                        "`#[retry(..)]` goes on a node: on its fn (`#[node(retry(max = 3))]`) or on its binding (`#[retry(max = 3)] page = fetch(url)`)".to_owned()
                    } else {
                        format!("`{name}` is an option of `#[workflow(..)]`: write `#[workflow({name}{})]`", option_example(&name))
                    },
                );
            } else if name == "output" || name == "outputs" {
                cx.error_spanned_by(attr, output_attr_on_struct(attr));
            } else {
                other.push(attr.clone());
            }
            continue;
        }
        if seen_attr {
            cx.error_spanned_by(
                attr,
                "duplicate `#[workflow(..)]` attribute; put all options in one",
            );
        }
        seen_attr = true;
        let mut seen = HashSet::new();
        let mut attr = attr.clone();
        if let syn::Meta::List(list) = &mut attr.meta {
            list.tokens =
                crate::internals::attr::without_stray_commas(cx, std::mem::take(&mut list.tokens));
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = path_name(&meta.path);
            if !seen.insert(key.clone()) {
                cx.error_spanned_by(
                    &meta.path,
                    format!("duplicate `{key}` option; keep only one"),
                );
            }
            parse_workflow_option(cx, &meta, &key, &seen, &mut options)
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    check_deadlock_below_timeout(cx, &options);
    WorkflowAttrs { options, other }
}

/// What to write for `#[output(page, sum)]` (or `#[outputs(..)]`, `#[output]`) on the
/// workflow's struct, which passed on would be rustc's "cannot find attribute": the
/// attribute goes on each binding to keep.
fn output_attr_on_struct(attr: &Attribute) -> String {
    let names: Vec<String> = match &attr.meta {
        syn::Meta::List(list) => list
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated,
            )
            .map(|names| names.iter().map(|n| n.to_string()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let first = names.first().map_or("page", String::as_str);
    let which = match names.len() {
        0 | 1 => String::new(),
        _ => format!(", and so on for `{}`", names[1..].join("`, `")),
    };
    format!(
        "`#[output]` goes on a binding, not on the workflow: write `#[output] {first} = ..` inside the braces{which} (a sink, a node no other node reads, is in the output already)"
    )
}

/// The options of `#[workflow(..)]`, found alone on a workflow (`#[timeout = "2s"]`).
const WORKFLOW_OPTION_NAMES: [&str; 6] = [
    "timeout",
    "deadlock",
    "sequential",
    "concurrency",
    "failure",
    "durable",
];

/// How an option of `#[workflow(..)]` is written after its name.
fn option_example(name: &str) -> &'static str {
    match name {
        "timeout" => " = \"2s\"",
        "deadlock" => " = \"1s\"",
        "concurrency" => " = 4",
        "failure" => " = \"continue\"",
        _ => "",
    }
}

/// The stall watchdog must be able to fire before the run's own timeout.
fn check_deadlock_below_timeout(cx: &Ctxt, options: &WorkflowOptions) {
    if let (Some(timeout), Some(deadlock), Some(span)) =
        (options.timeout, options.deadlock, options.spans.1)
    {
        if deadlock >= timeout {
            cx.error_at(
                span,
                "`deadlock` must be shorter than `timeout`, or the timeout always fires first; shorten `deadlock` or drop it",
            );
        }
    }
}

/// One option of `#[workflow(..)]`; `seen` holds the options read so far (this one
/// included), for the `sequential`/`concurrency` conflict.
fn parse_workflow_option(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    seen: &HashSet<String>,
    options: &mut WorkflowOptions,
) -> syn::Result<()> {
    const SEQUENTIAL_CONFLICT: &str = "`sequential` means `concurrency = 1`; keep only one of them";
    match key {
        "timeout" => {
            if let Some(d) = positive_duration_value(
                meta,
                cx,
                "a timeout of zero would fail every run; use a positive duration like \"1s\"",
            )? {
                options.timeout.get_or_insert(d.value);
                options.spans.0.get_or_insert(d.span);
            }
        }
        "deadlock" => {
            if let Some(d) = positive_duration_value(
                meta,
                cx,
                "a stall limit of zero would fail every run; use a positive duration like \"5s\"",
            )? {
                options.deadlock.get_or_insert(d.value);
                options.spans.1.get_or_insert(d.span);
            }
        }
        "sequential" => {
            flag(meta, cx)?;
            if seen.contains("concurrency") {
                cx.error_spanned_by(&meta.path, SEQUENTIAL_CONFLICT);
            }
            options.concurrency.get_or_insert(1);
        }
        "concurrency" => {
            let expr = value_expr(meta)?;
            match int_value::<u64>(&expr, "expected a number of nodes, like `concurrency = 4`") {
                Ok((0, span)) => cx.error_at(
                    span,
                    "`concurrency` must be at least 1 (1 runs nodes one at a time)",
                ),
                Ok((n, _)) => {
                    if seen.contains("sequential") {
                        cx.error_spanned_by(&meta.path, SEQUENTIAL_CONFLICT);
                    }
                    options.concurrency.get_or_insert(n);
                }
                Err(e) => cx.syn_error(e),
            }
        }
        "failure" => {
            let expr = value_expr(meta)?;
            let expected = "expected `failure = \"fail_fast\"` or `failure = \"continue\"`";
            match str_value(&expr, expected) {
                Ok(lit) => match lit.value().as_str() {
                    "fail_fast" => options.continue_on_failure = false,
                    "continue" => options.continue_on_failure = true,
                    other => cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown failure policy \"{other}\"; expected \"fail_fast\" or \"continue\"{}",
                            if other == "collect" {
                                "; \"collect\" is a fan-out's policy: put `#[failure = \"collect\"]` on its binding (`#[failure = \"collect\"] sizes = for u in urls { .. } => s`), which then gives every item's `Result`"
                            } else {
                                ""
                            }
                        ),
                    ),
                },
                Err(e) => cx.syn_error(e),
            }
        }
        "durable" => {
            flag(meta, cx)?;
            options.durable = true;
        }
        "crate" => match crate_path(meta) {
            Ok(path) => options.krate = Some(path),
            Err(e) => cx.syn_error(e),
        },
        _ => {
            cx.error_spanned_by(
                &meta.path,
                format!(
                    "unknown `#[workflow]` option `{key}`; expected one of {WORKFLOW_OPTIONS}{}",
                    if key == "retry" || key == "spawn" {
                        String::from("; it is a node's option: on the fn (`#[node(retry(max = 3))]`) or on one binding (`#[retry(max = 3)] page = fetch(url)`)")
                    } else if key == "version" {
                        String::from(VERSION_PLACE)
                    } else if matches!(key, "name" | "id" | "label" | "workflow_id") {
                        String::from("; a workflow is named by its struct (`Profile` in reports, errors and traces, `h.execution_count(\"Profile::user\")`), and one run of a durable workflow by its key, `rt.start_durable(W, input, Some(\"key\"))`")
                    } else if key == "ephemeral" {
                        String::from("; `ephemeral` marks one binding of a durable workflow, whose output is not recorded: `#[ephemeral] api = connect()`")
                    } else if key == "cancel_grace" || key == "trace" {
                        format!("; `{key}` is set per run, `RunOptions::new().{key}(..)` passed to `execute_with`{}", if key == "trace" { " (or for every run, `Runtime::builder().trace(true)`)" } else { "" })
                    } else if key == "max_concurrent_nodes" {
                        String::from("; `max_concurrent_nodes` limits the nodes of every run of a runtime: `Runtime::builder().max_concurrent_nodes(..)`; `concurrency = N` limits this workflow's runs")
                    } else {
                        unknown_option_hint(key, false, WORKFLOW_OPTIONS)
                    },
                ),
            );
            skip_value(meta)?;
        }
    }
    Ok(())
}

/// What to write instead of an attribute a binding does not take but a user may put
/// there: an option of the fn's `#[node(..)]`, of a fan-out, or of `#[workflow(..)]`, or an
/// order-only edge (`#[after(s)]`), which data edges are instead.
fn misplaced_binding_attr(name: &str, binding: &syn::Ident) -> Option<String> {
    Some(match name {
        "concurrency" | "failure" => format!(
            "`#[{name} = ..]` applies to a fan-out binding (`for`, `map`); for the whole workflow write `#[workflow({name} = ..)]`"
        ),
        "node" => "`#[node(..)]` goes on the fn; to override its policies for this binding write `#[timeout = \"1s\"]`, `#[retry(max = 3)]` or `#[spawn]`"
            .to_owned(),
        "spawn_blocking" => {
            "`spawn_blocking` is fixed by the fn: write `#[node(spawn_blocking)]` on a plain (not `async`) fn".to_owned()
        }
        "retries" | "retry_max" | "max_retries" | "attempts" => {
            "write `#[retry(max = 3)]` (`max` counts attempts including the first)".to_owned()
        }
        "timeout_ms" | "deadline" => "write `#[timeout = \"500ms\"]`".to_owned(),
        // An order-only edge, as other workflow tools have.
        "after" | "run_after" | "depends_on" | "depends" | "needs" | "requires" | "wait_for" => {
            format!(
                "a node runs after the nodes whose outputs it takes, and that is the only ordering; to run `{binding}` after another node, give its fn a parameter for that node's output (a node with nothing to pass can return `()`: `async fn step(ready: ()) -> ..`) and connect it: `{binding} = step(ready: other)`"
            )
        }
        "workflow" => WORKFLOW_ATTR_PLACE.to_owned(),
        "version" => VERSION_PLACE.trim_start_matches("; ").to_owned(),
        _ => return None,
    })
}

/// How a binding attribute is written, for the error when it is put on an input.
fn binding_attr_example(name: &str) -> Option<&'static str> {
    Some(match name {
        "timeout" => "#[timeout = \"1s\"]",
        "retry" => "#[retry(max = 3)]",
        "spawn" => "#[spawn]",
        "output" => "#[output]",
        "concurrency" => "#[concurrency = 8]",
        "failure" => "#[failure = \"collect\"]",
        _ => return None,
    })
}

/// Where a node's `version` goes, for the error when it is put on the workflow or a
/// binding (a leading `; ` to follow an "unknown option" message).
const VERSION_PLACE: &str = "; `version` is an option of the node fn, for every workflow that uses it: `#[node(version = 2)] async fn fetch(..)`";

/// Where `#[workflow(..)]` goes, for the error when it is put on an entry.
const WORKFLOW_ATTR_PLACE: &str = "`#[workflow(..)]` goes above the workflow's `struct`, not on an entry: `#[workflow(timeout = \"1s\")] struct Name { .. }`";

/// An input takes only doc comments.
pub(crate) fn check_input_attrs(cx: &Ctxt, input: &InputDecl) {
    for attr in &input.attrs {
        if attr.path().is_ident("workflow") {
            cx.error_spanned_by(attr, WORKFLOW_ATTR_PLACE);
        } else if attr.path().is_ident("ephemeral") {
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[ephemeral]` applies to bindings, not to input `{}`: a durable run records its input when it starts; open the connection or handle in a node and mark that binding `#[ephemeral]`",
                    input.name
                ),
            );
        } else if let Some(example) = binding_attr_example(&path_name(attr.path())) {
            // A policy or output attribute put on the input its node reads.
            cx.error_spanned_by(
                attr,
                format!(
                    "this attribute goes on a node binding, like `{example} page = fetch({})`, not on input `{}`; inputs take only doc comments",
                    input.name, input.name
                ),
            );
        } else if !attr.path().is_ident("doc") {
            cx.error_spanned_by(attr, "inputs take only doc comments");
        }
    }
}

/// A durable workflow records its inputs and reads them back on resume, so an input
/// borrowing `'static` data (`input name: &'static str`) cannot be one: one error at the
/// reference saying which owned type to declare. (rustc's own was "implementation of
/// `Deserialize` is not general enough", spanned at the whole macro call.) A `for`
/// body's inputs are not recorded as its own (`hidden_body`); other borrowed inputs
/// are `check_inputs_own_data`'s error already.
pub(crate) fn check_durable_inputs_owned(
    cx: &Ctxt,
    options: &WorkflowOptions,
    def: &super::ast::WorkflowDef,
) {
    struct FindRef<'a>(Option<&'a syn::TypeReference>);
    impl<'a> syn::visit::Visit<'a> for FindRef<'a> {
        fn visit_type_reference(&mut self, r: &'a syn::TypeReference) {
            self.0.get_or_insert(r);
        }
    }
    if !options.durable || def.hidden_body {
        return;
    }
    for input in &def.inputs {
        let mut find = FindRef(None);
        syn::visit::Visit::visit_type(&mut find, &input.ty);
        let Some(r) = find.0 else {
            continue;
        };
        if !types::is_static(r) {
            continue;
        }
        let (elem, owned) = (types::type_text(&r.elem), types::owned_text(r));
        let fix = if matches!(&input.ty, syn::Type::Reference(_)) {
            format!("declare `input {}: {owned}`", input.name)
        } else {
            format!("declare it with `{owned}` in place of `&'static {elem}`")
        };
        cx.error_spanned_by(
            r,
            format!(
                "input `{}` of durable workflow `{}` holds a reference (`&'static {elem}`), which a resumed run cannot read back from the store (a durable run records its input when it starts): {fix}",
                input.name, def.name
            ),
        );
    }
}

/// `#[ephemeral]` is for durable workflows, and not on an output (a durable run records
/// its outputs). `is_output` tells, by binding index, whether a binding is an output.
pub(crate) fn check_ephemeral(
    cx: &Ctxt,
    options: &WorkflowOptions,
    def: &super::ast::WorkflowDef,
    bindings: &[BindingAttrs],
    is_output: impl Fn(usize) -> bool,
) {
    for (i, (b, attrs)) in def.bindings.iter().zip(bindings).enumerate() {
        let Some(attr) = &attrs.ephemeral else {
            continue;
        };
        if !options.durable {
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[ephemeral]` on binding `{}` only applies to a durable workflow (nothing else is recorded): add `#[workflow(durable)]` to the workflow, or remove `#[ephemeral]`",
                    b.name
                ),
            );
        } else if is_output(i) {
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[ephemeral]` binding `{}` is an output of the workflow, and a durable run records its outputs: consume it in a node, or remove `#[ephemeral]` (and make its type `Serialize + Deserialize`)",
                    b.name
                ),
            );
        }
    }
}

/// `#[output(name = "result")]` or `#[output = "result"]`: a name for the output field
/// (a Python SDK's habit) is the binding's own name.
fn output_takes_no_value(attr: &Attribute, b: &Binding) -> String {
    let wanted = attr
        .meta
        .to_token_stream()
        .into_iter()
        .flat_map(|t| match t {
            proc_macro2::TokenTree::Group(g) => g.stream().into_iter().collect(),
            t => vec![t],
        })
        .find_map(|t| syn::parse2::<syn::LitStr>(t.into()).ok())
        .and_then(|lit| syn::parse_str::<Ident>(&lit.value()).ok())
        .map_or_else(|| "new_name".to_owned(), |i| i.to_string());
    let node_fn = if b.fan_out.is_none() {
        super::ast::path_text(&b.node)
    } else {
        "node_fn".to_owned()
    };
    format!("`#[output]` takes no value; write just `#[output]` (the output struct's field is named after the binding: to name it otherwise, rename the binding, like `{wanted} = {node_fn}(..)`)")
}

/// Parses a binding's attributes.
pub(crate) fn parse_binding_attrs(cx: &Ctxt, b: &Binding) -> BindingAttrs {
    let mut out = BindingAttrs::default();
    for attr in &b.attrs {
        if attr.path().is_ident("doc") {
            out.docs.push(attr.clone());
        } else if attr.path().is_ident("output") {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                cx.error_spanned_by(attr, output_takes_no_value(attr, b));
            }
            if out.keep_output {
                cx.error_spanned_by(attr, "duplicate `#[output]`; keep only one");
            }
            out.keep_output = true;
        } else if attr.path().is_ident("ephemeral") {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                cx.error_spanned_by(
                    attr,
                    "`#[ephemeral]` takes no value; write just `#[ephemeral]`",
                );
            }
            if out.ephemeral.is_some() {
                cx.error_spanned_by(attr, "duplicate `#[ephemeral]`; keep only one");
            }
            out.ephemeral = Some(attr.clone());
        } else if ["timeout", "retry", "spawn"]
            .iter()
            .any(|k| attr.path().is_ident(k))
        {
            parse_policy_attr(cx, attr, &mut out.policy);
        } else if b.fan_out.is_some() && attr.path().is_ident("concurrency") {
            let parsed = match &attr.meta {
                syn::Meta::NameValue(nv) => int_value::<u64>(
                    &nv.value,
                    "expected a number of items, like `#[concurrency = 8]`",
                ),
                _ => Err(syn::Error::new_spanned(
                    attr,
                    "expected a number of items in flight, like `#[concurrency = 8]`",
                )),
            };
            match parsed {
                Ok((0, span)) => cx.error_at(
                    span,
                    "`concurrency` must be at least 1 (1 runs the items one at a time)",
                ),
                Ok((n, _)) => out.concurrency = Some(n),
                Err(e) => cx.syn_error(e),
            }
        } else if b.fan_out.is_some() && attr.path().is_ident("failure") {
            let expected = "expected `#[failure = \"collect\"]` (every item's `Result`) or `#[failure = \"fail_fast\"]` (the default)";
            let parsed = match &attr.meta {
                syn::Meta::NameValue(nv) => str_value(&nv.value, expected),
                _ => Err(syn::Error::new_spanned(attr, expected)),
            };
            match parsed {
                Ok(lit) => match lit.value().as_str() {
                    "collect" => out.collect = true,
                    "fail_fast" => out.collect = false,
                    other => cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown fan-out failure policy \"{other}\"; expected \"collect\" or \"fail_fast\"{}",
                            if other == "continue" {
                                "; \"continue\" is the whole workflow's policy: write `#[workflow(failure = \"continue\")]` above its `struct`, or `#[failure = \"collect\"]` here to keep going past failed items and get every item's `Result`"
                            } else {
                                ""
                            }
                        ),
                    ),
                },
                Err(e) => cx.syn_error(e),
            }
        } else {
            cx.error_spanned_by(
                attr.path(),
                if let Some(hint) = misplaced_binding_attr(&path_name(attr.path()), &b.name) {
                    format!(
                        "`#[{}]` does not go on binding `{}`: {hint}",
                        path_name(attr.path()),
                        b.name
                    )
                } else if b.fan_out.is_some() {
                    let name = path_name(attr.path());
                    format!(
                        "unknown attribute `#[{name}]` on fan-out `{}`; expected one of {BINDING_ATTRS}, {FAN_OUT_ATTRS}{}",
                        b.name,
                        did_you_mean(&name, &format!("{BINDING_ATTRS}, {FAN_OUT_ATTRS}"))
                    )
                } else {
                    let name = path_name(attr.path());
                    format!(
                        "unknown attribute `#[{name}]` on binding `{}`; expected one of {BINDING_ATTRS}{}",
                        b.name,
                        did_you_mean(&name, BINDING_ATTRS)
                    )
                },
            );
        }
    }
    out.policy.check(cx);
    out
}

/// `; did you mean `#[output]`?` for a misspelt binding attribute (`#[ouput]`), or empty.
fn did_you_mean(name: &str, attrs: &str) -> String {
    crate::internals::attr::closest_option(name, attrs)
        .map(|a| format!("; did you mean `#[{a}]`?"))
        .unwrap_or_default()
}

/// `#[timeout = ".."]`, `#[retry(..)]` or `#[spawn]`, read with the `#[node]` option
/// parser, so both spell and check the options alike.
fn parse_policy_attr(cx: &Ctxt, attr: &Attribute, policy: &mut PolicyArgs) {
    let tokens = crate::internals::attr::without_stray_commas(
        cx,
        quote::ToTokens::to_token_stream(&attr.meta),
    );
    let result = syn::parse::Parser::parse2(
        syn::meta::parser(|meta| {
            if policy.parse_option(&meta, cx)? {
                Ok(())
            } else {
                Err(meta.error("expected a policy"))
            }
        }),
        tokens,
    );
    if let Err(e) = result {
        cx.syn_error(e);
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::workflow::ast::WorkflowDef;

    fn parse(src: proc_macro2::TokenStream) -> (WorkflowDef, Ctxt) {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(&cx, src).expect("parses");
        (def, cx)
    }

    #[test]
    fn a_derive_of_generated_traits_is_one_error_and_the_others_are_kept() {
        let cx = Ctxt::new();
        let attr: Attribute = syn::parse_quote!(#[derive(Debug, Clone)]);
        assert!(derive_without_generated(&cx, &attr).is_none());
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `#[derive(Debug, Clone)]`: a workflow struct already derives"),
            "{m:?}"
        );
        let cx = Ctxt::new();
        let attr: Attribute = syn::parse_quote!(#[derive(Debug, PartialOrd, Hash)]);
        let kept = derive_without_generated(&cx, &attr).expect("PartialOrd is kept");
        assert_eq!(
            quote!(#kept).to_string(),
            quote!(#[derive(PartialOrd)]).to_string()
        );
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `Debug`, `Hash` from `#[derive(..)]`"),
            "{m:?}"
        );
    }

    #[test]
    fn an_output_attribute_on_the_workflow_says_to_put_it_on_each_binding() {
        let (def, cx) = parse(quote! {
            #[output(page, sum)]
            #[outputs]
            struct W { input u: u8, page = f(u), sum = g(page) }
        });
        let attrs = parse_workflow_attrs(&cx, &def.attrs);
        assert!(attrs.other.is_empty());
        let msgs = cx.messages();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].starts_with("`#[output]` goes on a binding, not on the workflow: write `#[output] page = ..` inside the braces, and so on for `sum`"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].contains("write `#[output] page = ..` inside the braces ("),
            "{msgs:?}"
        );
    }

    #[test]
    fn every_bad_option_is_reported() {
        let (def, cx) = parse(quote! {
            #[workflow(timeout = "abc", deadlock = 5, concurrency = 0, failure = "ignore", bogus, timeout = "1s")]
            struct W { input u: u8, a = f(u) }
        });
        parse_workflow_attrs(&cx, &def.attrs);
        let msgs = cx.messages();
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        assert!(msgs[0].contains("\"abc\" is not a duration"));
        assert!(msgs[1].contains(
            "expected a duration string with its unit for `deadlock`: `deadlock = \"5s\"`"
        ));
        assert!(msgs[2].contains("`concurrency` must be at least 1"));
        assert!(msgs[3].contains("unknown failure policy \"ignore\""));
        assert!(msgs[4].starts_with("unknown `#[workflow]` option `bogus`; expected one of"));
        assert_eq!(msgs[5], "duplicate `timeout` option; keep only one");
    }

    #[test]
    fn deadlock_must_be_shorter_than_timeout() {
        for (timeout, deadlock, errors) in [("1s", "5s", 1), ("2s", "2s", 1), ("5s", "1s", 0)] {
            let (def, cx) = parse(quote! {
                #[workflow(timeout = #timeout, deadlock = #deadlock)]
                struct W { a = f() }
            });
            parse_workflow_attrs(&cx, &def.attrs);
            let msgs = cx.messages();
            assert_eq!(msgs.len(), errors, "{timeout} {deadlock}: {msgs:?}");
            assert!(msgs
                .iter()
                .all(|m| m.starts_with("`deadlock` must be shorter than `timeout`")));
        }
    }

    #[test]
    fn sequential_and_concurrency_conflict() {
        let (def, cx) = parse(quote! {
            #[workflow(sequential, concurrency = 2)]
            struct W { a = f() }
        });
        parse_workflow_attrs(&cx, &def.attrs);
        assert_eq!(
            cx.messages(),
            ["`sequential` means `concurrency = 1`; keep only one of them"]
        );
    }

    #[test]
    fn valid_options_are_read_and_other_attributes_kept() {
        let (def, cx) = parse(quote! {
            /// Docs.
            #[workflow(timeout = "2s", deadlock = "1.5s", concurrency = 3, failure = "continue")]
            struct W { input u: u8, a = f(u) }
        });
        let attrs = parse_workflow_attrs(&cx, &def.attrs);
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        assert_eq!(attrs.options.timeout, Some(2_000_000_000));
        assert_eq!(attrs.options.deadlock, Some(1_500_000_000));
        assert_eq!(attrs.options.concurrency, Some(3));
        assert!(attrs.options.continue_on_failure);
        assert_eq!(attrs.other.len(), 1);
    }

    #[test]
    fn binding_attributes_are_checked() {
        let (def, cx) = parse(quote! {
            struct W {
                input u: u8,
                #[retries(3)] #[output] #[output] #[timeout = "soon"]
                a = f(u),
            }
        });
        let attrs = parse_binding_attrs(&cx, &def.bindings[0]);
        let msgs = cx.messages();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert_eq!(
            msgs[0],
            "`#[retries]` does not go on binding `a`: write `#[retry(max = 3)]` (`max` counts attempts including the first)"
        );
        assert_eq!(msgs[1], "duplicate `#[output]`; keep only one");
        assert!(msgs[2].contains("\"soon\" is not a duration"));
        assert!(attrs.keep_output);
    }

    #[test]
    fn a_version_ephemeral_or_failure_policy_in_the_wrong_place_says_where_it_goes() {
        let (def, cx) = parse(quote! {
            #[workflow(durable, version = 2, failure = "collect", ephemeral)]
            struct W {
                input u: Vec<u8>,
                #[version = 2] a = f(u),
                #[failure = "continue"] b = for x in u { c = f(x), } => c,
            }
        });
        parse_workflow_attrs(&cx, &def.attrs);
        parse_binding_attrs(&cx, &def.bindings[0]);
        parse_binding_attrs(&cx, &def.bindings[1]);
        let msgs = cx.messages();
        assert_eq!(msgs.len(), 5, "{msgs:?}");
        assert!(
            msgs[2].ends_with("`ephemeral` marks one binding of a durable workflow, whose output is not recorded: `#[ephemeral] api = connect()`"),
            "{msgs:?}"
        );
        let msgs = [&msgs[..2], &msgs[3..]].concat();
        assert!(
            msgs[0].starts_with("unknown `#[workflow]` option `version`")
                && msgs[0].ends_with("`version` is an option of the node fn, for every workflow that uses it: `#[node(version = 2)] async fn fetch(..)`"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].contains(
                "\"collect\" is a fan-out's policy: put `#[failure = \"collect\"]` on its binding"
            ),
            "{msgs:?}"
        );
        assert!(
            msgs[2].starts_with(
                "`#[version]` does not go on binding `a`: `version` is an option of the node fn"
            ),
            "{msgs:?}"
        );
        assert!(
            msgs[3].contains("\"continue\" is the whole workflow's policy: write `#[workflow(failure = \"continue\")]`"),
            "{msgs:?}"
        );
    }

    #[test]
    fn binding_policies_use_the_node_option_parser() {
        let (def, cx) = parse(quote! {
            struct W { #[timeout = "1s"] #[retry(max = 3)] #[spawn] #[doc = "d"] a = f() }
        });
        let attrs = parse_binding_attrs(&cx, &def.bindings[0]);
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        assert_eq!(attrs.policy.timeout.map(|t| t.value), Some(1_000_000_000));
        assert_eq!(attrs.policy.retry.as_ref().and_then(|r| r.max), Some(3));
        assert!(attrs.policy.spawn.is_some());
        assert_eq!(attrs.docs.len(), 1);
    }

    #[test]
    fn ephemeral_is_for_bindings_of_durable_workflows_that_are_not_outputs() {
        let src = |durable: bool| {
            let opt = if durable {
                quote!(#[workflow(durable)])
            } else {
                quote!()
            };
            quote! {
                #opt
                struct W { #[ephemeral] input u: u8, #[ephemeral] #[ephemeral(x)] a = f(u), #[ephemeral] b = g(a) }
            }
        };
        for durable in [true, false] {
            let (def, cx) = parse(src(durable));
            let options = parse_workflow_attrs(&cx, &def.attrs).options;
            check_input_attrs(&cx, &def.inputs[0]);
            let bindings: Vec<_> = def
                .bindings
                .iter()
                .map(|b| parse_binding_attrs(&cx, b))
                .collect();
            assert!(bindings.iter().all(|b| b.ephemeral.is_some()));
            // `b` is the sink, so an output.
            check_ephemeral(&cx, &options, &def, &bindings, |i| i == 1);
            let msgs = cx.messages();
            // Durable: `b` is an output. Not durable: both `a` and `b` are misplaced.
            assert_eq!(msgs.len(), if durable { 4 } else { 5 }, "{msgs:?}");
            assert!(msgs[0].starts_with("`#[ephemeral]` applies to bindings, not to input `u`"));
            assert_eq!(
                msgs[1],
                "`#[ephemeral]` takes no value; write just `#[ephemeral]`"
            );
            assert_eq!(msgs[2], "duplicate `#[ephemeral]`; keep only one");
            if durable {
                assert!(msgs[3].starts_with("`#[ephemeral]` binding `b` is an output"));
            } else {
                assert!(msgs[3].starts_with(
                    "`#[ephemeral]` on binding `a` only applies to a durable workflow"
                ));
                assert!(msgs[4].starts_with("`#[ephemeral]` on binding `b` only applies"));
            }
        }
    }

    #[test]
    fn inputs_take_only_docs() {
        let (def, cx) = parse(quote! { struct W { /// ok
        #[serde(x)] input u: u8, a = f(u) } });
        check_input_attrs(&cx, &def.inputs[0]);
        assert_eq!(cx.messages(), ["inputs take only doc comments"]);
    }
}
