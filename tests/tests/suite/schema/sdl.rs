//! schema.graphql at the repository root is what `api export-schema` prints; codegen and
//! introspection tools read the file, so a stale one is a bug.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = api::schema::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -p api -- export-schema --output schema.graphql`"
    );
}

#[test]
fn every_type_and_field_has_a_description() {
    // A type or field without a description is preceded by no docstring in the SDL.
    let sdl = api::schema::sdl();
    let mut previous = "";
    let mut in_schema_block = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("schema ") {
            in_schema_block = true;
        }
        if in_schema_block {
            in_schema_block = trimmed != "}";
            continue;
        }
        let is_definition = (trimmed.starts_with("type ")
            || trimmed.starts_with("input ")
            || trimmed.starts_with("enum ")
            || trimmed.starts_with("interface ")
            || trimmed.starts_with("scalar ")
            || (line.starts_with('\t') && trimmed.contains(':')))
            && !trimmed.starts_with("\"\"\"");
        if is_definition {
            assert_eq!(previous, "\"\"\"", "no description before `{trimmed}`");
        }
        previous = trimmed;
    }
}
