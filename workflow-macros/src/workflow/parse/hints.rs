//! Other spellings of an entry (a call without a binding, a method call, an input
//! struct, a type's method path): what to write instead, for `parse_entry`'s errors.

use super::*;

/// The text of a fan-out body that is one call and nothing else (`download(url: u)`, with
/// or without a trailing comma), written as a Rust block's value.
pub(super) fn lone_unnamed_call(body: &TokenStream) -> Option<String> {
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
pub(super) fn method_call_habit(name: &str, receiver: &str, rest: &TokenStream) -> Option<String> {
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
pub(super) fn input_struct_workflow(node: &Path) -> Option<String> {
    let last = syn::ext::IdentExt::unraw(&node.segments.last()?.ident).to_string();
    let workflow = last.strip_suffix("Input")?;
    workflow
        .starts_with(|c: char| c.is_ascii_uppercase())
        .then(|| workflow.to_owned())
}

/// `Render` for a node path `Render::run` (or `crate::Render::run`): the segment before
/// the last is an upper-camel type name and the last a snake-case fn; a module, which a
/// node path may name, is snake case.
pub(super) fn type_of_method_path(node: &Path) -> Option<String> {
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
