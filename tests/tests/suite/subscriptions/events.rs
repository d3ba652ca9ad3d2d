//! `todoEvents` over WebSocket: what each mutation delivers, to whom and in which order;
//! nothing for rolled-back changes or other users' todos; the close codes of the
//! handshake; logging out; and, on PostgreSQL, delivery across two server processes and
//! across a lost LISTEN connection.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use async_graphql::futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use tests::{
    Backend,
    fault_proxy::FaultProxy,
    fixtures,
    table_lock::{TableLock, wait_for_lock_waiters},
    test_app::{self, TestApp, error_code},
};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

const EVENTS: &str = "subscription { todoEvents { kind todo { title completed deletedAt owner { username } tags { name } } } }";
/// How long to wait for an event that must come.
const ARRIVES: Duration = Duration::from_secs(5);
/// How long to wait to be sure an event does not come.
const QUIET: Duration = Duration::from_millis(500);

/// A graphql-transport-ws client.
struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    async fn connect(http_url: &str) -> Self {
        Self::connect_with(http_url, "graphql-transport-ws").await
    }

    async fn connect_with(http_url: &str, protocol: &'static str) -> Self {
        let url = http_url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("a WebSocket request");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
        let (socket, response) = connect_async(request).await.expect("the upgrade");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some(protocol)
        );
        Self { socket }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Connects and authenticates with `token` (graphql-transport-ws).
    async fn authenticated(http_url: &str, token: &str) -> Self {
        let mut client = Self::connect(http_url).await;
        client
            .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        let ack = client.next(ARRIVES).await.expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    /// Connects, authenticates with `token` and subscribes to `todoEvents` as "1".
    async fn subscribed(http_url: &str, token: &str) -> Self {
        let mut client = Self::authenticated(http_url, token).await;
        client
            .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
            .await;
        client
    }

    /// The next protocol message within `wait`, answering pings; `None` if none came.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match frame.expect("a frame") {
                Message::Text(text) => {
                    let message: Value = serde_json::from_str(&text).expect("JSON");
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(message);
                }
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Some(json!({ "type": "close", "code": code, "reason": reason }));
                }
                _ => {}
            }
        }
    }

    /// Runs one operation as subscription `id`: returns its first message, and reads away
    /// whatever follows it (its `complete`).
    async fn answer(&mut self, id: &str, payload: Value) -> Value {
        self.send(json!({ "type": "subscribe", "id": id, "payload": payload }))
            .await;
        let answer = self.next(ARRIVES).await.expect("an answer");
        while self.next(QUIET).await.is_some() {}
        answer
    }

    /// The next event's `todoEvents` payload.
    async fn event(&mut self) -> Value {
        let message = self.next(ARRIVES).await.expect("an event in time");
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["payload"].get("errors"), None, "{message}");
        message["payload"]["data"]["todoEvents"].clone()
    }

    /// Asserts that nothing arrives for a while.
    async fn silent(&mut self) {
        if let Some(message) = self.next(QUIET).await {
            panic!("expected no message, got {message}");
        }
    }

    /// The close code that ends the socket once its session has ended: any message before
    /// it may only be the subscription's end (UNAUTHENTICATED, `complete`).
    async fn session_closed(&mut self) -> u64 {
        loop {
            let message = self.next(Duration::from_secs(20)).await.expect("a close");
            match message["type"].as_str() {
                Some("close") => return message["code"].as_u64().expect("a code"),
                Some("complete") => {}
                _ => assert_eq!(
                    message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                    "{message}"
                ),
            }
        }
    }

    /// The close code the server sends next.
    async fn close_code(&mut self) -> u64 {
        let message = self.next(Duration::from_secs(15)).await.expect("a close");
        assert_eq!(message["type"], "close", "{message}");
        message["code"].as_u64().expect("a code")
    }
}

async fn create(app: &TestApp, token: &str, title: &str) -> String {
    app.create_todo(token, json!({ "title": title })).await.id
}

/// One event as a line: kind, then the todo's state.
fn describe(event: &Value) -> String {
    let todo = &event["todo"];
    format!(
        "{} {} completed={} deleted={} owner={} tags={}",
        event["kind"].as_str().expect("kind"),
        todo["title"].as_str().expect("title"),
        todo["completed"],
        !todo["deletedAt"].is_null(),
        todo["owner"]["username"].as_str().expect("owner"),
        todo["tags"],
    )
}

async fn every_mutation_kind_is_delivered_in_order_to_its_owners(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let url = app.url("/graphql");
    let mut ann_events = Client::subscribed(&url, &ann).await;
    let mut bob_events = Client::subscribed(&url, &bob).await;
    app.wait_for_subscriptions(2).await;

    // Each change, then its event: the todo in the event is the todo after that change.
    let id = create(&app, &ann, "draft").await;
    let by_id = json!({ "id": id });
    let mut seen = vec![describe(&ann_events.event().await)];
    let steps = [
        "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"final\" }) { id } }",
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        "mutation($id: ID!) { setTodoTags(id: $id, tags: [\"work\"]) { id } }",
        "mutation($id: ID!) { deleteTodo(id: $id) { id } }",
        "mutation($id: ID!) { restoreTodo(id: $id) { id } }",
        "mutation { deleteCompletedTodos { deletedCount } }",
        "mutation($id: ID!) { restoreTodo(id: $id) { id } }",
    ];
    for step in steps {
        app.data(Some(&ann), step, by_id.clone()).await;
        seen.push(describe(&ann_events.event().await));
    }
    app.data(
        Some(&ann),
        "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
        json!({ "id": id, "to": bob_id }),
    )
    .await;
    seen.push(describe(&ann_events.event().await));
    let expected = [
        "CREATED draft completed=false deleted=false owner=ann tags=[]",
        "UPDATED final completed=false deleted=false owner=ann tags=[]",
        "UPDATED final completed=true deleted=false owner=ann tags=[]",
        r#"UPDATED final completed=true deleted=false owner=ann tags=[{"name":"work"}]"#,
        r#"DELETED final completed=true deleted=true owner=ann tags=[{"name":"work"}]"#,
        r#"RESTORED final completed=true deleted=false owner=ann tags=[{"name":"work"}]"#,
        r#"DELETED final completed=true deleted=true owner=ann tags=[{"name":"work"}]"#,
        r#"RESTORED final completed=true deleted=false owner=ann tags=[{"name":"work"}]"#,
        // "The todo as it was handed over": already bob's.
        r#"TRANSFERRED_OUT final completed=true deleted=false owner=bob tags=[{"name":"work"}]"#,
    ];
    assert_eq!(seen, expected);
    ann_events.silent().await;

    // Bob heard nothing of ann's todo until it became his.
    let event = bob_events.event().await;
    assert_eq!(event["kind"], "TRANSFERRED_IN");
    assert_eq!(event["todo"]["owner"]["username"], "bob");
    bob_events.silent().await;

    // Now it is bob's: his changes reach him, not ann.
    app.data(
        Some(&bob),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        by_id,
    )
    .await;
    assert_eq!(bob_events.event().await["kind"], "UPDATED");
    ann_events.silent().await;

    // An admin deleting a tag changes every todo that carried it: bob hears of his.
    let (root, _) = app.sign_up("root").await;
    fixtures::make_admin(app.db(), app.user_id("root").await).await;
    let tag = app
        .data(Some(&root), "{ tag(name: \"work\") { id } }", json!({}))
        .await;
    app.data(
        Some(&root),
        "mutation($id: ID!) { deleteTag(id: $id) { id } }",
        json!({ "id": tag["tag"]["id"] }),
    )
    .await;
    assert_eq!(
        describe(&bob_events.event().await),
        "UPDATED final completed=false deleted=false owner=bob tags=[]"
    );
    bob_events.silent().await;
    ann_events.silent().await;
}
tests::both_backends!(every_mutation_kind_is_delivered_in_order_to_its_owners);

async fn rolled_back_changes_send_nothing(app: TestApp) {
    let backend = app.backend();
    let (ann, _) = app.sign_up("ann").await;
    let (_, bob_id) = app.sign_up("bob").await;
    let id = create(&app, &ann, "stays").await;
    let mut events = Client::subscribed(&app.url("/graphql"), &ann).await;
    app.wait_for_subscriptions(1).await;
    // The transfer fails at COMMIT, after every statement of it ran: on PostgreSQL a
    // deferred constraint trigger on its history row (its pg_notify calls ran too, and must
    // die with the transaction); on SQLite a deferred foreign key that its history row's
    // trigger breaks (notices are dispatched in process, and only once COMMIT succeeded).
    let sabotage: &[&str] = match backend {
        Backend::Postgres => &[
            "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql \
             AS $$ BEGIN RAISE EXCEPTION 'injected at commit'; END $$",
            "CREATE CONSTRAINT TRIGGER injected_failure AFTER INSERT ON todo_history \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.action = 'transferred') \
             EXECUTE FUNCTION injected_failure()",
        ],
        Backend::Sqlite => &[
            "CREATE TABLE injected_failure \
             (user_id INTEGER REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED)",
            "CREATE TRIGGER injected_failure AFTER INSERT ON todo_history \
             WHEN NEW.action = 'transferred' BEGIN INSERT INTO injected_failure VALUES (-1); END",
        ],
    };
    for statement in sabotage {
        app.db()
            .execute_unprepared(statement)
            .await
            .expect("install the failure");
    }
    let body = app
        .gql_as(
            &ann,
            "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
            json!({ "id": id, "to": bob_id }),
        )
        .await;
    assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");
    events.silent().await;
    app.data(
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let event = events.event().await;
    assert_eq!(
        (
            event["kind"].as_str(),
            event["todo"]["owner"]["username"].as_str()
        ),
        (Some("UPDATED"), Some("ann")),
        "the next event is the toggle's, not the rolled-back transfer's"
    );
}
tests::both_backends!(rolled_back_changes_send_nothing);

async fn the_handshake_refuses_missing_bad_and_late_tokens(app: TestApp) {
    let url = app.url("/graphql");
    let mut anonymous = Client::connect(&url).await;
    anonymous.send(json!({ "type": "connection_init" })).await;
    assert_eq!(anonymous.close_code().await, 4401);

    let mut forged = Client::connect(&url).await;
    forged
        .send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not-a-token" } }))
        .await;
    assert_eq!(forged.close_code().await, 4401);

    // A token whose session has expired is no token.
    let (stale, _) = app.sign_up("old").await;
    let sessions = entity::session::Entity::update_many()
        .col_expr(
            entity::session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(app.db())
        .await
        .expect("expire the session");
    assert_eq!(sessions.rows_affected, 1);
    let mut expired = Client::connect(&url).await;
    expired
        .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {stale}") } }))
        .await;
    assert_eq!(expired.close_code().await, 4401, "an expired token");

    let mut eager = Client::connect(&url).await;
    eager
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    assert_eq!(
        eager.close_code().await,
        4401,
        "subscribe before connection_init"
    );

    let mut silent = Client::connect(&url).await;
    assert_eq!(
        silent.close_code().await,
        4408,
        "no connection_init in time"
    );

    // The capitalised key works too.
    let (token, _) = app.sign_up("ann").await;
    let mut client = Client::connect(&url).await;
    client
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(
        client.next(ARRIVES).await.expect("ack")["type"],
        "connection_ack"
    );
}
tests::both_backends!(the_handshake_refuses_missing_bad_and_late_tokens, |c| c
    .subscriptions
    .ws_init_timeout_secs =
    1);

async fn logging_out_ends_the_sessions_subscriptions(app: TestApp) {
    let (phone, _) = app.sign_up("ann").await;
    let laptop = app
        .gql(
            "mutation { logIn(input: { login: \"ann\", password: \"password123\" }) { token } }",
            json!({}),
        )
        .await["data"]["logIn"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let url = app.url("/graphql");
    let mut phone_events = Client::subscribed(&url, &phone).await;
    let mut laptop_events = Client::subscribed(&url, &laptop).await;
    app.wait_for_subscriptions(2).await;
    app.data(Some(&phone), "mutation { logOut }", json!({}))
        .await;

    // The socket closes with 4401; the subscription's own end may come first.
    assert_eq!(phone_events.session_closed().await, 4401);
    create(&app, &laptop, "after logout").await;
    assert_eq!(laptop_events.event().await["kind"], "CREATED");
}
tests::both_backends!(logging_out_ends_the_sessions_subscriptions);

async fn the_legacy_graphql_ws_protocol_works_too(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    // subscriptions-transport-ws, as older Apollo clients speak it.
    let mut client = Client::connect_with(&app.url("/graphql"), "graphql-ws").await;
    client
        .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(
        client.next(ARRIVES).await.expect("ack")["type"],
        "connection_ack"
    );
    client
        .send(json!({ "type": "start", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    app.wait_for_subscriptions(1).await;
    create(&app, &token, "legacy").await;
    let message = loop {
        let message = client.next(ARRIVES).await.expect("data");
        // The legacy protocol sends keep-alives ("ka").
        if message["type"] != "ka" {
            break message;
        }
    };
    assert_eq!(message["type"], "data", "{message}");
    assert_eq!(message["payload"]["data"]["todoEvents"]["kind"], "CREATED");

    let mut refused = Client::connect_with(&app.url("/graphql"), "graphql-ws").await;
    refused
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    let error = refused.next(ARRIVES).await.expect("an answer");
    assert_eq!(error["type"], "connection_error", "{error}");
}
tests::both_backends!(the_legacy_graphql_ws_protocol_works_too);

async fn operations_over_the_socket_are_measured_and_charged(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let mut client = Client::authenticated(&app.url("/graphql"), &token).await;
    // Costs 20 of the session's 30 points, like the same query over HTTP.
    let query = "{ viewer { todos(first: 20) { nodes { id } } } }";
    client
        .send(json!({ "type": "subscribe", "id": "a", "payload": { "query": query } }))
        .await;
    let first = client.next(ARRIVES).await.expect("a result");
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(first["payload"].get("errors"), None, "{first}");
    assert_eq!(
        first["payload"]["extensions"]["cost"],
        json!({ "requested": 20, "limit": 10_000 }),
        "{first}"
    );
    assert_eq!(
        client.next(ARRIVES).await.expect("complete")["type"],
        "complete"
    );

    client
        .send(json!({ "type": "subscribe", "id": "b", "payload": { "query": query } }))
        .await;
    let second = client.next(ARRIVES).await.expect("an answer");
    assert!(
        second.to_string().contains("RATE_LIMITED"),
        "the second query is over the budget: {second}"
    );
}
tests::both_backends!(
    operations_over_the_socket_are_measured_and_charged,
    |config| {
        config.rate_limits.points = 30;
        config.rate_limits.window_secs = 600;
    }
);

/// The second server process; killed when dropped.
struct Instance(Child);

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `query` as `token` on the instance at `base_url`; it must succeed.
async fn mutate_at(base_url: &str, token: &str, query: &str) {
    let body: Value = reqwest::Client::new()
        .post(format!("{base_url}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("the instance answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body.get("errors"), None, "{body}");
}

async fn start_second_instance(database_url: &str) -> (Instance, String) {
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
    let instance = Instance(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return (instance, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the second instance did not become ready");
}

/// The previous owner's TRANSFERRED_OUT shows the todo as it was handed over, even when the
/// new owner has changed it before the event is read. To hold the event back until then,
/// ann's subscription is kept busy with an earlier event: its document reads the owner's
/// preferences, and the test locks that table meanwhile (on PostgreSQL, from a second
/// session).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transferred_out_shows_the_todo_as_it_was_handed_over() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let earlier = create(&app, &ann, "earlier").await;
    let given = create(&app, &ann, "given").await;
    let set_tags =
        "mutation($id: ID!, $tags: [String!]!) { setTodoTags(id: $id, tags: $tags) { id } }";
    let mut ann_events = Client::authenticated(&app.url("/graphql"), &ann).await;
    let held = "subscription { todoEvents { kind todo { title version tags { name } \
                owner { username preferences { theme } } \
                history { totalCount nodes { action } } } } }";
    ann_events
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": held } }))
        .await;
    app.wait_for_subscriptions(1).await;
    // Tagging "given" once subscribed, and reading until its event, drains the notices of
    // the creations above: the LISTEN connection hands notices over in commit order, and
    // under load it may still hold those when the subscription starts.
    app.data(
        Some(&ann),
        set_tags,
        json!({ "id": given, "tags": ["work"] }),
    )
    .await;
    loop {
        let event = ann_events.event().await;
        if event["kind"] == "UPDATED" && event["todo"]["title"] == "given" {
            break;
        }
    }

    let lock = TableLock::take(app.db(), "user_preferences").await;
    app.data(
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": earlier }),
    )
    .await;
    wait_for_lock_waiters(app.db(), 1, "SELECT").await;
    app.data(
        Some(&ann),
        "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
        json!({ "id": given, "to": bob_id }),
    )
    .await;
    app.data(
        Some(&bob),
        "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"changed\" }) { id } }",
        json!({ "id": given }),
    )
    .await;
    app.data(
        Some(&bob),
        set_tags,
        json!({ "id": given, "tags": ["home"] }),
    )
    .await;
    lock.release().await;

    let first = ann_events.event().await;
    assert_eq!(first["kind"], "UPDATED", "{first}");
    assert_eq!(first["todo"]["title"], "earlier", "{first}");
    let handed = ann_events.event().await;
    assert_eq!(
        handed,
        json!({ "kind": "TRANSFERRED_OUT", "todo": {
            "title": "given",
            // Created (1), tagged (2), transferred (3); bob's changes came after.
            "version": 3,
            "tags": [{ "name": "work" }],
            // Bob's preferences are his and admins' to see, not ann's.
            "owner": { "username": "bob", "preferences": null },
            "history": {
                "totalCount": 3,
                "nodes": [{ "action": "TRANSFERRED" }, { "action": "TAGGED" }, { "action": "CREATED" }],
            },
        } })
    );
    ann_events.silent().await;

    // The todo itself did change: bob sees his version.
    let now = app
        .data(
            Some(&bob),
            "query($id: ID!) { node(id: $id) { ... on Todo { title version tags { name } } } }",
            json!({ "id": given }),
        )
        .await;
    assert_eq!(
        now["node"],
        json!({ "title": "changed", "version": 5, "tags": [{ "name": "home" }] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_server_processes_on_postgres() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (second, second_url) = start_second_instance(app.database_url()).await;
    let (token, _) = app.sign_up("ann").await;
    let mut events = Client::subscribed(&app.url("/graphql"), &token).await;
    app.wait_for_subscriptions(1).await;

    let started = std::time::Instant::now();
    mutate_at(
        &second_url,
        &token,
        "mutation { createTodo(input: { title: \"from the other instance\" }) { id } }",
    )
    .await;
    let message = events
        .next(Duration::from_secs(1))
        .await
        .expect("the event within a second");
    assert_eq!(
        message["payload"]["data"]["todoEvents"]["kind"], "CREATED",
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_survives_losing_its_connection() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    let mut events = Client::subscribed(&app.url("/graphql"), &token).await;
    app.wait_for_subscriptions(1).await;
    let ready = || async {
        reqwest::get(app.url("/readyz"))
            .await
            .expect("readyz answers")
            .status()
            .as_u16()
    };
    assert_eq!(ready().await, 200);

    let killed = app
        .db()
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .expect("terminate the listener");
    assert_eq!(
        killed.rows_affected(),
        1,
        "one LISTEN connection per instance"
    );

    // Readiness says so while it is down, and recovers.
    let mut saw_down = false;
    let mut recovered = false;
    for _ in 0..100 {
        match ready().await {
            503 => saw_down = true,
            200 if saw_down => {
                recovered = true;
                break;
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(recovered, "readyz went down ({saw_down}) and came back");
    create(&app, &token, "after the reconnect").await;
    assert_eq!(events.event().await["kind"], "CREATED");
}

/// A logout whose notice was sent while this instance was not listening (its database
/// connections cut) still ends the session's subscriptions: the listener re-checks the
/// sessions it serves when it reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_missed_while_not_listening_still_ends_the_subscription() {
    let proxy = FaultProxy::start().await;
    let Some(app) = TestApp::start_with(Backend::Postgres, |config| {
        config.database_url = proxy.route(&config.database_url);
    })
    .await
    else {
        return;
    };
    let (second, second_url) = start_second_instance(app.database_url()).await;
    let (token, _) = app.sign_up("ann").await;
    let mut events = Client::subscribed(&app.url("/graphql"), &token).await;
    app.wait_for_subscriptions(1).await;

    proxy.refuse();
    let mut down = false;
    for _ in 0..100 {
        let status = reqwest::get(app.url("/readyz")).await.map(|r| r.status());
        if status.is_ok_and(|s| s.as_u16() == 503) {
            down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(down, "the first instance noticed it lost the database");
    mutate_at(&second_url, &token, "mutation { logOut }").await;
    events.silent().await;

    proxy.restore();
    // The socket closes once the listener is back.
    assert_eq!(events.session_closed().await, 4401);
    drop(second);
}

/// The limits: subscriptions per socket and per server are refused beyond their number
/// with RATE_LIMITED, and a subscription that falls behind its queue is ended with an error
/// after the events it had, instead of being buffered without limit.
async fn subscription_limits_and_queues_are_bounded(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let url = app.url("/graphql");
    let subscribe =
        |id: &str| json!({ "type": "subscribe", "id": id, "payload": { "query": EVENTS } });
    let refused = |message: &Value| {
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(
            message["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED",
            "{message}"
        );
    };

    let mut first = Client::authenticated(&url, &ann).await;
    first.send(subscribe("a")).await;
    first.send(subscribe("b")).await;
    app.wait_for_subscriptions(2).await;
    first.send(subscribe("c")).await;
    refused(&first.next(ARRIVES).await.expect("the third is refused"));

    // Another socket may open one more: the server's limit is three.
    let mut second = Client::authenticated(&url, &ann).await;
    second.send(subscribe("d")).await;
    app.wait_for_subscriptions(3).await;
    second.send(subscribe("e")).await;
    refused(&second.next(ARRIVES).await.expect("the fourth is refused"));

    // Ten events at once into queues of two: the subscription gets what it had queued, then
    // the error that ends it.
    let input: Vec<Value> = (0..10)
        .map(|n| json!({ "title": format!("t{n}") }))
        .collect();
    app.data(
        Some(&ann),
        "mutation($input: [CreateTodoInput!]!) { createTodos(input: $input) { id } }",
        json!({ "input": input }),
    )
    .await;
    let mut delivered = 0;
    loop {
        let message = second.next(ARRIVES).await.expect("events, then the error");
        match message["payload"].get("errors") {
            None => delivered += 1,
            Some(errors) => {
                assert_eq!(errors[0]["extensions"]["code"], "RATE_LIMITED", "{message}");
                assert!(
                    errors[0]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("faster")),
                    "{message}"
                );
                break;
            }
        }
    }
    // The reader may take an event or two off the queue while the ten arrive, but never
    // all of them: it was cut off.
    assert!(delivered < 10, "all {delivered} events were buffered");
    assert_eq!(
        second.next(ARRIVES).await.expect("complete")["type"],
        "complete"
    );
}
tests::both_backends!(subscription_limits_and_queues_are_bounded, |c| {
    c.subscriptions.max_subscriptions_per_connection = 2;
    c.subscriptions.max_subscriptions = 3;
    c.subscriptions.subscriber_queue = 2;
});

/// In trusted-documents mode the socket runs only the manifest's operations too: by their
/// text or their id, and nothing else, introspection included.
async fn the_socket_runs_only_trusted_documents(backend: Backend) {
    let manifest = json!({
        "events": EVENTS,
        "count": "{ tags { totalCount } }",
        // What `sign_up` and `create` send over HTTP, so that a change can be made.
        "sign-up": test_app::SIGN_UP,
        "create": test_app::CREATE_TODO,
    });
    let Some(app) = TestApp::start_trusted(backend, &manifest).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let url = app.url("/graphql");
    let mut client = Client::authenticated(&url, &ann).await;

    for (id, payload) in [
        ("untrusted", json!({ "query": "{ viewer { username } }" })),
        (
            "schema",
            json!({ "query": "{ __schema { queryType { name } } }" }),
        ),
        (
            "unknown",
            json!({ "query": "", "extensions": { "documentId": "nope" } }),
        ),
    ] {
        let answer = client.answer(id, payload).await;
        assert!(
            answer.to_string().contains("FORBIDDEN") && !answer.to_string().contains("\"data\":{"),
            "{id} is refused: {answer}"
        );
    }

    let by_id = json!({ "query": "", "extensions": { "documentId": "count" } });
    let answer = client.answer("count", by_id).await;
    assert_eq!(
        answer["payload"]["data"]["tags"]["totalCount"], 0,
        "{answer}"
    );

    client
        .send(json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENTS } }))
        .await;
    app.wait_for_subscriptions(1).await;
    create(&app, &ann, "trusted").await;
    assert_eq!(client.event().await["kind"], "CREATED");
}
tests::both_backends!(backend the_socket_runs_only_trusted_documents);

/// A logIn over the socket is throttled by the client's address like one over HTTP: two
/// failures there use up an address allowance of two for HTTP as well.
async fn log_ins_over_the_socket_count_for_the_clients_address(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let url = app.url("/graphql");
    let mut client = Client::authenticated(&url, &ann).await;
    let log_in =
        "mutation { logIn(input: { login: \"ann\", password: \"wrong-password\" }) { token } }";
    for id in ["1", "2"] {
        let answer = client.answer(id, json!({ "query": log_in })).await;
        assert!(answer.to_string().contains("UNAUTHENTICATED"), "{answer}");
    }
    let (status, body) = app.post(&json!({ "query": log_in })).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
}
tests::both_backends!(
    log_ins_over_the_socket_count_for_the_clients_address,
    |config| {
        config.rate_limits.login_max_failures = 0;
        config.rate_limits.login_max_failures_per_ip = 2;
    }
);

/// A query or mutation over the socket is a request like one over HTTP: it takes a place
/// among those in flight (none left: RATE_LIMITED) and is stopped at the request timeout.
async fn socket_operations_are_held_to_the_request_limits(app: TestApp) {
    let backend = app.backend();
    let (ann, _) = app.sign_up("ann").await;
    let id = create(&app, &ann, "before").await;
    let mut client = Client::authenticated(&app.url("/graphql"), &ann).await;

    // Another writer holds the todo (PostgreSQL) or the database (SQLite) for 2 s.
    let holder = sea_orm::TransactionTrait::begin(app.db())
        .await
        .expect("begin");
    holder
        .execute_unprepared("UPDATE todos SET title = title")
        .await
        .expect("hold the lock");
    let update =
        "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"after\" }) { title } }";
    client
        .send(json!({ "type": "subscribe", "id": "slow", "payload": { "query": update, "variables": { "id": id } } }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .send(json!({ "type": "subscribe", "id": "quick", "payload": { "query": "{ viewer { username } }" } }))
        .await;
    let mut answers = std::collections::HashMap::new();
    while answers.len() < 2 {
        let message = client.next(ARRIVES).await.expect("both answers in time");
        let id = message["id"].as_str().expect("an id").to_owned();
        match message["type"].as_str() {
            Some("next") => answers.insert(id, message["payload"].clone()),
            // Refused before it ran: graphql-transport-ws's `error`, the errors its payload.
            Some("error") => answers.insert(id, json!({ "errors": message["payload"] })),
            _ => None,
        };
    }
    let quick = &answers["quick"];
    assert_eq!(
        quick["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "the one place in flight is taken: {quick}"
    );
    let slow = &answers["slow"];
    assert!(slow["data"]["updateTodo"].is_null(), "{slow}");
    assert_eq!(
        slow["errors"][0]["extensions"]["code"], "INTERNAL",
        "{slow}"
    );
    if backend == Backend::Sqlite {
        // SQLite's writer would wait 5 s: only the request timeout stops it at 1 s.
        assert!(
            slow["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("took longer")),
            "{slow}"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    holder.rollback().await.expect("release");
    let todo = entity::todo::Entity::find()
        .one(app.db())
        .await
        .expect("read")
        .expect("the todo");
    assert_eq!((todo.title.as_str(), todo.version), ("before", 1));
}
tests::both_backends!(socket_operations_are_held_to_the_request_limits, |config| {
    config.http.request_timeout_secs = 1;
    config.http.max_in_flight = 1;
});

/// A named subscription sent without operationName is still a subscription: its events
/// keep coming, well past the request timeout that queries over the socket get.
async fn a_named_subscription_needs_no_operation_name(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let mut client = Client::authenticated(&app.url("/graphql"), &ann).await;
    client
        .send(json!({ "type": "subscribe", "id": "1", "payload": {
            "query": "subscription Live { todoEvents { kind todo { title } } }" } }))
        .await;
    app.wait_for_subscriptions(1).await;
    for title in ["first", "second"] {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        create(&app, &ann, title).await;
        let event = client.event().await;
        assert_eq!(event["todo"]["title"], title, "{event}");
    }
}
tests::both_backends!(a_named_subscription_needs_no_operation_name, |config| {
    config.http.request_timeout_secs = 1;
});
