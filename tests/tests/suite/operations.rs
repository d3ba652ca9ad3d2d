//! What operators rely on: Prometheus metrics on their own listener (every series, moving
//! with requests; nothing on the public listener), JSON log lines carrying each request's
//! operation, cost, statement count and duration but never a password or token, and the
//! admin role managed outside GraphQL (`api admin grant|revoke`, the demo admin).
//!
//! The admin commands run here as the library calls `api admin` makes, on both backends;
//! `api/tests/admin_cli.rs` runs the built `api` binary itself (only the api package's own
//! tests can find that binary).

use std::{
    collections::BTreeMap,
    io::Read,
    process::{Child, Command, Stdio},
    time::Duration,
};

use api::{AdminCommand, service::admin::RoleChange};
use async_graphql::futures_util::SinkExt;
use serde_json::{Value, json};
use tests::{
    Backend, TestDb,
    test_app::{TestApp, error_code},
};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

/// One sample of a Prometheus text exposition: series name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// The samples of a Prometheus text exposition (comments skipped). Label values here never
/// hold quotes or commas, which keeps the parsing simple.
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            let value = value.parse().expect("a number");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("key=\"value\"");
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value)
        })
        .collect()
}

/// The value of series `name` with exactly `labels`, if present.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|(n, l, _)| n == name && *l == wanted)
        .map(|(_, _, v)| *v)
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let response = reqwest::get(app.metrics_url("/metrics"))
        .await
        .expect("the metrics listener answers");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    samples(&response.text().await.expect("text"))
}

/// Opens a `todoEvents` subscription as `token` over graphql-transport-ws; it stays open
/// while the returned socket lives.
async fn subscribe(app: &TestApp, token: &str) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    let url = app.url("/graphql").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = connect_async(request).await.expect("the upgrade");
    for message in [
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }),
        json!({ "type": "subscribe", "id": "1", "payload": { "query": "subscription { todoEvents { kind } }" } }),
    ] {
        socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }
    app.wait_for_subscriptions(1).await;
    socket
}

async fn metrics_serve_every_series_off_the_public_listener(app: TestApp) {
    let backend = app.backend();
    // Not on the public listener: clients never see the server's internals.
    let public = reqwest::get(app.url("/metrics")).await.expect("an answer");
    assert_eq!(public.status(), 404);

    // The recorder is the process's, shared with the other tests of this file: names are
    // unique per test and backend.
    let probe = format!("OpsProbe_{backend:?}");
    let failing = format!("OpsFailing_{backend:?}");
    let (token, _) = app.sign_up("ops").await;
    let mut statements = 0;
    for _ in 0..3 {
        // Named by the document's only operation: no operationName is sent.
        let (body, counted) = app
            .gql_counted(
                Some(&token),
                &format!(
                    "query {probe} {{ viewer {{ todos {{ totalCount }} }} tags {{ totalCount }} }}"
                ),
                json!({}),
            )
            .await;
        assert_eq!(body.get("errors"), None, "{body}");
        statements += counted;
    }
    let body = app
        .gql(
            &format!("query {failing} {{ node(id: \"nope\") {{ id }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    // Names past 64 characters are not labels: every name would be a new series.
    let long = format!("Q{}", "x".repeat(64));
    app.gql(
        &format!("query {long} {{ tags {{ totalCount }} }}"),
        json!({}),
    )
    .await;
    let _subscription = subscribe(&app, &token).await;

    // A real rejection counts: the sixth failed log-in for one name is refused. (Other
    // tests of this file share the recorder, so the count only has to grow.)
    let limited = "todo_api_rate_limited_total";
    let before = value(&scrape(&app).await, limited, &[("kind", "login")]).unwrap_or(0.0);
    let guess = format!(
        "mutation {{ logIn(input: {{ login: \"guesser-{backend:?}\", password: \"wrong-password\" }}) {{ token }} }}"
    );
    for _ in 0..5 {
        let body = app.gql(&guess, json!({})).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let (status, body) = app.post(&json!({ "query": guess })).await;
    assert_eq!(status, 429, "{body}");

    let samples = scrape(&app).await;
    let requests = "todo_api_graphql_requests_total";
    assert_eq!(
        value(
            &samples,
            requests,
            &[("operation", &probe), ("outcome", "ok")]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &samples,
            requests,
            &[("operation", &failing), ("outcome", "BAD_USER_INPUT")]
        ),
        Some(1.0)
    );
    assert!(
        !samples
            .iter()
            .any(|(_, labels, _)| labels.get("operation") == Some(&long))
    );
    assert!(
        value(
            &samples,
            requests,
            &[("operation", "other"), ("outcome", "ok")]
        )
        .is_some_and(|n| n >= 1.0)
    );
    let duration = "todo_api_graphql_request_duration_seconds";
    assert_eq!(
        value(
            &samples,
            &format!("{duration}_count"),
            &[("operation", &probe)]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &samples,
            &format!("{duration}_bucket"),
            &[("operation", &probe), ("le", "+Inf")]
        ),
        Some(3.0)
    );
    let sql = "todo_api_graphql_sql_statements";
    assert_eq!(
        value(&samples, &format!("{sql}_count"), &[("operation", &probe)]),
        Some(3.0)
    );
    assert_eq!(
        value(&samples, &format!("{sql}_sum"), &[("operation", &probe)]),
        Some(f64::from(statements))
    );
    let pool = "todo_api_db_pool_connections";
    let in_use = value(&samples, pool, &[("state", "in_use")]).expect("in use");
    let idle = value(&samples, pool, &[("state", "idle")]).expect("idle");
    assert!(in_use + idle >= 1.0, "in use {in_use}, idle {idle}");
    assert_eq!(
        value(&samples, "todo_api_subscriptions_open", &[]),
        Some(1.0)
    );
    let after = value(&samples, limited, &[("kind", "login")]).unwrap_or(0.0);
    assert!(after >= before + 1.0, "login rejections {before} → {after}");
    // There before any rejection, so that alerts see 0 rather than no data.
    assert!(value(&samples, limited, &[("kind", "request")]).is_some());
}
tests::both_backends!(
    metrics_serve_every_series_off_the_public_listener,
    |config| {
        config.telemetry.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    }
);

/// The real server in a child process; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_each_request_and_never_its_secrets() {
    let db = TestDb::create(Backend::Sqlite).await.expect("SQLite");
    let (port, metrics_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    // The flags, as an operator passes them.
    let mut child = Command::new(env!("CARGO_BIN_EXE_second_instance"))
        .args(["--log-format", "json", "--metrics-listen"])
        .arg(format!("127.0.0.1:{metrics_port}"))
        .env("DATABASE_URL", db.url())
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .env_remove("LOG_FORMAT")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    // Drained as it comes, so that the child never blocks on a full pipe.
    let output = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).expect("UTF-8 logs");
        text
    });
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        let answer = client.get(format!("{base}/readyz")).send().await;
        if answer.is_ok_and(|r| r.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the server did not become ready");

    let password = "Correct-Horse-Battery-Staple-42";
    let gql = |operation: &'static str, query: &'static str, variables: Value| {
        let request = client.post(format!("{base}/graphql")).json(&json!({
            "query": query, "variables": variables, "operationName": operation,
        }));
        async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            assert_eq!(body.get("errors"), None, "{body}");
            body
        }
    };
    let signed_up = gql(
        "SignUp",
        "mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }",
        json!({ "input": { "email": "logs@example.com", "username": "logs", "password": password } }),
    )
    .await;
    let logged_in = gql(
        "LogIn",
        "mutation LogIn($login: String!, $password: String!) { logIn(input: { login: $login, password: $password }) { token } }",
        json!({ "login": "logs", "password": password }),
    )
    .await;
    let tokens = [
        signed_up["data"]["signUp"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
        logged_in["data"]["logIn"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
    ];
    let viewer: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&tokens[1])
        .json(&json!({ "query": "query Me { viewer { username } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(viewer["data"]["viewer"]["username"], "logs", "{viewer}");

    // The flag reached the binary's metrics listener too, and only it.
    let metrics = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples = samples(&metrics);
    let requests = "todo_api_graphql_requests_total";
    assert_eq!(
        value(
            &samples,
            requests,
            &[("operation", "LogIn"), ("outcome", "ok")]
        ),
        Some(1.0),
        "{metrics}"
    );
    let public = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);

    drop(server);
    let logs = output.join().expect("the reader");
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    // What each costs: the two mutations their fixed 10, the viewer's name nothing.
    for (operation, cost) in [("SignUp", 10), ("LogIn", 10), ("Me", 0)] {
        let line = lines
            .iter()
            .find(|line| line["span"]["operation"] == operation)
            .unwrap_or_else(|| panic!("no log line for {operation}:\n{logs}"));
        assert_eq!(line["fields"]["message"], "response", "{line}");
        assert_eq!(line["fields"]["status"], 200, "{line}");
        assert!(line["fields"]["duration_ms"].is_number(), "{line}");
        assert!(
            line["span"]["sql_statements"]
                .as_u64()
                .is_some_and(|n| n > 0),
            "{line}"
        );
        assert_eq!(line["span"]["path"], "/graphql", "{line}");
        assert_eq!(line["span"]["cost"], cost, "{line}");
    }
    assert!(!logs.contains(password), "the password was logged:\n{logs}");
    for token in &tokens {
        assert!(
            !logs.contains(token.as_str()),
            "a token was logged:\n{logs}"
        );
    }
}

/// `query($name)`: the user's todos, as the viewer may see them.
const USER_TODOS: &str =
    "query($name: String!) { user(username: $name) { todos { totalCount nodes { title } } } }";

async fn admin_grant_and_revoke_change_what_a_user_sees(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let created = app
        .gql_as(
            &ann,
            "mutation { createTodo(input: { title: \"ann's secret plan\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(created.get("errors"), None, "{created}");
    let anns_todos = |token: String| {
        let app = &app;
        async move {
            let body = app
                .gql_as(&token, USER_TODOS, json!({ "name": "ann" }))
                .await;
            assert_eq!(body.get("errors"), None, "{body}");
            body["data"]["user"]["todos"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(anns_todos(bob.clone()).await, 0);

    let mut config = api::Config::defaults();
    config.database_url = app.database_url().to_owned();
    let grant = AdminCommand::Grant {
        username: "bob".to_owned(),
    };
    let revoke = AdminCommand::Revoke {
        username: "bob".to_owned(),
    };
    assert_eq!(
        api::admin(&config, &grant).await.unwrap(),
        RoleChange::Changed
    );
    // Bob's session, opened before, is an admin's from its next request on.
    assert_eq!(anns_todos(bob.clone()).await, 1);
    assert_eq!(
        api::admin(&config, &grant).await.unwrap(),
        RoleChange::Unchanged
    );
    assert_eq!(anns_todos(bob.clone()).await, 1);

    assert_eq!(
        api::admin(&config, &revoke).await.unwrap(),
        RoleChange::Changed
    );
    assert_eq!(anns_todos(bob.clone()).await, 0);
    assert_eq!(
        api::admin(&config, &revoke).await.unwrap(),
        RoleChange::Unchanged
    );

    let nobody = AdminCommand::Grant {
        username: "nobody".to_owned(),
    };
    assert!(matches!(
        api::admin(&config, &nobody).await,
        Err(api::Error::NotFound(_))
    ));
}
tests::both_backends!(admin_grant_and_revoke_change_what_a_user_sees);

/// A document sent again is taken parsed from the cache of prepared documents rather than
/// parsed again, and every request still gets its own answer: its operation, its variables
/// (directives included: async-graphql strips skipped selections out of the document it
/// runs, so each request must get a copy) and its own validation.
async fn documents_sent_again_are_reused_parsed_with_answers_of_their_own(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    for title in ["one", "two"] {
        app.create_todo(&ann, json!({ "title": title, "tags": ["work"] }))
            .await;
    }
    let document = "query Mine($withTags: Boolean!, $first: Int!) {
          todos(first: $first) { nodes { title tags @include(if: $withTags) { name } } } }
        query Count { todos { totalCount } }";
    let run = |operation: &'static str, variables: Value| {
        let body = json!({ "query": document, "operationName": operation, "variables": variables });
        let (app, ann) = (&app, &ann);
        async move {
            let response = app
                .client()
                .post(app.url("/graphql"))
                .bearer_auth(ann)
                .json(&body)
                .send()
                .await
                .expect("the server answers");
            response.json::<Value>().await.expect("JSON")
        }
    };
    let reused = "todo_api_prepared_documents_total";
    let before = value(&scrape(&app).await, reused, &[("result", "reused")]).unwrap_or(0.0);

    let tagged = run("Mine", json!({ "withTags": true, "first": 1 })).await;
    assert_eq!(
        tagged["data"]["todos"]["nodes"],
        json!([{ "title": "two", "tags": [{ "name": "work" }] }])
    );
    let untagged = run("Mine", json!({ "withTags": false, "first": 2 })).await;
    assert_eq!(
        untagged["data"]["todos"]["nodes"],
        json!([{ "title": "two" }, { "title": "one" }])
    );
    let count = run("Count", json!({})).await;
    assert_eq!(count["data"], json!({ "todos": { "totalCount": 2 } }));
    let again = run("Mine", json!({ "withTags": true, "first": 1 })).await;
    assert_eq!(again, tagged);
    // Validation still runs on every request: a variable of the wrong type, then one
    // missing.
    let wrong = run("Mine", json!({ "withTags": true, "first": "ten" })).await;
    assert!(wrong["data"].is_null(), "{wrong}");
    assert!(!wrong["errors"].as_array().expect("errors").is_empty());
    let missing = run("Mine", json!({ "withTags": true })).await;
    assert!(missing["data"].is_null(), "{missing}");

    let after = value(&scrape(&app).await, reused, &[("result", "reused")]).unwrap_or(0.0);
    assert!(
        after >= before + 5.0,
        "documents reused: {before} → {after}"
    );
}
tests::both_backends!(
    documents_sent_again_are_reused_parsed_with_answers_of_their_own,
    |config| {
        config.telemetry.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    }
);
