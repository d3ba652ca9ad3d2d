//! What a client builds from introspecting the running server (graphql-codegen, Relay's
//! `get-graphql-schema`, GraphiQL) must be the schema that `api export-schema` writes to
//! schema.graphql: same types, fields, arguments, defaults, descriptions and deprecations.
//! Both are turned into one normalized, sorted shape and compared type by type.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "in a test, a failed expectation is the failure"
)]

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{
    Pos, Positioned,
    parser::{
        parse_schema,
        types::{
            ConstDirective, DirectiveDefinition, DirectiveLocation, FieldDefinition,
            InputValueDefinition, TypeDefinition, TypeKind, TypeSystemDefinition,
        },
    },
};
use serde_json::{Value, json};
use tests::test_app::TestApp;

/// graphql-js 16's `getIntrospectionQuery` with every option on (descriptions,
/// specifiedByUrl, directiveIsRepeatable, schemaDescription, inputValueDeprecation, oneOf):
/// what codegen tools send.
const INTROSPECTION_QUERY: &str = "
query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}

fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  isOneOf
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}

fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}

fragment TypeRef on __Type {
  kind name
  ofType { kind name
    ofType { kind name
      ofType { kind name
        ofType { kind name
          ofType { kind name
            ofType { kind name
              ofType { kind name
                ofType { kind name
                  ofType { kind name }
                }
              }
            }
          }
        }
      }
    }
  }
}
";

/// Types every schema has that the SDL leaves out: the spec's scalars. (Types named `__*`,
/// the introspection system, are left out too; see [`omitted_from_sdl`].)
const BUILT_IN_SCALARS: [&str; 5] = ["Boolean", "Float", "ID", "Int", "String"];

/// Directives every schema has; async-graphql prints `@deprecated`, `@specifiedBy` and
/// `@oneOf` in the SDL only when something uses them, so these are compared only when the SDL
/// defines them. Any other directive must be on both sides.
const BUILT_IN_DIRECTIVES: [&str; 5] = ["deprecated", "include", "oneOf", "skip", "specifiedBy"];

/// The spec's reason for a `@deprecated` without one.
const DEFAULT_DEPRECATION_REASON: &str = "No longer supported";

/// A schema as a client sees it. `__Schema.description` is not part of it: the SDL has no
/// way to carry it, and async-graphql answers with the same boilerplate for every schema.
#[derive(Debug, Default, PartialEq, Eq)]
struct SchemaShape {
    query: Option<String>,
    mutation: Option<String>,
    subscription: Option<String>,
    types: BTreeMap<String, TypeShape>,
    directives: BTreeMap<String, DirectiveShape>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct TypeShape {
    /// `OBJECT`, `INPUT_OBJECT`, ... as introspection spells it.
    kind: &'static str,
    description: Option<String>,
    specified_by_url: Option<String>,
    one_of: bool,
    fields: BTreeMap<String, FieldShape>,
    input_fields: BTreeMap<String, InputValueShape>,
    enum_values: BTreeMap<String, EnumValueShape>,
    interfaces: BTreeSet<String>,
    /// Objects implementing an interface, or members of a union.
    possible_types: BTreeSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
struct FieldShape {
    description: Option<String>,
    args: BTreeMap<String, InputValueShape>,
    /// Wrapped type as in SDL, e.g. `[Todo!]!`.
    ty: String,
    /// The deprecation reason of a deprecated field.
    deprecated: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
struct InputValueShape {
    description: Option<String>,
    ty: String,
    /// A GraphQL literal, e.g. `MEDIUM` or `[]`.
    default_value: Option<String>,
    deprecated: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
struct EnumValueShape {
    description: Option<String>,
    deprecated: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
struct DirectiveShape {
    description: Option<String>,
    args: BTreeMap<String, InputValueShape>,
    locations: BTreeSet<String>,
    repeatable: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_describes_the_exported_schema() {
    let Some(app) = TestApp::start(tests::Backend::Sqlite).await else {
        return;
    };
    let body = app.gql(INTROSPECTION_QUERY, json!({})).await;
    assert!(body.get("errors").is_none(), "introspection failed: {body}");
    let mut introspected = from_introspection(&body["data"]["__schema"]);
    // What `api export-schema` prints (the tests crate's build of the api binary), and
    // what it writes with --output: the same SDL.
    let binary = env!("CARGO_BIN_EXE_second_instance");
    let printed = std::process::Command::new(binary)
        .arg("export-schema")
        .output()
        .expect("run export-schema");
    assert!(printed.status.success(), "{printed:?}");
    let printed = String::from_utf8(printed.stdout).expect("UTF-8 SDL");
    let path = std::env::temp_dir().join(format!("exported-{}.graphql", std::process::id()));
    let written = std::process::Command::new(binary)
        .args(["export-schema", "--output"])
        .arg(&path)
        .status()
        .expect("run export-schema --output");
    assert!(written.success());
    let file = std::fs::read_to_string(&path).expect("the written SDL");
    let _ = std::fs::remove_file(&path);
    assert_eq!(file, printed, "--output writes what the command prints");
    let exported = from_sdl(&printed);
    // Built-in directives the SDL does not print (see BUILT_IN_DIRECTIVES) are left out.
    introspected.directives.retain(|name, _| {
        !BUILT_IN_DIRECTIVES.contains(&name.as_str()) || exported.directives.contains_key(name)
    });
    assert!(
        exported.types.len() > 20 && exported.query.is_some(),
        "the SDL was not read: {exported:#?}"
    );
    if let Err(differences) = compare(&introspected, &exported) {
        panic!("introspection (left) and the exported SDL (right) differ:\n{differences}");
    }
}

/// The comparison notices a changed description, wrapper, default, argument or deprecation:
/// each edit of the SDL must be reported, under the type it touches.
#[test]
fn the_comparison_notices_small_changes() {
    let sdl = api::schema::sdl();
    let exported = from_sdl(&sdl);
    assert_eq!(compare(&exported, &exported), Ok(()));
    // (expected start of the report, text of the SDL, replacement)
    let edits = [
        ("type Todo: field tags", "\ttags: [Tag!]!", "\ttags: [Tag]!"),
        (
            "type CreateTodoInput: input field priority",
            "priority: Priority = MEDIUM",
            "priority: Priority = HIGH",
        ),
        (
            "type Todo: field version",
            "\tversion: Int!",
            "\tversion: Int! @deprecated",
        ),
        (
            "type Query: field tag",
            "tag(name: String!)",
            "tag(name: String)",
        ),
        (
            "type DateTime: description",
            "An RFC 3339 date-time.",
            "An RFC 3339 date.",
        ),
        ("type Priority: enum value LOW", "\tLOW\n", "\tLOWEST\n"),
        (
            "directive @skip",
            "directive @skip(if: Boolean!) on",
            "directive @skip(if: Boolean!) repeatable on",
        ),
    ];
    for (expected, from, to) in edits {
        assert!(sdl.contains(from), "the SDL no longer contains {from:?}");
        let edited = from_sdl(&sdl.replacen(from, to, 1));
        let differences = compare(&exported, &edited)
            .expect_err(&format!("replacing {from:?} by {to:?} went unnoticed"));
        assert!(
            differences.starts_with(expected),
            "replacing {from:?} was not reported as {expected:?}:\n{differences}"
        );
    }
}

/// `Err` lists every difference, one line pair per root, type attribute, field, input field,
/// enum value or directive that differs or is missing on one side.
fn compare(left: &SchemaShape, right: &SchemaShape) -> Result<(), String> {
    let mut report = Vec::new();
    let roots = |s: &SchemaShape| (s.query.clone(), s.mutation.clone(), s.subscription.clone());
    differ(
        "root types (query, mutation, subscription)",
        &roots(left),
        &roots(right),
        &mut report,
    );
    for name in keys(&left.types, &right.types) {
        match (left.types.get(name), right.types.get(name)) {
            (Some(l), Some(r)) => compare_types(&format!("type {name}:"), l, r, &mut report),
            (l, r) => differ(
                &format!("type {name}:"),
                &l.map(|t| t.kind),
                &r.map(|t| t.kind),
                &mut report,
            ),
        }
    }
    compare_entries(
        "directive @",
        &left.directives,
        &right.directives,
        &mut report,
    );
    if report.is_empty() {
        // The report covers every part of the shape; this keeps it honest.
        assert_eq!(left, right);
        Ok(())
    } else {
        Err(report.join("\n"))
    }
}

fn compare_types(path: &str, left: &TypeShape, right: &TypeShape, report: &mut Vec<String>) {
    differ(&format!("{path} kind"), &left.kind, &right.kind, report);
    differ(
        &format!("{path} description"),
        &left.description,
        &right.description,
        report,
    );
    differ(
        &format!("{path} specifiedByURL"),
        &left.specified_by_url,
        &right.specified_by_url,
        report,
    );
    differ(
        &format!("{path} isOneOf"),
        &left.one_of,
        &right.one_of,
        report,
    );
    differ(
        &format!("{path} interfaces"),
        &left.interfaces,
        &right.interfaces,
        report,
    );
    differ(
        &format!("{path} possibleTypes"),
        &left.possible_types,
        &right.possible_types,
        report,
    );
    compare_entries(
        &format!("{path} field "),
        &left.fields,
        &right.fields,
        report,
    );
    compare_entries(
        &format!("{path} input field "),
        &left.input_fields,
        &right.input_fields,
        report,
    );
    compare_entries(
        &format!("{path} enum value "),
        &left.enum_values,
        &right.enum_values,
        report,
    );
}

fn compare_entries<T: std::fmt::Debug + PartialEq>(
    prefix: &str,
    left: &BTreeMap<String, T>,
    right: &BTreeMap<String, T>,
    report: &mut Vec<String>,
) {
    for name in keys(left, right) {
        differ(
            &format!("{prefix}{name}"),
            &left.get(name),
            &right.get(name),
            report,
        );
    }
}

fn keys<'a, T>(
    left: &'a BTreeMap<String, T>,
    right: &'a BTreeMap<String, T>,
) -> BTreeSet<&'a String> {
    left.keys().chain(right.keys()).collect()
}

fn differ<T: std::fmt::Debug + PartialEq>(
    what: &str,
    left: &T,
    right: &T,
    report: &mut Vec<String>,
) {
    if left != right {
        report.push(format!("{what}\n    left:  {left:?}\n    right: {right:?}"));
    }
}

// ---- introspection JSON → shape ----

fn from_introspection(schema: &Value) -> SchemaShape {
    let root = |key: &str| schema[key]["name"].as_str().map(str::to_owned);
    let types = list(&schema["types"])
        .iter()
        .map(|ty| (text(&ty["name"]).expect("a named type"), ty))
        .filter(|(name, _)| !omitted_from_sdl(name))
        .map(|(name, ty)| (name, type_from_introspection(ty)))
        .collect();
    let directives = list(&schema["directives"])
        .iter()
        .map(|directive| {
            let name = text(&directive["name"]).expect("a directive name");
            let mut args = input_values(&directive["args"]);
            // async-graphql's SDL printer leaves out the descriptions of directive arguments
            // (`MetaDirective::argument_sdl`), so they are not compared.
            for arg in args.values_mut() {
                arg.description = None;
            }
            let shape = DirectiveShape {
                description: text(&directive["description"]),
                args,
                locations: list(&directive["locations"])
                    .iter()
                    .map(|location| text(location).expect("a location"))
                    .collect(),
                repeatable: directive["isRepeatable"] == true,
            };
            (name, shape)
        })
        .collect();
    SchemaShape {
        query: root("queryType"),
        mutation: root("mutationType"),
        subscription: root("subscriptionType"),
        types,
        directives,
    }
}

/// The introspection system's own types and the spec's scalars exist in every schema; the
/// SDL does not print them.
fn omitted_from_sdl(type_name: &str) -> bool {
    type_name.starts_with("__") || BUILT_IN_SCALARS.contains(&type_name)
}

fn type_from_introspection(ty: &Value) -> TypeShape {
    let kind = match ty["kind"].as_str() {
        Some("SCALAR") => "SCALAR",
        Some("OBJECT") => "OBJECT",
        Some("INTERFACE") => "INTERFACE",
        Some("UNION") => "UNION",
        Some("ENUM") => "ENUM",
        Some("INPUT_OBJECT") => "INPUT_OBJECT",
        other => panic!("unexpected kind {other:?} of {ty}"),
    };
    let named = |refs: &Value| -> BTreeSet<String> { list(refs).iter().map(type_ref).collect() };
    TypeShape {
        kind,
        description: text(&ty["description"]),
        specified_by_url: text(&ty["specifiedByURL"]),
        one_of: ty["isOneOf"] == true,
        fields: list(&ty["fields"])
            .iter()
            .map(|field| {
                let shape = FieldShape {
                    description: text(&field["description"]),
                    args: input_values(&field["args"]),
                    ty: type_ref(&field["type"]),
                    deprecated: deprecation_from_introspection(field),
                };
                (text(&field["name"]).expect("a field name"), shape)
            })
            .collect(),
        input_fields: input_values(&ty["inputFields"]),
        enum_values: list(&ty["enumValues"])
            .iter()
            .map(|value| {
                let shape = EnumValueShape {
                    description: text(&value["description"]),
                    deprecated: deprecation_from_introspection(value),
                };
                (text(&value["name"]).expect("an enum value name"), shape)
            })
            .collect(),
        interfaces: named(&ty["interfaces"]),
        possible_types: named(&ty["possibleTypes"]),
    }
}

fn input_values(values: &Value) -> BTreeMap<String, InputValueShape> {
    list(values)
        .iter()
        .map(|value| {
            let shape = InputValueShape {
                description: text(&value["description"]),
                ty: type_ref(&value["type"]),
                default_value: text(&value["defaultValue"]),
                deprecated: deprecation_from_introspection(value),
            };
            (text(&value["name"]).expect("an input value name"), shape)
        })
        .collect()
}

/// `[Todo!]!` from nested `NON_NULL`/`LIST` wrappers.
fn type_ref(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&ty["ofType"])),
        Some(_) => text(&ty["name"]).expect("a named type"),
        None => panic!("a type wrapped deeper than the query's ofType levels, or no type: {ty}"),
    }
}

fn deprecation_from_introspection(item: &Value) -> Option<String> {
    (item["isDeprecated"] == true).then(|| {
        text(&item["deprecationReason"]).unwrap_or_else(|| DEFAULT_DEPRECATION_REASON.to_owned())
    })
}

/// A JSON list; `null` (e.g. `fields` of an enum) is an empty one.
fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

// ---- SDL → shape ----

fn from_sdl(sdl: &str) -> SchemaShape {
    let document = parse_schema(sdl).expect("the SDL parses");
    let mut shape = SchemaShape::default();
    let mut schema_definition = None;
    for definition in document.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => schema_definition = Some(schema.node),
            TypeSystemDefinition::Type(ty) => {
                assert!(!ty.node.extend, "unexpected extension of {}", ty.node.name);
                let name = ty.node.name.node.to_string();
                assert!(
                    shape
                        .types
                        .insert(name.clone(), type_from_sdl(&ty.node))
                        .is_none(),
                    "{name} is defined twice"
                );
            }
            TypeSystemDefinition::Directive(directive) => {
                let (name, directive) = directive_from_sdl(sdl, &directive.node);
                shape.directives.insert(name, directive);
            }
        }
    }
    // Introspection lists, for an interface, the objects implementing it.
    let implementations: Vec<(String, String)> = shape
        .types
        .iter()
        .filter(|(_, ty)| ty.kind == "OBJECT")
        .flat_map(|(name, ty)| ty.interfaces.iter().map(|i| (i.clone(), name.clone())))
        .collect();
    for (interface, object) in implementations {
        if let Some(ty) = shape.types.get_mut(&interface) {
            ty.possible_types.insert(object);
        }
    }
    // Without a `schema { }` block the roots are the types with the default names.
    let root = |explicit: Option<&Positioned<async_graphql::Name>>, default: &str| match explicit {
        Some(name) => Some(name.node.to_string()),
        None if schema_definition.is_none() && shape.types.contains_key(default) => {
            Some(default.to_owned())
        }
        None => None,
    };
    let definition = schema_definition.as_ref();
    shape.query = root(definition.and_then(|s| s.query.as_ref()), "Query");
    shape.mutation = root(definition.and_then(|s| s.mutation.as_ref()), "Mutation");
    shape.subscription = root(
        definition.and_then(|s| s.subscription.as_ref()),
        "Subscription",
    );
    shape
}

fn type_from_sdl(ty: &TypeDefinition) -> TypeShape {
    let names = |names: &[Positioned<async_graphql::Name>]| -> BTreeSet<String> {
        names.iter().map(|name| name.node.to_string()).collect()
    };
    let mut shape = TypeShape {
        description: description(&ty.description),
        specified_by_url: directive(&ty.directives, "specifiedBy")
            .map(|d| string_argument(d, "url").expect("@specifiedBy(url:)")),
        one_of: directive(&ty.directives, "oneOf").is_some(),
        ..TypeShape::default()
    };
    match &ty.kind {
        TypeKind::Scalar => shape.kind = "SCALAR",
        TypeKind::Object(object) => {
            shape.kind = "OBJECT";
            shape.fields = fields_from_sdl(&object.fields);
            shape.interfaces = names(&object.implements);
        }
        TypeKind::Interface(interface) => {
            shape.kind = "INTERFACE";
            shape.fields = fields_from_sdl(&interface.fields);
            shape.interfaces = names(&interface.implements);
        }
        TypeKind::Union(union) => {
            shape.kind = "UNION";
            shape.possible_types = names(&union.members);
        }
        TypeKind::Enum(enumeration) => {
            shape.kind = "ENUM";
            shape.enum_values = enumeration
                .values
                .iter()
                .map(|value| {
                    let value = &value.node;
                    let shape = EnumValueShape {
                        description: description(&value.description),
                        deprecated: deprecation_from_sdl(&value.directives),
                    };
                    (value.value.node.to_string(), shape)
                })
                .collect();
        }
        TypeKind::InputObject(input) => {
            shape.kind = "INPUT_OBJECT";
            shape.input_fields = input_values_from_sdl(&input.fields);
        }
    }
    shape
}

fn fields_from_sdl(fields: &[Positioned<FieldDefinition>]) -> BTreeMap<String, FieldShape> {
    fields
        .iter()
        .map(|field| {
            let field = &field.node;
            let shape = FieldShape {
                description: description(&field.description),
                args: input_values_from_sdl(&field.arguments),
                ty: field.ty.node.to_string(),
                deprecated: deprecation_from_sdl(&field.directives),
            };
            (field.name.node.to_string(), shape)
        })
        .collect()
}

fn input_values_from_sdl(
    values: &[Positioned<InputValueDefinition>],
) -> BTreeMap<String, InputValueShape> {
    values
        .iter()
        .map(|value| {
            let value = &value.node;
            let shape = InputValueShape {
                description: description(&value.description),
                ty: value.ty.node.to_string(),
                default_value: value.default_value.as_ref().map(|v| v.node.to_string()),
                deprecated: deprecation_from_sdl(&value.directives),
            };
            (value.name.node.to_string(), shape)
        })
        .collect()
}

fn directive_from_sdl(sdl: &str, directive: &DirectiveDefinition) -> (String, DirectiveShape) {
    let shape = DirectiveShape {
        description: description(&directive.description),
        args: input_values_from_sdl(&directive.arguments),
        locations: directive
            .locations
            .iter()
            .map(|location| location_name(location.node).to_owned())
            .collect(),
        repeatable: is_repeatable(sdl, directive),
    };
    (directive.name.node.to_string(), shape)
}

/// async-graphql-parser 7.2.1 reads every directive definition as repeatable (its grammar's
/// `repeatable = { "repeatable"? }` always matches), so the keyword is looked for in the text
/// between the directive's arguments and its first location.
fn is_repeatable(sdl: &str, directive: &DirectiveDefinition) -> bool {
    let first_location = directive.locations.first().expect("a directive location");
    let between = &sdl[offset(sdl, directive.name.pos)..offset(sdl, first_location.pos)];
    let after_arguments = between.rsplit(')').next().unwrap_or(between);
    after_arguments
        .split_whitespace()
        .any(|word| word == "repeatable")
}

/// The byte offset of a parser position (1-based line and column, in characters).
fn offset(text: &str, pos: Pos) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(pos.line - 1)
        .map(str::len)
        .sum();
    let column = text[line_start..]
        .char_indices()
        .nth(pos.column - 1)
        .map_or(text.len() - line_start, |(index, _)| index);
    line_start + column
}

fn location_name(location: DirectiveLocation) -> &'static str {
    match location {
        DirectiveLocation::Query => "QUERY",
        DirectiveLocation::Mutation => "MUTATION",
        DirectiveLocation::Subscription => "SUBSCRIPTION",
        DirectiveLocation::Field => "FIELD",
        DirectiveLocation::FragmentDefinition => "FRAGMENT_DEFINITION",
        DirectiveLocation::FragmentSpread => "FRAGMENT_SPREAD",
        DirectiveLocation::InlineFragment => "INLINE_FRAGMENT",
        DirectiveLocation::Schema => "SCHEMA",
        DirectiveLocation::Scalar => "SCALAR",
        DirectiveLocation::Object => "OBJECT",
        DirectiveLocation::FieldDefinition => "FIELD_DEFINITION",
        DirectiveLocation::ArgumentDefinition => "ARGUMENT_DEFINITION",
        DirectiveLocation::Interface => "INTERFACE",
        DirectiveLocation::Union => "UNION",
        DirectiveLocation::Enum => "ENUM",
        DirectiveLocation::EnumValue => "ENUM_VALUE",
        DirectiveLocation::InputObject => "INPUT_OBJECT",
        DirectiveLocation::InputFieldDefinition => "INPUT_FIELD_DEFINITION",
        DirectiveLocation::VariableDefinition => "VARIABLE_DEFINITION",
    }
}

fn description(description: &Option<Positioned<String>>) -> Option<String> {
    description.as_ref().map(|d| d.node.clone())
}

fn directive<'a>(
    directives: &'a [Positioned<ConstDirective>],
    name: &str,
) -> Option<&'a ConstDirective> {
    directives
        .iter()
        .map(|d| &d.node)
        .find(|d| d.name.node == name)
}

fn string_argument(directive: &ConstDirective, name: &str) -> Option<String> {
    match directive.get_argument(name).map(|v| &v.node) {
        Some(async_graphql::Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn deprecation_from_sdl(directives: &[Positioned<ConstDirective>]) -> Option<String> {
    directive(directives, "deprecated").map(|d| {
        string_argument(d, "reason").unwrap_or_else(|| DEFAULT_DEPRECATION_REASON.to_owned())
    })
}
