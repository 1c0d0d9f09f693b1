# Prints each package the library crates depend on (normal and build dependencies,
# transitively, as locked) whose declared rust-version is newer than the library
# crates' own (the MSRV). Input: `cargo metadata --format-version 1 --locked`.
def ver: split(".") | map(tonumber) | (. + [0, 0, 0])[0:3];
def libs: .packages[] | select(.name | IN("workflow-core", "workflow-macros", "workflow-test"));
([libs | .rust_version] | unique) as $msrvs
| if ($msrvs | length) != 1 then error("the library crates declare different rust-versions: \($msrvs)") else . end
| $msrvs[0] as $msrv
| (.packages | map({key: .id, value: .}) | from_entries) as $pkg
| (.resolve.nodes | map({key: .id, value: .}) | from_entries) as $node
| def closure($ids):
    ([$ids[] | $node[.].deps[]
      | select(any(.dep_kinds[]; .kind == null or .kind == "build")) | .pkg]
     + $ids | unique) as $all
    | if ($all | length) == ($ids | length) then $all else closure($all) end;
  closure([libs | .id])
| .[] | $pkg[.]
| select(.rust_version != null and (.rust_version | ver) > ($msrv | ver))
| "\(.name) \(.version) needs Rust \(.rust_version), newer than the MSRV \($msrv)"
