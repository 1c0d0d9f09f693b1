//! Phase 1 of `workflow!`: the grammar, parsed into the types of [`ast`](super::ast).
//!
//! ```text
//! workflow  := attr* vis "struct" Ident "{" (entry ","?)* "}"
//! entry     := attr* ( "input" Ident ":" Type | Ident "=" rhs )
//! rhs       := Path "(" (arg ","?)* ")"                       // a node or a sub-workflow
//!            | "map" "(" Path "," source ")"                  // a workflow per item
//!            | "for" Ident "in" source "{" (entry ","?)* "}" "=>" Ident   // a fan-out
//! arg       := Ident ":" source | source          // shorthand: port name == source name
//! source    := Ident ("." (Ident | Index))* "?"?      // `?`: a binding of some arms only
//! entry     := ... | "match" source "{" (Pat ("if" Expr)? "=>" "{" (entry ","?)* "}" ","?)* "}"
//!            | "if" Ident "{" (entry ","?)* "}" ("else" ("{" (entry ","?)* "}" | if-entry))?
//! ```
//!
//! A `match` or `if` is a [`Decision`]; the bindings inside its arms keep their place in
//! [`WorkflowDef::bindings`] and say which arm(s) they are in ([`Binding::scope`]).
//!
//! Each entry is parsed on its own: a syntax error in one is recorded in the [`Ctxt`] and
//! the others are still parsed (and declared by the fallback expansion).

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{braced, parenthesized, Attribute, Ident, Member, Path, Token, Type, Visibility};

use super::ast::*;
use crate::internals::suggest::{closest, list};
use crate::internals::types;
use crate::internals::Ctxt;

mod kw {
    syn::custom_keyword!(input);
    syn::custom_keyword!(map);
}

impl WorkflowDef {
    /// Parses the body of `workflow! { .. }`. `Err` when the header (`struct Name { .. }`)
    /// does not parse; a bad entry is recorded in `cx`, and whatever of it can be
    /// understood is kept (so the fallback expansion still declares its field).
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> syn::Result<Self> {
        syn::parse::Parser::parse2(
            |input: ParseStream<'_>| Self::parse_stream(cx, input),
            tokens,
        )
    }

    fn parse_stream(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let lookahead = input.lookahead1();
        if !lookahead.peek(Token![struct]) {
            return Err(syn::Error::new(
                input.span(),
                "expected `struct Name { .. }`: a workflow is declared like `workflow! { pub struct Etl { input url: String, page = fetch(url) } }`",
            ));
        }
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        if input.peek(Token![<]) || input.peek(Token![where]) {
            return Err(syn::Error::new(
                input.span(),
                format!("a workflow cannot be generic: its inputs, nodes and ports have fixed types; write `struct {name} {{ .. }}`"),
            ));
        }
        if input.peek(syn::token::Paren) || input.peek(Token![;]) {
            return Err(syn::Error::new(
                input.span(),
                format!("a workflow's entries go in braces: `struct {name} {{ input url: String, page = fetch(url) }}`"),
            ));
        }
        let content;
        let brace = braced!(content in input);
        // Each entry is parsed on its own, so one syntax error does not hide the others
        // (nor the valid entries, which the fallback expansion still declares).
        let body: TokenStream = content.parse()?;
        let mut parsed = Parsed::default();
        parse_body(cx, body, &Scope::new(), &mut parsed);
        let Parsed {
            inputs,
            mut bindings,
            decisions,
            broken,
            ..
        } = parsed;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the workflow struct; declare one workflow per `workflow!`",
            ));
        }
        let names: Vec<String> = inputs
            .iter()
            .map(|i: &InputDecl| i.name.to_string())
            .chain(bindings.iter().map(|b: &Binding| b.name.to_string()))
            .collect();
        finish_fan_outs(cx, &name, &names, &decisions, &mut bindings);
        check_fan_out_lists(cx, &inputs, &bindings);
        drop_calls_of_itself(cx, &name, &mut bindings);
        Ok(Self {
            attrs,
            vis,
            name,
            inputs,
            bindings,
            decisions,
            brace_span: brace.span.join(),
            hidden_body: false,
            body_of: None,
            broken,
        })
    }
}

enum Entry {
    Input(InputDecl),
    Binding(Binding),
    Decision(RawDecision),
}

/// A decision as parsed, its arms' entries still unparsed.
struct RawDecision {
    keyword: Ident,
    is_if: bool,
    on: Source,
    arms: Vec<(Arm, TokenStream)>,
}

/// What a body (the workflow's, or an arm's) declares, in order.
#[derive(Default)]
struct Parsed {
    inputs: Vec<InputDecl>,
    bindings: Vec<Binding>,
    decisions: Vec<Decision>,
    /// Bindings whose entry did not parse, by name (see `WorkflowDef::broken`).
    broken: Vec<Ident>,
    /// Whether `;` for `,` was reported: once per workflow, arms' bodies included.
    semicolon_reported: bool,
}

impl Parsed {
    fn add(&mut self, cx: &Ctxt, entry: Entry, scope: &Scope) {
        match entry {
            Entry::Input(i) => {
                if let Some(arm) = scope.last() {
                    // The innermost decision is pushed before its arms are parsed.
                    let within = match self.decisions.get(arm.decision) {
                        Some(d) if d.is_if => "an `if` or `else` arm",
                        _ => "a `match` arm",
                    };
                    cx.error_spanned_by(
                        &i.name,
                        format!("declare input `{}` at the top of the workflow, not inside {within}: an input is given to the whole run, whichever arm it takes", i.name),
                    );
                }
                self.inputs.push(i);
            }
            Entry::Binding(mut b) => {
                b.scope = scope.clone();
                self.bindings.push(b);
            }
            Entry::Decision(raw) => {
                let decision = self.decisions.len();
                let mut bodies = Vec::new();
                let mut arms = Vec::new();
                for (arm, body) in raw.arms {
                    arms.push(arm);
                    bodies.push(body);
                }
                self.decisions.push(Decision {
                    keyword: raw.keyword,
                    is_if: raw.is_if,
                    on: raw.on,
                    arms,
                    scope: scope.clone(),
                });
                for (arm, body) in bodies.into_iter().enumerate() {
                    let mut inner = scope.clone();
                    inner.push(ArmRef { decision, arm });
                    parse_body(cx, body, &inner, self);
                }
            }
        }
    }
}

/// Parses the entries of a body into `out`, each entry on its own (a syntax error in one
/// is recorded and the others are kept).
fn parse_body(cx: &Ctxt, body: TokenStream, scope: &Scope, out: &mut Parsed) {
    // Each entry is parsed on its own, so one syntax error does not hide the others
    // (nor the valid entries, which the fallback expansion still declares).
    // `;` for `,` is one habit: reported once per workflow (`out.semicolon_reported`,
    // arms' bodies included), at the first `;` not explained by a `let` or `return`
    // (whose own errors cover it).
    for (entry, separator) in split_top_level(body, true) {
        let after_let = entry
            .clone()
            .into_iter()
            .find(|t| {
                !matches!(t, TokenTree::Punct(p) if p.as_char() == '#')
                    && !matches!(t, TokenTree::Group(_))
            })
            .is_some_and(|t| matches!(&t, TokenTree::Ident(i) if i == "let" || i == "return"));
        let semicolon = |cx: &Ctxt, reported: &mut bool| {
            if let Some(Separator::Semicolon(span)) = separator {
                if !after_let && !std::mem::replace(reported, true) {
                    cx.error_at(span, "separate workflow entries with `,`, not `;`");
                }
            }
        };
        if entry.is_empty() {
            semicolon(cx, &mut out.semicolon_reported);
            if let Some(Separator::Comma(span)) = separator {
                cx.error_at(
                    span,
                    "expected an entry before this `,`: an input `input name: Type` or a node binding `name = node_fn(port: source)`",
                );
            }
            continue;
        }
        let name = binding_name(&entry);
        let parsed =
            syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_entries(cx, input), entry);
        match parsed {
            Ok(entries) => {
                for entry in entries {
                    out.add(cx, entry, scope);
                }
            }
            Err(e) => {
                cx.syn_error(e);
                out.broken.extend(name);
            }
        }
        semicolon(cx, &mut out.semicolon_reported);
    }
}

/// The name an entry binds, `name` of `#[..] name = ..` (not `==`), read from its tokens
/// alone, so that it is known even when the entry does not parse.
fn binding_name(entry: &TokenStream) -> Option<Ident> {
    let mut tokens = entry.clone().into_iter().peekable();
    // Outer attributes: `#` and its brackets.
    while matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '#') {
        tokens.next();
        tokens.next();
    }
    let TokenTree::Ident(name) = tokens.next()? else {
        return None;
    };
    // Not a keyword nor `_` (their own errors say so; no field can have that name).
    let name: Ident = syn::parse2(TokenTree::Ident(name).into()).ok()?;
    match tokens.next()? {
        // `==` is two `=`, the first joint.
        TokenTree::Punct(eq)
            if eq.as_char() == '=' && eq.spacing() == proc_macro2::Spacing::Alone =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// The entries of one comma-separated chunk: one, or several when a `,` is missing
/// between them (reported, and each entry kept).
fn parse_entries(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    if input.peek(Token![for]) {
        // `for n in row { d = node(n), }` with no `name =`, a Rust loop's habit (a nested
        // fan-out, most often): one error at the `for` (it was "`for` is a Rust keyword
        // and cannot name an input or binding"), and the chunk consumed.
        let statement: TokenStream = input.parse()?;
        let for_token = statement.clone().into_iter().next();
        cx.error_spanned_by(for_token, unbound_fan_out(&statement));
        return Ok(entries);
    }
    loop {
        if skip_edge_statement(cx, input)? {
            if input.is_empty() {
                return Ok(entries);
            }
            continue;
        }
        match parse_entry(cx, input) {
            // A `match` or `if` ends at its `}`: the next entry needs no `,` before it.
            Ok(entry @ Entry::Decision(_)) => {
                entries.push(entry);
                if input.is_empty() {
                    return Ok(entries);
                }
                continue;
            }
            Ok(entry) => entries.push(entry),
            // What was understood so far is kept; the error is the chunk's only one.
            Err(e) if entries.is_empty() => return Err(e),
            Err(e) => {
                cx.syn_error(e);
                return Ok(entries);
            }
        }
        if input.is_empty() {
            return Ok(entries);
        }
        if starts_entry(input) {
            cx.error_at(input.span(), "missing `,` before this entry");
            continue;
        }
        cx.syn_error(input.error("expected `,` between workflow entries"));
        input.parse::<TokenStream>()?;
        return Ok(entries);
    }
}

/// What to write for a fan-out without a binding, `for n in row { d = node(n), } => d`:
/// its tokens named, so that the example is the user's own loop bound to a name.
fn unbound_fan_out(statement: &TokenStream) -> String {
    let tokens: Vec<TokenTree> = statement.clone().into_iter().collect();
    let var = match tokens.get(1) {
        Some(TokenTree::Ident(v)) => v.to_string(),
        _ => "item".to_owned(),
    };
    let body_at = tokens.iter().position(
        |t| matches!(t, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace),
    );
    let items = body_at.filter(|&at| at > 3).map_or_else(
        || "list".to_owned(),
        |at| tokens_text(&tokens[3..at].iter().cloned().collect()),
    );
    // What it collects: its own `=> y`, else the body's first binding.
    let collected =
        body_at.and_then(
            |at| match (tokens.get(at + 1), tokens.get(at + 2), tokens.get(at + 3)) {
                (
                    Some(TokenTree::Punct(a)),
                    Some(TokenTree::Punct(b)),
                    Some(TokenTree::Ident(y)),
                ) if a.as_char() == '=' && b.as_char() == '>' => Some(y.to_string()),
                _ => match &tokens[at] {
                    TokenTree::Group(g) => binding_name(&g.stream()).map(|n| n.to_string()),
                    _ => None,
                },
            },
        );
    let collected = collected.unwrap_or_else(|| "y".to_owned());
    format!(
        "a fan-out is a binding, named for the list it collects: write `{collected}s = for {var} in {items} {{ .. }} => {collected},` (`{collected}s` is then a `Vec` of each item's `{collected}`, which a fan-out around it can collect in turn)"
    )
}

/// `user >> total,` (Airflow's operator) or `user -> total,`: an edge declared on its
/// own, a DAG library's habit. Said once per statement, which is skipped up to its `,`,
/// so the entries after it are still read (and keep their output fields).
fn skip_edge_statement(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<bool> {
    let ahead = input.fork();
    let Ok(from) = ahead.call(Ident::parse_any) else {
        return Ok(false);
    };
    if !(ahead.peek(Token![>>]) || ahead.peek(Token![->])) {
        return Ok(false);
    }
    let mut statement = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        statement.extend([input.parse::<TokenTree>()?]);
    }
    input.parse::<Option<Token![,]>>()?;
    // The node after the first arrow, for the example.
    let to = statement
        .clone()
        .into_iter()
        .skip(1)
        .find_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "b".to_owned());
    cx.error_spanned_by(
        &statement,
        format!("remove `{}`: `workflow!` has no edges to declare; a node's port names its source, so `{to} = node_fn(port: {from})` is the edge `{from} -> {to}` (and `{to}` starts once `{from}` has finished)", tokens_text(&statement)),
    );
    Ok(true)
}

/// Whether the tokens ahead start an entry: `#[..]`, `input name`, `let name` or `name =`.
fn starts_entry(input: ParseStream<'_>) -> bool {
    input.peek(Token![#])
        || (input.peek(kw::input) && input.peek2(Ident::peek_any))
        || (input.peek(Token![let]) && input.peek2(Ident::peek_any))
        || (input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==]))
        || (input.peek(Ident::peek_any) && input.peek2(Token![:]) && !input.peek2(Token![::]))
}

/// One entry: `attr* input name: Type` or `attr* name = node_fn(..)`, and the habits
/// of Rust code that do not belong here (`let`, `;`, `.await`, a default value).
/// Whether the parenthesized group next in `input` starts with a string literal:
/// `add_edge("a", "b")` names nodes by id (a dynamic-DAG habit), where `connect(x)`
/// would be an unnamed call of a node fn that happens to be called `connect`.
fn names_nodes_by_string(input: ParseStream<'_>) -> bool {
    fn first_is_string(ahead: ParseStream<'_>) -> syn::Result<bool> {
        let content;
        syn::parenthesized!(content in ahead);
        Ok(content.peek(syn::LitStr))
    }
    first_is_string(&input.fork()).unwrap_or(false)
}

/// Whether `input` holds a parenthesized group followed by `=` (not `==`): a tuple
/// pattern on the left of a binding.
fn tuple_then_eq(input: ParseStream<'_>) -> bool {
    let ahead = input.fork();
    ahead.parse::<proc_macro2::TokenTree>().is_ok()
        && ahead.peek(Token![=])
        && !ahead.peek(Token![==])
}

fn parse_entry(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Entry> {
    let mut attrs = input.call(Attribute::parse_outer)?;
    if input.peek(Token![match]) || input.peek(Token![if]) {
        if let Some(attr) = attrs.first() {
            cx.error_spanned_by(
                attr,
                "attributes go on the bindings inside an arm, not on a `match` or `if`",
            );
        }
        return parse_decision(cx, input).map(Entry::Decision);
    }
    if input.peek(Token![pub]) {
        let vis: Visibility = input.parse()?;
        cx.error_spanned_by(
            vis,
            "remove `pub`: inputs and kept outputs are already public fields of the workflow's input and output structs",
        );
    }
    if input.peek(kw::input) && input.peek2(Ident::peek_any) {
        input.parse::<kw::input>()?;
        let name = parse_name(input)?;
        return parse_input_rest(cx, input, attrs, name);
    }
    // `output y = node_fn(..)`: an output declared like an input; kept as `#[output]`.
    if input.peek(Ident::peek_any) && input.peek2(Ident::peek_any) {
        let ahead = input.fork();
        let keyword = ahead.call(Ident::parse_any)?;
        let name = ahead.call(Ident::parse_any)?;
        if keyword == "output" && ahead.peek(Token![=]) && !ahead.peek(Token![==]) {
            input.parse::<Ident>()?;
            cx.error_spanned_by(
                &keyword,
                format!("an output is a binding marked `#[output]`: write `#[output] {name} = node_fn(..)` (a binding no node consumes is an output already)"),
            );
            attrs.push(syn::parse_quote_spanned!(keyword.span()=> #[output]));
        }
    }
    if input.peek(Token![let]) && input.peek2(Ident::peek_any) {
        let let_token: Token![let] = input.parse()?;
        let name: Ident = input.fork().call(Ident::parse_any)?;
        cx.error_spanned_by(
            let_token,
            format!("remove `let`: a node binding is written `{name} = node_fn(..),` (with `,` after it, not `;`)"),
        );
    }
    // `name: ..` without `input`: an input missing its keyword, or a binding written
    // with `:` instead of `=`.
    if input.peek(Ident::peek_any) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        let name = parse_name(input)?;
        let colon: Token![:] = input.parse()?;
        let ahead = input.fork();
        let is_call = ahead.call(Path::parse_mod_style).is_ok() && ahead.peek(syn::token::Paren);
        if is_call {
            cx.error_at(
                colon.span,
                format!("bind a node with `=`, not `:`: `{name} = node_fn(..)`"),
            );
            return parse_binding_rest(cx, input, attrs, name).map(Entry::Binding);
        }
        // `page: Page = fetch(url)`: a binding with a Rust-style type annotation.
        let ahead = input.fork();
        if ahead.parse::<Type>().is_ok() && ahead.peek(Token![=]) && !ahead.peek(Token![==]) {
            let ty: Type = input.parse()?;
            let ty_text = types::type_text(&ty);
            let annotation = quote::quote!(#colon #ty);
            cx.error_spanned_by(
                annotation,
                format!("remove `: {ty_text}`: a binding takes its node's output type, so it has no type annotation; write `{name} = node_fn(..)`"),
            );
            input.parse::<Token![=]>()?;
            return parse_binding_rest(cx, input, attrs, name).map(Entry::Binding);
        }
        cx.error_spanned_by(
            &name,
            format!("declare an input with the `input` keyword: `input {name}: Type`"),
        );
        let ty: Type = input.parse()?;
        return Ok(Entry::Input(InputDecl { attrs, name, ty }));
    }
    let after_attrs = attrs.last().map_or_else(Span::call_site, |a| a.span());
    // `"fetch" = fetch(url)`: a node named by a string, as a dynamic DAG's `add_node`.
    // Said, and parsed on under that name, so its output field and consumers stay.
    if input.peek(syn::LitStr) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
        let lit: syn::LitStr = input.parse()?;
        let text = lit.value();
        let ident = syn::parse_str::<Ident>(&text)
            .ok()
            .map(|i| Ident::new(&i.to_string(), lit.span()));
        // The node fn after `=`, for the hint (`user = fetch_user(..)`).
        let ahead = input.fork();
        let node_fn = (ahead.parse::<Token![=]>().is_ok())
            .then(|| ahead.call(Path::parse_mod_style).ok())
            .flatten()
            .map_or_else(|| "node_fn".to_owned(), |p| path_text(&p));
        let message = format!("a binding's name is an identifier, not a string: write `{}= {node_fn}(..)`; reports and the harness still name the node by that string (`run.node(\"{text}\")`, `h.assert_executed(\"{text}\", 1)`) and its output is `run.outputs.{}` if no node consumes it", ident.as_ref().map_or_else(|| "name ".to_owned(), |i| format!("{i} ")), ident.as_ref().map_or_else(|| "name".to_owned(), ToString::to_string));
        let Some(name) = ident else {
            return Err(syn::Error::new(lit.span(), message));
        };
        cx.error_spanned_by(&lit, message);
        input.parse::<Token![=]>()?;
        return parse_binding_rest(cx, input, attrs, name).map(Entry::Binding);
    }
    // `(user, orders) = tokio::join!(..)` or `= (fetch_user(id), fetch_orders(id))`: the
    // tuple of a hand-written join. Each node is bound on its own.
    if input.peek(syn::token::Paren) && tuple_then_eq(input) {
        let group: proc_macro2::TokenTree = input.parse()?;
        let names = match &group {
            proc_macro2::TokenTree::Group(g) => g
                .stream()
                .into_iter()
                .filter_map(|t| match t {
                    proc_macro2::TokenTree::Ident(i) => Some(i.to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let example = if names.len() >= 2 {
            format!("`{} = node_fn(..), {} = other_fn(..),`", names[0], names[1])
        } else {
            "`a = fetch(..), b = fetch(..),`".to_owned()
        };
        return Err(syn::Error::new_spanned(
            group,
            format!("a binding names one node, so it cannot destructure a tuple: bind each call on its own, {example}; nodes that do not depend on each other already run concurrently, as in `tokio::join!`"),
        ));
    }
    if !input.peek(Ident::peek_any) {
        return Err(syn::Error::new(
            here(input, &input.error(""), after_attrs),
            "expected a node binding `name = node_fn(port: source, ..)` or an input `input name: Type`",
        ));
    }
    let name = parse_name(input)?;
    if input.peek(Token![==]) {
        let eq: Token![==] = input.parse()?;
        cx.error_spanned_by(
            eq,
            format!("bind a node with one `=`: `{name} = node_fn(..)`"),
        );
    } else if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
    } else if input.peek(syn::token::Paren)
        && matches!(
            name.to_string().as_str(),
            "add_edge" | "add_connection" | "connect" | "edge" | "depends_on" | "link"
        )
        && names_nodes_by_string(input)
    {
        // `add_edge("a", "b"),`: the dynamic-DAG habit of wiring nodes by id. Was "give
        // this node call a name, like `add_edge = add_edge(..)`".
        return Err(syn::Error::new(
            name.span(),
            format!("remove `{name}(..)`: `workflow!` has no edges to declare; a node's port names its source, so `b = parse(raw: a)` is the edge `a -> b` (and `b` starts once `a` has finished)"),
        ));
    } else if input.peek(syn::token::Paren) {
        // `inc(x),`: a call without a name.
        return Err(syn::Error::new(
            name.span(),
            format!("give this node call a name, like `{name} = {name}(..)`: entries, the output struct and the report refer to a node by its name"),
        ));
    } else if input.is_empty() && attrs.iter().any(|a| a.path().is_ident("output")) {
        // `#[output] n,` for an input `n`: an output is a node's, and an input is the
        // caller's already.
        return Err(syn::Error::new(
            name.span(),
            format!("`#[output]` marks a node binding, like `#[output] {name} = node_fn(..)`; an input is not an output (the caller passed it in), so if `{name}` is an input, remove this entry, or pass it through a node (`async fn echo(x: T) -> T {{ x }}`) and mark that binding: `#[output] {name}_out = echo({name})`"),
        ));
    } else {
        return Err(syn::Error::new(
            here(input, &input.error(""), name.span()),
            format!("expected `=` after `{name}`: bind a node like `{name} = node_fn(port: source)`, or declare an input like `input {name}: Type`"),
        ));
    }
    parse_binding_rest(cx, input, attrs, name).map(Entry::Binding)
}

/// `match source { Pat (if guard)? => { entries }, .. }` or `if name { .. } else { .. }`.
fn parse_decision(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<RawDecision> {
    if input.peek(Token![if]) {
        return parse_if(cx, input);
    }
    let keyword: Token![match] = input.parse()?;
    let keyword = Ident::new("match", keyword.span);
    let on = parse_decision_source(cx, input, "match")?;
    let content;
    braced!(content in input);
    let mut arms = Vec::new();
    while !content.is_empty() {
        let pat = syn::Pat::parse_multi_with_leading_vert(&content)?;
        let guard = if content.peek(Token![if]) {
            content.parse::<Token![if]>()?;
            Some(content.call(syn::Expr::parse_without_eager_brace)?)
        } else {
            None
        };
        let arrow: Token![=>] = content.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected `=>` and the arm's entries in braces, like `Pattern => { x = node_fn(..), }`")
        })?;
        let (body, body_span) = if content.peek(syn::token::Brace) {
            let body;
            let brace = braced!(body in content);
            (body.parse::<TokenStream>()?, brace.span.join())
        } else {
            let message = "an arm's entries go in braces, like `Pattern => { x = node_fn(..), }` (or `=> {}` for none)";
            if !starts_binding(&content) {
                return Err(syn::Error::new(
                    here(&content, &content.error(""), arrow.spans[1]),
                    message,
                ));
            }
            // `Pat => p = node_fn(..),`: said (once: the habit repeated in the other arms
            // is the same mistake), and read as `Pat => { p = node_fn(..), }`, so that `p`
            // keeps its field.
            let span = content.span();
            let mut body = TokenStream::new();
            while !content.is_empty() && !content.peek(Token![,]) {
                body.extend([content.parse::<TokenTree>()?]);
            }
            let first = body.clone().into_iter().next();
            cx.error_once_spanned_by(first, message);
            (body, span)
        };
        if content.peek(Token![,]) {
            content.parse::<Token![,]>()?;
        }
        let mut label = tokens_text(&pat.to_token_stream());
        if let Some(guard) = &guard {
            label.push_str(" if ");
            label.push_str(&tokens_text(&guard.to_token_stream()));
        }
        let names = pattern_names(&pat);
        if let Some(guard) = &guard {
            check_guard_names_scrutinee(cx, &on, &pat, &names, guard);
        }
        arms.push((
            Arm {
                pat,
                guard,
                names,
                label,
                body_span,
            },
            body,
        ));
    }
    check_str_arms_bind_nothing(cx, &on, &arms);
    Ok(RawDecision {
        keyword,
        is_if: false,
        on,
        arms,
    })
}

/// A `match` with string-literal arms routes on its value as a `&str` (see the
/// router's expansion), so an arm binding the value would bind a borrowed `&str`: one
/// error at the first name, saying to read the matched binding itself.
fn check_str_arms_bind_nothing(cx: &Ctxt, on: &Source, arms: &[(Arm, TokenStream)]) {
    if !arms.iter().any(|(arm, _)| has_str_literal(&arm.pat)) {
        return;
    }
    if let Some(name) = arms.iter().find_map(|(arm, _)| arm.names.first()) {
        let on = on.text();
        cx.error_spanned_by(
            name,
            format!("a `match` on string literals cannot bind the value to `{name}`: write `_ => {{ .. }}` and read `{on}` itself in the arm"),
        );
    }
}

/// `if name { .. } else { .. }`: a match on `bool` (`else if` nests a decision in the
/// `else` arm; no `else` is an empty one).
fn parse_if(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<RawDecision> {
    let keyword: Token![if] = input.parse()?;
    let keyword = Ident::new("if", keyword.span);
    let on = parse_decision_source(cx, input, "if")?;
    if !input.peek(syn::token::Brace) {
        return Err(input.error(
            "expected `{ .. }` after the condition: `if ok { x = node_fn(..), } else { .. }`",
        ));
    }
    let then;
    braced!(then in input);
    let then: TokenStream = then.parse()?;
    let otherwise: TokenStream = if input.peek(Token![else]) {
        input.parse::<Token![else]>()?;
        if input.peek(Token![if]) {
            // `else if c { .. }`: the rest of the chain is the one entry of the `else` arm.
            take_if_chain(input)?
        } else {
            let body;
            braced!(body in input);
            body.parse()?
        }
    } else {
        TokenStream::new()
    };
    let arm = |value: bool, span: Span| Arm {
        pat: syn::Pat::Lit(syn::PatLit {
            attrs: Vec::new(),
            lit: syn::Lit::Bool(syn::LitBool::new(value, span)),
        }),
        guard: None,
        names: Vec::new(),
        label: value.to_string(),
        body_span: span,
    };
    Ok(RawDecision {
        arms: vec![
            (arm(true, keyword.span()), then),
            (arm(false, keyword.span()), otherwise),
        ],
        keyword,
        is_if: true,
        on,
    })
}

/// The tokens of `if c { .. } (else (if-chain | { .. }))?`, unparsed.
fn take_if_chain(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut chain = TokenStream::new();
    loop {
        let tt: TokenTree = input.parse()?;
        let is_body =
            matches!(&tt, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace);
        chain.extend([tt]);
        if !is_body {
            continue;
        }
        if !input.peek(Token![else]) {
            return Ok(chain);
        }
        let else_token: TokenTree = input.parse()?;
        chain.extend([else_token]);
        if !input.peek(Token![if]) {
            let body: TokenTree = input.parse()?;
            chain.extend([body]);
            return Ok(chain);
        }
    }
}

/// What a decision matches: a source (an `if` takes a plain name or field).
fn parse_decision_source(cx: &Ctxt, input: ParseStream<'_>, keyword: &str) -> syn::Result<Source> {
    if keyword == "if" && input.peek(Token![!]) {
        return Err(input.error(
            "`if` routes on a `bool` binding or input as it is, not an expression: for `if !ok`, write `if ok` and swap the arms (`if ok { ..else arm.. } else { ..then arm.. }`)",
        ));
    }
    let root: Ident = input.call(Ident::parse_any).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected a binding or input after `{keyword}`: `{keyword}` routes on a node's output, like `{keyword} triage {{ .. }}`"),
        )
    })?;
    if (root == "true" || root == "false") && !input.peek(Token![.]) {
        // `else if true { .. }`: was "unknown source `true`" with a hint to declare
        // `input true: Type`.
        return Err(syn::Error::new_spanned(
            &root,
            format!("`{keyword} {root}` routes on a constant: `{keyword}` takes a binding or input, like `{keyword} ok {{ .. }}`; entries that always run go outside the `{keyword}` (or in its last arm, `else {{ .. }}`)"),
        ));
    }
    let mut source = Source {
        root,
        fields: Vec::new(),
        optional: None,
    };
    while input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        source.fields.push(input.parse()?);
    }
    let ahead = input.fork();
    if ahead.parse::<Token![=>]>().is_ok() && ahead.peek(syn::token::Brace) {
        // `if ok => { .. }`, a `match` arm's arrow after an `if`: said, and the arms
        // parse on (was "`if` routes on a binding or input as it is, not an expression").
        let arrow: Token![=>] = input.parse()?;
        cx.error_spanned_by(
            arrow,
            format!("remove `=>`: `{keyword}` takes its arm's braces right after the binding, like `{keyword} {} {{ .. }}`", source.text()),
        );
    }
    if !input.peek(syn::token::Brace) {
        // The expression up to the arms' braces is the error; the arms still parse, so
        // their bindings keep their output fields.
        let mut rest = TokenStream::new();
        while !input.is_empty() && !input.peek(syn::token::Brace) {
            rest.extend([input.parse::<proc_macro2::TokenTree>()?]);
        }
        let message = format!("`{keyword}` routes on a binding or input as it is, not an expression; compute the value in a `#[node]` and `{keyword}` on its binding");
        if input.is_empty() {
            return Err(syn::Error::new_spanned(rest, message));
        }
        cx.error_spanned_by(rest, message);
    }
    Ok(source)
}

/// The text of a fan-out body that is one call and nothing else (`download(url: u)`, with
/// or without a trailing comma), written as a Rust block's value.
fn lone_unnamed_call(body: &TokenStream) -> Option<String> {
    let tokens: Vec<TokenTree> = body.clone().into_iter().collect();
    let call = match tokens.as_slice() {
        [TokenTree::Ident(f), TokenTree::Group(g)] => (f, g),
        [TokenTree::Ident(f), TokenTree::Group(g), TokenTree::Punct(p)]
            if matches!(p.as_char(), ',' | ';') =>
        {
            (f, g)
        }
        _ => return None,
    };
    (call.1.delimiter() == proc_macro2::Delimiter::Parenthesis).then(|| {
        format!(
            "{}({})",
            call.0,
            call.1.stream().to_string().replace(" :", ":")
        )
    })
}

/// The message for `name = receiver.method(args)` when the call reads as another tool's
/// habit rather than a method of a list: a workflow run by a method
/// (`front = Render.execute(page: p)`, said as the sub-workflow's call `Render(page: p)`),
/// or a task mapped over a list as in Prefect or Airflow (`imgs = download.map(urls)`,
/// `download.expand(url: urls)`), said as the fan-out with the node in its body. `None`
/// leaves the general message (a method of a source, like `urls.iter().map(f)`).
fn method_call_habit(name: &str, receiver: &str, rest: &TokenStream) -> Option<String> {
    let tokens: Vec<TokenTree> = rest.clone().into_iter().collect();
    let [TokenTree::Punct(dot), TokenTree::Ident(method), TokenTree::Group(args)] =
        tokens.as_slice()
    else {
        return None;
    };
    if dot.as_char() != '.' || args.delimiter() != proc_macro2::Delimiter::Parenthesis {
        return None;
    }
    let method = method.to_string();
    let args_text = args.stream().to_string().replace(" :", ":");
    if receiver.chars().next().is_some_and(char::is_uppercase) {
        return Some(format!(
            "a binding runs a workflow by its name, not a method of it: write `{name} = {receiver}({args_text})`, its inputs as ports (`.{method}(..)` is for a run from outside, on a `Runtime`)"
        ));
    }
    if !matches!(
        method.as_str(),
        "map"
            | "expand"
            | "map_async"
            | "starmap"
            | "for_each"
            | "apply_async"
            | "submit"
            | "partial"
    ) {
        return None;
    }
    let parts: Vec<Vec<TokenTree>> = split_top_level(args.stream(), false)
        .into_iter()
        .map(|(arg, _)| arg.into_iter().collect::<Vec<_>>())
        .collect();
    // One list: `urls` or `url: urls` (Airflow's `expand(url=urls)`).
    let [arg] = parts.as_slice() else {
        return None;
    };
    match arg.as_slice() {
        [TokenTree::Ident(port), TokenTree::Punct(colon), TokenTree::Ident(list)] if colon.as_char() == ':' => Some(format!(
            "`{receiver}.{method}(..)` maps a task over a list in other tools; here a fan-out runs `{receiver}` once per item of `{list}`: write `{name} = for item in {list} {{ out = {receiver}({port}: item), }} => out`"
        )),
        [TokenTree::Ident(list)] => Some(format!(
            "a binding runs a `#[node]` fn, not a method: a fan-out runs nodes once per item of a list, so write `{name} = for item in {list} {{ out = {receiver}(item), }} => out` if `{receiver}` is the `#[node]` fn, or `{name} = for item in {receiver} {{ out = {list}(item), }} => out` if `{receiver}` is the list"
        )),
        _ => None,
    }
}

/// `Render` for a node path ending in `RenderInput` (an upper-camel name with the
/// `Input` suffix of a workflow's input struct; a `#[node]` fn is snake case).
fn input_struct_workflow(node: &Path) -> Option<String> {
    let last = syn::ext::IdentExt::unraw(&node.segments.last()?.ident).to_string();
    let workflow = last.strip_suffix("Input")?;
    workflow
        .starts_with(|c: char| c.is_ascii_uppercase())
        .then(|| workflow.to_owned())
}

/// `Render` for a node path `Render::run` (or `crate::Render::run`): the segment before
/// the last is an upper-camel type name and the last a snake-case fn; a module, which a
/// node path may name, is snake case.
fn type_of_method_path(node: &Path) -> Option<String> {
    let n = node.segments.len();
    if n < 2 {
        return None;
    }
    let owner = syn::ext::IdentExt::unraw(&node.segments[n - 2].ident).to_string();
    let method = syn::ext::IdentExt::unraw(&node.segments[n - 1].ident).to_string();
    (owner.starts_with(|c: char| c.is_ascii_uppercase())
        && method.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'))
    .then_some(owner)
}

/// The names a pattern binds, in order (an or-pattern's from its first alternative). A
/// bare name that starts with an uppercase letter is taken for a constant or unit
/// variant (`None`), as Rust's own lint would have it.
/// `match c { 400..=499 if c != 429 => .. }`: a guard sees its pattern's bindings only
/// (it decides the route from the matched value, see README), so the matched binding's
/// name there is rustc's "cannot find value `c`"; said here with the fix, binding the
/// value in the pattern (`c @ 400..=499 if c != 429`).
fn check_guard_names_scrutinee(
    cx: &Ctxt,
    on: &Source,
    pat: &syn::Pat,
    names: &[Ident],
    guard: &syn::Expr,
) {
    /// `name` in `tokens`, not as a field (`x.name`).
    fn find(tokens: TokenStream, name: &Ident) -> Option<Ident> {
        let mut after_dot = false;
        for t in tokens {
            match &t {
                TokenTree::Ident(i) if i == name && !after_dot => return Some(i.clone()),
                TokenTree::Group(g) => {
                    if let Some(i) = find(g.stream(), name) {
                        return Some(i);
                    }
                }
                _ => {}
            }
            after_dot = matches!(&t, TokenTree::Punct(p) if p.as_char() == '.');
        }
        None
    }
    if names.contains(&on.root) {
        return;
    }
    let Some(found) = find(guard.to_token_stream(), &on.root) else {
        return;
    };
    let root = &on.root;
    let pat = tokens_text(&pat.to_token_stream()).replace("..= ", "..=");
    let fixed = match pat.as_str() {
        "_" => root.to_string(),
        _ => format!("{root} @ {pat}"),
    };
    cx.error_spanned_by(
        &found,
        format!("a guard sees only its pattern's bindings, not `{root}`, the value matched on (the route is decided from that value alone): bind it in the pattern, like `{fixed} if ..`"),
    );
}

fn pattern_names(pat: &syn::Pat) -> Vec<Ident> {
    fn walk(pat: &syn::Pat, out: &mut Vec<Ident>) {
        match pat {
            syn::Pat::Ident(p) => {
                let text = p.ident.to_string();
                let constant = text.chars().next().is_some_and(char::is_uppercase)
                    && p.by_ref.is_none()
                    && p.mutability.is_none()
                    && p.subpat.is_none();
                if !constant {
                    out.push(p.ident.clone());
                }
                if let Some((_, sub)) = &p.subpat {
                    walk(sub, out);
                }
            }
            syn::Pat::Or(p) => {
                if let Some(first) = p.cases.first() {
                    walk(first, out);
                }
            }
            syn::Pat::Paren(p) => walk(&p.pat, out),
            syn::Pat::Reference(p) => walk(&p.pat, out),
            syn::Pat::Slice(p) => p.elems.iter().for_each(|e| walk(e, out)),
            syn::Pat::Struct(p) => p.fields.iter().for_each(|f| walk(&f.pat, out)),
            syn::Pat::Tuple(p) => p.elems.iter().for_each(|e| walk(e, out)),
            syn::Pat::TupleStruct(p) => p.elems.iter().for_each(|e| walk(e, out)),
            syn::Pat::Type(p) => walk(&p.pat, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(pat, &mut out);
    out
}

/// Completes the fan-out bindings of a workflow (or of a fan-out body) named
/// `workflow`, whose inputs and bindings are `names`: each gets its generated ports
/// struct as its node (`__{workflow}Fan_{binding}`) and, for `for`, a port per outer
/// source its body uses.
pub(crate) fn finish_fan_outs(
    cx: &Ctxt,
    workflow: &Ident,
    names: &[String],
    decisions: &[Decision],
    bindings: &mut [Binding],
) {
    for b in bindings {
        let Some(fan_out) = &b.fan_out else { continue };
        let ports_struct =
            quote::format_ident!("__{}Fan_{}", workflow, b.name, span = b.name.span());
        b.node = Path::from(ports_struct);
        // The names the body sees from outside: the workflow's inputs and bindings, and
        // the pattern bindings of the arms around the fan-out (`Some(k) => { ys = for x
        // in xs { y = scale(x, by: k), } => y, }`).
        let mut outer = names.to_vec();
        for arm in &b.scope {
            if let Some(a) = decisions
                .get(arm.decision)
                .and_then(|d| d.arms.get(arm.arm))
            {
                outer.extend(a.names.iter().map(ToString::to_string));
            }
        }
        for capture in fan_out.captures(&outer) {
            if capture == fan_out.items.root {
                cx.error_spanned_by(
                    &capture,
                    format!("`{capture}` is the list this fan-out runs over, so its body sees one item of it at a time; to use the whole list in every item, bind a copy of it first (a node that returns it)"),
                );
                continue;
            }
            b.args.push(PortArg {
                port: capture.clone(),
                source: Source {
                    root: capture,
                    fields: Vec::new(),
                    optional: None,
                },
            });
        }
    }
}

/// Types that are never a list, by their written name: a fan-out over an input of one
/// of these is one error here, rather than rustc's errors about every place the body
/// names its item type.
const NOT_LISTS: &[&str] = &[
    "bool", "char", "str", "String", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16",
    "i32", "i64", "i128", "isize", "f32", "f64",
];

/// Reports a fan-out over an input whose type is written as a scalar or a string.
fn check_fan_out_lists(cx: &Ctxt, inputs: &[InputDecl], bindings: &[Binding]) {
    for b in bindings {
        let Some(f) = &b.fan_out else { continue };
        let Some(input) = inputs.iter().find(|i| i.name == f.items.root) else {
            continue;
        };
        let mut ty = &input.ty;
        while let Type::Reference(r) = ty {
            ty = &r.elem;
        }
        let Type::Path(path) = ty else { continue };
        let Some(last) = path.path.segments.last() else {
            continue;
        };
        let ty_name = last.ident.to_string();
        if path.qself.is_none() && NOT_LISTS.contains(&ty_name.as_str()) {
            let input_name = &input.name;
            cx.error_at(
                f.items.span(),
                format!(
                    "cannot fan out over `{input_name}`: it is a `{ty_name}`, not a list; `{} = for .. in ..` runs its body once per item of a `Vec<T>` (or another `IntoIterator`), so declare `input {input_name}: Vec<{ty_name}>` or bind the body's nodes directly to run them once",
                    b.name
                ),
            );
        }
    }
}

/// `for var in items { entries } => result` after `name =` (the `for` is next).
fn parse_for_rest(
    cx: &Ctxt,
    input: ParseStream<'_>,
    attrs: Vec<Attribute>,
    name: Ident,
) -> syn::Result<Binding> {
    input.parse::<Token![for]>()?;
    if input.peek(syn::token::Paren) || input.peek(syn::token::Bracket) {
        return Err(input.error(format!(
            "a fan-out names each item with one name, like `{name} = for item in list {{ .. }} => out`: it runs its body once per item, so there is no pattern or index to take apart; give each item what it needs in the list itself (a node can return a `Vec` of pairs)"
        )));
    }
    if input.peek(Token![&]) || input.peek(Token![mut]) {
        // `for &u in urls` / `for mut u in urls`, as over a Rust iterator (was syn's
        // "expected ident").
        let prefix: TokenStream = if input.peek(Token![&]) {
            input.parse::<Token![&]>()?.into_token_stream()
        } else {
            input.parse::<Token![mut]>()?.into_token_stream()
        };
        let var = input
            .fork()
            .call(Ident::parse_any)
            .map_or_else(|_| "item".to_owned(), |v| v.to_string());
        return Err(syn::Error::new_spanned(
            prefix,
            format!("a fan-out names each item with a plain name: write `for {var} in ..`; each item is moved into its own run of the body, where `{var}` is an owned value (a node that changes it takes it and returns the new value)"),
        ));
    }
    let var = parse_name(input)?;
    input.parse::<Token![in]>().map_err(|e| {
        syn::Error::new(e.span(), format!("expected `in` after `for {var}`: write `{name} = for {var} in list {{ .. }} => result`"))
    })?;
    let items = parse_for_items(cx, input, &name, &var).inspect_err(|_| {
        // The body and `=> ..` are part of the entry that did not parse: consumed, or
        // syn reports them as unexpected too.
        let _ = input.parse::<TokenStream>();
    })?;
    if !input.peek(syn::token::Brace) {
        return Err(input.error(format!(
            "expected the body of the fan-out in braces: `{name} = for {var} in {} {{ out = node({var}), }} => out`",
            items.text()
        )));
    }
    let content;
    let brace = braced!(content in input);
    let body: TokenStream = content.parse()?;
    if let Some(call) = lone_unnamed_call(&body) {
        if !input.peek(Token![=>]) {
            // `for u in urls { download(url: u) }`, a Rust block's value: one error (was
            // two, the unnamed call and the missing `=> ..`).
            return Err(syn::Error::new_spanned(
                body,
                format!("a fan-out's body binds its node calls and `=> name` collects one per item, not the body's last value: write `{name} = for {var} in {} {{ out = {call}, }} => out`", items.text()),
            ));
        }
    }
    // The body is parsed like a workflow's (decisions and arms included); it declares
    // no inputs of its own.
    let mut parsed = Parsed::default();
    let errors_before = cx.error_count();
    parse_body(cx, body, &Scope::new(), &mut parsed);
    let body_failed = cx.error_count() > errors_before;
    for i in &parsed.inputs {
        cx.error_spanned_by(
            &i.name,
            format!("a fan-out body has no inputs of its own: it sees `{var}` (one item) and the workflow's inputs and bindings; declare `input {}` in the workflow", i.name),
        );
    }
    let Parsed {
        bindings,
        decisions,
        ..
    } = parsed;
    let arrow: Token![=>] = input.parse().map_err(|e| {
        // At the end of the binding, point at the body's closing brace, where `=> ..`
        // goes, not at the whole macro (the span of the end of input).
        let span = if input.is_empty() { brace.span.close() } else { e.span() };
        syn::Error::new(
            span,
            format!("expected `=> binding` after the body: which body binding `{name}` collects per item, like `}} => {}`", bindings.last().map_or_else(|| "out".to_owned(), |b: &Binding| b.name.to_string())),
        )
    })?;
    let result = if input.peek(syn::token::Bracket) {
        // `=> [d]` or `=> vec![d]`-like: the list is made by the fan-out itself. One
        // error at the brackets, and the name inside collected (it was "expected the
        // body binding to collect after `=>`").
        let group: proc_macro2::Group = input.parse()?;
        let Some(first) = group.stream().into_iter().find_map(|t| match t {
            TokenTree::Ident(i) => Some(i),
            _ => None,
        }) else {
            return Err(syn::Error::new(
                group.span(),
                "expected the body binding to collect after `=>`",
            ));
        };
        cx.error_at(
            group.span(),
            format!("remove the brackets: a fan-out makes the list itself, so write `}} => {first}` and `{name}` is a `Vec` of each item's `{first}`"),
        );
        first
    } else if input.peek(syn::token::Paren) {
        // `=> (img, s)`: one error at the tuple, and its first name collected, so that
        // `name` keeps its field.
        let group: proc_macro2::Group = input.parse()?;
        let first = group.stream().into_iter().find_map(|t| match t {
            proc_macro2::TokenTree::Ident(i) => Some(i),
            _ => None,
        });
        let Some(first) = first else {
            return Err(syn::Error::new(
                group.span(),
                "expected the body binding to collect after `=>`",
            ));
        };
        cx.error_at(
            group.span(),
            format!("a fan-out collects one body binding per item, like `}} => {first}`: to keep several values per item, return them together (a struct or a tuple) from one node of the body and collect that binding, or collect each in a fan-out of its own"),
        );
        first
    } else {
        parse_name(input).map_err(|e| {
            syn::Error::new(
                e.span().join(arrow.spans[0]).unwrap_or(arrow.spans[0]),
                "expected the body binding to collect after `=>`",
            )
        })?
    };
    if input.peek(Token![.]) {
        // `=> s.len`: the field and any after it are consumed, so that the entries after
        // the fan-out parse on.
        input.parse::<Token![.]>()?;
        let mut fields = vec![input.parse::<Member>()?];
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            fields.push(input.parse()?);
        }
        let field = quote::ToTokens::to_token_stream(&fields[0]);
        // At the field (a span cannot be joined on stable).
        cx.error_at(
            fields[0].span(),
            format!("`=> ..` names a body binding, collected whole per item, not a field of it: write `}} => {result}` (`{name}` is then a `Vec` of its values) and read `.{field}` of each item in the node that takes `{name}`"),
        );
    } else if input.peek(Token![?]) {
        // `=> d?` (a `Result`'s habit): consumed, so that the entries after the fan-out
        // parse on (it was "expected `,` between workflow entries").
        let question: Token![?] = input.parse()?;
        cx.error_spanned_by(
            question,
            format!("remove the `?`: a failing item already fails the fan-out (fail-fast, the default), so `{name}` collects the values of `{result}`; to keep each item's `Result` instead, put `#[failure = \"collect\"]` on `{name}`"),
        );
    } else if input.peek(Token![as]) || peek_operator(input) {
        // `=> s * 2`: consumed, so that the entries after the fan-out parse on.
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            &rest,
            format!("remove `{rest}`: `=> ..` collects a body binding as it is, not an expression of it; compute it in a `#[node]` fn of the body (one that takes `{result}`) and collect that binding"),
        );
    }
    if !bindings.iter().any(|b| b.name == result) {
        let names: Vec<String> = bindings.iter().map(|b| b.name.to_string()).collect();
        let msg = if result == var {
            format!("`{name}` collects a body binding per item, and `{var}` is the item itself; to collect the items, use `{}` directly", items.text())
        } else if names.is_empty() && body_failed {
            // The body's own error explains it (a nested fan-out without `=> ..`, a
            // `for` without a binding): one error, not that and this.
            String::new()
        } else if names.is_empty() {
            format!("`{result}` is not bound in the body of `{name}`, which binds nothing; bind it there, like `{result} = node({var}),`")
        } else {
            let near = closest(&result.to_string(), &names)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            format!(
                "`{result}` is not bound in the body of `{name}`; {near}`=> ..` names the body binding collected per item: one of {}",
                list(&names)
            )
        };
        if !msg.is_empty() {
            cx.error_spanned_by(&result, msg);
        }
    }
    Ok(Binding {
        attrs,
        name: name.clone(),
        node: Path::from(name),
        args: vec![items_arg(&items)],
        scope: Scope::new(),
        fan_out: Some(FanOut {
            items,
            body: FanOutBody::For {
                var,
                bindings,
                decisions,
                result,
                brace_span: brace.span.join(),
            },
        }),
    })
}

/// `map(Workflow, items)` after `name =` (`map(` is next, with a path and a `,`).
fn parse_map_rest(
    cx: &Ctxt,
    input: ParseStream<'_>,
    attrs: Vec<Attribute>,
    name: Ident,
) -> syn::Result<Binding> {
    input.parse::<kw::map>()?;
    let content;
    parenthesized!(content in input);
    if let Some(amp) = content.parse::<Option<Token![&]>>()? {
        // `map(&Render, titles)`, a fn or closure passed by reference (was "remove `&`:
        // ports take their source by value" and "cannot find macro `map`").
        let ahead = content.fork();
        let workflow = ahead
            .parse::<Path>()
            .map_or_else(|_| "Workflow".to_owned(), |p| path_text(&p));
        let list = (ahead.parse::<Token![,]>().is_ok())
            .then(|| ahead.parse::<Ident>().ok())
            .flatten()
            .map_or_else(|| "list".to_owned(), |l| l.to_string());
        cx.error_spanned_by(
            amp,
            format!("remove `&`: `map` takes the workflow by its name, like `{name} = map({workflow}, {list})`"),
        );
    }
    let workflow: Path = content.parse()?;
    content.parse::<Token![,]>()?;
    let items = parse_items(cx, &content, &name)?;
    content.parse::<Option<Token![,]>>()?;
    if !content.is_empty() {
        return Err(content.error(format!(
            "`map` takes a workflow and one list: `{name} = map({}, list)`; a workflow with more inputs is run per item with `for x in list {{ out = {}(..), }} => out`",
            path_text(&workflow),
            path_text(&workflow)
        )));
    }
    if input.peek(Token![=>]) {
        // `rs = map(Render, ts) => html`, the `for` fan-out's collect written on a `map`
        // (was "expected `,` between workflow entries").
        let arrow: Token![=>] = input.parse()?;
        let rest: TokenStream = input.parse()?;
        let wf = path_text(&workflow);
        return Err(syn::Error::new_spanned(
            quote::quote!(#arrow #rest),
            format!("remove `=> {}`: `map` collects each run's whole `{wf}Output`, and a later node reads a field of it per item; to collect one binding per item, write a fan-out: `{name} = for item in {} {{ out = {wf}(..), }} => out`", tokens_text(&rest), items.text()),
        ));
    }
    Ok(Binding {
        attrs,
        name: name.clone(),
        node: Path::from(name),
        args: vec![items_arg(&items)],
        scope: Scope::new(),
        fan_out: Some(FanOut {
            items,
            body: FanOutBody::Map { workflow },
        }),
    })
}

/// Reports and drops each binding that runs the workflow being declared (`again =
/// Render(page)` inside `Render`, or `map(Render, ..)`): its output would contain itself,
/// which rustc reports as an unsized cycle with no place in the user's code.
fn drop_calls_of_itself(cx: &Ctxt, workflow: &Ident, bindings: &mut Vec<Binding>) {
    bindings.retain(|b| {
        let called = match &b.fan_out {
            Some(FanOut { body: FanOutBody::Map { workflow: w }, .. }) => w,
            _ => &b.node,
        };
        if !called.is_ident(workflow) {
            return true;
        }
        let at = called.segments.last().map_or_else(|| b.name.span(), |s| s.ident.span());
        cx.error_at(
            at,
            format!("`{workflow}` calls itself: a workflow cannot run as a node of its own graph (its output would contain itself); run the step with a node, or call another workflow"),
        );
        false
    });
}

/// What `map(..)` after `name =` is.
enum MapPeek {
    /// `map(Workflow, list)`: a fan-out.
    Map,
    /// `map(node_fn, list)`: a fan-out of a node fn (an error): the fn and the list.
    OfNode(Ident, String),
    /// `map(Workflow)`: a fan-out without its list (an error).
    NoList(Ident),
    /// `map(|x| .., list)`: a closure where the workflow goes (an error), at its start.
    Closure(Span),
    /// Anything else (a `#[node]` fn called `map`, or no `map` at all).
    No,
}

/// Whether a `map(Workflow, list)` fan-out is next: `map(` and a path whose last
/// segment is a type name (capitalised), then `,`. `map(node_fn, list)`, two bare
/// names whose first is snake_case, is the same form with a node where the workflow
/// goes (a `#[node]` fn called `map` names its ports); `map(Workflow)` lacks the list.
fn peek_map(input: ParseStream<'_>) -> MapPeek {
    let ahead = input.fork();
    if ahead.parse::<kw::map>().is_err() || !ahead.peek(syn::token::Paren) {
        return MapPeek::No;
    }
    let Ok(group) = ahead.parse::<proc_macro2::Group>() else {
        return MapPeek::No;
    };
    match group.stream().into_iter().next() {
        Some(TokenTree::Punct(bar)) if bar.as_char() == '|' => return MapPeek::Closure(bar.span()),
        Some(TokenTree::Ident(word)) if word == "move" || word == "async" => {
            return MapPeek::Closure(word.span())
        }
        _ => {}
    }
    let peek = |content: ParseStream<'_>| -> syn::Result<(Path, bool, Option<Ident>, bool)> {
        // `map(&Render, ..)`: said by `parse_map_rest`.
        content.parse::<Option<Token![&]>>()?;
        let path: Path = content.parse()?;
        let comma = content.parse::<Option<Token![,]>>()?.is_some();
        let list = if comma && content.peek(Ident) && !content.peek2(Token![:]) {
            content.parse::<Ident>().ok()
        } else {
            None
        };
        let _ = content.parse::<Option<Token![,]>>();
        let end = content.is_empty();
        content.parse::<TokenStream>()?;
        Ok((path, comma, list, end))
    };
    let Ok((path, comma, list, end)) = syn::parse::Parser::parse2(peek, group.stream()) else {
        return MapPeek::No;
    };
    let Some(last) = path.segments.last() else {
        return MapPeek::No;
    };
    let capitalised = last
        .ident
        .to_string()
        .starts_with(|c: char| c.is_ascii_uppercase());
    match (capitalised, comma, list) {
        (true, true, _) => MapPeek::Map,
        (true, false, _) if path.segments.len() == 1 && path.leading_colon.is_none() => {
            MapPeek::NoList(last.ident.clone())
        }
        (false, true, Some(list)) if end && path.get_ident().is_some() => {
            MapPeek::OfNode(last.ident.clone(), list.to_string())
        }
        _ => MapPeek::No,
    }
}

/// The list a fan-out runs over: an input or a whole binding (its item type is named
/// from the source's type, which a field's is not).
fn parse_items(cx: &Ctxt, input: ParseStream<'_>, name: &Ident) -> syn::Result<Source> {
    let Some(items) = parse_source(cx, input, None)? else {
        return Err(no_list(input, name));
    };
    if !items.fields.is_empty() {
        cx.error_at(
            items.span(),
            format!(
                "a fan-out runs over an input or a whole binding, not a field: bind `{}` first with a node that returns it",
                items.text()
            ),
        );
    }
    if let Some(q) = items.optional {
        // The entry is dropped (as a syntax error): resolving it without the `?` would
        // say to add one.
        return Err(syn::Error::new(
            q,
            format!(
                "a fan-out runs over a list, not an `Option`: `{}?` is `None` when another arm ran; move `{name}` into the arm that binds `{}`",
                items.root, items.root
            ),
        ));
    }
    Ok(items)
}

/// A fan-out without its list.
fn no_list(input: ParseStream<'_>, name: &Ident) -> syn::Error {
    input.error(format!(
        "expected the list `{name}` fans out over: an input or a binding"
    ))
}

/// The list of a `for`: the tokens before the body's braces, so that a mistake in them
/// is one error and the body still parses. `xs.iter()` (the `for` loop habit) is said as
/// such, and the fan-out kept over `xs`.
fn parse_for_items(
    cx: &Ctxt,
    input: ParseStream<'_>,
    name: &Ident,
    var: &Ident,
) -> syn::Result<Source> {
    let mut list = TokenStream::new();
    while !input.is_empty() && !input.peek(syn::token::Brace) {
        list.extend(std::iter::once(input.parse::<TokenTree>()?));
    }
    if list.is_empty() {
        return Err(no_list(input, name));
    }
    if let Some((root, calls)) = method_calls_on_name(&list) {
        let text = calls.to_string().replace(' ', "");
        cx.error_spanned_by(
            &calls,
            format!("remove `{text}`: `for {var} in {root}` runs the body once per item of `{root}`, each item taken by value (there is no index)"),
        );
        return Ok(Source {
            root,
            fields: Vec::new(),
            optional: None,
        });
    }
    if !source_like(&list) {
        // `0..n`, `vec![..]`, `[a, b]`, `f(x)`: one error for the whole expression (its
        // tokens parsed as a source said "a port connects to a source", then "expected
        // the list").
        let text = list
            .to_string()
            .replace(" .. ", "..")
            .replace(" . ", ".")
            .replace(" ! ", "!")
            .replace(" , ", ", ");
        return Err(syn::Error::new_spanned(
            &list,
            format!(
                "a fan-out runs over an input or a whole binding, not an expression like `{text}`: make the list in a `#[node]` that returns a `Vec`, bind it (`items = make_items(..)`), and write `for {var} in items`"
            ),
        ));
    }
    syn::parse::Parser::parse2(|s: ParseStream<'_>| parse_items(cx, s, name), list)
}

/// Whether the tokens of a fan-out's list look like a source (a name, then fields, then
/// an optional `?`), which `parse_items` reads and judges, rather than an expression.
fn source_like(tokens: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let Some((TokenTree::Ident(_), mut rest)) = tokens.split_first() else {
        return false;
    };
    loop {
        match rest {
            [] => return true,
            [TokenTree::Punct(q)] if q.as_char() == '?' => return true,
            [TokenTree::Punct(dot), TokenTree::Ident(_) | TokenTree::Literal(_), more @ ..]
                if dot.as_char() == '.' && dot.spacing() == Spacing::Alone =>
            {
                rest = more;
            }
            _ => return false,
        }
    }
}

/// `xs` and `.iter().enumerate()` when `tokens` are a name followed only by method calls.
fn method_calls_on_name(tokens: &TokenStream) -> Option<(Ident, TokenStream)> {
    let mut iter = tokens.clone().into_iter().peekable();
    let Some(TokenTree::Ident(root)) = iter.next() else {
        return None;
    };
    let calls: Vec<TokenTree> = iter.collect();
    if calls.is_empty() || calls.len() % 3 != 0 {
        return None;
    }
    let all_calls = calls.chunks(3).all(|call| {
        matches!(
            call,
            [TokenTree::Punct(dot), TokenTree::Ident(_), TokenTree::Group(args)]
                if dot.as_char() == '.' && args.delimiter() == proc_macro2::Delimiter::Parenthesis
        )
    });
    all_calls.then(|| (root, calls.into_iter().collect()))
}

/// The port of a fan-out's list, named after its source.
fn items_arg(items: &Source) -> PortArg {
    PortArg {
        port: items.root.clone(),
        source: Source {
            root: items.root.clone(),
            fields: Vec::new(),
            optional: None,
        },
    }
}

/// The name of an input or binding: it names a struct field, so not a Rust keyword.
fn parse_name(input: ParseStream<'_>) -> syn::Result<Ident> {
    if input.peek(Ident) {
        return input.parse();
    }
    let keyword: Ident = input.call(Ident::parse_any)?;
    let message = if keyword == "_" {
        // `_ = log(x)`, the `let _ = ..` habit for a node run for its effect.
        let fork = input.fork();
        let node = (fork.parse::<Token![=]>().is_ok())
            .then(|| fork.parse::<Ident>().ok())
            .flatten()
            .map_or_else(|| "node_fn".to_string(), |n| n.to_string());
        format!("`_` cannot name a binding: every node has a name, even one whose output nothing uses (it names the node in the report and traces, and its output field); name it, like `{node}_done = {node}(..)`")
    } else if let Some(message) = statement_keyword(&keyword, input) {
        message
    } else {
        let raw = if escapable(&keyword) {
            format!(", or escape it as rustc does: `r#{keyword}`")
        } else {
            String::new()
        };
        format!("`{keyword}` is a Rust keyword and cannot name an input or binding; choose another name{raw}")
    };
    Err(syn::Error::new(keyword.span(), message))
}

/// What to write for a Rust statement that has no place in `workflow!`: `return d;`
/// (a workflow's outputs are its sinks and `#[output]` bindings), and the loops `while`
/// and `loop` (a workflow runs each node once). `None` for other keywords.
fn statement_keyword(keyword: &Ident, rest: ParseStream<'_>) -> Option<String> {
    match keyword.to_string().as_str() {
        "return" => {
            let name = rest.fork().parse::<Ident>().ok();
            let name = name.as_ref().map_or("out".to_owned(), ToString::to_string);
            Some(format!("remove `return {name}`: a workflow's outputs are the bindings no node consumes and those marked `#[output]`, so `{name}` is an output already if nothing reads it; otherwise mark its binding: `#[output] {name} = node_fn(..)`"))
        }
        "else" => Some("`else` follows the arms of an `if`, like `if ok { .. } else { .. }`; this one has no `if` before it (entries that always run need no `else`)".to_owned()),
        "while" | "loop" => Some(format!("`workflow!` has no `{keyword}`: a workflow runs each node once; to run nodes once per item of a list, fan out with `ys = for x in xs {{ y = node_fn(x), }} => y`, and to repeat a step until it succeeds, loop inside a `#[node]` or give it `#[retry(max = 3)]`")),
        _ => None,
    }
}

/// Whether keyword `ident` can be written as a raw identifier (`r#type`): every keyword
/// but `_` and the path roots.
fn escapable(ident: &Ident) -> bool {
    !["_", "crate", "self", "Self", "super"].contains(&ident.to_string().as_str())
}

/// `: Type` after `input name`, and a default value (reported, the input kept).
fn parse_input_rest(
    cx: &Ctxt,
    input: ParseStream<'_>,
    attrs: Vec<Attribute>,
    name: Ident,
) -> syn::Result<Entry> {
    let missing_colon =
        format!("expected `:` and a type after input `{name}`, like `input {name}: String`");
    if !input.peek(Token![:]) && !input.is_empty() {
        // `input url String`: the type is there, so the input is kept.
        if input.fork().parse::<Type>().is_ok() {
            let ty: Type = input.parse()?;
            cx.error_spanned_by(&ty, missing_colon);
            return Ok(Entry::Input(InputDecl { attrs, name, ty }));
        }
    }
    let colon = input
        .parse::<Token![:]>()
        .map_err(|e| syn::Error::new(here(input, &e, name.span()), missing_colon))?;
    let ty: Type = input.parse().map_err(|e| {
        syn::Error::new(
            here(input, &e, colon.span),
            format!("expected the type of input `{name}`, like `input {name}: String`"),
        )
    })?;
    if input.peek(Token![=]) {
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            rest,
            format!("an input has no default value; the caller passes `{name}` in the workflow's input struct"),
        );
    }
    Ok(Entry::Input(InputDecl { attrs, name, ty }))
}

/// `node_fn(args)` after a binding's `name =`, and what may follow the call by habit
/// (`.await`, `?`: reported and dropped).
fn parse_binding_rest(
    cx: &Ctxt,
    input: ParseStream<'_>,
    attrs: Vec<Attribute>,
    name: Ident,
) -> syn::Result<Binding> {
    if input.peek(Token![for]) {
        return parse_for_rest(cx, input, attrs, name);
    }
    match peek_map(input) {
        MapPeek::Map => return parse_map_rest(cx, input, attrs, name),
        MapPeek::OfNode(node, list) => {
            return Err(syn::Error::new(
                node.span(),
                format!("`map` runs a workflow per item, and `{node}` is a `#[node]` fn (workflows are `workflow!` structs, like `Render`); to run a node per item, write `{name} = for item in {list} {{ out = {node}(item), }} => out` (a node fn named `map` takes its ports by name here: `map(a: x, b: y)`)"),
            ));
        }
        MapPeek::NoList(workflow) => {
            return Err(syn::Error::new(
                workflow.span(),
                format!("`map` takes a workflow and the list to run it over, one run per item: `{name} = map({workflow}, list)`"),
            ));
        }
        MapPeek::Closure(at) => {
            return Err(syn::Error::new(
                at,
                format!("`map` takes a workflow and a list, not a closure: `{name} = map(Workflow, list)` runs the workflow once per item, each item going to its one input; to pass an item to a port of your choice, or shape it first, write a `for` fan-out: `{name} = for item in list {{ out = Workflow(port: item), }} => out`"),
            ));
        }
        MapPeek::No => {}
    }
    // `r = match k { A(x) => on_a(x), .. }` (a Rust `match` as a value): was "expected
    // the `#[node]` fn that `r` runs". The `match` is an entry of its own whose arms
    // bind `r`; said at the keyword, with the scrutinee when it is a name.
    if input.peek(Token![match]) || input.peek(Token![if]) {
        let fork = input.fork();
        let keyword = if fork.peek(Token![match]) {
            "match"
        } else {
            "if"
        };
        let span = fork.cursor().span();
        let _ = fork.parse::<proc_macro2::TokenTree>();
        let on = fork
            .parse::<Ident>()
            .map_or_else(|_| "k".to_string(), |i| i.to_string());
        let example = if keyword == "match" {
            format!("`match {on} {{ Pattern(x) => {{ {name} = node_a(x), }} .. }}`")
        } else {
            format!("`if {on} {{ {name} = node_a(..), }} else {{ {name} = node_b(..), }}`")
        };
        return Err(syn::Error::new(
            span,
            format!("`{keyword}` is not a value in `workflow!`: write it as an entry of its own and bind `{name}` inside each arm, {example}; `{name}` is then the value of the arm that ran, read by later nodes and in the outputs like any binding"),
        ));
    }
    // `async fetch(url)` (the call made async by hand): said, and the call parsed on, as
    // `await fetch(url)` is below. `async { .. }`, `async move` and `async |..|` are blocks
    // and closures, reported next.
    let async_kw = if input.peek(Token![async]) && input.peek2(Ident) {
        Some(input.parse::<Token![async]>()?)
    } else {
        None
    };
    if input.peek(Token![|]) || input.peek(Token![move]) || input.peek(Token![async]) {
        return Err(input.error(format!(
            "a binding runs a `#[node]` fn, not a closure or block: write the code in a `#[node] async fn` and bind it, like `{name} = my_node(port: source)`"
        )));
    }
    // `await fetch(url)` (another language's habit): said, and the call parsed on.
    let await_kw = input.parse::<Option<Token![await]>>()?;
    let mut node: Path = input.parse::<Path>().map_err(|e| {
        syn::Error::new(
            here(input, &e, name.span()),
            format!("expected the `#[node]` fn that `{name}` runs, like `{name} = fetch(url)`"),
        )
    })?;
    if let Some(kw) = async_kw {
        cx.error_spanned_by(
            kw,
            format!(
                "remove `async`: `{}` is already an async fn, which `workflow!` runs and awaits for you; write `{name} = {}(..)`",
                path_text(&node),
                path_text(&node)
            ),
        );
    }
    if let Some(kw) = await_kw {
        cx.error_spanned_by(
            kw,
            format!(
                "remove `await`: `workflow!` runs and awaits `{}` for you; write `{name} = {}(..)`",
                path_text(&node),
                path_text(&node)
            ),
        );
    }
    // `RenderInput(page: p)`: a sub-workflow called by its input struct's name. An
    // error, and the binding broken (an error-typed field), since no callback has the
    // name (`workflow!` names the input struct `<Workflow>Input`).
    if let Some(workflow) = input_struct_workflow(&node) {
        let last = node.segments.last().map(|s| &s.ident);
        return Err(syn::Error::new(
            node.segments.last().map_or_else(|| node.span(), |s| s.ident.span()),
            format!("`{}` is the input struct of workflow `{workflow}`: a sub-workflow is bound by the workflow's name, with its inputs as ports: `{name} = {workflow}(..)`", last.map(ToString::to_string).unwrap_or_default()),
        ));
    }
    // `Render::run(page)` / `Render::execute(..)`: a method of a type is never a node
    // (`#[node]` goes on free fns, and a path names a module: `nodes::fetch`). Said at
    // the path, with the call a sub-workflow takes when the type is one; rustc's was
    // "cannot find module `Render`: `Render` is a struct, not a module". The binding is
    // broken like an input struct's call above.
    if let Some(owner) = type_of_method_path(&node) {
        let method = node
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        return Err(syn::Error::new_spanned(
            &node,
            format!("`{}` is a method of `{owner}`, not a node: a node is a `#[node]` fn (a free fn; `module::fetch` names one in a module) or a workflow, bound by its name with its inputs as ports; if `{owner}` is a workflow, write `{name} = {owner}(..)`, else make `{method}` a `#[node]` fn outside the `impl`", path_text(&node)),
        ));
    }
    // `both = tokio::join!(fetch(url), fetch(url))`: the hand-wired habit. Not a node
    // fn with a `!` too many (what the error below said, adding an error per call
    // inside and rustc's "no rules expected `@`"): one error saying that independent
    // nodes already run concurrently, the binding broken like a method's above.
    if input.peek(Token![!]) {
        let last = node
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if matches!(last.as_str(), "join" | "try_join" | "select" | "try_select") {
            return Err(syn::Error::new_spanned(
                &node,
                format!("`{}!` is not needed in `workflow!`: nodes that do not depend on each other already run concurrently; bind each call on its own (`a = fetch(..), b = fetch(..),`) and read `run.outputs.a` and `run.outputs.b`", path_text(&node)),
            ));
        }
    }
    // `a = tokio::spawn(fetch(url))`: the hand-wired habit of a task per call. Was the
    // ports' message at `fetch(url)` and rustc's "could not find `spawn`": one error
    // naming `#[spawn]`, the binding broken like a method's above.
    let first = node.segments.first().map(|s| s.ident.to_string());
    let last = node.segments.last().map(|s| s.ident.to_string());
    if node.segments.len() >= 2
        && matches!(first.as_deref(), Some("tokio" | "task"))
        && matches!(
            last.as_deref(),
            Some("spawn" | "spawn_blocking" | "spawn_local")
        )
    {
        return Err(syn::Error::new_spanned(
            &node,
            format!("`{}` is not needed in `workflow!`: the run starts and awaits each node itself, and nodes that do not depend on each other already run concurrently; bind the node's call itself (like `{name} = fetch(url)`), with `#[spawn]` on the binding to give the node a task of its own (`#[node(spawn_blocking)]` on a blocking, non-async fn)", path_text(&node)),
        ));
    }
    // `pause = tokio::time::sleep(..)`, `sizes = futures::future::join_all(..)`: a fn of
    // tokio, futures or std, which no `#[node]` is. Was the ports' message at the
    // arguments plus rustc's "could not find `sleep` in `time`" (with its "remove `!`"
    // hint): one error at the path saying where such a call goes, the binding broken
    // like a method's above.
    if node.segments.len() >= 2
        && matches!(
            first.as_deref(),
            Some("tokio" | "futures" | "std" | "core" | "async_std")
        )
        && !input.peek(Token![!])
    {
        let path = path_text(&node);
        let what = match last.as_deref() {
            Some("sleep" | "sleep_until") => format!("a pause is not a node: sleep inside the `#[node]` fn that must wait (`{path}(..).await` in its body), or give the wait a node of its own whose output the next node consumes"),
            Some("timeout" | "timeout_at") => "a time limit is a policy, not a node: put `#[timeout = \"5s\"]` on the binding (or `#[node(timeout = \"5s\")]` on the fn)".to_string(),
            Some("join_all" | "try_join_all" | "join" | "try_join" | "select_all" | "select_ok") => format!("one node per item of a list is a fan-out: `{name} = for url in urls {{ page = fetch(url), }} => page,` (or `map(Workflow, urls)`), and independent nodes already run concurrently"),
            _ => format!("call `{path}` inside a `#[node]` fn and bind that fn: `{name} = my_node(..)`"),
        };
        return Err(syn::Error::new_spanned(
            &node,
            format!("`{path}` is not a `#[node]` fn: a binding runs a `#[node]` fn or a workflow; {what}"),
        ));
    }
    // `d = Some(double(n))`, `Ok(..)`: the output wrapped as in plain
    // code (was the ports' "not a call" at the inner call plus rustc's "cannot find macro
    // `Some`"). One error at the wrapper, the binding broken like a method's above.
    if let Some((wrapper, inner)) = wrapper_call(&node, input) {
        return Err(syn::Error::new_spanned(
            &node,
            format!("remove `{wrapper}(..)`: a binding is its node's output as the node returns it; bind the call itself, `{name} = {inner}(..)`, and return the wrapped value from the `#[node]` fn if a later node needs it so"),
        ));
    }
    // `fetch!(url)`: the node's ports are a macro under its name, but it is called as a
    // fn here; said, and the call parsed on.
    if let Some(bang) = input.parse::<Option<Token![!]>>()? {
        cx.error_spanned_by(
            bang,
            format!(
                "remove the `!`: `{}` is a `#[node]` fn, bound like `{name} = {}(..)`",
                path_text(&node),
                path_text(&node)
            ),
        );
    }
    // `fetch::<T>(..)`: a node is not generic; reported, and the path kept without it.
    for segment in &mut node.segments {
        if !segment.arguments.is_none() {
            let args = std::mem::replace(&mut segment.arguments, syn::PathArguments::None);
            cx.error_spanned_by(
                args,
                "remove the generic arguments: a `#[node]` fn is not generic, its port types are fixed",
            );
        }
    }
    if input.peek(Token![.]) && node.segments.len() == 1 {
        // `sizes = urls.iter().map(..)`: a method call on a source, as in plain code
        // (was "expected `(..)` after `urls`", as if `urls` were a node fn).
        let source = path_text(&node);
        let rest: TokenStream = input.parse()?;
        let method = rest
            .clone()
            .into_iter()
            .any(|t| matches!(t, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Parenthesis));
        let msg = if let Some(msg) = method_call_habit(&name.to_string(), &source, &rest) {
            msg
        } else if method {
            format!("a binding runs a `#[node]` fn, not a method of `{source}`: to run nodes once per item of `{source}`, write `{name} = for item in {source} {{ out = node_fn(item), }} => out`; other work on `{source}` goes in a `#[node]` fn that takes it")
        } else {
            format!("a binding runs a `#[node]` fn; to pass `{source}{rest}` on, connect it where it is used, like `other(port: {source}{rest})`", rest = rest.to_string().replace(' ', ""))
        };
        return Err(syn::Error::new_spanned(quote::quote!(#node #rest), msg));
    }
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            node.span(),
            format!("expected `(..)` after `{}`: list its inputs, like `{}(port: source)` (or `()` for none)", path_text(&node), path_text(&node)),
        ));
    }
    let content;
    parenthesized!(content in input);
    let body: TokenStream = content.parse()?;
    let mut args = Vec::new();
    for (arg, separator) in split_top_level(body, false) {
        if arg.is_empty() {
            if let Some(Separator::Comma(span)) = separator {
                cx.error_at(span, "expected a port connection before this `,`");
            }
            continue;
        }
        let parsed =
            syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_port_args(cx, input), arg);
        match parsed {
            Ok(parsed) => args.extend(parsed),
            Err(e) => cx.syn_error(e),
        }
    }
    let node_text = path_text(&node);
    if input.peek(Token![.]) && input.peek2(Token![await]) {
        let dot: Token![.] = input.parse()?;
        let await_token: Token![await] = input.parse()?;
        cx.error_spanned_by(
            quote::quote!(#dot #await_token),
            format!("remove `.await`: `workflow!` runs and awaits `{node_text}` for you; write `{name} = {node_text}(..)`"),
        );
    } else if input.peek(Token![?]) {
        let q: Token![?] = input.parse()?;
        cx.error_spanned_by(
            q,
            format!("remove `?`: `{name}` is `{node_text}`'s `Ok` value, and an error fails the run (or is retried)"),
        );
    } else if input.peek(Token![.]) && unwraps(input) {
        // `p = fetch(url).unwrap()`: was the field message below.
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            rest,
            format!("remove this call: when `{node_text}` returns a `Result`, `{name}` is its `Ok` value already, and an `Err` fails the run (or is retried)"),
        );
    } else if input.peek(Token![.]) {
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            rest,
            format!("a binding holds the whole output of `{node_text}`; connect a field where it is used, like `other(port: {name}.field)`"),
        );
    } else if input.peek(Token![as]) || peek_operator(input) {
        // `y = double(x) as u64`, `y = double(x) + 1`: an expression of the output, which
        // rustc would have computed in plain code (was "expected `,` between entries").
        let rest: TokenStream = input.parse()?;
        let text = rest.to_string();
        cx.error_spanned_by(
            &rest,
            format!("remove `{text}`: `{name}` is the output of `{node_text}` as it returns it, not an expression of it; compute that in a `#[node]` fn (in `{node_text}`, or in a node that takes `{name}`)"),
        );
    }
    Ok(Binding {
        attrs,
        name,
        node,
        args,
        scope: Scope::new(),
        fan_out: None,
    })
}

/// Whether a binary operator follows (`+`, `*`, `==`, `<<`, ..): not `,` `;` `.` `?` `#`
/// `!`-alone, which have their own meaning or message.
fn peek_operator(input: ParseStream<'_>) -> bool {
    input.cursor().punct().is_some_and(|(p, _)| {
        matches!(
            p.as_char(),
            '+' | '-' | '*' | '/' | '%' | '^' | '|' | '&' | '<' | '>' | '='
        )
    })
}

/// What ends a chunk of [`split_top_level`].
#[derive(Clone, Copy)]
enum Separator {
    Comma(Span),
    /// `;` where a `,` belongs (only split at when asked).
    Semicolon(Span),
}

/// Splits at the top-level commas (and semicolons, if `semicolons`); commas inside
/// `<..>` (as in `input m: HashMap<K, V>`) do not split. Each chunk comes with the
/// separator that ends it, if any.
fn split_top_level(body: TokenStream, semicolons: bool) -> Vec<(TokenStream, Option<Separator>)> {
    let mut chunks = Vec::new();
    let mut current = TokenStream::new();
    let mut angle_depth = 0usize;
    let mut after_dash = false;
    for tt in body {
        if let TokenTree::Punct(p) = &tt {
            match p.as_char() {
                ',' if angle_depth == 0 => {
                    chunks.push((
                        std::mem::take(&mut current),
                        Some(Separator::Comma(p.span())),
                    ));
                    after_dash = false;
                    continue;
                }
                // `;` never belongs to an entry (array types are in brackets), so it
                // ends one even inside an unclosed `<`.
                ';' if semicolons => {
                    chunks.push((
                        std::mem::take(&mut current),
                        Some(Separator::Semicolon(p.span())),
                    ));
                    angle_depth = 0;
                    after_dash = false;
                    continue;
                }
                '<' => angle_depth += 1,
                // `->` in a fn type is no closing bracket.
                '>' if !after_dash => angle_depth = angle_depth.saturating_sub(1),
                _ => {}
            }
            after_dash = p.as_char() == '-' && p.spacing() == Spacing::Joint;
        } else {
            after_dash = false;
        }
        current.extend([tt]);
    }
    if !current.is_empty() {
        chunks.push((current, None));
    }
    chunks
}

/// Where to report a missing token: at the next token, or, at the end of the entry, on
/// the last token read (syn would point at the whole macro call).
/// Whether `input` starts like a binding: `name = ..` (not `==`/`=>`) or an attribute.
fn starts_binding(input: ParseStream<'_>) -> bool {
    if input.peek(Token![#]) {
        return true;
    }
    let fork = input.fork();
    fork.parse::<Ident>().is_ok()
        && fork.peek(Token![=])
        && !fork.peek(Token![==])
        && !fork.peek(Token![=>])
}

fn here(input: ParseStream<'_>, e: &syn::Error, last: Span) -> Span {
    if input.is_empty() {
        last
    } else {
        e.span()
    }
}

/// `.unwrap()`, `.expect(..)` or another unwrapping method next in `input`.
fn unwraps(input: ParseStream<'_>) -> bool {
    let ahead = input.fork();
    ahead.parse::<Token![.]>().is_ok()
        && ahead.parse::<Ident>().is_ok_and(|m| {
            matches!(
                m.to_string().as_str(),
                "unwrap" | "expect" | "unwrap_or" | "unwrap_or_default" | "unwrap_or_else"
            )
        })
}

/// `Some`, `Ok` or `Err` and the node it wraps, when `node` is one of these wrapping a
/// call (`Some(double(n))`). (`Box::new(..)` is reported as an associated fn, which it is.)
fn wrapper_call(node: &Path, input: ParseStream<'_>) -> Option<(String, String)> {
    let text = path_text(node);
    if !matches!(text.as_str(), "Some" | "Ok" | "Err") || !input.peek(syn::token::Paren) {
        return None;
    }
    let inner_call = |ahead: ParseStream<'_>| -> syn::Result<Option<Path>> {
        let content;
        parenthesized!(content in ahead);
        let inner = content.call(Path::parse_mod_style)?;
        Ok(content.peek(syn::token::Paren).then_some(inner))
    };
    let inner = inner_call(&input.fork()).ok().flatten()?;
    Some((text, path_text(&inner)))
}

/// The port connections of one comma-separated chunk inside `node_fn(..)`: one, or
/// several when a `,` is missing between them.
fn parse_port_args(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Vec<PortArg>> {
    let mut args = Vec::new();
    loop {
        match parse_port_arg(cx, input)? {
            Some(arg) => args.push(arg),
            None => return Ok(args),
        }
        if input.is_empty() {
            return Ok(args);
        }
        if input.peek(Ident) {
            cx.error_at(input.span(), "missing `,` before this port connection");
            continue;
        }
        let rest: TokenStream = input.parse()?;
        if let Some(message) = input_struct_literal(args.last(), &rest) {
            // `Render(RenderInput { page })`: the struct is not kept as a source either.
            args.pop();
            cx.error_spanned_by(rest, message);
            return Ok(args);
        }
        cx.error_spanned_by(
            rest,
            "a port connects to a source (an input, a binding, or `binding.field`), not an expression; compute the value in a `#[node]`, or add the missing `,`",
        );
        return Ok(args);
    }
}

/// What to write for `Render(RenderInput { page })`, a sub-workflow given its input
/// struct (as `rt.execute` takes it): `last` is the port argument read before the
/// braces, `RenderInput`, and `rest` the braces. `None` for other tokens.
fn input_struct_literal(last: Option<&PortArg>, rest: &TokenStream) -> Option<String> {
    let last = last?;
    if !last.source.fields.is_empty() {
        return None;
    }
    let workflow = input_struct_workflow(&Path::from(last.source.root.clone()))?;
    let Some(TokenTree::Group(fields)) = rest.clone().into_iter().next() else {
        return None;
    };
    if fields.delimiter() != proc_macro2::Delimiter::Brace {
        return None;
    }
    let ports = tokens_text(&fields.stream()).replace(" : ", ": ");
    let ports = ports.trim().trim_end_matches(',').trim();
    Some(format!(
        "a sub-workflow takes its inputs as ports, not its input struct: write `{workflow}({ports})` (`{root} {{ .. }}` is for a run from outside, `rt.execute({workflow}, {root} {{ .. }})`)",
        root = last.source.root,
    ))
}

/// One `port: source` or `source`. `Ok(None)` when a mistake was reported and nothing
/// can be kept (the rest of the chunk is consumed); `Ok(Some(..))` also after a mistake
/// whose intent is clear (`port = source`, `&source`, `source.clone()`).
fn parse_port_arg(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Option<PortArg>> {
    let port = if input.peek(Ident::peek_any)
        && (input.peek2(Token![:]) && !input.peek2(Token![::])
            || input.peek2(Token![=]) && !input.peek2(Token![==]))
    {
        let port: Ident = input.call(Ident::parse_any)?;
        if syn::parse2::<Ident>(port.to_token_stream()).is_err() {
            // A keyword names no parameter, so no port; and it cannot be emitted as one.
            cx.error_at(
                port.span(),
                if escapable(&port) {
                    format!("`{port}` is a Rust keyword: a node fn parameter named after it is written `r#{port}`, and so is its port; write `r#{port}: ..`")
                } else {
                    format!("`{port}` is a Rust keyword, so no port has that name: a port is named after a parameter of the node fn")
                },
            );
            input.parse::<TokenStream>()?;
            return Ok(None);
        }
        if input.peek(Token![=]) {
            let eq: Token![=] = input.parse()?;
            cx.error_at(
                eq.span,
                format!("connect a port with `:`, like `{port}: source`"),
            );
        } else {
            input.parse::<Token![:]>()?;
        }
        Some(port)
    } else if input.peek(syn::LitInt) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        // `double(0: n)`, a port named by its position: kept under a name no parameter
        // has, so the node's ports callback reports it with the ports it does have.
        let position: syn::LitInt = input.parse()?;
        input.parse::<Token![:]>()?;
        Some(Ident::new(
            &format!("{POSITIONAL_PORT}{}", position.base10_digits()),
            position.span(),
        ))
    } else {
        None
    };
    let Some(source) = parse_source(cx, input, port.as_ref())? else {
        input.parse::<TokenStream>()?;
        return Ok(None);
    };
    let port = match (port, source.fields.last()) {
        (Some(port), _) => port,
        // Shorthand `page.items` connects port `items`.
        (None, Some(Member::Named(last))) => last.clone(),
        (None, Some(Member::Unnamed(_))) => {
            cx.error_at(
                source.span(),
                format!(
                    "name the port for `{}`: write `port: {}`",
                    source.text(),
                    source.text()
                ),
            );
            return Ok(None);
        }
        (None, None) => source.root.clone(),
    };
    Ok(Some(PortArg { port, source }))
}

/// The elements of `(a, b.c)`, a tuple written as a source, as text; `None` for a group
/// without a comma at its top level (`(page)`, only parenthesized).
fn tuple_elements(group: &TokenTree) -> Option<Vec<String>> {
    let TokenTree::Group(g) = group else {
        return None;
    };
    let mut elements = vec![TokenStream::new()];
    for tt in g.stream() {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => elements.push(TokenStream::new()),
            _ => elements.last_mut()?.extend([tt]),
        }
    }
    (elements.len() > 1).then(|| {
        elements
            .iter()
            .filter(|e| !e.is_empty())
            .map(tokens_text)
            .collect()
    })
}

/// A source after `port:` (or as a shorthand). The Rust expressions a source may be
/// mistaken for are reported, each with what to write instead: `Ok(None)` then.
fn parse_source(
    cx: &Ctxt,
    input: ParseStream<'_>,
    port: Option<&Ident>,
) -> syn::Result<Option<Source>> {
    let port_text = port.map_or_else(|| "port".to_string(), ToString::to_string);
    if input.is_empty() {
        let span = port.map_or_else(|| input.span(), Ident::span);
        cx.error_at(
            span,
            format!(
                "expected a source after `{port_text}:`: an input, a binding, or `binding.field`"
            ),
        );
        return Ok(None);
    }
    if input.peek(syn::Lit) {
        let lit: syn::Lit = input.parse()?;
        cx.error_spanned_by(
            lit,
            format!("a port connects to a source, not a value: declare an input (`input {port_text}: Type`) and connect it (`{port_text}: {port_text}`), or set the value inside the node"),
        );
        return Ok(None);
    }
    if input.peek(Token![&]) {
        let amp: Token![&] = input.parse()?;
        input.parse::<Option<Token![mut]>>()?;
        cx.error_at(
            amp.span,
            "remove `&`: ports take their source by value (a source with several consumers is cloned for each)",
        );
    }
    if input.peek(syn::token::Paren) {
        let group: TokenTree = input.parse()?;
        let message = match tuple_elements(&group) {
            Some(elements) => format!(
                "a port connects to one source, not a tuple of them: give the node a port for each of {} (connected one by one), or build the tuple in a `#[node]` that takes them, bind it, and connect that binding to `{port_text}`",
                elements.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            ),
            None => "remove the parentheses: a source is written bare, like `page` or `page.title`"
                .to_owned(),
        };
        cx.error_spanned_by(group, message);
        return Ok(None);
    }
    if input.peek(Token![-]) || input.peek(Token![!]) || input.peek(Token![*]) {
        cx.syn_error(input.error(
            "a port connects to a source (an input, a binding, or `binding.field`), not an expression; compute the value in a `#[node]`",
        ));
        return Ok(None);
    }
    let root: Ident = match input.call(Ident::parse_any) {
        Ok(root) => root,
        Err(e) => {
            cx.syn_error(syn::Error::new(
                e.span(),
                "expected a source: an input, a node binding, or `binding.field`",
            ));
            return Ok(None);
        }
    };
    if input.peek(syn::token::Paren) {
        // `fetch(url).items`: the fields say what to connect once the call is bound.
        let call: TokenTree = input.parse()?;
        let mut fields = String::new();
        while input.peek(Token![.]) && input.peek2(Ident) {
            input.parse::<Token![.]>()?;
            let field: Ident = input.parse()?;
            fields.push('.');
            fields.push_str(&field.to_string());
        }
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            quote::quote!(#root #call #rest),
            format!("a port connects to a source, not a call: bind the call first (`{root} = {root}(..),`), then connect `{port_text}: {root}{fields}`"),
        );
        return Ok(None);
    }
    if input.peek(Token![::]) || input.peek(Token![!]) {
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            quote::quote!(#root #rest),
            "a port connects to a source (an input, a binding, or `binding.field`), not an expression; compute the value in a `#[node]`",
        );
        return Ok(None);
    }
    let mut source = Source {
        root,
        fields: Vec::new(),
        optional: None,
    };
    parse_fields(cx, input, &mut source)
}

/// `.field`s after a source's root; `.clone()` and `.await` are reported and dropped,
/// other method calls and indexing are reported (`Ok(None)`).
fn parse_fields(
    cx: &Ctxt,
    input: ParseStream<'_>,
    source: &mut Source,
) -> syn::Result<Option<Source>> {
    loop {
        if input.peek(syn::token::Bracket) {
            let rest: TokenStream = input.parse()?;
            cx.error_once_spanned_by(
                rest,
                format!("a port connects to `{}` or one of its fields, not an element; index inside the node", source.text()),
            );
            return Ok(None);
        }
        if input.peek(Token![?]) {
            let question: Token![?] = input.parse()?;
            source.optional = Some(question.span);
            return Ok(Some(source.clone()));
        }
        if !input.peek(Token![.]) {
            return Ok(Some(source.clone()));
        }
        let dot: Token![.] = input.parse()?;
        if input.peek(Token![await]) {
            let await_token: Token![await] = input.parse()?;
            cx.error_once_spanned_by(
                quote::quote!(#dot #await_token),
                "remove `.await`: a source is the finished output of a node",
            );
            continue;
        }
        let member = match input.parse::<Member>() {
            Ok(member) => member,
            Err(e) => {
                cx.syn_error(syn::Error::new(
                    e.span(),
                    format!("expected a field of `{}` after `.`", source.text()),
                ));
                return Ok(None);
            }
        };
        let is_clone = matches!(&member, Member::Named(m) if m == "clone");
        if is_clone && input.peek(syn::token::Paren) {
            let args: TokenTree = input.parse()?;
            if matches!(&args, TokenTree::Group(g) if g.stream().is_empty()) {
                cx.error_once_spanned_by(
                    quote::quote!(#dot #member #args),
                    format!(
                        "remove `.clone()`: `{}` is cloned for each consumer when several use it",
                        source.text()
                    ),
                );
                continue;
            }
            let rest: TokenStream = input.parse()?;
            cx.error_once_spanned_by(
                quote::quote!(#dot #member #args #rest),
                format!("a port connects to `{}` or one of its fields, not a method call; do the work in a `#[node]`", source.text()),
            );
            return Ok(None);
        }
        if input.peek(syn::token::Paren) || input.peek(Token![::]) {
            let args: TokenStream = input.parse()?;
            cx.error_once_spanned_by(
                quote::quote!(#dot #member #args),
                format!("a port connects to `{}` or one of its fields, not a method call; do the work in a `#[node]`", source.text()),
            );
            return Ok(None);
        }
        source.fields.push(member);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn an_arm_without_braces_keeps_its_binding() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input x: u32, s = measure(x), match s { S::A(n) => p = cheap(x: n), S::B(n) => p = costly(x: n), } }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("an arm's entries go in braces"), "{m:?}");
        let arms = def.bindings.iter().filter(|b| b.name == "p").count();
        assert_eq!(arms, 2, "`p` is bound in both arms");
    }

    #[test]
    fn a_fan_out_without_a_binding_is_one_error_naming_its_list() {
        // Nested: the outer fan-out's `=> d` adds no "not bound in the body".
        let cx = Ctxt::new();
        WorkflowDef::parse(
            &cx,
            quote!(struct W { input rows: Vec<Vec<u32>>, ds = for row in rows { for n in row { d = double(n), } } => d, }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a fan-out is a binding, named for the list it collects: write `ds = for n in row { .. } => d,`"),
            "{m:?}"
        );
        // At the top level, named by its own `=> y`; the entries after it are still read.
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input ns: Vec<u32>, for n in ns { d = double(n), } => y, t = total(ns), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].contains("write `ys = for n in ns { .. } => y,`"),
            "{m:?}"
        );
        assert!(def.bindings.iter().any(|b| b.name == "t"), "`t` is kept");
    }

    #[test]
    fn a_workflow_mapped_by_reference_is_one_error_and_still_mapped() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input titles: Vec<String>, rs = map(&Render, titles), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(
            m[0],
            "remove `&`: `map` takes the workflow by its name, like `rs = map(Render, titles)`"
        );
        assert!(
            def.bindings
                .iter()
                .any(|b| b.name == "rs" && b.fan_out.is_some()),
            "`rs` is kept as a fan-out"
        );
    }

    #[test]
    fn a_sub_workflow_given_its_input_struct_is_one_error_with_the_ports_to_write() {
        let cx = Ctxt::new();
        WorkflowDef::parse(
            &cx,
            quote!(struct W { input page: String, r = Render(RenderInput { page: page, }), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a sub-workflow takes its inputs as ports, not its input struct: write `Render(page: page)`"),
            "{m:?}"
        );
    }

    #[test]
    fn a_collected_binding_in_brackets_is_one_error_and_still_collected() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input ns: Vec<u32>, ds = for n in ns { d = double(n), } => [d], }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "remove the brackets: a fan-out makes the list itself, so write `} => d`"
            ),
            "{m:?}"
        );
        assert!(def.bindings.iter().any(|b| b.name == "ds"), "`ds` is kept");
    }

    #[test]
    fn a_string_binding_name_is_said_and_kept() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input id: u64, "user" = fetch_user(id), out = merge(user), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "a binding's name is an identifier, not a string: write `user = fetch_user(..)`"
            ),
            "{m:?}"
        );
        assert!(
            def.bindings.iter().any(|b| b.name == "user"),
            "`user` is kept"
        );
    }

    #[test]
    fn an_edge_statement_is_said_and_the_entries_after_it_kept() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input id: u64, user = fetch_user(id), user >> total, a -> b -> c, total = merge(user), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("remove `user >> total`: `workflow!` has no edges to declare; a node's port names its source, so `total = node_fn(port: user)` is the edge `user -> total`"),
            "{m:?}"
        );
        assert!(m[1].starts_with("remove `a -> b -> c`"), "{m:?}");
        assert!(
            def.bindings.iter().any(|b| b.name == "total"),
            "`total`, after the edges, is kept"
        );
    }

    #[test]
    fn an_async_call_is_said_and_parsed_on() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input id: u64, user = async fetch_user(id), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `async`: `fetch_user` is already an async fn"),
            "{m:?}"
        );
        assert!(
            def.bindings.iter().any(|b| b.name == "user"),
            "`user` is kept"
        );
    }

    #[test]
    fn a_tuple_binding_says_to_bind_each_call() {
        let cx = Ctxt::new();
        let parsed = WorkflowDef::parse(
            &cx,
            quote!(struct W { input id: u64, (user, orders) = tokio::join!(a(id), b(id)), }),
        );
        let mut m = cx.messages();
        m.extend(parsed.err().map(|e| e.to_string()));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("a binding names one node, so it cannot destructure a tuple: bind each call on its own, `user = node_fn(..), orders = other_fn(..),`"), "{m:?}");
    }

    #[test]
    fn an_arm_without_braces_nor_binding_stops_the_parse() {
        let cx = Ctxt::new();
        let parsed = WorkflowDef::parse(
            &cx,
            quote!(struct W { input x: u32, s = measure(x), match s { S::A(n) => cheap(x: n), } }),
        );
        let mut m = cx.messages();
        m.extend(parsed.err().map(|e| e.to_string()));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("an arm's entries go in braces"), "{m:?}");
    }

    #[test]
    fn a_habit_repeated_in_one_call_is_one_error() {
        let cx = Ctxt::new();
        let _ = WorkflowDef::parse(
            &cx,
            quote! { struct W { input p: u8, s = add(a: p.items[0], b: p.items[1]) } },
        );
        assert_eq!(cx.messages().len(), 1, "{:?}", cx.messages());
    }

    /// The messages of parsing `src` alone.
    fn parse_messages(src: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let _ = WorkflowDef::parse(&cx, src);
        cx.messages()
    }

    #[test]
    fn a_guard_naming_the_matched_value_is_one_error_with_the_binding_to_write() {
        let m = parse_messages(quote!(struct W {
            input u: String,
            c = status(u),
            match c {
                400..=499 if c != 429 => { r = a(code: c), }
                Some(x) if x.c > 1 => { r = b(code: c), }
                c @ 500..=599 if c != 503 => { r = d(code: c), }
                _ => { r = e(code: c), }
            }
        }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].ends_with("bind it in the pattern, like `c @ 400..=499 if ..`"),
            "{m:?}"
        );
    }

    #[test]
    fn a_fan_out_collecting_a_tuple_is_one_error_and_collects_its_first_name() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input urls: Vec<String>, sizes = for u in urls { img = get(u), s = size(img), } => (img, s), }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a fan-out collects one body binding per item, like `} => img`"),
            "{m:?}"
        );
        let sizes = def
            .bindings
            .iter()
            .find(|b| b.name == "sizes")
            .expect("kept");
        assert!(matches!(
            &sizes.fan_out.as_ref().expect("a fan-out").body,
            FanOutBody::For { result, .. } if result == "img"
        ));
    }

    #[test]
    fn output_declared_like_an_input_is_one_error_and_kept_as_an_output() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input x: u32, output y = double(x), z = inc(x: y) }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "an output is a binding marked `#[output]`: write `#[output] y = node_fn(..)`"
            ),
            "{m:?}"
        );
        let y = def.bindings.iter().find(|b| b.name == "y").expect("kept");
        assert!(
            y.attrs.iter().any(|a| a.path().is_ident("output")),
            "`y` is an output"
        );
        // A binding named `output` is still one.
        assert!(parse_messages(quote!(struct W { input x: u32, output = double(x) })).is_empty());
    }

    #[test]
    fn an_if_on_an_expression_is_one_error_and_its_arms_still_parse() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input o: u32, if o > 100 { r = big(o), } else { r = small(o), } }),
        )
        .expect("parses");
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`if` routes on a binding or input as it is"),
            "{m:?}"
        );
        assert_eq!(def.bindings.iter().filter(|b| b.name == "r").count(), 2);
    }

    #[test]
    fn a_sub_workflow_bound_by_its_input_struct_says_to_use_the_workflow() {
        let m = parse_messages(quote!(struct W { input c: String, f = RenderInput(page: c) }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`RenderInput` is the input struct of workflow `Render`"),
            "{m:?}"
        );
        // A node fn may end in `input`: not the input struct of a workflow.
        assert!(parse_messages(quote!(struct W { input c: String, f = read_input(c) })).is_empty());
    }

    #[test]
    fn an_operator_or_cast_after_a_call_or_a_collected_binding_is_one_error_at_it() {
        let m = parse_messages(quote!(struct W { input x: u32, y = double(x) as u64, z = f(y) }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `as u64`: `y` is the output of `double`"),
            "{m:?}"
        );
        let m = parse_messages(quote!(struct W { input x: u32, y = double(x) + 1 }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("remove `+ 1`"), "{m:?}");
        let m = parse_messages(
            quote!(struct W { input xs: Vec<u32>, s = for x in xs { d = double(x), } => d * 2, t = f(s) }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `* 2`: `=> ..` collects a body binding"),
            "{m:?}"
        );
    }

    #[test]
    fn a_method_call_or_field_of_a_source_as_a_binding_is_one_error() {
        let m = parse_messages(
            quote!(struct W { input urls: Vec<String>, s = urls.iter().map(f), t = g(s) }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a binding runs a `#[node]` fn, not a method of `urls`"),
            "{m:?}"
        );
        assert!(m[0].contains("`s = for item in urls {"), "{m:?}");
        let m = parse_messages(quote!(struct W { input p: Page, s = p.items, t = g(s) }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("like `other(port: p.items)`"), "{m:?}");
    }

    #[test]
    fn a_fan_out_item_by_reference_or_a_body_ending_in_a_call_is_one_error() {
        let m = parse_messages(
            quote!(struct G { input urls: Vec<String>, imgs = for &u in urls { d = download(url: u), } => d, }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a fan-out names each item with a plain name: write `for u in ..`"),
            "{m:?}"
        );
        let m = parse_messages(
            quote!(struct G { input urls: Vec<String>, imgs = for mut u in urls { d = download(url: u), } => d, }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        let m = parse_messages(
            quote!(struct G { input urls: Vec<String>, imgs = for u in urls { download(url: u) }, }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].ends_with("write `imgs = for u in urls { out = download(url: u), } => out`"),
            "{m:?}"
        );
    }

    #[test]
    fn an_input_marked_output_says_how_to_output_it() {
        let m = parse_messages(quote!(struct W { input n: u32, d = double(n), #[output] n, }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`#[output]` marks a node binding, like `#[output] n = node_fn(..)`; an input is not an output"),
            "{m:?}"
        );
        assert!(m[0].ends_with("`#[output] n_out = echo(n)`"), "{m:?}");
    }

    #[test]
    fn a_wrapped_or_unwrapped_call_is_one_error_saying_what_to_write() {
        for (wrapped, name) in [
            (quote!(Some(double(n))), "Some"),
            (quote!(Ok(double(n: n))), "Ok"),
        ] {
            let m = parse_messages(quote!(struct W { input n: u32, d = #wrapped, }));
            assert_eq!(m.len(), 1, "{m:?}");
            assert!(
                m[0].starts_with(&format!("remove `{name}(..)`: a binding is its node's output as the node returns it; bind the call itself, `d = double(..)`")),
                "{m:?}"
            );
        }
        let m = parse_messages(quote!(struct W { input url: String, p = fetch(url).unwrap(), }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "remove this call: when `fetch` returns a `Result`, `p` is its `Ok` value already"
            ),
            "{m:?}"
        );
    }

    #[test]
    fn branch_and_map_slips_are_one_error_each() {
        // `else` with no `if`.
        let m =
            parse_messages(quote!(struct W { input n: u32, b = big(n), else { d = double(n), } }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`else` follows the arms of an `if`"),
            "{m:?}"
        );
        // `if b => { .. }`: said, and the arm kept.
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote!(struct W { input n: u32, b = big(n), if b => { d = double(n), } }),
        )
        .expect("parses");
        assert_eq!(cx.messages(), ["remove `=>`: `if` takes its arm's braces right after the binding, like `if b { .. }`"]);
        assert!(
            def.bindings.iter().any(|b| b.name == "d"),
            "the arm's binding is kept"
        );
        // `;` in every arm: said once.
        let m = parse_messages(quote!(struct W {
            input n: u32,
            k = kind(n),
            match k { Kind::A => { a = double(n); } Kind::B(v) => { b = double(n: v); } }
        }));
        assert_eq!(m, ["separate workflow entries with `,`, not `;`"]);
        // `map(..) => field`.
        let m = parse_messages(
            quote!(struct G { input ts: Vec<String>, rs = map(Render, ts) => html, }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `=> html`: `map` collects each run's whole `RenderOutput`"),
            "{m:?}"
        );
        assert!(
            m[0].ends_with("`rs = for item in ts { out = Render(..), } => out`"),
            "{m:?}"
        );
    }

    #[test]
    fn a_return_or_a_loop_is_one_error_saying_what_to_write() {
        let m = parse_messages(quote!(struct W { input n: u32, d = double(n), return d; }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("remove `return d`: a workflow's outputs are the bindings no node consumes and those marked `#[output]`, so `d` is an output already"),
            "{m:?}"
        );
        for keyword in [quote!(while n), quote!(loop)] {
            let m = parse_messages(quote!(struct W { input n: u32, #keyword { d = double(n), } }));
            assert_eq!(m.len(), 1, "{m:?}");
            assert!(m[0].contains("has no `"), "{m:?}");
            assert!(
                m[0].contains(
                    "a workflow runs each node once; to run nodes once per item of a list, fan out"
                ),
                "{m:?}"
            );
        }
    }

    #[test]
    fn an_if_on_a_bool_literal_is_one_error_saying_it_routes_on_a_constant() {
        let m = parse_messages(
            quote!(struct W { input n: u32, b = big(n), if b { x = double(n), } else if true { y = show(n), } }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`if true` routes on a constant: `if` takes a binding or input"),
            "{m:?}"
        );
    }

    #[test]
    fn a_task_mapped_or_a_workflow_run_by_a_method_says_the_fan_out_or_the_call() {
        let m = parse_messages(
            quote!(struct G { input urls: Vec<String>, imgs = download.expand(url: urls), }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].contains("write `imgs = for item in urls { out = download(url: item), } => out`"),
            "{m:?}"
        );
        let m = parse_messages(
            quote!(struct G { input urls: Vec<String>, imgs = download.map(urls), }),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("`imgs = for item in urls { out = download(item), } => out` if `download` is the `#[node]` fn"), "{m:?}");
        assert!(m[0].contains("`imgs = for item in download { out = urls(item), } => out` if `download` is the list"), "{m:?}");
        let m =
            parse_messages(quote!(struct G { input p: String, front = Render.execute(page: p), }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("a binding runs a workflow by its name, not a method of it: write `front = Render(page: p)`"), "{m:?}");
        // A method of a list keeps the general message.
        let m = parse_messages(quote!(struct G { input urls: Vec<String>, n = urls.len(), }));
        assert!(
            m[0].starts_with("a binding runs a `#[node]` fn, not a method of `urls`"),
            "{m:?}"
        );
    }

    #[test]
    fn an_unnamed_call_or_an_underscore_name_is_one_error_saying_to_name_it() {
        let m = parse_messages(quote!(struct W { input x: u32, inc(x), a = inc(x) }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("give this node call a name, like `inc = inc(..)`"),
            "{m:?}"
        );
        let m = parse_messages(quote!(struct W { input x: u32, _ = log(x), a = inc(x) }));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("`_` cannot name a binding"), "{m:?}");
        assert!(m[0].contains("like `log_done = log(..)`"), "{m:?}");
        let m = parse_messages(quote!(struct W { input x: u32, type = log(x) }));
        assert!(m[0].contains("is a Rust keyword"), "{m:?}");
    }

    #[test]
    fn a_for_over_method_calls_is_one_error_and_the_body_still_parses() {
        for (list, calls) in [
            ("xs.iter()", ".iter()"),
            ("xs.iter().enumerate()", ".iter().enumerate()"),
        ] {
            let list: TokenStream = list.parse().expect("lexes");
            let cx = Ctxt::new();
            let def = WorkflowDef::parse(
                &cx,
                quote! { struct W { input xs: Vec<u8>, ys = for x in #list { d = double(x), } => d, } },
            );
            assert!(def.is_ok());
            let m = cx.messages();
            assert_eq!(m.len(), 1, "{m:?}");
            assert!(
                m[0].starts_with(&format!(
                    "remove `{calls}`: `for x in xs` runs the body once per item"
                )),
                "{m:?}"
            );
        }
        // A field is still the field error, once.
        let m = parse_messages(
            quote! { struct W { input p: P, ys = for x in p.items { d = double(x), } => d, } },
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a fan-out runs over an input or a whole binding, not a field"),
            "{m:?}"
        );
    }

    #[test]
    fn map_of_a_node_or_without_a_list_is_one_error_saying_what_map_takes() {
        let node =
            parse_messages(quote! { struct W { input ts: Vec<String>, p = map(layout, ts) } });
        assert_eq!(node.len(), 1, "{node:?}");
        assert!(
            node[0].starts_with("`map` runs a workflow per item, and `layout` is a `#[node]` fn"),
            "{node:?}"
        );
        let no_list =
            parse_messages(quote! { struct W { input ts: Vec<String>, p = map(Render) } });
        assert_eq!(no_list.len(), 1, "{no_list:?}");
        assert!(
            no_list[0].starts_with("`map` takes a workflow and the list"),
            "{no_list:?}"
        );
        // A `#[node]` fn called `map` with its ports named is a node call.
        assert!(parse_messages(
            quote! { struct W { input x: u8, input y: u8, p = map(a: x, b: y) } }
        )
        .is_empty());
        assert!(
            parse_messages(quote! { struct W { input ts: Vec<String>, p = map(Render, ts) } })
                .is_empty()
        );
    }

    #[test]
    fn a_workflow_calling_itself_is_one_error_and_the_call_is_dropped() {
        for src in [
            quote! { struct Render { input page: String, html = layout(page), again = Render(page: html) } },
            quote! { struct Render { input pages: Vec<String>, again = map(Render, pages) } },
        ] {
            let cx = Ctxt::new();
            let def = WorkflowDef::parse(&cx, src).expect("parses");
            let got = cx.messages();
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].starts_with("`Render` calls itself"), "{got:?}");
            assert!(def.bindings.iter().all(|b| b.name != "again"));
        }
    }

    #[test]
    fn a_negated_if_says_to_swap_the_arms() {
        let got = parse_messages(quote! {
            struct W { input ok: bool, if !ok { a = f(), } else { a = g(), } }
        });
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("write `if ok` and swap the arms"),
            "{got:?}"
        );
    }

    #[test]
    fn a_tuple_loop_variable_is_one_error() {
        let got = parse_messages(quote! {
            struct W { input xs: Vec<u8>, d = for (i, x) in xs.iter().enumerate() { y = f(x), } => y }
        });
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("a fan-out names each item with one name"),
            "{got:?}"
        );
    }

    #[test]
    fn a_decision_in_a_fan_out_body_parses_and_its_merge_can_be_collected() {
        let got = parse_messages(quote! {
            struct W { input xs: Vec<u8>, d = for x in xs { b = big(x), if b { y = f(x), } else { y = g(x), } } => y }
        });
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn entries_split_at_top_level_commas_only() {
        let body = quote! {
            input m: HashMap<String, Vec<(u8, u8)>>,
            input f: fn(u8, u8) -> Option<u8>,
            a = g(x: m, y: f),
            b = h(a)
        };
        let entries: Vec<String> = split_top_level(body, true)
            .into_iter()
            .map(|(e, _)| e.to_string())
            .collect();
        assert_eq!(
            entries,
            [
                "input m : HashMap < String , Vec < (u8 , u8) >>",
                "input f : fn (u8 , u8) -> Option < u8 >",
                "a = g (x : m , y : f)",
                "b = h (a)",
            ]
        );
    }

    #[test]
    fn every_bad_entry_is_reported_and_good_ones_kept() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote! {
                struct W { input u: u8, a = f(x = u), , b = g(u), c = h u, input v }
            },
        )
        .expect("the header parses");
        let messages = cx.messages();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("connect a port with `:`"));
        assert!(messages[1].starts_with("expected an entry before this `,`"));
        assert!(messages[2].starts_with("expected `(..)` after `h`"));
        assert!(messages[3].starts_with("expected `:` and a type after input `v`"));
        assert_eq!(def.inputs.len(), 1);
        // `a`'s intent is clear (`x: u`), so it is kept; `c = h u` is not.
        assert_eq!(def.bindings.len(), 2);
        assert_eq!(def.bindings[0].name, "a");
        assert_eq!(def.bindings[0].args[0].port, "x");
        assert_eq!(def.bindings[1].name, "b");
    }

    /// One port connection and the messages it gave.
    fn port_arg(tokens: TokenStream) -> (Option<PortArg>, Vec<String>) {
        let cx = Ctxt::new();
        let arg =
            syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_port_arg(&cx, input), tokens)
                .expect("recovers");
        (arg, cx.messages())
    }

    #[test]
    fn a_keyword_port_is_one_error_and_not_kept() {
        let (arg, errors) = port_arg(quote!(await: once));
        assert!(arg.is_none());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("`await` is a Rust keyword"),
            "{errors:?}"
        );
        let (_, errors) = port_arg(quote!(type: kind));
        assert_eq!(
            errors,
            ["`type` is a Rust keyword: a node fn parameter named after it is written `r#type`, and so is its port; write `r#type: ..`"]
        );
        let (_, errors) = port_arg(quote!(self: kind));
        assert!(!errors[0].contains("r#"), "{errors:?}");
    }

    #[test]
    fn shorthand_names_the_port_after_the_last_field() {
        let arg = port_arg(quote!(page.body.words)).0.expect("parses");
        assert_eq!(arg.port, "words");
        assert_eq!(arg.source.text(), "page.body.words");
        let arg = port_arg(quote!(n: pair.0)).0.expect("parses");
        assert_eq!(
            (arg.port.to_string(), arg.source.text()),
            ("n".into(), "pair.0".into())
        );
        let (arg, messages) = port_arg(quote!(pair.0));
        assert!(arg.is_none());
        assert_eq!(
            messages,
            ["name the port for `pair.0`: write `port: pair.0`"]
        );
    }

    #[test]
    fn rust_habits_in_a_connection_say_what_to_write() {
        let cases = [
            (
                quote!(items: page.clone().items),
                Some("items <- page.items"),
                "remove `.clone()`",
            ),
            (quote!(x = u), Some("x <- u"), "connect a port with `:`"),
            (quote!(&url), Some("url <- url"), "remove `&`"),
            (quote!(u.await), Some("u <- u"), "remove `.await`"),
            (
                quote!(items: fetch(url).items),
                None,
                "not a call: bind the call first (`fetch = fetch(..),`), then connect `items: fetch.items`",
            ),
            (
                quote!(b: 3),
                None,
                "not a value: declare an input (`input b: Type`)",
            ),
            (quote!("a"), None, "not a value"),
            (quote!(n: page.items.len()), None, "not a method call"),
            (quote!(n: page.items[0]), None, "not an element"),
            (quote!(n: -x), None, "not an expression"),
            (quote!(n: (page.n)), None, "remove the parentheses"),
            (quote!(pair: (a, b.c)), None, "not a tuple of them: give the node a port for each of `a`, `b.c`"),
        ];
        for (tokens, kept, message) in cases {
            let text = tokens.to_string();
            let (arg, messages) = port_arg(tokens);
            let arg = arg.map(|a| format!("{} <- {}", a.port, a.source.text()));
            assert_eq!(arg.as_deref(), kept, "{text}");
            assert_eq!(messages.len(), 1, "{text}: {messages:?}");
            assert!(messages[0].contains(message), "{text}: {messages:?}");
        }
    }

    #[test]
    fn recovery_keeps_every_entry_it_understands() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote! {
                struct W {
                    input u: u8 = 3,
                    v: u8;
                    let a = f(u).await,
                    b = g(a)
                    c: h(x: b, y: v)?,
                    d = k(u v),
                    e == k(u),
                    f = k::<u8>(u),
                    pub input w: u8,
                }
            },
        )
        .expect("the header parses");
        let messages = cx.messages();
        let expected = [
            "an input has no default value",
            "declare an input with the `input` keyword",
            "separate workflow entries with `,`, not `;`",
            "remove `let`",
            "remove `.await`",
            "missing `,` before this entry",
            "bind a node with `=`, not `:`",
            "remove `?`",
            "missing `,` before this port connection",
            "bind a node with one `=`",
            "remove the generic arguments",
            "remove `pub`",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:?}");
        for (m, e) in messages.iter().zip(expected) {
            assert!(m.starts_with(e) || m.contains(e), "{m} / {e}");
        }
        let names = |v: Vec<&Ident>| v.into_iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            names(def.inputs.iter().map(|i| &i.name).collect()),
            ["u", "v", "w"]
        );
        assert_eq!(
            names(def.bindings.iter().map(|b| &b.name).collect()),
            ["a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(def.bindings[3].args.len(), 2);
    }
}
