//! The benchmark (`tests/bench/run`, `cargo run -p tests --release --bin bench`): seeds a
//! PostgreSQL database per size with `api seed-bench`'s data, loads the real server with
//! wrk for each workload of `tests/bench/`, measures the database's own ceiling for the same
//! statements with pgbench, runs the peer (PostGraphile v5, `tests/bench/peer/`) on Q1 when
//! Node.js is there, and reports it all as Markdown (BENCHMARKS.md) and an SVG chart.

pub mod chart;
pub mod peer;
pub mod pgbench;
pub mod report;
pub mod server;
pub mod workload;
pub mod wrk;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use api::seed::bench::{self as bench_data, BenchCounts, BenchSize};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use self::{
    peer::{Peer, PeerReport},
    pgbench::CeilingOutcome,
    server::BenchServer,
    workload::{Actors, Documents, Workload},
    wrk::LoadOutcome,
};

/// Users whose tokens Q4 and M1's writes rotate over.
const VIEWERS: u32 = 8;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// A PostgreSQL server where databases may be created (`.../postgres`).
    pub admin_url: String,
    /// The data set sizes (users) to run at.
    pub sizes: Vec<u32>,
    /// Todos per user.
    pub todos_per_user: u32,
    /// Tags.
    pub tags: u32,
    /// Load before each measured run, not counted.
    pub warmup: Duration,
    /// Each measured run (and each pgbench run).
    pub duration: Duration,
    /// wrk's connections.
    pub connections: u32,
    /// The server binary (`api`).
    pub server: PathBuf,
    /// `tests/bench`, where the documents are and the scratch files go.
    pub dir: PathBuf,
    /// Extra environment for the server under load (e.g. `DB_MAX_CONNECTIONS`).
    pub server_env: Vec<(String, String)>,
    /// Whether the peer runs Q1 too.
    pub peer: Peer,
}

/// Everything measured at one size.
#[derive(Debug, Clone)]
pub struct SizeReport {
    /// Users asked for.
    pub users: u32,
    /// What the seeding wrote.
    pub counts: BenchCounts,
    /// How long the seeding took.
    pub seed_secs: f64,
    /// One entry per workload.
    pub workloads: Vec<WorkloadReport>,
    /// The peer under Q1's load, when it ran.
    pub peer: Option<PeerReport>,
}

/// One workload's figures.
#[derive(Debug, Clone)]
pub struct WorkloadReport {
    /// Which.
    pub workload: Workload,
    /// The server under wrk.
    pub load: LoadOutcome,
    /// Peak server RSS during the measured run, MiB.
    pub rss_mib: f64,
    /// Fewest and most SQL statements one request took, over the workload's requests.
    pub statements: (u32, u32),
    /// pgbench on the same statements (reads only).
    pub ceiling: Option<CeilingOutcome>,
}

impl WorkloadReport {
    /// The server's throughput as a fraction of the ceiling's.
    pub fn ratio(&self) -> Option<f64> {
        self.ceiling
            .filter(|c| c.tps > 0.0)
            .map(|c| self.load.rps / c.tps)
    }
}

/// Runs the whole benchmark.
pub async fn run(options: &Options) -> Result<Vec<SizeReport>, String> {
    let documents = Documents::read(&options.dir)
        .map_err(|err| format!("cannot read the documents in {:?}: {err}", options.dir))?;
    let mut reports = Vec::new();
    for &users in &options.sizes {
        let database = ScratchDatabase::create(&options.admin_url, users).await?;
        let report = run_size(options, &documents, &database.url, users).await;
        database.drop().await;
        reports.push(report?);
    }
    Ok(reports)
}

async fn run_size(
    options: &Options,
    documents: &Documents,
    database_url: &str,
    users: u32,
) -> Result<SizeReport, String> {
    let size = BenchSize {
        users,
        todos_per_user: options.todos_per_user,
        tags: options.tags,
    };
    let config = config_for(database_url)?;
    let started = Instant::now();
    let counts = api::seed_bench(&config, size)
        .await
        .map_err(|err| format!("seeding failed: {err:?}"))?;
    let seed_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "bench: N = {users}: {} todos, {} links seeded in {seed_secs:.1} s",
        counts.todos, counts.links
    );
    let client = reqwest::Client::new();

    // The statements behind each read, from a server that logs them.
    let log = options.dir.join(format!("server-{users}.log"));
    let capture = BenchServer::start(
        &options.server,
        database_url,
        &[("RUST_LOG", "warn,api::sql=trace")],
        Some(log.clone()),
    )
    .await?;
    let actors = actors(&client, &capture, size).await?;
    let mut statements_of = Vec::new();
    let mut line = 0;
    capture.logged_statements(&mut line).await?;
    for workload in Workload::ALL.into_iter().filter(|w| w.is_read()) {
        let first = &workload::requests(workload, documents, &actors)[0];
        send(&client, &capture.url("/graphql"), first).await?;
        statements_of.push((workload, capture.logged_statements(&mut line).await?));
    }
    drop(capture);
    let _ = std::fs::remove_file(&log);

    let env: Vec<(&str, &str)> = options
        .server_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let server = BenchServer::start(&options.server, database_url, &env, None).await?;
    let mut workloads = Vec::new();
    let mut peer_report = None;
    for workload in Workload::ALL {
        let requests = workload::requests(workload, documents, &actors);
        let script = options.dir.join("load.lua");
        std::fs::write(&script, wrk::script(&requests))
            .map_err(|err| format!("cannot write {script:?}: {err}"))?;
        let url = server.url("/graphql");
        let connections = options.connections;
        let (warmup, duration) = (options.warmup, options.duration);
        let (s, u) = (script.clone(), url.clone());
        blocking(move || wrk::run(&s, &u, connections, warmup)).await?;
        // After the warm-up, so that the counts are those of the measured run: a token's
        // first use in a minute also records when its session was last used.
        let mut statements = (u32::MAX, 0);
        for request in requests.iter().take(100) {
            let count = send(&client, &url, request).await?;
            statements = (statements.0.min(count), statements.1.max(count));
        }
        let sampler = server.sample_rss();
        let (s, u) = (script.clone(), url.clone());
        let load = blocking(move || wrk::run(&s, &u, connections, duration)).await?;
        let rss_mib = sampler.stop();
        let _ = std::fs::remove_file(&script);
        let ceiling = match statements_of.iter().find(|(w, _)| *w == workload) {
            Some((_, sql)) => {
                let path = options.dir.join("ceiling.sql");
                let (script, url) = (pgbench::script(sql), database_url.to_owned());
                let outcome =
                    blocking(move || pgbench::run(&script, &path, &url, duration)).await?;
                let _ = std::fs::remove_file(options.dir.join("ceiling.sql"));
                Some(outcome)
            }
            None => None,
        };
        eprintln!(
            "bench: N = {users}: {}: {:.0} req/s, p99 {:.1} ms, {} errors, ceiling {:?}",
            workload.name(),
            load.rps,
            load.p99_ms,
            load.errors(),
            ceiling.map(|c| c.tps.round())
        );
        workloads.push(WorkloadReport {
            workload,
            load,
            rss_mib,
            statements,
            ceiling,
        });
        // Right after our Q1, on the same data and before any write changed it.
        if workload == Workload::Q1Nested
            && let Peer::Run { dir, node } = &options.peer
        {
            let ours = answer(&client, &url, &requests[0]).await?;
            let load = peer::Load {
                warmup,
                duration,
                connections,
            };
            let outcome = peer::run(dir, node, database_url, &ours, &load).await?;
            eprintln!(
                "bench: N = {users}: {} on Q1: {:.0} req/s, p99 {:.1} ms, {} errors, RSS {:.0} MiB",
                outcome.name,
                outcome.load.rps,
                outcome.load.p99_ms,
                outcome.load.errors(),
                outcome.rss_mib
            );
            peer_report = Some(outcome);
        }
    }
    Ok(SizeReport {
        users,
        counts,
        seed_secs,
        workloads,
        peer: peer_report,
    })
}

/// Runs a command-running closure off the runtime's threads, so that the memory sampler
/// keeps its pace.
async fn blocking<T: Send + 'static>(
    run: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(run)
        .await
        .map_err(|err| format!("a benchmark step panicked: {err}"))?
}

/// The server's configuration pointed at `database_url`, for seeding from this process.
fn config_for(database_url: &str) -> Result<api::Config, String> {
    let mut config = api::Config::defaults();
    config.database_url = database_url.to_owned();
    Ok(config)
}

/// Logs in the admin and [`VIEWERS`] users and finds some of each user's todos.
async fn actors(
    client: &reqwest::Client,
    server: &BenchServer,
    size: BenchSize,
) -> Result<Actors, String> {
    let url = server.url("/graphql");
    let admin = log_in(client, &url, bench_data::BENCH_ADMIN).await?;
    let mut users = Vec::new();
    for n in 1..=VIEWERS.min(size.users) {
        let token = log_in(client, &url, &bench_data::username(n)).await?;
        let todos = graphql(
            client,
            &url,
            Some(&token),
            "{ todos(first: 10) { nodes { id } } }",
            json!({}),
        )
        .await?;
        let ids: Vec<String> = todos["data"]["todos"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|node| node["id"].as_str().map(str::to_owned))
            .collect();
        if ids.is_empty() {
            return Err(format!("user {n} has no todos to write to"));
        }
        users.push((token, ids));
    }
    Ok(Actors {
        admin,
        users,
        // Spread over the whole data set, so Q2 does not read the same few rows.
        usernames: (0..200)
            .map(|k| bench_data::username(1 + (k * 7_919) % size.users.max(1)))
            .collect(),
        tags: (1..=size.tags).map(bench_data::tag_name).collect(),
    })
}

async fn log_in(client: &reqwest::Client, url: &str, login: &str) -> Result<String, String> {
    let response = graphql(
        client,
        url,
        None,
        "mutation($login: String!, $password: String!) { logIn(input: { login: $login, password: $password }) { token } }",
        json!({ "login": login, "password": bench_data::BENCH_PASSWORD }),
    )
    .await?;
    response["data"]["logIn"]["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("cannot log in as {login}: {response}"))
}

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut request = client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|err| err.to_string())?;
    response.json().await.map_err(|err| err.to_string())
}

/// POSTs one workload request as its user.
async fn post(
    client: &reqwest::Client,
    url: &str,
    request: &workload::Request,
) -> Result<reqwest::Response, String> {
    client
        .post(url)
        .bearer_auth(&request.token)
        .header("content-type", "application/json")
        .body(request.body.clone())
        .send()
        .await
        .map_err(|err| err.to_string())
}

/// Sends one workload request and returns its answer, which must hold no errors.
async fn answer(
    client: &reqwest::Client,
    url: &str,
    request: &workload::Request,
) -> Result<Value, String> {
    let body: Value = post(client, url, request)
        .await?
        .json()
        .await
        .map_err(|err| err.to_string())?;
    if body.get("errors").is_some() {
        return Err(format!("a benchmark request failed: {body}"));
    }
    Ok(body)
}

/// Sends one workload request, checks that it succeeded, and returns its statement count.
async fn send(
    client: &reqwest::Client,
    url: &str,
    request: &workload::Request,
) -> Result<u32, String> {
    let response = post(client, url, request).await?;
    let statements = response
        .headers()
        .get("x-sql-statements")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let status = response.status();
    let body: Value = response.json().await.map_err(|err| err.to_string())?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(format!("a benchmark request failed ({status}): {body}"));
    }
    Ok(statements)
}

/// A database created for one size's run, dropped afterwards.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str, users: u32) -> Result<Self, String> {
        let name = format!("bench_{users}_{}", std::process::id());
        let admin = Database::connect(admin_url)
            .await
            .map_err(|err| format!("cannot connect to {admin_url}: {err}"))?;
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|err| format!("cannot create database {name}: {err}"))?;
        let _ = admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Ok(Self {
            // TLS on loopback only burns CPU, for the server and pgbench alike.
            url: format!("{base}/{name}?sslmode=disable"),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    async fn drop(self) {
        if let Ok(admin) = Database::connect(&self.admin_url).await {
            let _ = admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .await;
            let _ = admin.close().await;
        }
    }
}
