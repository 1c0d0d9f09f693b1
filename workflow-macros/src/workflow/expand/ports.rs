//! The ports literal of one node call, built by the hidden `node_ports!` macro that the
//! node's ports callback forwards to (see `node/expand.rs`, `ports_callback`).
//! `workflow!` writes
//! ```text
//! total! { {::workflow_core::__private} __EtlNode_sum [ items false { <value> } ] }
//! ```
//! and the callback adds what `#[node]` knew about the fn:
//! ```text
//! ::workflow_core::__private::node_ports! { total [items] [ctx] [db]  __EtlNode_sum [ .. ] }
//! ```
//! which becomes `__EtlNode_sum { items: <value> }` when every port is connected once,
//! and one error per mistake otherwise, said in ports: "`total` has no port `values`".

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, Ident, LitBool};

use crate::internals::suggest::{closest, list};
use crate::workflow::ast::POSITIONAL_PORT;

/// What the node's callback knows, then what the call site wrote.
struct PortsCall {
    /// The node is the stand-in of a misshapen fn (`node_ports! { ! fetch .. }`): its
    /// ports are a guess and it is an error type already (see `node::stand_in`), so the
    /// call is not checked, and is an expression about which nothing is reported.
    stand_in: bool,
    node: Ident,
    ports: Vec<Ident>,
    context: Vec<Ident>,
    resources: Vec<Ident>,
    /// The ports typed `Arc<T>` (an optional list after `resources`): left unconnected,
    /// such a port is often a resource declared the axum way, which the error says.
    shared: Vec<Ident>,
    /// Ports whose type is named like a service (`db: Db`), and that type: the same
    /// hint, naming it (an optional list after `shared`).
    services: Vec<(Ident, Ident)>,
    /// The ports struct, spanned at the node's name in the call.
    head: Ident,
    args: Vec<Arg>,
}

/// `port shorthand { value }`.
struct Arg {
    port: Ident,
    /// Written as a bare source (`fetch(url)`) rather than `port: source`.
    shorthand: bool,
    value: TokenStream,
}

/// A port name that asks for an order-only edge (`after: s`), as a binding attribute
/// does (`#[after(s)]`, see `misplaced_binding_attr`).
fn is_ordering_word(port: &str) -> bool {
    matches!(
        port,
        "after" | "run_after" | "depends_on" | "depends" | "needs" | "requires" | "wait_for"
    )
}

/// The error for a port written by its position (`double(0: n)`): ports are named
/// after the fn's parameters, so it names the port in that position, and the others.
fn positional_port_message(node: &str, position: &str, ports: &[String]) -> String {
    let named = "ports are named after the node fn's parameters, not numbered";
    let at = position.parse::<usize>().ok().and_then(|i| ports.get(i));
    match (ports, at) {
        ([], _) => format!("`{node}` has no input ports; call it as `{node}()`"),
        ([only], _) => format!("{named}: write `{only}: ..`, the only port of `{node}`"),
        (_, Some(port)) => format!(
            "{named}: write `{port}: ..` (the ports of `{node}` are {})",
            list(ports)
        ),
        (_, None) => format!(
            "{named}: the ports of `{node}` are {}; connect each by its name, like `{}: ..`",
            list(ports),
            ports[0]
        ),
    }
}

fn idents(input: ParseStream<'_>) -> syn::Result<Vec<Ident>> {
    let content;
    bracketed!(content in input);
    let mut out = Vec::new();
    while !content.is_empty() {
        out.push(content.call(syn::ext::IdentExt::parse_any)?);
    }
    Ok(out)
}

/// The `[ port shorthand { value } .. ]` of one call.
fn args(input: ParseStream<'_>) -> syn::Result<Vec<Arg>> {
    let content;
    bracketed!(content in input);
    let mut args = Vec::new();
    while !content.is_empty() {
        let port = content.call(syn::ext::IdentExt::parse_any)?;
        let shorthand: LitBool = content.parse()?;
        let value;
        braced!(value in content);
        args.push(Arg {
            port,
            shorthand: shorthand.value,
            value: value.parse()?,
        });
    }
    Ok(args)
}

/// One call, or (`@each`) every call of one node fn in a workflow's table of nodes.
enum PortsInput {
    One(PortsCall),
    /// `@each { sig } [ head [args] { post } .. ]`: an array of `(<ports fn>, post)`,
    /// one element per call, where `<ports fn>` is a fn item `fn __workflow_ports sig {
    /// <ports> }` (`sig`: its parameters and return type). One macro call per node fn
    /// rather than per node: 10,000 nested macro calls were 27 s of a 5,000-node
    /// workflow's 33 s of expansion, and grew faster than the node count (issue 17).
    ///
    /// A call marked `head [args] @lead <n> { post }` makes the ports fn
    /// `__workflow_shared<n>` that calls marked `@of <n>` use too: theirs is still
    /// written (so checked, each mistake reported at its call), but not used, so not
    /// compiled to code (nodes of one shape, see `run.rs`, `PortsShapes`). The array
    /// then comes in a block after the shared fns.
    Each {
        sig: TokenStream,
        calls: Vec<(PortsCall, TokenStream, Share)>,
    },
}

/// A call's part in a shared ports fn (see [`PortsInput::Each`]).
#[derive(Clone, Copy)]
enum Share {
    Own,
    Lead(u32),
    Of(u32),
}

/// `@lead <n>` or `@of <n>` before a call's `{ post }`, if there.
fn share(input: ParseStream<'_>) -> syn::Result<Share> {
    if !input.peek(syn::Token![@]) {
        return Ok(Share::Own);
    }
    input.parse::<syn::Token![@]>()?;
    let mark: Ident = input.parse()?;
    let n: syn::LitInt = input.parse()?;
    let n = n.base10_parse()?;
    match mark.to_string().as_str() {
        "lead" => Ok(Share::Lead(n)),
        "of" => Ok(Share::Of(n)),
        _ => Err(syn::Error::new(mark.span(), "expected `@lead` or `@of`")),
    }
}

impl Parse for PortsInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let stand_in = input.parse::<Option<syn::Token![!]>>()?.is_some();
        let node: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let ports = idents(input)?;
        let context = idents(input)?;
        let resources = idents(input)?;
        let shared = if input.peek(syn::token::Bracket) {
            idents(input)?
        } else {
            Vec::new()
        };
        let services = if input.peek(syn::token::Bracket) {
            let flat = idents(input)?;
            flat.chunks(2)
                .filter_map(|pair| match pair {
                    [port, ty] => Some((port.clone(), ty.clone())),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let call = |head: Ident, args: Vec<Arg>| PortsCall {
            stand_in,
            node: node.clone(),
            ports: ports.clone(),
            context: context.clone(),
            resources: resources.clone(),
            shared: shared.clone(),
            services: services.clone(),
            head,
            args,
        };
        if !input.peek(syn::Token![@]) {
            let head = input.parse()?;
            return Ok(Self::One(call(head, args(input)?)));
        }
        input.parse::<syn::Token![@]>()?;
        let each: Ident = input.parse()?;
        if each != "each" {
            return Err(syn::Error::new(each.span(), "expected `@each`"));
        }
        let sig;
        braced!(sig in input);
        let sig = sig.parse()?;
        let content;
        bracketed!(content in input);
        let mut calls = Vec::new();
        while !content.is_empty() {
            let head = content.parse()?;
            let args = args(&content)?;
            let share = share(&content)?;
            let post;
            braced!(post in content);
            calls.push((call(head, args), post.parse()?, share));
        }
        Ok(Self::Each { sig, calls })
    }
}

/// Expands `node_ports! { .. }`.
pub(crate) fn node_ports(input: TokenStream) -> TokenStream {
    match syn::parse2::<PortsInput>(input) {
        Ok(PortsInput::One(call)) => call.expand(),
        Ok(PortsInput::Each { sig, calls }) => {
            let mut shared = Vec::new();
            let elements: Vec<TokenStream> = calls
                .iter()
                .map(|(call, post, share)| {
                    let ports = call.expand();
                    match *share {
                        Share::Own => {
                            let ports_fn = ports_fn(&sig, &ports);
                            quote!((#ports_fn, #post))
                        }
                        Share::Lead(n) => {
                            let name = format_ident!("__workflow_shared{}", n);
                            shared.push(quote!(fn #name #sig { #ports }));
                            quote!((#name, #post))
                        }
                        Share::Of(n) => {
                            let name = format_ident!("__workflow_shared{}", n);
                            quote!(({
                                #[allow(dead_code)]
                                fn __workflow_ports #sig { #ports }
                                #name
                            }, #post))
                        }
                    }
                })
                .collect();
            if shared.is_empty() {
                quote!([#(#elements),*])
            } else {
                quote!({ #(#shared)* [#(#elements),*] })
            }
        }
        Err(e) => e.to_compile_error(),
    }
}

/// A node's ports fn in its type's table: `{ fn __workflow_ports sig { ports }
/// __workflow_ports }`, coerced to the table's fn pointer. A fn item, not a closure: a
/// closure coerced to a fn pointer compiles into its body and a `call_once` shim, one
/// more function per node in the user's crate (issue 17: the compile time of an
/// executed workflow).
pub(crate) fn ports_fn(sig: &TokenStream, ports: &TokenStream) -> TokenStream {
    quote!({
        fn __workflow_ports #sig { #ports }
        __workflow_ports
    })
}

impl PortsCall {
    fn expand(&self) -> TokenStream {
        if self.stand_in {
            // `head` names the node's type, an error type (see `PortsCall::stand_in`):
            // its literal is one too, and rustc says nothing about it.
            let head = &self.head;
            return quote_spanned!(head.span()=> #head {});
        }
        let errors = self.errors();
        if errors.is_empty() {
            let head = &self.head;
            let fields = self.args.iter().map(|a| {
                let (port, value) = (&a.port, &a.value);
                quote!(#port: #value,)
            });
            return quote_spanned!(head.span()=> #head { #(#fields)* });
        }
        // An erroneous expression (of any type), so nothing else about the call is
        // reported.
        let mut errors: Vec<TokenStream> = errors
            .into_iter()
            .map(|(span, msg)| syn::Error::new(span, msg).to_compile_error())
            .collect();
        let last = errors.pop();
        quote!({ #((#errors);)* (#last) })
    }

    /// Each mistake in the call, at its token, in ports.
    fn errors(&self) -> Vec<(Span, String)> {
        let node = &self.node;
        let port_names: Vec<String> = self.ports.iter().map(ToString::to_string).collect();
        let connected: Vec<String> = self.args.iter().map(|a| a.port.to_string()).collect();
        let missing: Vec<String> = port_names
            .iter()
            .filter(|p| !connected.contains(p))
            .cloned()
            .collect();
        let mut errors = Vec::new();
        // `add(n, m)` for `add(a: .., b: ..)`: sources written in port order without
        // the port names; one error for the call, with the call as it should read.
        let unknown_args: Vec<&Arg> = self
            .args
            .iter()
            .filter(|a| !port_names.contains(&a.port.to_string()))
            .collect();
        let injected = |a: &Arg| {
            self.context
                .iter()
                .chain(&self.resources)
                .any(|i| *i == a.port)
        };
        if unknown_args.len() >= 2
            && unknown_args.len() == missing.len()
            && unknown_args.iter().all(|a| a.shorthand && !injected(a))
        {
            let written = list(
                &unknown_args
                    .iter()
                    .map(|a| a.port.to_string())
                    .collect::<Vec<_>>(),
            );
            let fixed = missing
                .iter()
                .zip(&unknown_args)
                .map(|(port, a)| format!("{port}: {}", a.port))
                .collect::<Vec<_>>()
                .join(", ");
            errors.push((
                unknown_args[0].port.span(),
                format!(
                    "`{node}` has no ports {written}; its ports are {}: name them, like `{node}({fixed})`",
                    list(&port_names)
                ),
            ));
            return errors;
        }
        for arg in &self.args {
            let port = arg.port.to_string();
            if port_names.contains(&port) {
                continue;
            }
            let msg = if let Some(position) = port.strip_prefix(POSITIONAL_PORT) {
                positional_port_message(&node.to_string(), position, &port_names)
            } else if self.context.iter().any(|c| *c == port) {
                format!(
                    "`{port}` is the `&Context` of `{node}`, which the runtime passes in; it is not a port, so do not connect it"
                )
            } else if self.resources.iter().any(|r| *r == port) {
                format!(
                    "`{port}` is a resource of `{node}` (`Res<..>`), which the runtime passes in from `Runtime::builder().resource(..)`; it is not a port, so do not connect it"
                )
            } else if !arg.shorthand && is_ordering_word(&port) {
                // `d = double(x, after: s)`: an order-only edge, which `workflow!` does
                // not have (the same words as a binding attribute, `#[after(s)]`).
                format!(
                    "`{node}` has no port `{port}`: a node runs after the nodes whose outputs it takes, and that is the only ordering; to run it after another node, give `{node}` a parameter for that node's output (a node with nothing to pass can return `()`: `ready: ()`) and connect it instead: `ready: <that binding>`"
                )
            } else if port_names.is_empty() {
                format!("`{node}` has no input ports; call it as `{node}()`")
            } else {
                let ports = list(&port_names);
                let near = match missing.as_slice() {
                    // The only unconnected port is the likely meant one, however far
                    // its spelling.
                    [only] if unknown_args.len() == 1 => Some(only.as_str()),
                    // A name of one or two letters is close to any other.
                    _ if port.len() <= 2 => None,
                    _ => closest(&port, &missing),
                };
                match (arg.shorthand, missing.as_slice(), near) {
                    // `total(values)` for `total(items: ..)`: the source is right, the
                    // port is not named.
                    (true, [only], _) => format!(
                        "`{node}` has no port `{port}`; connect `{port}` to its port `{only}` with `{only}: {port}`"
                    ),
                    (_, _, Some(near)) if port_names.len() == 1 => {
                        format!("`{node}` has no port `{port}`; its only port is `{near}`")
                    }
                    (_, _, Some(near)) => format!(
                        "`{node}` has no port `{port}`; did you mean `{near}`? Its ports are {ports}"
                    ),
                    _ if port_names.len() == 1 => {
                        format!("`{node}` has no port `{port}`; its only port is {ports}")
                    }
                    _ => format!("`{node}` has no port `{port}`; its ports are {ports}"),
                }
            };
            errors.push((arg.port.span(), msg));
        }
        // A misnamed port is usually also the unconnected one: report the name only.
        if errors.is_empty() && !missing.is_empty() {
            let mut msg = if let [one] = missing.as_slice() {
                format!("port `{one}` of `{node}` is not connected; add `{one}: <input or binding>` to the call")
            } else {
                format!(
                    "ports {} of `{node}` are not connected; add `port: <input or binding>` for each to the call",
                    list(&missing)
                )
            };
            if let Some(shared) = self
                .shared
                .iter()
                .find(|s| missing.contains(&s.to_string()))
            {
                msg.push_str(&format!(
                    "; if `{shared}` is a resource shared by every run (an `Arc<T>`, an `EventQueue<T>`), take it as `{shared}: Res<T>` in `{node}` and register `T` with `Runtime::builder().resource(..)`"
                ));
            } else if let Some((port, ty)) = self
                .services
                .iter()
                .find(|(s, _)| missing.contains(&s.to_string()))
            {
                msg.push_str(&format!(
                    "; if `{port}` is a resource shared by every run, take it as `{port}: Res<{ty}>` in `{node}` and register it with `Runtime::builder().resource(..)`: the runtime passes it in"
                ));
            }
            errors.push((self.head.span(), msg));
        }
        errors
    }
}

impl super::WorkflowGen<'_> {
    /// The errors for the inputs of a valid workflow that no port uses. An unused input
    /// named like a port that a call leaves unconnected (`input b`, `c = add(a)`) is
    /// one mistake, the port's, which that call reports; so rather than reporting the
    /// inputs here, this asks each node call with a ports callback in turn, through
    /// `node_claims!`, and the last one reports what none claimed.
    pub(crate) fn unused_inputs(&self) -> TokenStream {
        let (hidden, unused): (Vec<&Ident>, Vec<&Ident>) = (0..self.def.inputs.len())
            .filter(|&k| self.g.input_consumers[k] == 0)
            .map(|k| &self.def.inputs[k].name)
            .partition(|name| crate::workflow::check::hidden_by_item(self.def, name).is_some());
        // An input hidden by a fan-out's item of its name is that mistake, said at once.
        let hidden: TokenStream = hidden
            .iter()
            .map(|name| {
                let message = crate::workflow::check::unused_input_message(self.def, name);
                syn::Error::new(name.span(), message).to_compile_error()
            })
            .collect();
        if unused.is_empty() {
            return hidden;
        }
        let unused_inputs = self.claim_unused(&unused);
        quote!(#hidden #unused_inputs)
    }

    /// `unused_inputs` for the inputs no fan-out item hides.
    fn claim_unused(&self, unused: &[&Ident]) -> TokenStream {
        // In a `for` body's hidden workflow, the only input nothing uses is the item.
        let item_of = self
            .def
            .body_of
            .as_ref()
            .filter(|_| self.def.hidden_body)
            .map(|b| b.place.clone());
        let calls: Vec<TokenStream> = self
            .def
            .bindings
            .iter()
            .enumerate()
            // A `for` fan-out's node is the ports struct `workflow!` declares for it,
            // which has no ports callback (and leaves no port unconnected); a `map`
            // asks its workflow (`[*]`: see `ClaimStep::map`).
            .filter_map(|(i, b)| match b.fan_out.as_ref().map(|f| &f.body) {
                None => Some((&b.node, Some(i))),
                Some(crate::workflow::ast::FanOutBody::Map { workflow }) => Some((workflow, None)),
                Some(crate::workflow::ast::FanOutBody::For { .. }) => None,
            })
            .filter(|(path, _)| {
                path.segments
                    .last()
                    .is_some_and(|s| crate::codegen::has_ports_callback(&s.ident))
            })
            .map(|(path, i)| match i {
                Some(i) => {
                    let connected = self.g.nodes[i].edges.iter().map(|e| &e.port);
                    quote!({#path} [#(#connected)*])
                }
                None => quote!({#path} [*]),
            })
            .collect();
        // Each call in the chain is two nested macro expansions: past this many, the
        // chain could reach rustc's recursion limit (128), so the inputs are reported
        // as unused directly (a port left unconnected is still reported by its call).
        const MAX_CHAIN: usize = 40;
        let Some((first, rest)) = calls.split_first().filter(|_| calls.len() <= MAX_CHAIN) else {
            return unused
                .iter()
                .map(|u| unused_input_error(u, item_of.as_deref()))
                .collect();
        };
        let p = &self.p;
        // `{path} [connected]` → `path! { {p} @claim {p} [unused] [connected] [rest] }`.
        let mut first = first.clone().into_iter();
        let (Some(proc_macro2::TokenTree::Group(path)), Some(connected)) =
            (first.next(), first.next())
        else {
            return unused
                .iter()
                .map(|u| unused_input_error(u, item_of.as_deref()))
                .collect();
        };
        let path = path.stream();
        let item_of = item_of.map(|text| quote!(@item #text));
        quote!(#path! { {#p} @claim {#p} [#(#unused)*] #connected [#(#rest)*] #item_of })
    }
}

/// `node_claims! { [ports] {p} [unused inputs] [connected ports] [ {path} [connected] .. ] }`:
/// one step of the chain that decides which unused inputs to report (see
/// [`WorkflowGen::unused_inputs`](super::WorkflowGen)). An unused input named like a
/// port this call leaves unconnected is that port's mistake, already reported by the
/// call ("port `b` of `add` is not connected"), and so is one more unused input per port
/// it leaves unconnected under another name; the others go on to the next node call
/// with a ports callback, and after the last are reported as unused.
struct ClaimStep {
    ports: Vec<Ident>,
    krate: TokenStream,
    unused: Vec<Ident>,
    /// `None` for a `map(Render, items)` (written `[*]`), which connects the item to
    /// the workflow's one input: a workflow of several inputs is then rustc's error at
    /// `Render` ("`map` runs a workflow with exactly one input"), and an unused input
    /// named like one of its ports (`input theme`) was meant for it: claimed, the one
    /// mistake is that error.
    connected: Option<Vec<Ident>>,
    rest: Vec<(TokenStream, Option<Vec<Ident>>)>,
    /// For the hidden workflow of a `for` body (`@item "the `for` body of `ds` in
    /// workflow `W`"`): its one possible unused input is the loop's item, said so.
    item_of: Option<syn::LitStr>,
}

/// `[ports]`, or `[*]` for a `map` (see [`ClaimStep::connected`]).
fn connected(input: ParseStream<'_>) -> syn::Result<Option<Vec<Ident>>> {
    let fork = input.fork();
    let content;
    bracketed!(content in fork);
    if content.peek(syn::Token![*]) {
        content.parse::<syn::Token![*]>()?;
        if content.is_empty() {
            syn::parse::discouraged::Speculative::advance_to(input, &fork);
            return Ok(None);
        }
    }
    idents(input).map(Some)
}

/// `[connected]` as [`connected`] reads it.
fn connected_tokens(connected: &Option<Vec<Ident>>) -> TokenStream {
    match connected {
        Some(c) => quote!([#(#c)*]),
        None => quote!([*]),
    }
}

impl Parse for ClaimStep {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let ports = idents(input)?;
        let krate;
        braced!(krate in input);
        let krate = krate.parse()?;
        let unused = idents(input)?;
        let connected = connected(input)?;
        let content;
        bracketed!(content in input);
        let mut rest = Vec::new();
        while !content.is_empty() {
            let path;
            braced!(path in content);
            rest.push((path.parse()?, self::connected(&content)?));
        }
        let item_of = if input.peek(syn::Token![@]) {
            input.parse::<syn::Token![@]>()?;
            input.parse::<kw::item>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Self {
            ports,
            krate,
            unused,
            connected,
            rest,
            item_of,
        })
    }
}

/// Expands `node_claims! { .. }`.
pub(crate) fn node_claims(input: TokenStream) -> TokenStream {
    let step = match syn::parse2::<ClaimStep>(input) {
        Ok(step) => step,
        Err(e) => return e.to_compile_error(),
    };
    let mut unclaimed: Vec<&Ident> = match &step.connected {
        Some(connected) => step
            .unused
            .iter()
            .filter(|u| !step.ports.contains(u) || connected.contains(u))
            .collect(),
        // A `map` of a one-input workflow claims nothing (its item feeds the input).
        None if step.ports.len() < 2 => step.unused.iter().collect(),
        None => step
            .unused
            .iter()
            .filter(|u| !step.ports.contains(u))
            .collect(),
    };
    // An unused input next to a port this call leaves unconnected under another name
    // (`input title`, `front = Render()` for port `page`) is most likely meant for that
    // port: one mistake, which the call reports. Each such port claims one input.
    if let Some(connected) = &step.connected {
        let open_ports = step
            .ports
            .iter()
            .filter(|p| !connected.contains(p) && !step.unused.contains(p))
            .count();
        let claimed = open_ports.min(unclaimed.len());
        unclaimed.drain(..claimed);
    }
    if unclaimed.is_empty() {
        return TokenStream::new();
    }
    let p = &step.krate;
    let item_of = step.item_of.as_ref().map(|text| quote!(@item #text));
    match step.rest.split_first() {
        Some(((path, connected), rest)) => {
            let rest = rest.iter().map(|(path, c)| {
                let c = connected_tokens(c);
                quote!({#path} #c)
            });
            let connected = connected_tokens(connected);
            quote!(#path! { {#p} @claim {#p} [#(#unclaimed)*] #connected [#(#rest)*] #item_of })
        }
        None => {
            let item_of = step.item_of.as_ref().map(syn::LitStr::value);
            unclaimed
                .iter()
                .map(|u| unused_input_error(u, item_of.as_deref()))
                .collect()
        }
    }
}

mod kw {
    syn::custom_keyword!(item);
}

/// "input `b` is not used by any node", at the input's name; or, for the item of a `for`
/// body (`item_of`: where the body is), that no node of the body uses the item.
pub(crate) fn unused_input_error(input: &Ident, item_of: Option<&str>) -> TokenStream {
    syn::Error::new(
        input.span(),
        crate::workflow::check::unused_input_text(input, item_of),
    )
    .to_compile_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages for a call of `add(a, b, ctx: &Context, db: Res<Db>)` written with
    /// `args` (`port shorthand { value }` each).
    fn messages(args: TokenStream) -> Vec<String> {
        let Ok(PortsInput::One(call)) = syn::parse2(quote!(add [a b] [ctx] [db] __Node_s [#args]))
        else {
            panic!("parses as one call");
        };
        call.errors().into_iter().map(|(_, m)| m).collect()
    }

    #[test]
    fn the_unused_item_of_a_for_body_is_said_to_be_the_item() {
        let out = node_claims(
            quote!([a b] {p} [x] [a b] [] @item "the `for` body of `ds` in workflow `W`"),
        )
        .to_string();
        assert!(
            out.contains("`x` is the item of the `for` body of `ds` in workflow `W`, and no node of the body uses it"),
            "{out}"
        );
        // Passed on along the chain of calls to ask.
        let out =
            node_claims(quote!([a b] {p} [x] [a b] [{next} [c]] @item "the body")).to_string();
        assert!(out.ends_with("[] @ item \"the body\" }"), "{out}");
        let out = node_claims(quote!([a b] {p} [x] [a b] [])).to_string();
        assert!(out.contains("input `x` is not used by any node"), "{out}");
    }

    #[test]
    fn a_port_written_by_its_position_is_named_with_the_ports() {
        assert_eq!(
            messages(quote!(__position_1 false { x } a false { y })),
            ["ports are named after the node fn's parameters, not numbered: write `b: ..` (the ports of `add` are `a`, `b`)"]
        );
        assert_eq!(
            messages(quote!(__position_7 false { x })),
            ["ports are named after the node fn's parameters, not numbered: the ports of `add` are `a`, `b`; connect each by its name, like `a: ..`"]
        );
        assert_eq!(
            positional_port_message("double", "0", &["n".to_owned()]),
            "ports are named after the node fn's parameters, not numbered: write `n: ..`, the only port of `double`"
        );
        assert_eq!(
            positional_port_message("now", "0", &[]),
            "`now` has no input ports; call it as `now()`"
        );
    }

    #[test]
    fn every_port_once_is_a_literal() {
        let out = node_ports(quote!(add [a b] [] [] __Node_s [a true { x } b false { y }]));
        let want = "__Node_s { a : x , b : y , }";
        assert_eq!(out.to_string(), want);
    }

    #[test]
    fn each_call_of_a_table_is_an_element_of_one_array() {
        let out = node_ports(quote!(add [a b] [] [] @each { (s: &mut S) -> add } [
            __N_p [a true { x } b false { y }] { wrap_p }
            __N_q [a true { z }] { wrap_q }
        ]));
        let text = out.to_string();
        assert!(
            text.starts_with(
                "[({ fn __workflow_ports (s : & mut S) -> add { __N_p { a : x , b : y , } } \
                 __workflow_ports } , wrap_p) , ({ fn __workflow_ports (s : & mut S) -> add { {"
            ),
            "{text}"
        );
        // The second call's mistake is reported in its element, as for a single call.
        assert!(
            text.contains("port `b` of `add` is not connected"),
            "{text}"
        );
        assert!(text.ends_with(", wrap_q)]"), "{text}");
    }

    #[test]
    fn calls_of_one_shape_share_the_first_ones_ports_fn() {
        let out = node_ports(
            quote!(add [a b] [] [] @each { (s: &mut S, at: [u32; 1]) -> add } [
                __N_p [a true { s.g[at[0usize] as usize] } b false { y }] @lead 0 { wrap_p }
                __N_q [a true { s.g[3] } b false { y }] @of 0 { wrap_q }
                __N_r [a true { z }] @of 0 { wrap_r }
                __N_s [a true { z } b false { w }] { wrap_s }
            ]),
        );
        let text = out.to_string();
        // The shared fn first, the first call's ports; then the array, with the others'
        // own ports fns written (checked) beside the shared one they use.
        assert!(
            text.starts_with(
                "{ fn __workflow_shared0 (s : & mut S , at : [u32 ; 1]) -> add { __N_p { a : s . g [at [0usize] as usize] , b : y , } } \
                 [(__workflow_shared0 , wrap_p) , ({ # [allow (dead_code)] fn __workflow_ports (s : & mut S , at : [u32 ; 1]) -> add { __N_q { a : s . g [3] , b : y , } } __workflow_shared0 } , wrap_q) , "
            ),
            "{text}"
        );
        // A mistake in a call that shares is still reported, in its own fn.
        assert!(
            text.contains("port `b` of `add` is not connected"),
            "{text}"
        );
        assert!(
            text.ends_with("({ fn __workflow_ports (s : & mut S , at : [u32 ; 1]) -> add { __N_s { a : z , b : w , } } __workflow_ports } , wrap_s)] }"),
            "{text}"
        );
    }

    #[test]
    fn each_port_mistake_is_one_message_in_ports() {
        let cases: &[(TokenStream, &str)] = &[
            (quote!(a true {x}), "port `b` of `add` is not connected"),
            (quote!(), "ports `a`, `b` of `add` are not connected"),
            (quote!(a true {x} bee true {y}), "`add` has no port `bee`; connect `bee` to its port `b` with `b: bee`"),
            (quote!(a true {x} bee false {y}), "`add` has no port `bee`; did you mean `b`? Its ports are `a`, `b`"),
            (quote!(n true {x} m true {y}), "`add` has no ports `n`, `m`; its ports are `a`, `b`: name them, like `add(a: n, b: m)`"),
            (quote!(a true {x} b true {y} ctx true {z}), "`ctx` is the `&Context` of `add`"),
            (quote!(a true {x} b true {y} db false {z}), "`db` is a resource of `add`"),
            (quote!(a true {x} b true {y} after false {s}), "`add` has no port `after`: a node runs after the nodes whose outputs it takes, and that is the only ordering; to run it after another node, give `add` a parameter for that node's output"),
        ];
        for (args, want) in cases {
            let got = messages(args.clone());
            assert_eq!(got.len(), 1, "{args}: {got:?}");
            assert!(got[0].starts_with(want), "{args}: {got:?}");
        }
    }

    #[test]
    fn an_unconnected_arc_port_suggests_a_resource() {
        let Ok(PortsInput::One(call)) =
            syn::parse2(quote!(query [q pool] [] [] [pool] __Node_s [q true { q }]))
        else {
            panic!("parses as one call");
        };
        let got: Vec<String> = call.errors().into_iter().map(|(_, m)| m).collect();
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("port `pool` of `query` is not connected"),
            "{got:?}"
        );
        assert!(got[0].contains("take it as `pool: Res<T>`"), "{got:?}");
        // Without the list (a workflow's callback), or connected: no such hint.
        assert!(!messages(quote!(a true {x}))
            .iter()
            .any(|m| m.contains("Res<T>")));
    }

    #[test]
    fn an_unconnected_service_port_suggests_a_resource_of_its_type() {
        let Ok(PortsInput::One(call)) =
            syn::parse2(quote!(count [id db] [] [] [] [db Db] __Node_n [id true { id }]))
        else {
            panic!("parses as one call");
        };
        let got: Vec<String> = call.errors().into_iter().map(|(_, m)| m).collect();
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("take it as `db: Res<Db>` in `count`"),
            "{got:?}"
        );
    }

    #[test]
    fn a_stand_in_call_is_not_checked() {
        // `add(pair)` of a node whose only parameter was destructured (no port).
        let out = node_ports(quote!(! add [] [] [] __Node_s [pair true { pair }]));
        assert_eq!(out.to_string(), "__Node_s { }");
    }

    #[test]
    fn an_unused_input_named_like_an_unconnected_port_is_claimed() {
        let step = |args: TokenStream| node_claims(args).to_string();
        // `add(a)` leaves `b` unconnected: input `b` is that port's mistake.
        assert_eq!(step(quote!([a b] {p} [b] [a] [])), "");
        // Connected (to something else), or not a port: reported after the last call.
        assert!(step(quote!([a b] {p} [b] [a b] [])).contains("input `b` is not used"));
        assert!(step(quote!([a b] {p} [c] [a b] [])).contains("input `c` is not used"));
        // `add(a)` and an unused input `c`: most likely meant for `b`, whose error says so.
        assert_eq!(step(quote!([a b] {p} [c] [a] [])), "");
        // One unconnected port claims one input; the other is reported.
        assert!(step(quote!([a b] {p} [c d] [a] [])).contains("input `d` is not used"));
        // Not claimed here: asked of the next call.
        assert_eq!(
            step(quote!([a b] {p} [c] [a b] [{mul} [x]])),
            "mul ! { { p } @ claim { p } [c] [x] [] }"
        );
    }

    #[test]
    fn a_map_claims_the_unused_inputs_named_like_its_workflows_ports() {
        let step = |args: TokenStream| node_claims(args).to_string();
        // `map(Render, pages)`, `Render(page, theme)` and an unused `input theme`: meant
        // for `Render`, whose `map` is the error.
        assert_eq!(step(quote!([page theme] {p} [theme] [*] [])), "");
        // Not a port of it: reported.
        assert!(step(quote!([page theme] {p} [foo] [*] [])).contains("input `foo` is not used"));
        // A one-input workflow (a valid `map`) claims nothing, not even its port's name.
        assert!(step(quote!([page] {p} [page] [*] [])).contains("input `page` is not used"));
        // Passed on along the chain as `[*]`.
        assert_eq!(
            step(quote!([a b] {p} [c] [a b] [{Render} [*]])),
            "Render ! { { p } @ claim { p } [c] [*] [] }"
        );
    }

    #[test]
    fn a_node_without_ports_takes_no_arguments() {
        let Ok(PortsInput::One(call)) = syn::parse2(quote!(now [] [] [] __Node_t [n true {n}]))
        else {
            panic!("parses as one call");
        };
        let got: Vec<String> = call.errors().into_iter().map(|(_, m)| m).collect();
        assert_eq!(got, ["`now` has no input ports; call it as `now()`"]);
    }
}
