//! A statement stops at the request timeout, on SQLite too: sqlx-sqlite lets a statement run
//! on when its request is dropped, so a slow search would keep scanning, holding the pool's
//! connection, long after its client was told 503. (PostgreSQL stops it with the
//! connections' statement_timeout, tested with the other failures.)

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{Backend, test_app::TestApp};

/// Todos whose descriptions the slow search scans.
const ROWS: usize = 3_000;

/// POSTs `query` with `token`; the HTTP status and the body.
async fn send(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_stopped_by_the_request_timeout_frees_its_connection_on_sqlite() {
    // One connection, so that a statement still running would hold up the next request;
    // an acquire timeout far shorter than the search would take.
    let app = TestApp::start_with(Backend::Sqlite, |config| {
        config.http.request_timeout_secs = 1;
        config.pool.max_connections = 1;
        config.pool.acquire_timeout_secs = 2;
    })
    .await
    .expect("SQLite is always there");
    let (token, _) = app.sign_up("slow").await;
    let body = app
        .gql_as(
            &token,
            "mutation { createTodo(input: { title: \"first\" }) { id } }",
            json!({}),
        )
        .await;
    assert!(body["data"]["createTodo"]["id"].is_string(), "{body}");
    // Many todos with 10,000-character descriptions of one letter, copied from the first.
    app.db()
        .execute_unprepared(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) \
                 INSERT INTO todos (user_id, title, description, priority, completed, \
                 created_at, updated_at, version) \
                 SELECT t.user_id, 'row ' || n.i, printf('%.*c', 10000, 'a'), t.priority, \
                 t.completed, t.created_at, t.updated_at, 1 FROM todos t, n"
        ))
        .await
        .expect("insert the todos");

    // A search for "aaa…ab" compares every position of every description with the whole
    // pattern: seconds of work, far past the 1 s request timeout.
    let search = format!("{}b", "a".repeat(150));
    let (status, body) = send(
        &app,
        &token,
        "query($search: String!) { todos(filter: { search: $search }) { totalCount } }",
        json!({ "search": search }),
    )
    .await;
    assert_eq!(status, 503, "{body}");

    // Its statement stopped with it: the one connection serves the next request.
    let (status, body) = send(
        &app,
        &token,
        "{ viewer { todos { totalCount } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["viewer"]["todos"]["totalCount"],
        ROWS + 1,
        "{body}"
    );
}
