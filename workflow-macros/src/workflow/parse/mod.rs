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
//!
//! By part of the grammar: this module parses the workflow's header and each entry
//! (`parse_entry`), and hands the rest to `binding` (bindings, inputs, statements),
//! `ports` (port arguments and sources), `decision` (`match`, `if`), `fan_out` (`for`,
//! `map`, the checks once every entry is parsed) and `hints` (other spellings of an
//! entry and what to write instead). The parts share this module's imports and helpers
//! (`use super::*`).

mod binding;
mod decision;
mod fan_out;
mod hints;
mod ports;
#[cfg(test)]
mod tests;

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

use binding::*;
use decision::*;
use fan_out::*;
use hints::*;
use ports::*;

pub(crate) use fan_out::finish_fan_outs;

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
        // `struct W: { .. }` (Python's `class W:`) or `struct W -> Out { .. }`: said, and
        // the workflow parsed on (it was "expected curly braces").
        if input.peek(Token![:]) && !input.peek(Token![::]) || input.peek(Token![->]) {
            let mut extra = TokenStream::new();
            while !input.is_empty() && !input.peek(syn::token::Brace) {
                extra.extend([input.parse::<TokenTree>()?]);
            }
            let message = if extra.to_string().starts_with(':') {
                format!("remove the `:`: a workflow's entries follow its name in braces, `struct {name} {{ .. }}`")
            } else {
                format!("remove `{}`: a workflow has no return type; its outputs are the bindings no node consumes and those marked `#[output]` (the fields of `{name}Output`)", tokens_text(&extra))
            };
            cx.error_spanned_by(extra, message);
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

/// `d = double(n),  # the doubled value` (a Python comment): `#` followed by a word,
/// not `[` (an attribute). Said once per workflow, and the comment dropped up to the
/// next entry (a name and `=`, or `input`, `let`, `def` ..), since the comment's line
/// end is not in the tokens; it was "expected square brackets".
fn strip_hash_comment(cx: &Ctxt, entry: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = entry.into_iter().collect();
    let Some(at) = tokens.windows(2).position(|w| {
        matches!(&w[0], TokenTree::Punct(p) if p.as_char() == '#')
            && matches!(&w[1], TokenTree::Ident(_) | TokenTree::Literal(_))
    }) else {
        return tokens.into_iter().collect();
    };
    let next_entry = (at + 2..tokens.len()).find(|&i| match (&tokens[i], tokens.get(i + 1)) {
        (TokenTree::Ident(w), Some(TokenTree::Ident(_))) => {
            matches!(
                w.to_string().as_str(),
                "input" | "let" | "def" | "var" | "val" | "const"
            )
        }
        (TokenTree::Ident(_), Some(TokenTree::Punct(eq))) => {
            eq.as_char() == '=' && eq.spacing() == proc_macro2::Spacing::Alone
        }
        _ => false,
    });
    let end = next_entry.unwrap_or(tokens.len());
    cx.error_once_spanned_by(
        &tokens[at],
        "a comment in Rust starts with `//` (`// like this`), not `#`, which starts an attribute (`#[output]`)",
    );
    tokens[..at].iter().chain(&tokens[end..]).cloned().collect()
}

/// Parses the entries of a body into `out`, each entry on its own (a syntax error in one
/// is recorded and the others are kept).
fn parse_body(cx: &Ctxt, body: TokenStream, scope: &Scope, out: &mut Parsed) {
    // Each entry is parsed on its own, so one syntax error does not hide the others
    // (nor the valid entries, which the fallback expansion still declares).
    // `;` for `,` is one habit: reported once per workflow (`out.semicolon_reported`,
    // arms' bodies included), at the first `;` not explained by a `let` or `return`
    // (whose own errors cover it).
    let chunks = shared_input_types(cx, split_top_level(body, true));
    for (entry, separator) in multiple_assignments(cx, chunks) {
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
        let entry = strip_hash_comment(cx, entry);
        let name = binding_name(&entry);
        let parsed =
            syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_entries(cx, input), entry);
        match parsed {
            Ok(entries) => {
                for entry in entries {
                    out.add(cx, entry, scope);
                }
            }
            Err(e) if !scope.is_empty() && e.to_string().starts_with(UNNAMED_CALL) => {
                // A call with no name in an arm (`Small(o) => { pay(order: o), }`), most
                // often in every arm: one error, at the first, saying to bind the same
                // name in each (it was one error per arm).
                let text = e.to_string();
                let node_fn = text
                    .split_once("like `")
                    .and_then(|(_, rest)| rest.split_once(" = "))
                    .map_or("node_fn", |(f, _)| f);
                cx.error_once_of_kind(
                    e.span(),
                    UNNAMED_CALLS_IN_ARMS,
                    format!("{UNNAMED_CALLS_IN_ARMS}, the same in each arm, like `r = {node_fn}(..)`: `r` is then the value of the arm that ran, for the nodes after the decision and the outputs; entries and the report refer to a node by its name"),
                );
            }
            Err(e) => {
                cx.syn_error(e);
                out.broken.extend(name);
            }
        }
        semicolon(cx, &mut out.semicolon_reported);
    }
}

/// How the error of a node call without a name (`inc(x),`) begins.
const UNNAMED_CALL: &str = "give this node call a name";

/// How the one error for the calls without a name in a workflow's arms begins.
const UNNAMED_CALLS_IN_ARMS: &str = "give the node calls in the arms a name";

/// `sum, n = total(..), count(..)` (Python's and Go's multiple assignment): the chunks
/// `sum`, `n = total(..)`, `count(..)` become `sum = total(..)`, `n = count(..)` (each
/// token keeping its span), with one error saying to write them so. It was two errors:
/// "expected `=` after `sum`" and "give this node call a name" at `count`. Only when
/// there are as many calls as names; otherwise the chunks are left as they are.
fn multiple_assignments(
    cx: &Ctxt,
    chunks: Vec<(TokenStream, Option<Separator>)>,
) -> Vec<(TokenStream, Option<Separator>)> {
    let bare_name = |chunk: &TokenStream| -> Option<Ident> {
        let tokens: Vec<TokenTree> = chunk.clone().into_iter().collect();
        match tokens.as_slice() {
            [TokenTree::Ident(name)] => Some(name.clone()),
            _ => None,
        }
    };
    // `name = rest`: the name, the `=` and the rest.
    let assigned = |chunk: &TokenStream| -> Option<(Ident, TokenTree, TokenStream)> {
        let mut tokens = chunk.clone().into_iter();
        let TokenTree::Ident(name) = tokens.next()? else {
            return None;
        };
        let eq = tokens.next()?;
        let is_eq = matches!(&eq, TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == Spacing::Alone);
        let rest: TokenStream = tokens.collect();
        (is_eq && !rest.is_empty()).then_some((name, eq, rest))
    };
    // `node_fn(..)` or `path::node_fn(..)` with no name: a call ending in its arguments.
    let unnamed_call = |chunk: &TokenStream| -> bool {
        let tokens: Vec<TokenTree> = chunk.clone().into_iter().collect();
        matches!(tokens.first(), Some(TokenTree::Ident(_)))
            && matches!(tokens.last(), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis)
            && !tokens.iter().any(
                |t| matches!(t, TokenTree::Punct(p) if p.as_char() == '=' || p.as_char() == '#'),
            )
    };
    let mut out = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        let Some(first) = bare_name(&chunks[i].0) else {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        };
        let mut names = vec![first];
        let mut j = i + 1;
        while let Some(name) = chunks.get(j).and_then(|(c, _)| bare_name(c)) {
            names.push(name);
            j += 1;
        }
        let Some((last, eq, first_call)) = chunks.get(j).and_then(|(c, _)| assigned(c)) else {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        };
        names.push(last);
        let calls_end = j + names.len();
        let more_calls = chunks.get(j + 1..calls_end);
        let Some(more_calls) = more_calls.filter(|cs| cs.iter().all(|(c, _)| unnamed_call(c)))
        else {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        };
        let calls: Vec<(TokenStream, Option<Separator>)> =
            std::iter::once((first_call, chunks[j].1))
                .chain(more_calls.iter().cloned())
                .collect();
        let written: TokenStream = chunks[i..calls_end]
            .iter()
            .flat_map(|(c, _)| c.clone())
            .collect();
        let fixed: Vec<String> = names
            .iter()
            .zip(&calls)
            .map(|(n, (c, _))| {
                let tokens: Vec<TokenTree> = c.clone().into_iter().collect();
                let path: TokenStream = tokens[..tokens.len().saturating_sub(1)]
                    .iter()
                    .cloned()
                    .collect();
                let node_fn = super::ast::tokens_text(&path);
                format!("{n} = {node_fn}(..)")
            })
            .collect();
        cx.error_spanned_by(
            written,
            format!(
                "a binding names one node: bind each on its own, `{},` (nodes that do not depend on each other run concurrently)",
                fixed.join(", ")
            ),
        );
        for (name, (call, separator)) in names.into_iter().zip(calls) {
            let mut entry: TokenStream = [TokenTree::Ident(name), eq.clone()].into_iter().collect();
            entry.extend(call);
            out.push((entry, separator));
        }
        i = calls_end;
    }
    out
}

/// `input a, b: u32` (one type for several names, as in Go's `a, b int` or a Rust
/// struct's habit of listing fields): the chunks `input a`, `b`, .., `z: Type` become
/// `input a: Type`, .., `input z: Type` (each token keeping its span), with one error
/// saying to write them so. It was two errors: "expected `:` and a type after input `a`"
/// and "declare an input with the `input` keyword" at `b`.
fn shared_input_types(
    cx: &Ctxt,
    chunks: Vec<(TokenStream, Option<Separator>)>,
) -> Vec<(TokenStream, Option<Separator>)> {
    let bare_input = |chunk: &TokenStream| -> Option<Ident> {
        let tokens: Vec<TokenTree> = chunk.clone().into_iter().collect();
        match tokens.as_slice() {
            [TokenTree::Ident(kw), TokenTree::Ident(name)] if kw == "input" => Some(name.clone()),
            _ => None,
        }
    };
    let bare_name = |chunk: &TokenStream| -> Option<Ident> {
        let tokens: Vec<TokenTree> = chunk.clone().into_iter().collect();
        match tokens.as_slice() {
            [TokenTree::Ident(name)] => Some(name.clone()),
            _ => None,
        }
    };
    // `name: Type`: the name and the tokens from the `:` on.
    let typed = |chunk: &TokenStream| -> Option<(Ident, TokenStream)> {
        let mut tokens = chunk.clone().into_iter();
        let TokenTree::Ident(name) = tokens.next()? else {
            return None;
        };
        let rest: TokenStream = tokens.collect();
        let mut ahead = rest.clone().into_iter();
        match (ahead.next(), ahead.next()) {
            (Some(TokenTree::Punct(c)), next)
                if c.as_char() == ':'
                    && c.spacing() == Spacing::Alone
                    && !matches!(&next, Some(TokenTree::Punct(p)) if p.as_char() == ':') =>
            {
                Some((name, rest))
            }
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        let Some(first) = bare_input(&chunks[i].0) else {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        };
        let mut names = vec![first];
        let mut j = i + 1;
        while j < chunks.len() {
            if let Some(name) = bare_name(&chunks[j].0) {
                names.push(name);
                j += 1;
            } else {
                break;
            }
        }
        let Some((last, ty)) = chunks.get(j).and_then(|(c, _)| typed(c)) else {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        };
        names.push(last);
        let ty_text = types::type_text(&ty.clone().into_iter().skip(1).collect::<TokenStream>());
        let written: TokenStream = chunks[i..=j].iter().flat_map(|(c, _)| c.clone()).collect();
        let fixed: Vec<String> = names
            .iter()
            .map(|n| format!("input {n}: {ty_text}"))
            .collect();
        cx.error_spanned_by(
            written,
            format!(
                "each input is declared with its own `input` and type: write `{}`",
                fixed.join(", ")
            ),
        );
        let input_kw = match chunks[i].0.clone().into_iter().next() {
            Some(TokenTree::Ident(kw)) => kw,
            _ => Ident::new("input", Span::call_site()),
        };
        for name in names {
            let mut entry: TokenStream =
                [TokenTree::Ident(input_kw.clone()), TokenTree::Ident(name)]
                    .into_iter()
                    .collect();
            entry.extend(ty.clone());
            out.push((entry, chunks[j].1));
        }
        i = j + 1;
    }
    out
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
        if input.peek(Token![?]) && matches!(entries.last(), Some(Entry::Input(_))) {
            // `input url: String?` (Kotlin's, Swift's and TypeScript's optional type): was
            // "expected `,` between workflow entries". The input is kept as written.
            let q: Token![?] = input.parse()?;
            let (name, ty) = match entries.last() {
                Some(Entry::Input(i)) => (i.name.to_string(), types::type_text(&i.ty)),
                _ => (String::from("x"), String::from("T")),
            };
            cx.error_spanned_by(
                q,
                format!("an optional input is an `Option`: write `input {name}: Option<{ty}>` (the caller passes `None` or `Some(..)`)"),
            );
            if input.is_empty() {
                return Ok(entries);
            }
            continue;
        }
        if input.peek(Token![if]) {
            // `s = show(n) if big else shout(n)` (Python's conditional expression): the
            // binding is kept; the choice is an `if` entry of its own.
            let rest: TokenStream = input.parse()?;
            let name = entries.last().and_then(|e| match e {
                Entry::Binding(b) => Some(b.name.to_string()),
                _ => None,
            });
            let name = name.as_deref().unwrap_or("x");
            cx.error_spanned_by(
                rest,
                format!("a binding runs one node: to choose between nodes, write an `if` entry that binds `{name}` in each arm, `if ok {{ {name} = node_a(..), }} else {{ {name} = node_b(..), }}` (on a `bool` binding or input `ok`)"),
            );
            return Ok(entries);
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

/// Whether `def`, `var`, `val` or `const` comes next, followed by a name and `=` (other
/// languages' declarations, written before a binding).
fn declaration_word(input: ParseStream<'_>) -> bool {
    let ahead = input.fork();
    ahead
        .call(Ident::parse_any)
        .is_ok_and(|w| matches!(w.to_string().as_str(), "def" | "var" | "val" | "const"))
        && ahead.call(Ident::parse_any).is_ok()
        && ahead.peek(Token![=])
        && !ahead.peek(Token![==])
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
    if input.peek(Token![try]) && input.peek2(syn::token::Brace) {
        // `try { .. } except { .. }` (Python's, or `catch`): was "`try` is a Rust keyword
        // and cannot name an input or binding".
        return Err(syn::Error::new(
            input.span(),
            "a workflow has no `try`: a node's error fails the run (after its retries), and the run's `Err` names it; to go on after a failure, handle it inside the node, returning an `Option` (or an enum of yours), and branch on that (`match r { Some(v) => { .. } None => { .. } }`), or let independent branches finish with `#[workflow(failure = \"continue\")]`",
        ));
    }
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
    } else if declaration_word(input) {
        // `def d = double(n)`, `var d = ..`, `val d = ..` (other languages' `let`): said
        // like `let`, and the binding parsed on (it was "expected `=` after `def`").
        let word: Ident = input.call(Ident::parse_any)?;
        let name: Ident = input.fork().call(Ident::parse_any)?;
        cx.error_spanned_by(
            &word,
            format!("remove `{word}`: a node binding is written `{name} = node_fn(..),`"),
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
