//! The real server, started in-process on a free port against a fresh database, and an HTTP
//! client to talk GraphQL to it.

use std::net::SocketAddr;

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::oneshot};

use crate::test_db::{Backend, TestDb};

/// A running server with its own database. Dropping it stops the server and drops the
/// database.
pub struct TestApp {
    addr: SocketAddr,
    client: reqwest::Client,
    db: DatabaseConnection,
    stop: Option<oneshot::Sender<()>>,
    events: api::events::Events,
    /// The metrics listener, when the configuration sets `metrics_listen`.
    metrics: Option<api::http::metrics::MetricsServer>,
    backend: Backend,
    database_url: String,
    // Dropped last: the database outlives the server using it. `None` for a server started
    // beside another app ([`TestApp::start_beside`]), whose database that app drops.
    _test_db: Option<TestDb>,
}

/// What a started server hands back: where it listens and how to stop it.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    events: api::events::Events,
    metrics: Option<api::http::metrics::MetricsServer>,
}

impl Server {
    /// Starts the server on `database_url` with the test configuration adjusted by
    /// `configure`.
    async fn start(database_url: &str, configure: impl FnOnce(&mut api::Config)) -> Self {
        // RUST_LOG=api=debug shows the server's logs (errors included) in a failing test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let mut config = api::Config::defaults();
        config.database_url = database_url.to_owned();
        config.pool.max_connections = 5;
        config.pool.min_connections = 0;
        config.no_migrate = false;
        config.expose_sql_statement_count = true;
        // Every test signs its users up and logs them in from 127.0.0.1: the per-address
        // allowances and the points of password work are for the tests of those limits
        // (`auth::throttle` in the suite) to turn on.
        config.rate_limits.sign_ups_per_hour = 0;
        config.rate_limits.log_ins_per_hour = 0;
        config.rate_limits.password_points = 0;
        configure(&mut config);
        let state = api::AppState::new(&config)
            .await
            .expect("the server starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("a bound address");
        let events = state.events.clone();
        let metrics = api::http::metrics::start(&config.telemetry, &state)
            .await
            .expect("the metrics listener starts");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(api::http::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop,
            events,
            metrics,
        }
    }
}

impl TestApp {
    /// Starts a server on a fresh, migrated database of `backend`; `None` when that backend
    /// is not available here (see [`TestDb::create`]).
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`TestApp::start`], with the configuration adjusted by `configure` first.
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut api::Config),
    ) -> Option<Self> {
        let test_db = TestDb::create(backend).await?;
        let server = Server::start(test_db.url(), configure).await;
        let db = test_db.connect().await;
        Some(Self::new(
            server,
            db,
            backend,
            test_db.url().to_owned(),
            Some(test_db),
        ))
    }

    /// Starts a second server on this app's database, with the test configuration
    /// [`TestApp::start_with`] starts from adjusted by `configure` (not by what adjusted this
    /// app's): for comparing two configurations on the same rows. The database remains this
    /// app's, dropped with it and never with the server returned, so drop that one first.
    pub async fn start_beside(&self, configure: impl FnOnce(&mut api::Config)) -> Self {
        let server = Server::start(&self.database_url, configure).await;
        Self::new(
            server,
            self.db.clone(),
            self.backend,
            self.database_url.clone(),
            None,
        )
    }

    fn new(
        server: Server,
        db: DatabaseConnection,
        backend: Backend,
        database_url: String,
        test_db: Option<TestDb>,
    ) -> Self {
        Self {
            addr: server.addr,
            client: reqwest::Client::new(),
            db,
            stop: Some(server.stop),
            events: server.events,
            metrics: server.metrics,
            backend,
            database_url,
            _test_db: test_db,
        }
    }

    /// Like [`TestApp::start`], in trusted-documents mode with `manifest` (a JSON object of
    /// id → document) as the manifest. The server reads it at start, so its file is gone
    /// once this returns.
    pub async fn start_trusted(backend: Backend, manifest: &Value) -> Option<Self> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "trusted-documents-{}-{}.json",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, manifest.to_string()).expect("write the manifest");
        let file = path.clone();
        let app = Self::start_with(backend, move |config| {
            config.documents.trusted_documents = Some(file);
        })
        .await;
        let _ = std::fs::remove_file(&path);
        app
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://<metrics address><path>`; the configuration must have set `metrics_listen`
    /// (port 0 picks a free one).
    pub fn metrics_url(&self, path: &str) -> String {
        let metrics = self.metrics.as_ref().expect("metrics_listen is set");
        format!("http://{}{path}", metrics.local_addr())
    }

    /// The backend its database is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The server's DATABASE_URL.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A direct connection to the server's database, for arranging and checking state.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs `body` (a GraphQL request, or a batch) anonymously to /graphql, whatever the
    /// answer's status; returns the status and the JSON body.
    pub async fn post(&self, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(body)
            .send()
            .await
            .expect("the server answers");
        (
            response.status().as_u16(),
            response.json().await.expect("a JSON body"),
        )
    }

    /// POSTs an anonymous GraphQL request; returns the response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(None, query, variables).await
    }

    /// POSTs a GraphQL request with `Authorization: Bearer <token>`.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.gql_with(Some(token), query, variables).await
    }

    /// Like [`TestApp::gql_as`] (anonymous with `None`), also returning how many SQL
    /// statements the server executed for the request.
    pub async fn gql_counted(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (Value, u32) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let statements = response
            .headers()
            .get("x-sql-statements")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("an x-sql-statements header");
        (response.json().await.expect("a JSON body"), statements)
    }

    /// Waits (up to 5 s) until this server has `count` open subscriptions and (on
    /// PostgreSQL) its LISTEN connection is up, so that a test does not mutate before its
    /// subscription can hear of it.
    pub async fn wait_for_subscriptions(&self, count: usize) {
        for _ in 0..500 {
            if self.events.hub().len() == count && self.events.is_listening() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "expected {count} open subscriptions, have {}",
            self.events.hub().len()
        );
    }

    /// The database id of the user `username`.
    pub async fn user_id(&self, username: &str) -> i32 {
        use sea_orm::{EntityTrait, QueryFilter};
        entity::user::Entity::find()
            .filter(entity::user::COLUMN.username.eq(username))
            .one(&self.db)
            .await
            .expect("query")
            .expect("the user exists")
            .id
    }

    /// Runs `query` as `token` (anonymous with `None`), asserting that it succeeds without an
    /// error; returns its `data`.
    pub async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql_with(token, query, variables.clone()).await;
        assert_eq!(body.get("errors"), None, "{query} {variables}: {body}");
        body["data"].clone()
    }

    /// Creates a todo from `input` (a `CreateTodoInput`) as `token`, asserting that it
    /// succeeds; returns what a test goes on with.
    pub async fn create_todo(&self, token: &str, input: Value) -> CreatedTodo {
        let data = self
            .data(Some(token), CREATE_TODO, json!({ "input": input }))
            .await;
        let created = &data["createTodo"];
        let text = |value: &Value, what: &str| {
            value
                .as_str()
                .unwrap_or_else(|| panic!("createTodo answered no {what}: {data}"))
                .to_owned()
        };
        let tags = created["tags"].as_array().map_or(&[][..], Vec::as_slice);
        CreatedTodo {
            id: text(&created["id"], "id"),
            version: created["version"]
                .as_i64()
                .unwrap_or_else(|| panic!("createTodo answered no version: {data}")),
            tag_ids: tags.iter().map(|tag| text(&tag["id"], "tag id")).collect(),
            tag_names: tags
                .iter()
                .map(|tag| text(&tag["name"], "tag name"))
                .collect(),
            history_id: text(&created["history"]["nodes"][0]["id"], "history entry"),
        }
    }

    /// Logs `username` (signed up by [`TestApp::sign_up`]) in again: a new session; returns
    /// its token.
    pub async fn log_in(&self, username: &str) -> String {
        let body = self
            .gql(
                "mutation($login: String!) { logIn(input: { login: $login, password: \"password123\" }) { token } }",
                json!({ "login": username }),
            )
            .await;
        body["data"]["logIn"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("log-in failed: {body}"))
            .to_owned()
    }

    /// Signs up `username` (see [`TestApp::sign_up`]) and makes them an admin; returns their
    /// token.
    pub async fn sign_up_admin(&self, username: &str) -> String {
        let (token, _) = self.sign_up(username).await;
        crate::fixtures::make_admin(&self.db, self.user_id(username).await).await;
        token
    }

    async fn gql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("a JSON body")
    }

    /// Signs up `username` (email `<username>@example.com`, password `password123`) and
    /// returns the token and the user's global ID.
    pub async fn sign_up(&self, username: &str) -> (String, String) {
        let body = self
            .gql(
                SIGN_UP,
                json!({ "input": {
                    "email": format!("{username}@example.com"),
                    "username": username,
                    "password": "password123",
                }}),
            )
            .await;
        let payload = &body["data"]["signUp"];
        let token = payload["token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-up failed: {body}"));
        let id = payload["user"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-up failed: {body}"));
        (token.to_owned(), id.to_owned())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a [`TestApp`] on `backend` with the configuration adjusted by `configure`, and runs
/// `test` with it; returns at once, doing nothing, when that backend is not available here
/// (see [`TestDb::create`]). What [`both_backends!`](crate::both_backends) calls. The test
/// runs while no test that must run [`alone`] does.
pub async fn run<F, Fut>(backend: Backend, configure: impl FnOnce(&mut api::Config), test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let _beside_others = ALONE.read().await;
    if let Some(app) = TestApp::start_with(backend, configure).await {
        test(app).await;
    }
}

/// Taken for reading by every test [`run`] runs, for writing by a test that must not share
/// the machine.
static ALONE: std::sync::LazyLock<tokio::sync::RwLock<()>> =
    std::sync::LazyLock::new(|| tokio::sync::RwLock::new(()));

/// Waits until no test [`run`] runs is running, and keeps new ones from starting until the
/// guard is dropped: for a test whose load would slow the others down past their timeouts
/// (the benchmark's smoke run), now that the whole suite shares one process. Tests that
/// start their servers themselves are not held back; none of them loads the machine long.
pub async fn alone() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    ALONE.write().await
}

/// What [`TestApp::create_todo`] answers: the new todo's global ID and version, its tags'
/// global IDs and names in the order the server lists them, and the global ID of its
/// history's one entry (CREATED).
#[derive(Debug, Clone)]
pub struct CreatedTodo {
    /// The todo's global ID.
    pub id: String,
    /// Its version (1).
    pub version: i64,
    /// Its tags' global IDs.
    pub tag_ids: Vec<String>,
    /// Its tags' names.
    pub tag_names: Vec<String>,
    /// The global ID of its CREATED history entry.
    pub history_id: String,
}

/// The document [`TestApp::create_todo`] sends.
pub const CREATE_TODO: &str = "mutation($input: CreateTodoInput!) {
    createTodo(input: $input) { id version tags { id name } history { nodes { id } } } }";

/// The document [`TestApp::sign_up`] sends (for a trusted-documents manifest).
pub const SIGN_UP: &str =
    "mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }";

/// The first error's `extensions.code` of a response, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// The first error's `extensions.field` of a response, if any.
pub fn error_field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}
