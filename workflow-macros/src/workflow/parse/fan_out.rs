//! Fan-outs: `for x in xs { .. } => d` and `map(Workflow, xs)`, their item lists,
//! and the checks made once every entry is parsed (`finish_fan_outs`).

use super::*;

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
pub(super) const NOT_LISTS: &[&str] = &[
    "bool", "char", "str", "String", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16",
    "i32", "i64", "i128", "isize", "f32", "f64",
];

/// Reports a fan-out over an input whose type is written as a scalar or a string.
pub(super) fn check_fan_out_lists(cx: &Ctxt, inputs: &[InputDecl], bindings: &[Binding]) {
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
pub(super) fn parse_for_rest(
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
        // `=> img.len()`: a method call's arguments are consumed too (they were "expected
        // `,` between workflow entries").
        input.parse::<Token![.]>()?;
        let mut fields = vec![input.parse::<Member>()?];
        let mut called = skip_call_args(input)?;
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            fields.push(input.parse()?);
            called |= skip_call_args(input)?;
        }
        let field = quote::ToTokens::to_token_stream(&fields[0]);
        // At the field (a span cannot be joined on stable).
        let message = if called {
            format!("`=> ..` names a body binding, collected whole per item, not a method call on it: write `}} => {result}` (`{name}` is then a `Vec` of its values) and call `.{field}()` on each item in the node that takes `{name}`")
        } else {
            format!("`=> ..` names a body binding, collected whole per item, not a field of it: write `}} => {result}` (`{name}` is then a `Vec` of its values) and read `.{field}` of each item in the node that takes `{name}`")
        };
        cx.error_at(fields[0].span(), message);
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
pub(super) fn parse_map_rest(
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
pub(super) fn drop_calls_of_itself(cx: &Ctxt, workflow: &Ident, bindings: &mut Vec<Binding>) {
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
pub(super) enum MapPeek {
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
pub(super) fn peek_map(input: ParseStream<'_>) -> MapPeek {
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
pub(super) fn parse_items(cx: &Ctxt, input: ParseStream<'_>, name: &Ident) -> syn::Result<Source> {
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
pub(super) fn no_list(input: ParseStream<'_>, name: &Ident) -> syn::Error {
    input.error(format!(
        "expected the list `{name}` fans out over: an input or a binding"
    ))
}

/// The list of a `for`: the tokens before the body's braces, so that a mistake in them
/// is one error and the body still parses. `xs.iter()` (the `for` loop habit) is said as
/// such, and the fan-out kept over `xs`.
pub(super) fn parse_for_items(
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
    if let Some(message) = body_after_colon(&list, name, var) {
        return Err(syn::Error::new_spanned(&list, message));
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

/// What to write for `for x in xs: y = f(x)` (Python's colon for a body): the tokens
/// of the list are the name, a lone `:` and the body's entries. `None` for other tokens.
pub(super) fn body_after_colon(list: &TokenStream, name: &Ident, var: &Ident) -> Option<String> {
    let tokens: Vec<TokenTree> = list.clone().into_iter().collect();
    let [TokenTree::Ident(root), TokenTree::Punct(colon), body @ ..] = tokens.as_slice() else {
        return None;
    };
    if colon.as_char() != ':' || colon.spacing() != proc_macro2::Spacing::Alone {
        return None;
    }
    let body: TokenStream = body.iter().cloned().collect();
    let body = tokens_text(&body).replace(" : ", ": ");
    let (entries, out) = match body.split_once(" = ") {
        Some((out, _)) if !body.is_empty() => (format!("{body},"), out.trim().to_owned()),
        _ => ("out = node_fn(..),".to_owned(), "out".to_owned()),
    };
    Some(format!(
        "a fan-out's body goes in braces, not after `:`: write `{name} = for {var} in {root} {{ {entries} }} => {out}` (the binding after `=>` is collected per item)"
    ))
}

/// Whether the tokens of a fan-out's list look like a source (a name, then fields, then
/// an optional `?`), which `parse_items` reads and judges, rather than an expression.
pub(super) fn source_like(tokens: &TokenStream) -> bool {
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
pub(super) fn method_calls_on_name(tokens: &TokenStream) -> Option<(Ident, TokenStream)> {
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
pub(super) fn items_arg(items: &Source) -> PortArg {
    PortArg {
        port: items.root.clone(),
        source: Source {
            root: items.root.clone(),
            fields: Vec::new(),
            optional: None,
        },
    }
}

/// Consumes a method call's `(..)` after a field in `=> ..`; whether there was one.
fn skip_call_args(input: ParseStream<'_>) -> syn::Result<bool> {
    if input.peek(syn::token::Paren) {
        input.parse::<proc_macro2::Group>()?;
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::internals::Ctxt;
    use crate::workflow::ast::WorkflowDef;

    fn parse_messages(src: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let _ = WorkflowDef::parse(&cx, src);
        cx.messages()
    }

    #[test]
    fn a_method_call_in_the_collect_is_one_error_and_the_entries_after_it_parse() {
        let m = parse_messages(quote!(
            struct G {
                input urls: Vec<String>,
                sizes = for url in urls {
                    img = grab(url),
                } => img.len(),
                total = sum(sizes),
            }
        ));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].contains("not a method call on it: write `} => img`")
                && m[0].contains("call `.len()` on each item"),
            "{m:?}"
        );
        // A field stays the field's message.
        let m = parse_messages(quote!(
            struct G {
                input urls: Vec<String>,
                sizes = for url in urls {
                    img = grab(url),
                } => img.len,
            }
        ));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("not a field of it"), "{m:?}");
    }
}
