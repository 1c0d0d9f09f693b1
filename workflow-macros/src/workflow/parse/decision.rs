//! `match` and `if` entries: a [`Decision`]'s source, arms, guards and bodies.

use super::*;

/// `match source { Pat (if guard)? => { entries }, .. }` or `if name { .. } else { .. }`.
pub(super) fn parse_decision(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<RawDecision> {
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
pub(super) fn check_str_arms_bind_nothing(cx: &Ctxt, on: &Source, arms: &[(Arm, TokenStream)]) {
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
pub(super) fn parse_if(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<RawDecision> {
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
    let otherwise: TokenStream = if let Some(elif) = peek_elif(input) {
        // `elif c { .. }` (Python's): said once, and read as `else if c { .. }`.
        input.parse::<Ident>()?;
        cx.error_at(
            elif,
            "write `else if`: Rust has no `elif` (`if a { .. } else if b { .. } else { .. }`)",
        );
        let mut chain = quote::quote_spanned!(elif=> if);
        chain.extend(take_if_chain(input)?);
        chain
    } else if input.peek(Token![else]) {
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

/// The span of `elif` if it comes next.
fn peek_elif(input: ParseStream<'_>) -> Option<Span> {
    let fork = input.fork();
    let ident: Ident = fork.parse().ok()?;
    (ident == "elif").then(|| ident.span())
}

/// The tokens of `if c { .. } (else (if-chain | { .. }))?`, unparsed.
pub(super) fn take_if_chain(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut chain = TokenStream::new();
    loop {
        let tt: TokenTree = input.parse()?;
        let is_body =
            matches!(&tt, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace);
        chain.extend([tt]);
        if !is_body {
            continue;
        }
        if let Some(elif) = peek_elif(input) {
            // A further `elif`: the first was said (see `parse_if`).
            input.parse::<Ident>()?;
            chain.extend(quote::quote_spanned!(elif=> else if));
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
pub(super) fn parse_decision_source(
    cx: &Ctxt,
    input: ParseStream<'_>,
    keyword: &str,
) -> syn::Result<Source> {
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

/// The names a pattern binds, in order (an or-pattern's from its first alternative). A
/// bare name that starts with an uppercase letter is taken for a constant or unit
/// variant (`None`), as Rust's own lint would have it.
/// `match c { 400..=499 if c != 429 => .. }`: a guard sees its pattern's bindings only
/// (it decides the route from the matched value, see README), so the matched binding's
/// name there is rustc's "cannot find value `c`"; said here with the fix, binding the
/// value in the pattern (`c @ 400..=499 if c != 429`).
pub(super) fn check_guard_names_scrutinee(
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

pub(super) fn pattern_names(pat: &syn::Pat) -> Vec<Ident> {
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
