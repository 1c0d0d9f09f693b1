//! A node's port arguments (`port: source`, shorthand `source`) and sources
//! (`a.b.0`, `a?`).

use super::*;

/// The port connections of one comma-separated chunk inside `node_fn(..)`: one, or
/// several when a `,` is missing between them.
pub(super) fn parse_port_args(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Vec<PortArg>> {
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
pub(super) fn input_struct_literal(last: Option<&PortArg>, rest: &TokenStream) -> Option<String> {
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
pub(super) fn parse_port_arg(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Option<PortArg>> {
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
pub(super) fn tuple_elements(group: &TokenTree) -> Option<Vec<String>> {
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
pub(super) fn parse_source(
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
    // A literal, a list literal (`[1, 2, 3]`, Python's), `None` or another language's
    // constant (`True`, `False`, `null`, `nil`, `undefined`): values.
    let none = input.fork().call(Ident::parse_any).is_ok_and(|i| {
        matches!(
            i.to_string().as_str(),
            "None" | "True" | "False" | "null" | "nil" | "undefined"
        )
    }) && !input.peek2(Token![.])
        && !input.peek2(Token![?]);
    if input.peek(syn::Lit) || input.peek(syn::token::Bracket) || none {
        let value: TokenStream = if input.peek(syn::Lit) || none {
            input.parse::<TokenTree>()?.into()
        } else {
            input.parse()?
        };
        cx.error_spanned_by(
            value,
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
    // `n: |x| x + 1` or Python's `n: lambda x: x + 1`: a function where a value goes.
    let lambda = input
        .fork()
        .call(Ident::parse_any)
        .is_ok_and(|i| i == "lambda")
        && (input.peek2(Ident) || input.peek2(Token![:]));
    if input.peek(Token![|]) || input.peek(Token![||]) || lambda {
        let rest: TokenStream = input.parse()?;
        cx.error_spanned_by(
            rest,
            format!("a port connects to a source, not a function: compute the value in a `#[node]` fn, bind it (`{port_text} = my_node(..),`), and connect that binding"),
        );
        return Ok(None);
    }
    // `summary(..stats)` or `summary(...stats)` (Rust's struct update, JavaScript's
    // spread): a struct's fields spread over the ports. It was "expected a source".
    // `summary(**stats)` (Python's keyword-argument unpacking) is that spread too.
    let double_star = input.peek(Token![*]) && {
        let ahead = input.fork();
        ahead.parse::<Token![*]>().is_ok() && ahead.peek(Token![*])
    };
    if input.peek(Token![..]) || input.peek(Token![...]) || double_star {
        let rest: TokenStream = input.parse()?;
        let spread = rest
            .clone()
            .into_iter()
            .find_map(|t| match t {
                TokenTree::Ident(i) => Some(i.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "binding".to_owned());
        cx.error_spanned_by(
            rest,
            format!("a binding does not spread over ports: connect each port to a field of it, `port: {spread}.field` (or `{spread}.port`, when the field has the port's name)"),
        );
        return Ok(None);
    }
    if input.peek(Token![*]) && (input.peek2(Ident::peek_any)) {
        // `total(items: *page.items)`: Rust's dereference or Python's `*args`.
        let rest: TokenStream = input.parse()?;
        let source = crate::workflow::ast::tokens_text(&rest.clone().into_iter().skip(1).collect());
        cx.error_spanned_by(
            rest,
            format!("remove `*`: a port takes its source's value as it is (moved, or cloned when others read it too), so there is nothing to dereference or unpack; write `{}{source}`", port.map_or_else(String::new, |p| format!("{p}: "))),
        );
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
pub(super) fn parse_fields(
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
