//! Rate limits in cost points (per session, per IP), the request timeout and the limit on
//! requests in flight: each answers with a clear error and changes nothing. (Log-in
//! throttling: `auth::throttle`.)

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use tests::{
    Backend, both_backends,
    test_app::{TestApp, error_code},
};

/// POSTs `query` with an optional token; returns the status, the Retry-After header and
/// the body.
async fn post(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Option<u64>, Value) {
    let mut request = app
        .client()
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry_after, response.json().await.expect("JSON"))
}

/// Costs 40: a page of 20 users and, for each, nothing more.
const COSTS_40: &str = "{ a: users(first: 20) { totalCount } b: tags(first: 20) { totalCount } }";

async fn cost_points_are_rate_limited_per_client(app: TestApp) {
    // Tokens first: signing up is itself a request from this address.
    let (alice, _) = app.sign_up("alice").await;
    let (bob, _) = app.sign_up("bob").await;

    // Anonymous (by IP): 100 points left after the sign-ups' 10 + 10 → 80 = two queries.
    for _ in 0..2 {
        let (status, _, body) = post(&app, None, COSTS_40, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    let (status, retry_after, body) = post(&app, None, COSTS_40, json!({})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    let hinted = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("extensions.retryAfter");
    // 40 points at 100 per 600 s come back in 240 s at most.
    assert!((1..=240).contains(&hinted), "retryAfter {hinted}");
    assert_eq!(retry_after, Some(hinted));
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "nothing ran: {body}"
    );

    // Each token has its own bucket, whatever the address.
    for _ in 0..2 {
        let (status, _, body) = post(&app, Some(&alice), COSTS_40, json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, body) = post(&app, Some(&alice), COSTS_40, json!({})).await;
    assert_eq!((status, error_code(&body)), (429, Some("RATE_LIMITED")));
    let (status, _, body) = post(&app, Some(&bob), COSTS_40, json!({})).await;
    assert_eq!(status, 200, "bob has his own bucket: {body}");

    // A refused mutation changes nothing: three creations cost 30, and 20 points are left.
    let (status, _, body) = post(
        &app,
        Some(&alice),
        "mutation { a: createTodo(input: { title: \"a\" }) { id } b: createTodo(input: { title: \"b\" }) { id } c: createTodo(input: { title: \"c\" }) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    let todos = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT COUNT(*) AS n FROM todos",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(todos, 0);
}
both_backends!(cost_points_are_rate_limited_per_client, |config| {
    config.rate_limits.anonymous_points = 100;
    config.rate_limits.points = 100;
    config.rate_limits.window_secs = 600;
});

/// In a batch, operations are charged one by one: those over the limit are refused in their
/// own answer, and the batch is a 429 only when none ran, since a client retries a 429
/// whole and would repeat what did run.
async fn a_batch_is_charged_per_operation(app: TestApp) {
    let (token, _) = app.sign_up("batcher").await;
    let create = |title: &str| json!({ "query": format!("mutation {{ createTodo(input: {{ title: \"{title}\" }}) {{ id }} }}") });
    let costly = json!({ "query": COSTS_40 });
    // 40 + 40 + 10 fit in the 95 points; the second mutation (10 more) does not.
    let batch = json!([costly, costly, create("kept"), create("refused")]);
    let response = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&batch)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let answers: Vec<Value> = response.json().await.expect("JSON");
    assert_eq!(answers.len(), 4, "{answers:?}");
    for answer in &answers[..3] {
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    assert_eq!(
        error_code(&answers[3]),
        Some("RATE_LIMITED"),
        "{}",
        answers[3]
    );
    let todos = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT title FROM todos",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "title")
        .unwrap();
    assert_eq!(todos, "kept");

    // With the points spent, the whole batch is refused, and that is a 429.
    let response = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!([create("late"), create("later")]))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
}
both_backends!(a_batch_is_charged_per_operation, |config| {
    config.rate_limits.points = 95;
    config.rate_limits.window_secs = 600;
    config.http.batch_max = 5;
});

/// Signs up erin with a todo "before", then has another writer hold that todo's row
/// (PostgreSQL) or the database (SQLite) until the returned transaction ends: her token,
/// the todo's id, the holder.
async fn erin_and_her_todo_held(app: &TestApp) -> (String, String, DatabaseTransaction) {
    let (token, _) = app.sign_up("erin").await;
    let id = app
        .create_todo(&token, json!({ "title": "before" }))
        .await
        .id;
    let holder = app.db().begin().await.unwrap();
    holder
        .execute_unprepared("UPDATE todos SET title = title")
        .await
        .unwrap();
    (token, id, holder)
}

async fn slow_requests_time_out_and_change_nothing(app: TestApp) {
    let backend = app.backend();
    // Held for 3 s, longer than the 1 s the request may take.
    let (token, id, holder) = erin_and_her_todo_held(&app).await;

    let update = post(
        &app,
        Some(&token),
        "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"after\" }) { title } }",
        json!({ "id": id }),
    );
    let second = async {
        // While the update waits, the one slot in flight is taken: refused at once.
        tokio::time::sleep(Duration::from_millis(300)).await;
        post(&app, Some(&token), "{ viewer { username } }", json!({})).await
    };
    let ((status, _, body), (busy_status, busy_retry, busy_body)) = tokio::join!(update, second);
    assert_eq!(busy_status, 503, "{busy_body}");
    assert_eq!(busy_retry, Some(1));
    assert_eq!(error_code(&busy_body), Some("RATE_LIMITED"), "{busy_body}");
    assert_eq!(
        busy_body["errors"][0]["extensions"]["retryAfter"], 1,
        "{busy_body}"
    );

    // Stopped by the request timeout (503) or, on PostgreSQL, by the same statement
    // timeout inside the database: either way an error, never a late success. SQLite has
    // only the request timeout (its writer would wait 5 s for the lock), so there it is 503.
    if backend == Backend::Sqlite {
        assert_eq!(status, 503, "{body}");
    }
    assert!(matches!(status, 200 | 503), "{status}: {body}");
    assert!(error_code(&body).is_some(), "{body}");
    assert!(body["data"]["updateTodo"].is_null(), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!message.to_lowercase().contains("sql"), "{message}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    if backend == Backend::Postgres {
        // The database stopped too (statement_timeout): nothing is still waiting for the
        // lock, although the holder still has it and the client's request is long gone.
        let waiting = holder
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(
            waiting, 0,
            "the stopped update still waits inside PostgreSQL"
        );
    }
    holder.rollback().await.unwrap();

    // The stopped update left nothing behind, and the server serves again.
    let body = app
        .gql_as(
            &token,
            "query($id: ID!) { node(id: $id) { ... on Todo { title version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["node"]["title"], "before", "{body}");
    assert_eq!(body["data"]["node"]["version"], 1, "{body}");
}
both_backends!(slow_requests_time_out_and_change_nothing, |config| {
    config.http.request_timeout_secs = 1;
    config.http.max_in_flight = 1;
});

/// Of the requests in flight, `--max-executing` run at once and the rest wait their turn
/// (not refused): with one turn, a read sent while an update waits for a lock is answered
/// only once the update is done; with two, at once.
async fn requests_beyond_the_executing_limit_wait_their_turn(backend: Backend) {
    for turns in [1, 2] {
        let Some(app) = TestApp::start_with(backend, |config| {
            config.http.max_executing = turns;
        })
        .await
        else {
            return;
        };
        let (token, id, holder) = erin_and_her_todo_held(&app).await;
        let update = post(
            &app,
            Some(&token),
            "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"after\" }) { title } }",
            json!({ "id": id }),
        );
        let read = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let sent = std::time::Instant::now();
            let answer = post(&app, Some(&token), "{ viewer { username } }", json!({})).await;
            (sent.elapsed(), answer)
        };
        let release = async {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            holder.rollback().await.unwrap();
        };
        let ((status, _, body), (waited, (read_status, _, read_body)), ()) =
            tokio::join!(update, read, release);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["updateTodo"]["title"], "after", "{body}");
        assert_eq!(read_status, 200, "{read_body}");
        assert_eq!(read_body["data"]["viewer"]["username"], "erin");
        if turns == 1 {
            assert!(
                waited >= Duration::from_millis(1_000),
                "answered after {waited:?}"
            );
        } else {
            assert!(
                waited < Duration::from_millis(1_000),
                "answered after {waited:?}"
            );
        }
    }
}
both_backends!(backend requests_beyond_the_executing_limit_wait_their_turn);
