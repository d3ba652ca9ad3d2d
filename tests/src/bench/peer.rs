//! The peer in the same run: PostGraphile v5 (`tests/bench/peer/`, pinned by its
//! package-lock.json) on the database the benchmark seeded, loaded by wrk exactly as our
//! server is for Q1, so that the comparison is rerun with every run rather than quoted.
//!
//! Before it is loaded, its answer to its version of Q1 (`tests/bench/peer/q1.graphql`) must
//! hold the same data as our server's answer to `tests/bench/q1_nested.graphql`: a peer
//! that answered a cheaper question would make the comparison worthless.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use chrono::DateTime;
use serde_json::{Value, json};

use super::{
    server::sample_rss,
    workload::Request,
    wrk::{self, LoadOutcome},
};

/// Whether and how the peer runs.
#[derive(Debug, Clone)]
pub enum Peer {
    /// Not run; the reason goes into the report.
    Skip(String),
    /// Run from `dir` (`tests/bench/peer`, installed with `npm ci`) with `node`.
    Run {
        /// The folder with server.mjs, q1.graphql and node_modules.
        dir: PathBuf,
        /// The Node.js binary.
        node: PathBuf,
    },
}

impl Peer {
    /// The peer in `dir` if `node` runs, is recent enough and the folder is installed;
    /// otherwise why not.
    pub fn detect(dir: &Path, node: &Path) -> Self {
        let version = node_version(node);
        if version.is_empty() {
            return Peer::Skip(format!("Node.js ({}) is not installed", node.display()));
        }
        let major = version
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        // PostGraphile v5 uses Node.js 22's APIs (`Promise.withResolvers`): on 20 every
        // query fails.
        if major.is_none_or(|m| m < MIN_NODE) {
            return Peer::Skip(format!(
                "Node.js {version} is older than the {MIN_NODE} that PostGraphile v5 needs"
            ));
        }
        if name_and_version(dir).is_none() {
            return Peer::Skip(format!(
                "not installed (`npm ci --prefix {}`)",
                dir.display()
            ));
        }
        Peer::Run {
            dir: dir.to_owned(),
            node: node.to_owned(),
        }
    }
}

/// The oldest Node.js major version PostGraphile v5 runs on.
const MIN_NODE: u32 = 22;

/// What the peer did under Q1's load.
#[derive(Debug, Clone)]
pub struct PeerReport {
    /// `PostGraphile 5.x.y`, from the installed package.
    pub name: String,
    /// The Node.js version it ran on.
    pub node: String,
    /// wrk's figures, same connections and duration as ours.
    pub load: LoadOutcome,
    /// Peak RSS of the Node.js process during the measured run, MiB.
    pub rss_mib: f64,
}

/// `PostGraphile <version>` from the installed package in `dir`.
fn name_and_version(dir: &Path) -> Option<String> {
    let manifest = dir.join("node_modules/postgraphile/package.json");
    let text = std::fs::read_to_string(manifest).ok()?;
    let version = serde_json::from_str::<Value>(&text).ok()?["version"]
        .as_str()?
        .to_owned();
    Some(format!("PostGraphile {version}"))
}

/// The load to give the peer: the same as our Q1's.
#[derive(Debug, Clone)]
pub struct Load {
    /// Warm-up, not measured (Node's JIT needs it more than we do).
    pub warmup: Duration,
    /// The measured run.
    pub duration: Duration,
    /// wrk's connections.
    pub connections: u32,
}

/// Starts the peer on `database_url`, checks that its Q1 answer holds the same data as
/// `ours` (our server's answer to Q1), loads it like our Q1, and stops it.
pub async fn run(
    dir: &Path,
    node: &Path,
    database_url: &str,
    ours: &Value,
    load: &Load,
) -> Result<PeerReport, String> {
    let name = name_and_version(dir).ok_or("the peer is not installed")?;
    let query = std::fs::read_to_string(dir.join("q1.graphql"))
        .map_err(|err| format!("cannot read the peer's q1.graphql: {err}"))?;
    let body = json!({ "query": query, "variables": {} }).to_string();
    let process = PeerProcess::start(dir, node, database_url).await?;
    let url = process.url();

    let client = reqwest::Client::new();
    let theirs: Value = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .map_err(|err| format!("the peer did not answer Q1: {err}"))?
        .json()
        .await
        .map_err(|err| format!("the peer's Q1 answer is not JSON: {err}"))?;
    if theirs.get("errors").is_some() {
        return Err(format!("the peer answered Q1 with errors: {theirs}"));
    }
    let (a, b) = (q1_digest(ours)?, q1_digest(&theirs)?);
    if a != b {
        let first = a.iter().zip(&b).find(|(x, y)| x != y);
        return Err(format!(
            "the peer's Q1 holds other data than ours ({} users against {}; first difference: {first:?})",
            a.len(),
            b.len()
        ));
    }

    let script = dir.join("load.lua");
    // The peer has no authentication: the token is sent only so that the requests are
    // the same size as ours.
    let request = Request {
        token: "peer".to_owned(),
        body,
    };
    std::fs::write(&script, wrk::script(&[request]))
        .map_err(|err| format!("cannot write {script:?}: {err}"))?;
    let (s, u, c, warmup) = (script.clone(), url.clone(), load.connections, load.warmup);
    super::blocking(move || wrk::run(&s, &u, c, warmup)).await?;
    let sampler = sample_rss(process.child.id());
    let (s, u, d) = (script.clone(), url, load.duration);
    let outcome = super::blocking(move || wrk::run(&s, &u, c, d)).await;
    let rss_mib = sampler.stop();
    let _ = std::fs::remove_file(&script);
    Ok(PeerReport {
        name,
        node: node_version(node),
        load: outcome?,
        rss_mib,
    })
}

/// `v24.1.0`, or empty when `node` does not run.
fn node_version(node: &Path) -> String {
    Command::new(node)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// One user of a Q1 answer: username, then per todo its title, priority, due date (as an
/// instant: the two servers format dates differently) and tag names.
type UserDigest = (String, Vec<(String, String, Option<i64>, Vec<String>)>);

/// The data of a Q1 answer, whichever server gave it. Both documents alias their fields to
/// `users { nodes { username todos { nodes { title priority dueDate tags } } } }`; our tags
/// are a list of tags, PostGraphile's a connection of links (`nodes { tag { name } }`), so
/// tag names are compared as sets (PostGraphile cannot sort links by the tag's name).
pub fn q1_digest(answer: &Value) -> Result<Vec<UserDigest>, String> {
    let nodes = |v: &Value, what: &str| -> Result<Vec<Value>, String> {
        v["nodes"]
            .as_array()
            .cloned()
            .ok_or_else(|| format!("no {what}.nodes in the Q1 answer"))
    };
    let mut users = Vec::new();
    for user in nodes(&answer["data"]["users"], "users")? {
        let mut todos = Vec::new();
        for todo in nodes(&user["todos"], "todos")? {
            let tags = match &todo["tags"] {
                Value::Array(tags) => tags.clone(),
                links => nodes(links, "tags")?
                    .into_iter()
                    .map(|link| link["tag"].clone())
                    .collect(),
            };
            let mut names: Vec<String> = tags
                .iter()
                .filter_map(|tag| tag["name"].as_str().map(str::to_owned))
                .collect();
            names.sort();
            let due = match &todo["dueDate"] {
                Value::Null => None,
                Value::String(s) => Some(
                    DateTime::parse_from_rfc3339(s)
                        .map_err(|err| format!("dueDate {s:?}: {err}"))?
                        .timestamp_millis(),
                ),
                other => return Err(format!("dueDate {other}")),
            };
            todos.push((
                todo["title"].as_str().unwrap_or_default().to_owned(),
                // PostGraphile names enum values as PostgreSQL spells them (`high`).
                todo["priority"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
                due,
                names,
            ));
        }
        users.push((
            user["username"].as_str().unwrap_or_default().to_owned(),
            todos,
        ));
    }
    if users.is_empty() {
        return Err("the Q1 answer holds no users".to_owned());
    }
    Ok(users)
}

/// The peer's Node.js process; killed when dropped.
struct PeerProcess {
    child: Child,
    port: u16,
}

impl PeerProcess {
    async fn start(dir: &Path, node: &Path, database_url: &str) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|err| format!("no free port: {err}"))?
            .port();
        let child = Command::new(node)
            .arg("server.mjs")
            .current_dir(dir)
            .env("DATABASE_URL", database_url)
            .env("PORT", port.to_string())
            .env("NODE_ENV", "production")
            .env("GRAPHILE_ENV", "production")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot start the peer with {node:?}: {err}"))?;
        let mut process = Self { child, port };
        let client = reqwest::Client::new();
        // The schema is introspected from the database at start: allow it a while.
        for _ in 0..600 {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!("the peer exited at start ({status})"));
            }
            let probe = client
                .post(process.url())
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(process);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = process.child.kill();
        Err("the peer did not become ready in 60 s".to_owned())
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_answer_shapes_digest_alike_and_differences_show() {
        let ours = json!({ "data": { "users": { "nodes": [{
            "id": "VXNlcjox", "username": "user00001",
            "todos": { "nodes": [{
                "id": "x", "title": "Buy milk", "priority": "HIGH",
                "dueDate": "2026-12-01T10:00:00Z",
                "tags": [{ "id": "a", "name": "tag002" }, { "id": "b", "name": "tag010" }]
            }] }
        }] } } });
        let theirs = json!({ "data": { "users": { "nodes": [{
            "id": "WyJVc2VyIiwxXQ==", "username": "user00001",
            "todos": { "nodes": [{
                "id": "y", "title": "Buy milk", "priority": "high",
                "dueDate": "2026-12-01T11:00:00+01:00",
                "tags": { "nodes": [
                    { "tag": { "id": 10, "name": "tag010" } },
                    { "tag": { "id": 2, "name": "tag002" } }
                ] }
            }] }
        }] } } });
        assert_eq!(q1_digest(&ours), q1_digest(&theirs));
        let mut other = theirs.clone();
        other["data"]["users"]["nodes"][0]["todos"]["nodes"][0]["tags"]["nodes"][0]["tag"]["name"] =
            json!("tag011");
        assert_ne!(q1_digest(&ours), q1_digest(&other));
        assert!(q1_digest(&json!({ "data": { "users": { "nodes": [] } } })).is_err());
    }
}
