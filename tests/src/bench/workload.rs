//! The benchmark's workloads: the GraphQL documents of `tests/bench/` and the requests built
//! from them, each with the token it is sent with.

use std::path::Path;

use serde_json::{Value, json};

/// One workload of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// 50 users × their 10 newest open todos × tags, as the admin.
    Q1Nested,
    /// One user (rotated) with 25 todos and their tags, as the admin.
    Q2Detail,
    /// One tag's (rotated) 20 newest todos with their owners, as the admin.
    Q3Reverse,
    /// The viewer's (rotated) todos matching a common word, first 20.
    Q4Search,
    /// 90 % of Q1–Q4, 10 % createTodo / toggleTodo / updateTodo from several users.
    M1Mixed,
}

impl Workload {
    /// Every workload, in the order they run (the writes last, so that the reads see the
    /// data as seeded).
    pub const ALL: [Workload; 5] = [
        Workload::Q1Nested,
        Workload::Q2Detail,
        Workload::Q3Reverse,
        Workload::Q4Search,
        Workload::M1Mixed,
    ];

    /// Its short name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Q1Nested => "Q1 nested",
            Workload::Q2Detail => "Q2 detail",
            Workload::Q3Reverse => "Q3 reverse",
            Workload::Q4Search => "Q4 search",
            Workload::M1Mixed => "M1 mixed",
        }
    }

    /// Whether the workload only reads (and so has a database ceiling to compare with).
    pub fn is_read(self) -> bool {
        self != Workload::M1Mixed
    }
}

/// One request as the load generator sends it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The bearer token.
    pub token: String,
    /// The JSON body.
    pub body: String,
}

/// The documents of `tests/bench/`, read once.
#[derive(Debug, Clone)]
pub struct Documents {
    q1: String,
    q2: String,
    q3: String,
    q4: String,
    create: String,
    toggle: String,
    update: String,
}

impl Documents {
    /// Reads the documents from `dir` (`tests/bench`).
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name));
        Ok(Self {
            q1: read("q1_nested.graphql")?,
            q2: read("q2_detail.graphql")?,
            q3: read("q3_reverse.graphql")?,
            q4: read("q4_search.graphql")?,
            create: read("m1_create.graphql")?,
            toggle: read("m1_toggle.graphql")?,
            update: read("m1_update.graphql")?,
        })
    }
}

/// Who the requests are sent as, and what they can point at.
#[derive(Debug, Clone)]
pub struct Actors {
    /// The admin's token (sees every todo).
    pub admin: String,
    /// Several users' tokens, each with the global IDs of some of that user's todos.
    pub users: Vec<(String, Vec<String>)>,
    /// Usernames to rotate Q2 over.
    pub usernames: Vec<String>,
    /// Tag names to rotate Q3 over.
    pub tags: Vec<String>,
}

fn body(query: &str, variables: Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

/// The requests of `workload`, which the load generator cycles through.
pub fn requests(workload: Workload, documents: &Documents, actors: &Actors) -> Vec<Request> {
    let as_admin = |body: String| Request {
        token: actors.admin.clone(),
        body,
    };
    match workload {
        Workload::Q1Nested => vec![as_admin(body(&documents.q1, json!({})))],
        Workload::Q2Detail => actors
            .usernames
            .iter()
            .map(|username| as_admin(body(&documents.q2, json!({ "username": username }))))
            .collect(),
        Workload::Q3Reverse => actors
            .tags
            .iter()
            .map(|name| as_admin(body(&documents.q3, json!({ "name": name }))))
            .collect(),
        Workload::Q4Search => actors
            .users
            .iter()
            .map(|(token, _)| Request {
                token: token.clone(),
                body: body(&documents.q4, json!({})),
            })
            .collect(),
        Workload::M1Mixed => mixed(documents, actors),
    }
}

/// 100 requests: in every ten, nine reads taken in turn from Q1–Q4 and one write, taken in
/// turn from createTodo, toggleTodo and updateTodo by the users in turn.
fn mixed(documents: &Documents, actors: &Actors) -> Vec<Request> {
    let reads: Vec<Vec<Request>> = Workload::ALL
        .iter()
        .filter(|w| w.is_read())
        .map(|&w| requests(w, documents, actors))
        .collect();
    let mut out = Vec::with_capacity(100);
    for n in 0..100_usize {
        if n % 10 == 9 {
            let write = n / 10;
            let (token, todos) = &actors.users[write % actors.users.len()];
            let id = &todos[write % todos.len().max(1)];
            let body = match write % 3 {
                0 => body(
                    &documents.create,
                    json!({ "title": format!("Benchmark todo {write}") }),
                ),
                1 => body(&documents.toggle, json!({ "id": id })),
                _ => body(
                    &documents.update,
                    json!({ "id": id, "title": format!("Renamed by the benchmark {write}") }),
                ),
            };
            out.push(Request {
                token: token.clone(),
                body,
            });
        } else {
            let kind = &reads[n % reads.len()];
            out.push(kind[(n / reads.len()) % kind.len()].clone());
        }
    }
    out
}
