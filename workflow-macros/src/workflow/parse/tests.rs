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
        m[0].starts_with("remove the brackets: a fan-out makes the list itself, so write `} => d`"),
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

#[test]
fn a_gather_of_calls_is_one_error_with_the_bindings_to_write() {
    let m = parse_messages(
        quote! { struct W { input n: u32, both = gather(double(n), show(n: n)), s = show(n), } },
    );
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].starts_with("`gather(..)` is not needed in `workflow!`"),
        "{m:?}"
    );
    assert!(
        m[0].contains("`double = double(n),` `show = show(n: n),`"),
        "{m:?}"
    );
    // A node fn of such a name given sources is a node.
    assert!(parse_messages(quote! { struct W { input n: u32, j = join(a: n), } }).is_empty());
}

#[test]
fn python_elif_and_a_colon_body_are_one_error_each() {
    let m = parse_messages(quote! { struct W {
        input n: u32,
        b = f(n),
        if b { s = g(n), } elif b { s = g(n), } elif b { s = g(n), } else { s = g(n), }
    } });
    assert_eq!(
        m,
        ["write `else if`: Rust has no `elif` (`if a { .. } else if b { .. } else { .. }`)"]
    );
    let m =
        parse_messages(quote! { struct W { input xs: Vec<u32>, ys = for x in xs: y = f(n: x), } });
    assert_eq!(
        m,
        ["a fan-out's body goes in braces, not after `:`: write `ys = for x in xs { y = f(n: x), } => y` (the binding after `=>` is collected per item)"]
    );
}

#[test]
fn other_languages_comments_declarations_and_headers_are_one_error_each() {
    // A `#` comment: one error for both, and the entries after each comment kept.
    let cx = Ctxt::new();
    let src: TokenStream =
        "struct W { input n: u32, d = f(n), # doubled\n s = g(n: d), # shown\n t = g(n: s), }"
            .parse()
            .expect("tokens");
    let def = WorkflowDef::parse(&cx, src).expect("parses");
    assert_eq!(
        cx.messages(),
        ["a comment in Rust starts with `//` (`// like this`), not `#`, which starts an attribute (`#[output]`)"]
    );
    let names: Vec<String> = def.bindings.iter().map(|b| b.name.to_string()).collect();
    assert_eq!(names, ["d", "s", "t"]);
    assert_eq!(
        parse_messages(quote! { struct W { input n: u32, def d = f(n), } }),
        ["remove `def`: a node binding is written `d = node_fn(..),`"]
    );
    assert_eq!(
        parse_messages(quote! { struct W: { input n: u32, d = f(n), } }),
        ["remove the `:`: a workflow's entries follow its name in braces, `struct W { .. }`"]
    );
    let m = parse_messages(quote! { struct W -> u32 { input n: u32, d = f(n), } });
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].starts_with("remove `-> u32`: a workflow has no return type"),
        "{m:?}"
    );
    let m =
        parse_messages(quote! { struct W { input n: u32, b = ok(n), s = f(n) if b else g(n), } });
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].starts_with("a binding runs one node: to choose between nodes, write an `if` entry that binds `s` in each arm"),
        "{m:?}"
    );
    let m = parse_messages(quote! { struct W { f = flag(on: True), } });
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("not a value"), "{m:?}");
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
    let m = parse_messages(quote!(struct W { input n: u32, b = big(n), else { d = double(n), } }));
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
    assert_eq!(
        cx.messages(),
        ["remove `=>`: `if` takes its arm's braces right after the binding, like `if b { .. }`"]
    );
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
    let m =
        parse_messages(quote!(struct G { input ts: Vec<String>, rs = map(Render, ts) => html, }));
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
    let m =
        parse_messages(quote!(struct G { input urls: Vec<String>, imgs = download.map(urls), }));
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("`imgs = for item in urls { out = download(item), } => out` if `download` is the `#[node]` fn"), "{m:?}");
    assert!(
        m[0].contains(
            "`imgs = for item in download { out = urls(item), } => out` if `download` is the list"
        ),
        "{m:?}"
    );
    let m = parse_messages(quote!(struct G { input p: String, front = Render.execute(page: p), }));
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
    let node = parse_messages(quote! { struct W { input ts: Vec<String>, p = map(layout, ts) } });
    assert_eq!(node.len(), 1, "{node:?}");
    assert!(
        node[0].starts_with("`map` runs a workflow per item, and `layout` is a `#[node]` fn"),
        "{node:?}"
    );
    let no_list = parse_messages(quote! { struct W { input ts: Vec<String>, p = map(Render) } });
    assert_eq!(no_list.len(), 1, "{no_list:?}");
    assert!(
        no_list[0].starts_with("`map` takes a workflow and the list"),
        "{no_list:?}"
    );
    // A `#[node]` fn called `map` with its ports named is a node call.
    assert!(
        parse_messages(quote! { struct W { input x: u8, input y: u8, p = map(a: x, b: y) } })
            .is_empty()
    );
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
        (quote!(items: [1, 2, 3]), None, "not a value: declare an input (`input items: Type`)"),
        (quote!(n: None), None, "not a value: declare an input (`input n: Type`)"),
        (quote!(n: lambda x: x), None, "not a function: compute the value in a `#[node]` fn"),
        (quote!(n: |x| x + 1), None, "not a function: compute the value in a `#[node]` fn"),
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

#[test]
fn python_and_typescript_spellings_of_an_input_type_are_one_error_each_and_keep_the_input() {
    let cx = Ctxt::new();
    let def = WorkflowDef::parse(
        &cx,
        quote!(struct W { input items: list[int], input url: str | None, input both: u32 | String, s = total(items), }),
    )
    .expect("parses");
    let m = cx.messages();
    assert_eq!(
        m,
        [
            "`list[int]` is not how Rust writes a type: write `input items: Vec<i64>`",
            "`str | None` is not how Rust writes a type: write `input url: Option<String>`",
            "a Rust type is one type, not a union: declare an `enum` with a variant for each, and write `input both: ThatEnum`",
        ]
    );
    let types: Vec<String> = def.inputs.iter().map(|i| types::type_text(&i.ty)).collect();
    assert_eq!(types, ["Vec<i64>", "Option<String>", "u32"]);
}

#[test]
fn several_names_sharing_one_type_are_one_error_and_each_input_is_kept() {
    let cx = Ctxt::new();
    let def = WorkflowDef::parse(
        &cx,
        quote!(struct W { input a, b, c: Vec<u32>, s = add(a, b), }),
    )
    .expect("parses");
    let m = cx.messages();
    assert_eq!(
        m,
        ["each input is declared with its own `input` and type: write `input a: Vec<u32>, input b: Vec<u32>, input c: Vec<u32>`"]
    );
    let inputs: Vec<String> = def
        .inputs
        .iter()
        .map(|i| format!("{}: {}", i.name, types::type_text(&i.ty)))
        .collect();
    assert_eq!(inputs, ["a: Vec<u32>", "b: Vec<u32>", "c: Vec<u32>"]);
    // `const` (JavaScript's declaration) is said like `let`, and the binding kept.
    let cx = Ctxt::new();
    let def = WorkflowDef::parse(&cx, quote!(struct W { input u: u32, const p = f(u), }))
        .expect("parses");
    assert_eq!(
        cx.messages(),
        ["remove `const`: a node binding is written `p = node_fn(..),`"]
    );
    assert!(def.bindings.iter().any(|b| b.name == "p"));
}

#[test]
fn a_multiple_assignment_is_one_error_and_each_binding_is_kept() {
    let cx = Ctxt::new();
    let def = WorkflowDef::parse(
        &cx,
        quote!(struct W { input u: u32, p = f(u), s, n = total(items: p.items), m::count(p.items), r = g(s, n), }),
    )
    .expect("parses");
    assert_eq!(
        cx.messages(),
        ["a binding names one node: bind each on its own, `s = total(..), n = m::count(..),` (nodes that do not depend on each other run concurrently)"]
    );
    let names: Vec<String> = def.bindings.iter().map(|b| b.name.to_string()).collect();
    assert_eq!(names, ["p", "s", "n", "r"]);
    // Fewer calls than names (a tuple-returning node): left to the entries' own errors.
    let cx = Ctxt::new();
    let _ = WorkflowDef::parse(&cx, quote!(struct W { input u: u32, a, b = f(u), }));
    assert!(
        cx.messages()
            .iter()
            .all(|m| !m.starts_with("a binding names one node")),
        "{:?}",
        cx.messages()
    );
}

#[test]
fn python_and_builder_habits_are_one_error_each_saying_what_to_write() {
    let said = |body: proc_macro2::TokenStream| {
        let cx = Ctxt::new();
        let _ = WorkflowDef::parse(&cx, body);
        cx.messages()
    };
    assert_eq!(
        said(quote!(struct W { input urls: Vec<String>, imgs = [grab(url) for url in urls if ok], })),
        ["a list comprehension is a `for` fan-out in `workflow!`: write `imgs = for url in urls { out = grab(url), } => out,` (the body runs once per item, concurrently, and `imgs` is the `Vec` of each item's `out`)"]
    );
    assert_eq!(
        said(quote!(struct W { input u: String, p = fetch(u).retry(5), })),
        ["a binding's policies are attributes above it: write `#[retry(max = 5)]` on the line before `p = fetch(..),` (or `#[node(..)]` on the fn, for every workflow using it)"]
    );
    assert_eq!(
        said(quote!(struct W { input u: String, p = fetch(u).with_timeout("2s"), })),
        ["a binding's policies are attributes above it: write `#[timeout = \"2s\"]` on the line before `p = fetch(..),` (or `#[node(..)]` on the fn, for every workflow using it)"]
    );
    // Another method is a field's habit, said as before.
    assert!(
        said(quote!(struct W { input u: String, p = fetch(u).len(), }))[0]
            .starts_with("a binding holds the whole output of `fetch`")
    );
    assert_eq!(
        said(quote!(struct W { input u: String?, p = fetch(u), })),
        ["an optional input is an `Option`: write `input u: Option<String>` (the caller passes `None` or `Some(..)`)"]
    );
    let m =
        said(quote!(struct W { input u: String, try { p = fetch(u), } except { p = other(u), } }));
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].starts_with("a workflow has no `try`"), "{m:?}");
}

#[test]
fn python_unpacking_in_a_port_is_said_as_a_spread_or_a_plain_source() {
    let said = |body: proc_macro2::TokenStream| {
        let cx = Ctxt::new();
        let _ = WorkflowDef::parse(&cx, body);
        cx.messages()
    };
    assert_eq!(
        said(quote!(struct W { input u: String, st = stats(u), r = summary(**st), })),
        ["a binding does not spread over ports: connect each port to a field of it, `port: st.field` (or `st.port`, when the field has the port's name)"]
    );
    assert_eq!(
        said(quote!(struct W { input u: String, p = fetch(u), s = total(items: *p.items), })),
        ["remove `*`: a port takes its source's value as it is (moved, or cloned when others read it too), so there is nothing to dereference or unpack; write `items: p.items`"]
    );
}

#[test]
fn calls_without_a_name_in_the_arms_are_one_error() {
    let cx = Ctxt::new();
    let _ = WorkflowDef::parse(
        &cx,
        quote!(struct W {
            input x: u32,
            t = triage(x),
            match t {
                T::Small(o) => { pay(order: o), }
                T::Large(o) => { refund(order: o), }
            }
            if big { pay(order: x), } else { refund(order: x), }
        }),
    );
    assert_eq!(
        cx.messages(),
        ["give the node calls in the arms a name, the same in each arm, like `r = pay(..)`: `r` is then the value of the arm that ran, for the nodes after the decision and the outputs; entries and the report refer to a node by its name"]
    );
}
