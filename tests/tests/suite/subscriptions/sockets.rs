//! A WebSocket follows its session and is held to the server's limits (issue 15, points 3,
//! 5, 6 and 13): it closes with 4401 once its session is logged out (on any instance),
//! expires, or its user is deactivated or given another role; until then it runs nothing on
//! a dead session; sockets and subscriptions are capped per user and per address; a frame
//! larger than an HTTP body closes it (1009) unread; a subscribe refused before execution
//! gets graphql-transport-ws's `error` message; and every event a subscription delivers is
//! charged to its session's rate limit.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use entity::{session, user};
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait, sea_query::Expr};
use serde_json::{Value, json};
use tests::{
    Backend, fixtures,
    socket::{ARRIVES, Client},
    table_lock::{TableLock, wait_for_lock_waiters},
    test_app::{TestApp, error_code},
};
use tokio_tungstenite::MaybeTlsStream;

const EVENTS: &str = "subscription { todoEvents { kind todo { title } } }";
const VIEWER: &str = "{ viewer { username } }";
/// How long to wait to be sure a message does not come.
const QUIET: Duration = Duration::from_millis(500);

/// The close code that ends the socket once its session is over: before it only the end
/// of its operations may come (UNAUTHENTICATED errors, `complete`).
async fn session_closed(client: &mut Client) -> u64 {
    loop {
        let message = client.next(Duration::from_secs(20)).await.expect("a close");
        match message["type"].as_str() {
            Some("close") => return message["code"].as_u64().expect("a code"),
            Some("complete") => {}
            Some("next") => assert_eq!(
                message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{message}"
            ),
            _ => assert_eq!(
                message["payload"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{message}"
            ),
        }
    }
}

/// A process of the `api` binary; killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `api <args>` against `database_url` to its end; it must succeed.
fn run_api(database_url: &str, args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_second_instance"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("run the api binary");
    assert!(status.success(), "api {args:?}: {status}");
}

/// A second server process on `database_url`, ready; and its base URL.
async fn second_instance(database_url: &str) -> (Process, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_second_instance"))
        .env("DATABASE_URL", database_url)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the second instance");
    let process = Process(child);
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let ready = reqwest::get(format!("{base}/readyz")).await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return (process, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the second instance did not become ready");
}

/// No periodic session check during the test: what closes a socket is the notice or the
/// socket's own check.
fn no_periodic_check(config: &mut api::Config) {
    config.subscriptions.ws_session_check_secs = 3_600;
}

/// logOut over HTTP closes every socket of that session (4401), subscribed or not; the
/// user's other sessions keep theirs.
async fn logging_out_closes_the_sessions_sockets(app: TestApp) {
    let (phone, _) = app.sign_up("ann").await;
    let laptop = app.log_in("ann").await;
    let url = app.url("/graphql");
    let mut idle = Client::authenticated(&url, &phone).await;
    let mut subscribed = Client::authenticated(&url, &phone).await;
    subscribed
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    let mut other = Client::authenticated(&url, &laptop).await;
    app.wait_for_subscriptions(1).await;

    let body = app.gql_as(&phone, "mutation { logOut }", json!({})).await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(session_closed(&mut idle).await, 4401);
    assert_eq!(session_closed(&mut subscribed).await, 4401);
    let answer = other.run("q", json!({ "query": VIEWER })).await;
    assert_eq!(
        answer["payload"]["data"]["viewer"]["username"], "ann",
        "{answer}"
    );
}
tests::both_backends!(logging_out_closes_the_sessions_sockets, no_periodic_check);

/// On PostgreSQL the logout reaches a socket on another server instance too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_closes_the_sessions_socket_on_another_instance() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (_second, second_url) = second_instance(app.database_url()).await;
    let (token, _) = app.sign_up("ann").await;
    let mut elsewhere = Client::authenticated(&format!("{second_url}/graphql"), &token).await;
    let body = app.gql_as(&token, "mutation { logOut }", json!({})).await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(session_closed(&mut elsewhere).await, 4401);
}

/// `api admin revoke`, another process, closes the former admin's sockets: on PostgreSQL by
/// its notice (the periodic check is off), on SQLite by the periodic check (every second
/// here).
async fn revoking_an_admin_closes_their_sockets(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |config| {
        config.subscriptions.ws_session_check_secs = match backend {
            Backend::Postgres => 3_600,
            Backend::Sqlite => 1,
        };
    })
    .await
    else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    fixtures::make_admin(app.db(), app.user_id("ann").await).await;
    let mut socket = Client::authenticated(&app.url("/graphql"), &token).await;
    run_api(app.database_url(), &["admin", "revoke", "ann"]);
    assert_eq!(session_closed(&mut socket).await, 4401);
}
tests::both_backends!(backend revoking_an_admin_closes_their_sockets);

/// A socket closes when its session expires, whether or not it subscribed.
async fn an_expired_sessions_socket_closes(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(soon))
        .exec(app.db())
        .await
        .expect("shorten the session");
    let mut socket = Client::authenticated(&app.url("/graphql"), &token).await;
    assert_eq!(session_closed(&mut socket).await, 4401);
}
tests::both_backends!(an_expired_sessions_socket_closes, no_periodic_check);

/// Deactivating a user by hand (no notice) closes their sockets by the next periodic check.
async fn a_deactivated_users_socket_closes(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let mut socket = Client::authenticated(&app.url("/graphql"), &token).await;
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(false))
        .exec(app.db())
        .await
        .expect("deactivate");
    assert_eq!(session_closed(&mut socket).await, 4401);
}
tests::both_backends!(a_deactivated_users_socket_closes, |config| {
    config.subscriptions.ws_session_check_secs = 1;
});

/// A socket whose session is gone, without any notice (deleted by hand; the periodic check
/// is off), runs no query and registers no subscription: each is refused with `error`
/// UNAUTHENTICATED, and the socket closes.
async fn a_dead_sessions_socket_runs_nothing(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let url = app.url("/graphql");
    let mut querying = Client::authenticated(&url, &token).await;
    let mut subscribing = Client::authenticated(&url, &token).await;
    session::Entity::delete_many()
        .exec(app.db())
        .await
        .expect("end the session by hand");

    let answer = querying.run("q", json!({ "query": VIEWER })).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(
        answer["payload"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
    assert_eq!(session_closed(&mut querying).await, 4401);

    let answer = subscribing.run("s", json!({ "query": EVENTS })).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(session_closed(&mut subscribing).await, 4401);
    app.wait_for_subscriptions(0).await;
}
tests::both_backends!(a_dead_sessions_socket_runs_nothing, no_periodic_check);

/// Sockets per address (429 at the upgrade) and per user (4429 at connection_init), and
/// subscriptions per user (RATE_LIMITED), on this instance.
async fn sockets_and_subscriptions_are_capped(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let url = app.url("/graphql");
    let mut first = Client::connect(&url).await;
    let mut second = Client::connect(&url).await;
    let third = Client::connect(&url).await;
    assert_eq!(Client::try_connect(&url).await.err(), Some(429));
    drop(third);
    // The third's place comes back once the server has seen it go.
    let mut third = None;
    for _ in 0..50 {
        if let Ok(client) = Client::try_connect(&url).await {
            third = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut third = third.expect("a place again");

    assert_eq!(first.init(&ann).await["type"], "connection_ack");
    assert_eq!(second.init(&ann).await["type"], "connection_ack");
    let refused = third.init(&ann).await;
    assert_eq!(refused, json!({ "type": "close", "code": 4429 }));

    first
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    app.wait_for_subscriptions(1).await;
    let answer = second.run("1", json!({ "query": EVENTS })).await;
    assert!(
        answer.to_string().contains("RATE_LIMITED"),
        "one subscription per user: {answer}"
    );
}
tests::both_backends!(sockets_and_subscriptions_are_capped, |config| {
    config.subscriptions.max_sockets_per_address = 3;
    config.subscriptions.max_sockets_per_user = 2;
    config.subscriptions.max_subscriptions_per_user = 1;
});

/// A frame announcing more than the body limit (1 MiB by default) closes the socket with
/// 1009 at once: only its header was sent, so a server that read on would wait forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_body_limit_closes_the_socket_unread() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let mut client = Client::connect(&app.url("/graphql")).await;
    let length: u64 = 1024 * 1024 + 1;
    // FIN + text; masked (as from a client), 64-bit length; then the mask, and no payload.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&length.to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    let MaybeTlsStream::Plain(tcp) = client.socket.get_mut() else {
        panic!("a plain TCP socket");
    };
    tcp.writable().await.expect("writable");
    let written = tcp.try_write(&header).expect("write the header");
    assert_eq!(written, header.len());
    let closed = client.next(ARRIVES).await.expect("a close");
    assert_eq!(closed, json!({ "type": "close", "code": 1009 }));
}

/// A subscribe refused before execution is answered with graphql-transport-ws's `error`
/// message (the GraphQL errors as its payload) and no `complete`: a validation error, a
/// syntax error, and a document over the length limit (refused by its length: the socket
/// itself parses nothing). The id is free again afterwards.
async fn a_refused_subscribe_gets_an_error_message(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let mut client = Client::authenticated(&app.url("/graphql"), &ann).await;
    let deep = format!(
        "subscription {}{}",
        "{ a ".repeat(60_000),
        "}".repeat(60_000)
    );
    for (query, code) in [
        ("subscription { nope }", "BAD_USER_INPUT"),
        ("subscription {", "BAD_USER_INPUT"),
        (deep.as_str(), "TOO_COMPLEX"),
    ] {
        let answer = client.run("1", json!({ "query": query })).await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["id"], "1", "{answer}");
        assert!(answer["payload"].is_array(), "{answer}");
        assert_eq!(answer["payload"][0]["extensions"]["code"], code, "{answer}");
        assert_eq!(client.next(QUIET).await, None, "nothing after the error");
    }
    let answer = client.run("1", json!({ "query": VIEWER })).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(
        answer["payload"]["data"]["viewer"]["username"], "ann",
        "{answer}"
    );
    assert_eq!(
        client.next(ARRIVES).await.expect("complete")["type"],
        "complete"
    );
}
tests::both_backends!(a_refused_subscribe_gets_an_error_message);

/// Each event a subscription delivers costs its session the subscription's cost: a
/// subscriber whose session's budget is spent is cut off (RATE_LIMITED), not served on.
async fn events_are_charged_to_the_subscribers_session(app: TestApp) {
    let (subscriber, _) = app.sign_up("ann").await;
    // Changes come from another session, which has a budget of its own.
    let writer = app.log_in("ann").await;
    let mut client = Client::authenticated(&app.url("/graphql"), &subscriber).await;
    let costly = "subscription { todoEvents { kind todo { title owner { todos(first: 50) { totalCount } } } } }";
    client
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": costly } }))
        .await;
    app.wait_for_subscriptions(1).await;

    let created = 15;
    let mut delivered = 0;
    let mut cost = 0;
    let mut cut_off = None;
    for n in 0..created {
        let body = app
            .gql_as(
                &writer,
                "mutation($t: String!) { createTodo(input: { title: $t }) { id } }",
                json!({ "t": format!("todo {n}") }),
            )
            .await;
        assert_eq!(error_code(&body), None, "{body}");
        let message = client.next(ARRIVES).await.expect("an event or the end");
        if message["payload"].get("errors").is_some() {
            cut_off = Some(message);
            break;
        }
        delivered += 1;
        cost = message["payload"]["extensions"]["cost"]["requested"]
            .as_u64()
            .expect("the cost");
    }
    let cut_off = cut_off.expect("the subscription was cut off");
    assert_eq!(
        cut_off["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{cut_off}"
    );
    // The subscribe and each event paid `cost` out of 600 points.
    assert!(cost >= 50, "the subscription's cost: {cost}");
    assert_eq!(
        delivered,
        600 / cost - 1,
        "events delivered before the cut-off"
    );
    assert_eq!(
        client.next(ARRIVES).await.expect("complete")["type"],
        "complete"
    );
}
tests::both_backends!(events_are_charged_to_the_subscribers_session, |config| {
    config.rate_limits.points = 600;
    config.rate_limits.window_secs = 3_600;
});

/// An event is resolved in turn, like a request: with one turn, taken by an HTTP update
/// that waits for a lock, the event waits too, and comes once the update is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_wait_for_their_turn() {
    let Some(app) = TestApp::start_with(Backend::Postgres, |config| {
        config.http.max_executing = 1;
    })
    .await
    else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let id = app.create_todo(&ann, json!({ "title": "t" })).await.id;
    let todo = entity::todo::Entity::find()
        .one(app.db())
        .await
        .expect("read")
        .expect("the todo");
    let mut client = Client::authenticated(&app.url("/graphql"), &ann).await;
    client
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    app.wait_for_subscriptions(1).await;

    let holder = app.db().begin().await.expect("begin");
    holder
        .execute_unprepared("UPDATE todos SET title = title")
        .await
        .expect("hold the rows");
    let update = {
        let url = app.url("/graphql");
        let ann = ann.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(ann)
                .json(&json!({
                    "query": "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"u\" }) { id } }",
                    "variables": { "id": id },
                }))
                .send()
                .await
                .expect("an answer")
                .json::<Value>()
                .await
                .expect("JSON")
        })
    };
    wait_for_lock_waiters(app.db(), 1, "UPDATE").await;
    // The event's notice, as another instance would send it.
    app.db()
        .execute_unprepared(&format!(
            "SELECT pg_notify('{}', 'U{}:{}')",
            api::events::CHANNEL,
            todo.id,
            todo.user_id
        ))
        .await
        .expect("notify");
    assert_eq!(
        client.next(QUIET).await,
        None,
        "the event waits while the one turn is taken"
    );
    holder.rollback().await.expect("release");
    let updated = update.await.expect("the update");
    assert_eq!(updated.get("errors"), None, "{updated}");
    let event = client
        .next(ARRIVES)
        .await
        .expect("the event, after the update");
    assert_eq!(
        event["payload"]["data"]["todoEvents"]["kind"], "UPDATED",
        "{event}"
    );
}

/// An event is resolved within the request timeout, counted from its arrival: one that
/// waits for the only turn (taken by a query held on a lock) and then for the lock itself
/// ends its subscription with the timeout's error, long before PostgreSQL's own statement
/// timeout would stop it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_past_the_request_timeout_ends_its_subscription() {
    let Some(app) = TestApp::start_with(Backend::Postgres, |config| {
        config.http.max_executing = 1;
        config.http.request_timeout_secs = 2;
    })
    .await
    else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let body = app
        .gql_as(
            &ann,
            "mutation { createTodo(input: { title: \"t\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    let todo = entity::todo::Entity::find()
        .one(app.db())
        .await
        .expect("read")
        .expect("the todo");
    let mut client = Client::authenticated(&app.url("/graphql"), &ann).await;
    client
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    app.wait_for_subscriptions(1).await;

    let lock = TableLock::take(app.db(), "todos").await;
    let query = {
        let url = app.url("/graphql");
        let ann = ann.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(ann)
                .json(&json!({ "query": "{ viewer { todos { totalCount } } }" }))
                .send()
                .await
                .expect("an answer")
        })
    };
    // Its page and its count, both held.
    wait_for_lock_waiters(app.db(), 2, "SELECT").await;
    app.db()
        .execute_unprepared(&format!(
            "SELECT pg_notify('{}', 'U{}:{}')",
            api::events::CHANNEL,
            todo.id,
            todo.user_id
        ))
        .await
        .expect("notify");
    let ended = client
        .next(Duration::from_secs(10))
        .await
        .expect("the event's end");
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"], "INTERNAL",
        "{ended}"
    );
    assert!(
        ended["payload"]["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("took longer")),
        "{ended}"
    );
    assert_eq!(
        client.next(ARRIVES).await.expect("complete")["type"],
        "complete"
    );
    lock.release().await;
    query.await.expect("the query");
}
