//! A statement stops at the request timeout, on SQLite too, over HTTP and over the
//! WebSocket: sqlx-sqlite lets a statement run on when its request is dropped, so a slow
//! search would keep scanning, holding the pool's connection, long after its client was told
//! it timed out. (PostgreSQL stops it with the connections' statement_timeout.)

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{Backend, socket::Client, test_app::TestApp};

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

/// The slow search: "aaa…ab" compares every position of every description with the whole
/// pattern, seconds of work, far past the 1 s request timeout.
const SLOW_SEARCH: &str =
    "query($search: String!) { todos(filter: { search: $search }) { totalCount } }";

fn slow_search_variables() -> Value {
    json!({ "search": format!("{}b", "a".repeat(150)) })
}

/// A server on SQLite with one connection (so that a statement still running would hold up
/// the next request), a 1 s request timeout and an acquire timeout far shorter than the
/// search would take; a user whose many todos have 10,000-character descriptions of one
/// letter, and their token.
async fn slow_search_app() -> (TestApp, String) {
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
    (app, token)
}

/// The one connection serves the next request: the slow statement stopped.
async fn assert_the_connection_is_free(app: &TestApp, token: &str) {
    let (status, body) = send(app, token, "{ viewer { todos { totalCount } } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["viewer"]["todos"]["totalCount"],
        ROWS + 1,
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_stopped_by_the_request_timeout_frees_its_connection_on_sqlite() {
    let (app, token) = slow_search_app().await;
    let (status, body) = send(&app, &token, SLOW_SEARCH, slow_search_variables()).await;
    assert_eq!(status, 503, "{body}");
    assert_the_connection_is_free(&app, &token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_query_stopped_by_the_timeout_frees_its_connection_on_sqlite() {
    let (app, token) = slow_search_app().await;
    let mut socket = Client::authenticated(&app.url("/graphql"), &token).await;
    let answer = socket
        .run(
            "1",
            json!({ "query": SLOW_SEARCH, "variables": slow_search_variables() }),
        )
        .await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["message"],
        "the request took longer than 1 s and was stopped",
        "{answer}"
    );
    assert_the_connection_is_free(&app, &token).await;
}
