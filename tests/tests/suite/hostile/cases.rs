//! The inputs the hostile-input properties ([`super::generated`]) found answered INTERNAL, kept as
//! plain cases so that they run the same way every time.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;
use tests::{
    both_backends,
    test_app::{TestApp, error_code, error_field},
};

const CREATE: &str =
    "mutation($input: CreateTodoInput!) { createTodo(input: $input) { title tags { name } } }";

/// PostgreSQL's text cannot hold NUL: a title with one was a database error; now it is the
/// client's, on the field, and the same on SQLite.
async fn nul_in_stored_text_is_bad_input(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    for (input, field) in [
        (json!({ "title": "a\u{0}b" }), "title"),
        (
            json!({ "title": "ok", "description": "\u{0}" }),
            "description",
        ),
        (json!({ "title": "ok", "tags": ["x\u{0}"] }), "tags"),
    ] {
        let body = app.gql_as(&token, CREATE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let body = app
        .gql_as(
            &token,
            "mutation { updateProfile(input: { bio: \"\\u0000\" }) { bio } }",
            json!({}),
        )
        .await;
    assert_eq!(error_field(&body), Some("bio"), "{body}");
}
both_backends!(nul_in_stored_text_is_bad_input);

/// A NUL in a search or a lookup matches nothing that is stored; PostgreSQL refuses it as a
/// parameter, which is the client's error, never INTERNAL.
async fn nul_in_lookups_is_never_internal(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    for (query, variables) in [
        (
            "query($s: String) { todos(filter: { search: $s }) { totalCount } }",
            json!({ "s": "\u{0}" }),
        ),
        (
            "query($s: String!) { tag(name: $s) { id } }",
            json!({ "s": "\u{0}" }),
        ),
        (
            "query($s: String!) { user(username: $s) { id } }",
            json!({ "s": "a\u{0}" }),
        ),
        (
            "mutation($s: String!) { logIn(input: { login: $s, password: \"password123\" }) { token } }",
            json!({ "s": "ann\u{0}" }),
        ),
    ] {
        let body = app.gql_as(&token, query, variables).await;
        assert_ne!(error_code(&body), Some("INTERNAL"), "{body}");
    }
}
both_backends!(nul_in_lookups_is_never_internal);

/// A forged cursor of the right ordering with a key of another type reached the SQL as a
/// comparison PostgreSQL refuses (text > bigint); now it is refused as a bad cursor.
async fn forged_cursor_with_a_key_of_another_type_is_bad_input(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    for (list, cursor) in [
        ("tags", json!({ "o": "tag:name", "k": { "n": 13 }, "i": 1 })),
        (
            "users",
            json!({ "o": "user:username", "k": { "t": "2026-01-01T00:00:00Z" }, "i": 1 }),
        ),
        (
            "tags",
            json!({ "o": "tag:name", "k": { "s": "a\u{0}" }, "i": 1 }),
        ),
    ] {
        let after = URL_SAFE_NO_PAD.encode(cursor.to_string());
        let query = format!("query($a: String) {{ {list}(after: $a) {{ totalCount }} }}");
        let body = app.gql_as(&token, &query, json!({ "a": after })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some("after"), "{body}");
    }
    let created_at_as_text = json!({ "o": "todo:created_at", "k": { "s": "x" }, "i": 1 });
    let body = app
        .gql_as(
            &token,
            "query($a: String) { todos(after: $a) { totalCount } }",
            json!({ "a": URL_SAFE_NO_PAD.encode(created_at_as_text.to_string()) }),
        )
        .await;
    assert_eq!(error_field(&body), Some("after"), "{body}");
}
both_backends!(forged_cursor_with_a_key_of_another_type_is_bad_input);
