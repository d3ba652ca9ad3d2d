//! `/graphql` by the GraphQL-over-HTTP spec: methods, media types, status codes and
//! batching, one test per rule, on SQLite and PostgreSQL.

use entity::user;
use reqwest::{
    StatusCode, Url,
    header::{ACCEPT, ALLOW, CONTENT_TYPE},
};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::test_app::{TestApp, error_code};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// What a test looks at in a response.
struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
}

impl Reply {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            content_type,
            body,
        }
    }

    /// A request error: no `data` entry, and BAD_USER_INPUT.
    fn assert_request_error(&self) {
        assert!(self.body.get("data").is_none(), "{}", self.body);
        assert_eq!(
            error_code(&self.body),
            Some("BAD_USER_INPUT"),
            "{}",
            self.body
        );
    }
}

/// POSTs `body` as `content_type`, with `accept` when given.
async fn post(app: &TestApp, content_type: &str, accept: Option<&str>, body: String) -> Reply {
    let mut request = app
        .client()
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, content_type)
        .body(body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    Reply::from(request.send().await.expect("the server answers")).await
}

/// POSTs a JSON body accepting `application/graphql-response+json`.
async fn post_json(app: &TestApp, body: Value) -> Reply {
    post(app, JSON, Some(GRAPHQL_RESPONSE), body.to_string()).await
}

/// GETs /graphql with these URL parameters.
async fn get(app: &TestApp, params: &[(&str, &str)], accept: Option<&str>) -> Reply {
    let url = Url::parse_with_params(&app.url("/graphql"), params).expect("a URL");
    let mut request = app.client().get(url);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    Reply::from(request.send().await.expect("the server answers")).await
}

async fn get_runs_queries(app: TestApp) {
    let params = [
        (
            "query",
            "query Type($name: String!) { __type(name: $name) { name } viewer { id } }",
        ),
        ("variables", r#"{"name":"Todo"}"#),
        ("operationName", "Type"),
    ];
    // reqwest, like curl and browsers, sends `Accept: */*` when told nothing.
    for (accept, expected) in [(Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE), (None, JSON)] {
        let reply = get(&app, &params, accept).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(
            reply.content_type.starts_with(expected),
            "{accept:?}: {}",
            reply.content_type
        );
        assert_eq!(
            reply.body,
            json!({ "data": { "__type": { "name": "Todo" }, "viewer": null }, "extensions": { "cost": { "requested": 0, "limit": 10_000 } } })
        );
    }
}
tests::both_backends!(get_runs_queries);

/// Mutations and subscriptions over GET: 405, and nothing runs.
async fn get_refuses_mutations_with_405(app: TestApp) {
    let sign_up = r#"mutation { signUp(input: { email: "eve@example.com", username: "eve",
        password: "password123" }) { token } }"#;
    let picked = "query Read { __typename } mutation Write { logOut }";
    let subscription = "subscription { todoEvents { kind } }";
    for (query, operation) in [(sign_up, ""), (picked, "Write"), (subscription, "")] {
        let reply = get(
            &app,
            &[("query", query), ("operationName", operation)],
            None,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            reply.body
        );
        assert!(reply.body.get("data").is_none(), "{}", reply.body);
        assert!(
            reply.body["errors"][0]["message"].is_string(),
            "{}",
            reply.body
        );
    }
    let response = app
        .client()
        .get(Url::parse_with_params(&app.url("/graphql"), [("query", sign_up)]).expect("a URL"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(
        response.headers().get(ALLOW).map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
    let users = user::Entity::find().count(app.db()).await.expect("count");
    assert_eq!(users, 0, "a mutation over GET must not run");
}
tests::both_backends!(get_refuses_mutations_with_405);

async fn non_json_body_is_400(app: TestApp) {
    for accept in [Some(GRAPHQL_RESPONSE), Some(JSON)] {
        let reply = post(&app, JSON, accept, "{ \"query\": ".to_owned()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{accept:?}: {}",
            reply.body
        );
        reply.assert_request_error();
    }
}
tests::both_backends!(non_json_body_is_400);

async fn body_that_is_not_a_graphql_request_is_400(app: TestApp) {
    for body in [
        json!({ "variables": {} }),
        json!({ "query": 42 }),
        json!({ "query": "{ __typename }", "variables": "{}" }),
        json!({ "query": "{ __typename }", "operationName": false }),
        json!("{ __typename }"),
    ] {
        let reply = post_json(&app, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        reply.assert_request_error();
    }
}
tests::both_backends!(body_that_is_not_a_graphql_request_is_400);

async fn parse_error_is_400(app: TestApp) {
    let reply = post_json(&app, json!({ "query": "{ viewer { id " })).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(
        reply.content_type.starts_with(GRAPHQL_RESPONSE),
        "{}",
        reply.content_type
    );
    reply.assert_request_error();
}
tests::both_backends!(parse_error_is_400);

async fn validation_error_is_400(app: TestApp) {
    for query in [
        "{ nope }",
        "{ viewer { passwordHash } }",
        "query A { __typename } query B { __typename }",
    ] {
        let reply = post_json(&app, json!({ "query": query })).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        reply.assert_request_error();
    }
}
tests::both_backends!(validation_error_is_400);

async fn bad_variables_are_400(app: TestApp) {
    let users = "query($first: Int) { users(first: $first) { totalCount } }";
    let required = "query($name: String!) { __type(name: $name) { name } }";
    for (query, variables) in [
        (users, json!({ "first": "ten" })),
        (required, json!({})),
        (required, json!({ "name": null })),
    ] {
        let reply = post_json(&app, json!({ "query": query, "variables": variables })).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{variables}: {}",
            reply.body
        );
        reply.assert_request_error();
    }
}
tests::both_backends!(bad_variables_are_400);

async fn field_errors_are_200_with_data(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let id = app
        .create_todo(&token, json!({ "title": "Private" }))
        .await
        .id;

    let reply = post_json(
        &app,
        json!({ "query": "query($id: ID!) { viewer { id } node(id: $id) { id } }", "variables": { "id": id } }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // The other fields' data is there (async-graphql leaves out the failed nullable field).
    assert!(reply.body["data"].is_object(), "{}", reply.body);
    assert_eq!(reply.body["data"]["viewer"], Value::Null, "{}", reply.body);
    assert_eq!(error_code(&reply.body), Some("NOT_FOUND"), "{}", reply.body);
    assert_eq!(reply.body["errors"][0]["path"], json!(["node"]));

    // A failing non-null mutation nulls the whole data, yet it ran: 200, `data` present.
    let reply = post_json(
        &app,
        json!({ "query": r#"mutation { createTodo(input: { title: "Anonymous" }) { id } }"# }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.get("data").is_some(), "{}", reply.body);
    assert_eq!(
        error_code(&reply.body),
        Some("UNAUTHENTICATED"),
        "{}",
        reply.body
    );
}
tests::both_backends!(field_errors_are_200_with_data);

async fn accept_json_gets_json_and_legacy_statuses(app: TestApp) {
    let ok = post(
        &app,
        JSON,
        Some(JSON),
        json!({ "query": "{ __typename }" }).to_string(),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.content_type.starts_with(JSON), "{}", ok.content_type);
    assert_eq!(
        ok.body,
        json!({ "data": { "__typename": "Query" }, "extensions": { "cost": { "requested": 0, "limit": 10_000 } } })
    );

    let invalid = post(
        &app,
        JSON,
        Some(JSON),
        json!({ "query": "{ nope }" }).to_string(),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::OK, "{}", invalid.body);
    assert!(
        invalid.content_type.starts_with(JSON),
        "{}",
        invalid.content_type
    );
    invalid.assert_request_error();

    // The weights decide, a tie goes to graphql-response+json, and a client that names
    // neither type (only `*/*`) is a legacy one.
    for (accept, expected) in [
        (
            "application/graphql-response+json;q=0.5, application/json",
            JSON,
        ),
        (
            "application/json, application/graphql-response+json",
            GRAPHQL_RESPONSE,
        ),
        ("*/*", JSON),
        (
            "application/graphql-response+json, */*;q=0.5",
            GRAPHQL_RESPONSE,
        ),
    ] {
        let reply = get(&app, &[("query", "{ __typename }")], Some(accept)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert!(
            reply.content_type.starts_with(expected),
            "{accept}: {}",
            reply.content_type
        );
    }
}
tests::both_backends!(accept_json_gets_json_and_legacy_statuses);

async fn unacceptable_accept_is_406(app: TestApp) {
    let body = json!({ "query": "{ __typename }" }).to_string();
    let reply = post(&app, JSON, Some("text/html"), body).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE, "{}", reply.body);
    let reply = get(&app, &[("query", "{ __typename }")], Some("text/html")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE, "{}", reply.body);
}
tests::both_backends!(unacceptable_accept_is_406);

async fn unsupported_content_type_is_415(app: TestApp) {
    let body = json!({ "query": "{ __typename }" }).to_string();
    let reply = post(&app, "text/plain", None, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.body
    );
    reply.assert_request_error();
    let charset = post(&app, "application/json; charset=utf-8", None, body.clone()).await;
    assert_eq!(charset.status, StatusCode::OK, "{}", charset.body);

    // No Content-Type at all is a malformed request rather than an unsupported one.
    let response = app
        .client()
        .post(app.url("/graphql"))
        .body(body)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
tests::both_backends!(unsupported_content_type_is_415);

async fn batches_are_off_by_default(app: TestApp) {
    let reply = post_json(&app, json!([{ "query": "{ __typename }" }])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    reply.assert_request_error();
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("batch"), "{message}");
}
tests::both_backends!(batches_are_off_by_default);

async fn batches_up_to_the_configured_size(app: TestApp) {
    let three = json!([
        { "query": "{ __typename }" },
        { "query": "query($name: String!) { __type(name: $name) { name } }", "variables": { "name": "Tag" } },
        { "query": "{ nope }" },
    ]);
    let reply = post_json(&app, three).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let results = reply.body.as_array().expect("an array of results");
    assert_eq!(results.len(), 3, "{}", reply.body);
    assert_eq!(
        results[0],
        json!({ "data": { "__typename": "Query" }, "extensions": { "cost": { "requested": 0, "limit": 10_000 } } })
    );
    assert_eq!(
        results[1],
        json!({ "data": { "__type": { "name": "Tag" } }, "extensions": { "cost": { "requested": 0, "limit": 10_000 } } })
    );
    assert!(results[2].get("data").is_none(), "{}", results[2]);
    assert_eq!(error_code(&results[2]), Some("BAD_USER_INPUT"));

    let four = Value::Array(vec![json!({ "query": "{ __typename }" }); 4]);
    let reply = post_json(&app, four).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    reply.assert_request_error();
}
tests::both_backends!(batches_up_to_the_configured_size, |config| config
    .http
    .batch_max =
    3);

/// The root fields of a query answer in the order the document selects them (GraphQL
/// §6.3), every time: async-graphql resolves them concurrently and would otherwise write
/// them as they finish. Checked on the raw body, since a parsed JSON map forgets order; the
/// document is one the compiled path does not answer (`viewer`), so this is the generic
/// path's order.
async fn root_fields_answer_in_selection_order(app: TestApp) {
    let (token, _) = app.sign_up("ordered").await;
    let query = "{ zz: viewer { username } tags(first: 5) { nodes { name } } \
                 ...Later aa: users(first: 5) { nodes { username } } } \
                 fragment Later on Query { mm: todos(first: 5) { nodes { id } } }";
    for _ in 0..20 {
        let body = app
            .client()
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("a body");
        let at = |key: &str| {
            body.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} in {body}"))
        };
        assert!(body.starts_with("{\"data\":{\"zz\":"), "{body}");
        assert!(
            at("zz") < at("tags") && at("tags") < at("mm") && at("mm") < at("aa"),
            "{body}"
        );
    }
}

tests::both_backends!(root_fields_answer_in_selection_order);
