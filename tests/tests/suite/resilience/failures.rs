//! Failures survived, nothing lost: the database going away (down, or silent behind a
//! network partition), a burst beyond the connection pool, a write cut off in the middle,
//! and SIGTERM while requests run. Clients get a prompt, generic INTERNAL error, never a
//! false success; once the server knows the database is gone, a 503 with Retry-After at
//! once; and the server recovers on its own.
//!
//! PostgreSQL only: these are failures of a database across a network, staged with a TCP
//! proxy ([`FaultProxy`]) or with table locks from a second session. An SQLite file lives in
//! the server's own process and cannot go away like that. Like the other PostgreSQL-only
//! tests, they skip without TEST_DATABASE_URL, and fail instead with CI=true.

use std::time::{Duration, Instant};

use async_graphql::futures_util::{StreamExt, stream::FuturesUnordered};
use entity::{todo, todo_history};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::{
    Backend,
    fault_proxy::FaultProxy,
    server_process::ServerProcess,
    socket::Client,
    table_lock::{TableLock, wait_for_lock_waiters},
    test_app::TestApp,
};

const CREATE_TODO: &str =
    "mutation($title: String!) { createTodo(input: { title: $title }) { title } }";
const CREATE_TODOS: &str =
    "mutation($input: [CreateTodoInput!]!) { createTodos(input: $input) { id } }";
const VIEWER_TODOS: &str = "{ viewer { todos { totalCount } } }";
const TAGS: &str = "{ tags { totalCount } }";
/// The server binary for [`ServerProcess`]: it runs what `api` runs.
const SERVER: &str = env!("CARGO_BIN_EXE_second_instance");
/// Breaks the connection to the database in one way.
type Inject = fn(&FaultProxy);
/// Far beyond what any request here should take: reaching it means something hung.
const HUNG: Duration = Duration::from_secs(30);

/// A server whose database connections all go through `proxy`, with a 1 s acquire timeout.
async fn start_proxied(proxy: &FaultProxy) -> Option<TestApp> {
    start_proxied_with(proxy, |_| {}).await
}

/// [`start_proxied`], with more settings.
async fn start_proxied_with(
    proxy: &FaultProxy,
    configure: impl FnOnce(&mut api::Config),
) -> Option<TestApp> {
    TestApp::start_with(Backend::Postgres, |config| {
        config.database_url = proxy.route(&config.database_url);
        config.pool.acquire_timeout_secs = 1;
        configure(config);
    })
    .await
}

/// POSTs a GraphQL request to `url`; the HTTP status and the body.
async fn send(url: &str, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// [`send`], also returning the Retry-After header.
async fn send_seeing_retry(
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Option<String>, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (
        status,
        retry_after,
        response.json().await.expect("a JSON body"),
    )
}

/// Creates a todo from a task of its own, so that many can be in flight at once.
fn spawn_create(url: String, token: &str, title: String) -> tokio::task::JoinHandle<(u16, Value)> {
    let token = token.to_owned();
    tokio::spawn(
        async move { send(&url, Some(&token), CREATE_TODO, json!({ "title": title })).await },
    )
}

/// Every error is INTERNAL with the one generic message, and nothing in the body tells of
/// SQL, the driver, the pool or the network.
fn assert_internal(body: &Value) {
    let errors = body["errors"]
        .as_array()
        .filter(|errors| !errors.is_empty())
        .unwrap_or_else(|| panic!("expected errors: {body}"));
    for error in errors {
        assert_eq!(error["extensions"]["code"], "INTERNAL", "{body}");
        assert_eq!(error["message"], "internal error", "{body}");
    }
    let text = body.to_string().to_lowercase();
    for leak in [
        "sql",
        "pool",
        "timed out",
        "connection",
        "postgres",
        "tcp",
        "panic",
    ] {
        assert!(!text.contains(leak), "{leak:?} leaked: {body}");
    }
}

async fn status_of(url: String) -> u16 {
    reqwest::get(url)
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

async fn count_todos(db: &DatabaseConnection) -> u64 {
    todo::Entity::find().count(db).await.expect("count todos")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_fails_requests_fast_and_the_server_recovers() {
    let proxy = FaultProxy::start().await;
    let Some(app) = start_proxied_with(&proxy, |config| config.http.max_in_flight = 2).await else {
        return;
    };
    let graphql = app.url("/graphql");
    let (token, _) = app.sign_up("outage").await;
    let (_, body) = send(
        &graphql,
        Some(&token),
        CREATE_TODO,
        json!({ "title": "kept" }),
    )
    .await;
    assert_eq!(body["data"]["createTodo"]["title"], "kept", "{body}");

    let faults: [(&str, Inject); 2] = [
        ("database down", FaultProxy::refuse),
        ("network partition", FaultProxy::blackhole),
    ];
    for (fault, inject) in faults {
        let mut socket = Client::authenticated(&graphql, &token).await;
        inject(&proxy);
        let started = Instant::now();

        // Until the server's probe has seen the outage, a request fails as any database
        // error does: a generic INTERNAL error after the acquire timeout.
        let mut known = false;
        while !known && started.elapsed() < HUNG {
            let (status, _, body) = send_seeing_retry(&graphql, None, TAGS, json!({})).await;
            known = status == 503;
            if !known {
                assert_eq!((fault, status), (fault, 200), "{body}");
                assert_internal(&body);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        assert!(
            known,
            "{fault}: the server never noticed the database was gone"
        );

        // Known down: every request, read or write, anonymous or signed in, many at once, is
        // answered at once with 503 and a time to retry, and nothing runs. The in-flight
        // limit (2) is never reached: none waits for the pool.
        let mut requests: FuturesUnordered<_> = [
            (None, TAGS),
            (Some(token.as_str()), VIEWER_TODOS),
            (Some(token.as_str()), CREATE_TODO),
        ]
        .into_iter()
        .cycle()
        .take(12)
        .map(|(token, query)| {
            send_seeing_retry(&graphql, token, query, json!({ "title": "lost?" }))
        })
        .collect();
        while let Some((status, retry_after, body)) = requests.next().await {
            assert_eq!((fault, status), (fault, 503), "{body}");
            assert_eq!(retry_after.as_deref(), Some("1"), "{fault}: {body}");
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "INTERNAL", "{body}");
            assert_eq!(error["extensions"]["retryAfter"], 1, "{body}");
            assert_eq!(
                error["message"], "the database is unreachable: retry in 1 s",
                "{body}"
            );
            assert!(body.get("data").is_none(), "{fault}: {body}");
        }
        // And over the WebSocket: the operation is refused at once, with an `error` message.
        let answer = socket.run("1", json!({ "query": VIEWER_TODOS })).await;
        assert_eq!(answer["type"], "error", "{answer}");
        let error = &answer["payload"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL", "{error}");
        assert_eq!(error["extensions"]["retryAfter"], 1, "{error}");

        assert_eq!(status_of(app.url("/readyz")).await, 503, "{fault}");
        assert_eq!(status_of(app.url("/healthz")).await, 200, "{fault}");
        assert!(
            started.elapsed() < HUNG,
            "{fault}: requests hung for {:?} instead of failing after the acquire timeout",
            started.elapsed()
        );

        // Back without a restart: ready again, and the data is all there.
        proxy.restore();
        let mut ready = false;
        for _ in 0..300 {
            if status_of(app.url("/readyz")).await == 200 {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "{fault}: the server did not recover");
        let body = app.gql_as(&token, VIEWER_TODOS, json!({})).await;
        assert_eq!(body["data"]["viewer"]["todos"]["totalCount"], 1, "{body}");
    }
    assert_eq!(count_todos(app.db()).await, 1, "a failed write left a row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_pool_fails_cleanly_after_the_acquire_timeout() {
    let Some(app) = TestApp::start_with(Backend::Postgres, |config| {
        config.pool.max_connections = 2;
        config.pool.acquire_timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    let (token, _) = app.sign_up("burst").await;
    // Writers then wait at the todos table, each holding one of the pool's two connections.
    let lock = TableLock::take(app.db(), "todos").await;
    let mut burst: FuturesUnordered<_> = (0..6)
        .map(|i| spawn_create(app.url("/graphql"), &token, format!("burst {i}")))
        .collect();

    // While the lock holds the first two, the other four get no connection and fail; they
    // do not wait for the lock.
    for _ in 0..4 {
        let (status, body) = tokio::time::timeout(HUNG, burst.next())
            .await
            .expect("a request beyond the pool did not give up")
            .expect("a response")
            .expect("the request task");
        // 500 when the token could not be checked, 200 when the mutation itself failed.
        assert!(status == 500 || status == 200, "HTTP {status}: {body}");
        assert_internal(&body);
    }
    wait_for_lock_waiters(app.db(), 2, "INSERT INTO \"todos\"").await;
    lock.release().await;

    // The two that had connections finish, and the server serves as before.
    let mut created = 0;
    while let Some(result) = burst.next().await {
        let (status, body) = result.expect("the request task");
        assert_eq!(status, 200, "{body}");
        assert!(body["data"]["createTodo"]["title"].is_string(), "{body}");
        created += 1;
    }
    assert_eq!(created, 2);
    let body = app.gql_as(&token, VIEWER_TODOS, json!({})).await;
    assert_eq!(body["data"]["viewer"]["todos"]["totalCount"], 2, "{body}");
    assert_eq!(count_todos(app.db()).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_cut_off_midway_fails_and_leaves_no_row() {
    let proxy = FaultProxy::start().await;
    let Some(app) = start_proxied(&proxy).await else {
        return;
    };
    let (token, _) = app.sign_up("interrupted").await;
    let batch: Vec<Value> = (0..1000)
        .map(|i| json!({ "title": format!("row {i}") }))
        .collect();

    // The transaction inserts the todos, then waits to write their history: cut it there.
    let lock = TableLock::take(app.db(), "todo_history").await;
    let write = {
        let (url, token, batch) = (app.url("/graphql"), token.clone(), batch.clone());
        tokio::spawn(async move {
            send(&url, Some(&token), CREATE_TODOS, json!({ "input": batch })).await
        })
    };
    wait_for_lock_waiters(app.db(), 1, "INSERT INTO \"todo_history\"").await;
    proxy.cut();
    let (status, body) = tokio::time::timeout(HUNG, write)
        .await
        .expect("the cut-off write did not answer")
        .expect("the request task");
    lock.release().await;

    assert_eq!(status, 200, "{body}");
    assert_internal(&body);
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(count_todos(app.db()).await, 0, "a partial write survived");
    let history = todo_history::Entity::find().count(app.db()).await;
    assert_eq!(history.expect("count history"), 0);

    // The same batch, uninterrupted, is written whole.
    let body = app
        .gql_as(&token, CREATE_TODOS, json!({ "input": batch }))
        .await;
    let created = body["data"]["createTodos"].as_array().map(Vec::len);
    assert_eq!(created, Some(1000), "{body}");
    assert_eq!(count_todos(app.db()).await, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_refuses_new_connections_lets_requests_in_flight_finish_and_exits_0() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (token, _) = app.sign_up("draining").await;
    let mut server = ServerProcess::start(SERVER, app.database_url(), 30).await;
    // Requests in flight: writers held at the todos table.
    let lock = TableLock::take(app.db(), "todos").await;
    let in_flight: Vec<_> = (0..3)
        .map(|i| spawn_create(server.url("/graphql"), &token, format!("in flight {i}")))
        .collect();
    wait_for_lock_waiters(app.db(), 3, "INSERT INTO \"todos\"").await;

    server.terminate();
    assert!(
        server.refuses_connections().await,
        "still accepting after SIGTERM"
    );
    assert!(in_flight.iter().all(|request| !request.is_finished()));
    lock.release().await;

    for request in in_flight {
        let (status, body) = request.await.expect("the request task");
        assert_eq!(status, 200, "{body}");
        assert!(body["data"]["createTodo"]["title"].is_string(), "{body}");
    }
    let status = server.exit_status().await;
    assert!(status.success(), "exited with {status}");
    assert_eq!(count_todos(app.db()).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_0_after_the_shutdown_timeout_when_a_request_lingers() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (token, _) = app.sign_up("lingering").await;
    let mut server = ServerProcess::start(SERVER, app.database_url(), 1).await;
    let lock = TableLock::take(app.db(), "todos").await;
    let stuck = {
        let (url, token) = (server.url("/graphql"), token.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": CREATE_TODO, "variables": { "title": "stuck" } }))
                .send()
                .await
        })
    };
    wait_for_lock_waiters(app.db(), 1, "INSERT INTO \"todos\"").await;

    server.terminate();
    // Exits while the request is still held at the lock.
    let status = server.exit_status().await;
    assert!(status.success(), "exited with {status}");
    let answer = stuck.await.expect("the request task");
    assert!(answer.is_err(), "an abandoned request got an answer");
    lock.release().await;
    assert_eq!(
        count_todos(app.db()).await,
        0,
        "an abandoned write was kept"
    );
}
