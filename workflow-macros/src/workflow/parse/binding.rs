//! Bindings and inputs (`name = rhs`, `input x: T`): names, the split of a body into
//! statements, and where an error is reported.

use super::*;

/// The name of an input or binding: it names a struct field, so not a Rust keyword.
pub(super) fn parse_name(input: ParseStream<'_>) -> syn::Result<Ident> {
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
pub(super) fn statement_keyword(keyword: &Ident, rest: ParseStream<'_>) -> Option<String> {
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
pub(super) fn escapable(ident: &Ident) -> bool {
    !["_", "crate", "self", "Self", "super"].contains(&ident.to_string().as_str())
}

/// `: Type` after `input name`, and a default value (reported, the input kept).
pub(super) fn parse_input_rest(
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
    let ty = python_spelling(cx, input, &name, ty)?;
    if input.peek(Token![=]) {
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            rest,
            format!("an input has no default value; the caller passes `{name}` in the workflow's input struct"),
        );
    }
    Ok(Entry::Input(InputDecl { attrs, name, ty }))
}

/// `input items: list[int]` (Python's generic, the parameters in brackets) and `input url:
/// str | None` (a union with `None`, Python's and TypeScript's optional value): one error
/// saying the type as Rust writes it (`Vec<i64>`, `Option<String>`), and the input kept
/// with that type, so nothing more is reported. They were "expected `,` between workflow
/// entries" at the `[` or `|`. `ty` is the type parsed so far; anything else is left to
/// the caller.
fn python_spelling(cx: &Ctxt, input: ParseStream<'_>, name: &Ident, ty: Type) -> syn::Result<Type> {
    let bare = match &ty {
        Type::Path(tp) if tp.qself.is_none() && tp.path.segments.len() == 1 => {
            Some(tp.path.segments[0].ident.to_string())
        }
        _ => None,
    };
    let (written, text, rust) = if let (Some(outer), true) =
        (&bare, input.peek(syn::token::Bracket))
    {
        let TokenTree::Group(group) = input.parse::<TokenTree>()? else {
            return Ok(ty);
        };
        let rust = types::python_generic(outer, group.stream());
        let text = types::type_text(&quote::quote!(#ty #group));
        (quote::quote!(#ty #group), text, rust)
    } else if input.peek(Token![|]) && !input.peek(Token![||]) {
        let bar: Token![|] = input.parse()?;
        let other: Type = input.parse()?;
        let is_none = |t: &Type| {
            matches!(t, Type::Path(tp) if tp.qself.is_none()
                && ["None", "null", "undefined", "nil"].iter().any(|n| tp.path.is_ident(n)))
        };
        let some = if is_none(&other) {
            &ty
        } else if is_none(&ty) {
            &other
        } else {
            cx.error_spanned_by(
                quote::quote!(#ty #bar #other),
                format!("a Rust type is one type, not a union: declare an `enum` with a variant for each, and write `input {name}: ThatEnum`"),
            );
            return Ok(ty);
        };
        let rust = format!("Option<{}>", types::python_type(some.to_token_stream()));
        let text = format!("{} | {}", types::type_text(&ty), types::type_text(&other));
        (quote::quote!(#ty #bar #other), text, rust)
    } else {
        return Ok(ty);
    };
    cx.error_spanned_by(
        &written,
        format!("`{text}` is not how Rust writes a type: write `input {name}: {rust}`"),
    );
    Ok(syn::parse_str::<Type>(&rust).unwrap_or(ty))
}

/// `node_fn(args)` after a binding's `name =`, and what may follow the call by habit
/// (`.await`, `?`: reported and dropped).
pub(super) fn parse_binding_rest(
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
    // `imgs = [grab(url) for url in urls]` (Python's list comprehension): was "expected
    // the `#[node]` fn that `imgs` runs".
    if input.peek(syn::token::Bracket) {
        if let Some(message) = list_comprehension(input, &name) {
            let brackets: TokenTree = input.parse()?;
            return Err(syn::Error::new(brackets.span(), message));
        }
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
    // `both = gather(fetch(a), fetch(b))` (Python's `asyncio.gather`, JavaScript's
    // `Promise.all`): was the ports' "not a call" at each inner call plus rustc's "cannot
    // find macro `gather`". One error at the combinator, with the bindings to write, the
    // binding broken like a method's above.
    if let Some(calls) = gathered_calls(&node, input) {
        return Err(syn::Error::new_spanned(
            &node,
            format!("`{}(..)` is not needed in `workflow!`: nodes that do not depend on each other already run concurrently; bind each call on its own, {}, and read each binding (`run.outputs.<name>`)", path_text(&node), calls.join(" ")),
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
    } else if let Some(attribute) = policy_method(input) {
        // `p = fetch(url).retry(3)` (Prefect's `.with_options(retries=3)`, a builder's
        // habit): was "a binding holds the whole output of `fetch`; connect a field".
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            rest,
            format!("a binding's policies are attributes above it: write `{attribute}` on the line before `{name} = {node_text}(..),` (or `#[node(..)]` on the fn, for every workflow using it)"),
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
pub(super) fn peek_operator(input: ParseStream<'_>) -> bool {
    input.cursor().punct().is_some_and(|(p, _)| {
        matches!(
            p.as_char(),
            '+' | '-' | '*' | '/' | '%' | '^' | '|' | '&' | '<' | '>' | '='
        )
    })
}

/// What ends a chunk of [`split_top_level`].
#[derive(Clone, Copy)]
pub(super) enum Separator {
    Comma(Span),
    /// `;` where a `,` belongs (only split at when asked).
    Semicolon(Span),
}

/// Splits at the top-level commas (and semicolons, if `semicolons`); commas inside
/// `<..>` (as in `input m: HashMap<K, V>`) do not split. Each chunk comes with the
/// separator that ends it, if any.
pub(super) fn split_top_level(
    body: TokenStream,
    semicolons: bool,
) -> Vec<(TokenStream, Option<Separator>)> {
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
pub(super) fn starts_binding(input: ParseStream<'_>) -> bool {
    if input.peek(Token![#]) {
        return true;
    }
    let fork = input.fork();
    fork.parse::<Ident>().is_ok()
        && fork.peek(Token![=])
        && !fork.peek(Token![==])
        && !fork.peek(Token![=>])
}

pub(super) fn here(input: ParseStream<'_>, e: &syn::Error, last: Span) -> Span {
    if input.is_empty() {
        last
    } else {
        e.span()
    }
}

/// `.unwrap()`, `.expect(..)` or another unwrapping method next in `input`.
/// `.retry(3)`, `.timeout("1s")`, `.with_options(..)` after a node call: the attribute
/// to write for it, with the call's one literal argument when there is one
/// (`#[retry(max = 3)]`, `#[timeout = "1s"]`).
pub(super) fn policy_method(input: ParseStream<'_>) -> Option<String> {
    let ahead = input.fork();
    ahead.parse::<Token![.]>().ok()?;
    let method = ahead.parse::<Ident>().ok()?.to_string();
    fn one_literal(ahead: ParseStream<'_>) -> syn::Result<Option<syn::Lit>> {
        let content;
        parenthesized!(content in ahead);
        let lit = content.parse::<syn::Lit>()?;
        Ok(content.is_empty().then_some(lit))
    }
    let arg = one_literal(&ahead)
        .ok()
        .flatten()
        .map(|l| quote::ToTokens::to_token_stream(&l).to_string());
    Some(match method.as_str() {
        "retry" | "retries" | "with_retry" | "with_retries" | "max_retries" | "retrying" => {
            format!("#[retry(max = {})]", arg.as_deref().unwrap_or("3"))
        }
        "timeout" | "with_timeout" | "timeout_after" | "deadline" => {
            format!("#[timeout = {}]", arg.as_deref().unwrap_or("\"1s\""))
        }
        "spawn" | "spawned" => "#[spawn]".to_owned(),
        "with_options" | "options" | "with_policy" | "policy" => {
            "#[retry(max = 3)]` or `#[timeout = \"1s\"]".to_owned()
        }
        _ => return None,
    })
}

pub(super) fn unwraps(input: ParseStream<'_>) -> bool {
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
pub(super) fn wrapper_call(node: &Path, input: ParseStream<'_>) -> Option<(String, String)> {
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

/// The calls inside `gather(fetch(a), fetch(b))`, each as the binding to write
/// (`fetch = fetch(a),`), when `node` is a one-word concurrency combinator of another
/// language or crate given at least one call; `None` otherwise (a node fn of that name
/// given sources is a node).
pub(super) fn gathered_calls(node: &Path, input: ParseStream<'_>) -> Option<Vec<String>> {
    let text = path_text(node);
    if !matches!(
        text.as_str(),
        "gather"
            | "join_all"
            | "try_join_all"
            | "all"
            | "parallel"
            | "concurrently"
            | "wait_all"
            | "when_all"
            | "join"
            | "try_join"
    ) || !input.peek(syn::token::Paren)
    {
        return None;
    }
    let TokenTree::Group(group) = input.fork().parse::<TokenTree>().ok()? else {
        return None;
    };
    let mut calls = Vec::new();
    let mut any_call = false;
    for (chunk, _) in split_top_level(group.stream(), false) {
        let tokens: Vec<TokenTree> = chunk.clone().into_iter().collect();
        match tokens.as_slice() {
            [TokenTree::Ident(callee), TokenTree::Group(args)]
                if args.delimiter() == proc_macro2::Delimiter::Parenthesis =>
            {
                any_call = true;
                calls.push(format!(
                    "`{callee} = {},`",
                    tokens_text(&chunk).replace(" : ", ": ")
                ));
            }
            [] => {}
            _ => calls.push(format!(
                "`.. = {},`",
                tokens_text(&chunk).replace(" : ", ": ")
            )),
        }
    }
    any_call.then_some(calls)
}

/// `[grab(url) for url in urls]` (Python's list comprehension) next in `input`: what to
/// write for it, a `for` fan-out with the user's own call, variable and list. `None`
/// when the brackets hold no `for`.
fn list_comprehension(input: ParseStream<'_>, name: &Ident) -> Option<String> {
    let TokenTree::Group(group) = input.fork().parse::<TokenTree>().ok()? else {
        return None;
    };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    let at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "for"))?;
    let call = crate::workflow::ast::tokens_text(&tokens[..at].iter().cloned().collect());
    let var = match tokens.get(at + 1) {
        Some(TokenTree::Ident(v)) => v.to_string(),
        _ => "item".to_owned(),
    };
    let list_end = tokens[at..]
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "if"))
        .map_or(tokens.len(), |p| at + p);
    let list = tokens
        .get(at + 3..list_end)
        .filter(|l| !l.is_empty())
        .map_or_else(
            || "list".to_owned(),
            |l| crate::workflow::ast::tokens_text(&l.iter().cloned().collect()),
        );
    let call = if call.is_empty() {
        "node_fn(..)".to_owned()
    } else {
        call
    };
    Some(format!(
        "a list comprehension is a `for` fan-out in `workflow!`: write `{name} = for {var} in {list} {{ out = {call}, }} => out,` (the body runs once per item, concurrently, and `{name}` is the `Vec` of each item's `out`)"
    ))
}
