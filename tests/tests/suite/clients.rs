//! What real client tools make of the server, with the tools themselves (tests/clients/,
//! pinned by its package-lock.json): the trusted-documents manifests that graphql-codegen's
//! client preset and relay-compiler write run by id in every form clients send ids in, and
//! graphql-js builds the same schema from introspection as from schema.graphql.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use serde_json::{Value, json};
use tests::{
    Backend, both_backends,
    test_app::{TestApp, error_code},
};

/// The manifests of `tests/clients/manifests.mjs`: name → file.
type Manifests = BTreeMap<String, PathBuf>;

/// One operation of a manifest: its id there and its text.
struct Document {
    id: String,
    text: String,
}

/// The manifest's operations by what they do (`SignUp`, `CreateTodo`, `MyTodos`), whatever
/// each tool named them.
fn documents(manifest: &Path) -> BTreeMap<&'static str, Document> {
    let text = std::fs::read_to_string(manifest).expect("the manifest");
    let listed: BTreeMap<String, String> = serde_json::from_str(&text).expect("id → document");
    assert_eq!(listed.len(), 3, "{}: {text}", manifest.display());
    let documents: BTreeMap<_, _> = listed
        .into_iter()
        .map(|(id, text)| {
            let role = ["SignUp", "CreateTodo", "MyTodos"]
                .into_iter()
                .find(|role| text.contains(role))
                .expect("one of the three operations");
            (role, Document { id, text })
        })
        .collect();
    assert_eq!(documents.len(), 3, "{}: {text}", manifest.display());
    documents
}

/// The ways a client names a trusted document, as JSON fields of its request.
fn wire_forms(document: &Document) -> Vec<(&'static str, Value)> {
    let sha256 = api::execution::documents::sha256_hex(&document.text);
    vec![
        // graphql-codegen's runtime sends the id it generated (`__meta__.hash`), as the
        // GraphQL-over-HTTP draft's documentId.
        ("documentId", json!({ "documentId": document.id })),
        // The draft's own form of a sha256 id.
        (
            "documentId sha256:",
            json!({ "documentId": format!("sha256:{sha256}") }),
        ),
        // Relay's network layer, as its documentation writes it.
        ("doc_id", json!({ "doc_id": document.id })),
        // APQ clients (Apollo, urql) hash the document themselves.
        (
            "persistedQuery",
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256 } } }),
        ),
        // graphql-codegen's documentation passes its id as the APQ hash.
        (
            "persistedQuery with the manifest's id",
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": document.id } } }),
        ),
    ]
}

async fn post_as(app: &TestApp, token: Option<&str>, body: &Value) -> Value {
    let mut request = app.client().post(app.url("/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    response.json().await.expect("a JSON body")
}

fn with(mut form: Value, variables: Value) -> Value {
    form["variables"] = variables;
    form
}

async fn codegen_and_relay_manifests_run_by_id(backend: Backend) {
    let Some(manifests) = manifests() else {
        return;
    };
    assert_eq!(
        manifests.keys().collect::<Vec<_>>(),
        ["codegen-sha1", "codegen-sha256", "relay"],
        "{manifests:?}"
    );
    // The issue's case first: the client preset's sha256 ids, `sha256:` in the manifest.
    for name in ["codegen-sha256", "relay", "codegen-sha1"] {
        let manifest = &manifests[name];
        let documents = documents(manifest);
        let file = manifest.clone();
        let Some(app) = TestApp::start_with(backend, move |config| {
            config.documents.trusted_documents = Some(file);
        })
        .await
        else {
            return;
        };
        let username = format!("user-{name}");
        let signed_up = post_as(
            &app,
            None,
            &with(
                json!({ "documentId": documents["SignUp"].id }),
                json!({ "input": {
                    "email": format!("{username}@example.com"),
                    "username": username,
                    "password": "correct horse battery staple",
                } }),
            ),
        )
        .await;
        let token = signed_up["data"]["signUp"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: signUp by its id: {signed_up}"))
            .to_owned();

        for ((form, create), (_, list)) in wire_forms(&documents["CreateTodo"])
            .into_iter()
            .zip(wire_forms(&documents["MyTodos"]))
        {
            let title = format!("{name}, {form}");
            let created = post_as(
                &app,
                Some(&token),
                &with(
                    create,
                    json!({ "input": { "title": title, "tags": ["codegen"] } }),
                ),
            )
            .await;
            assert_eq!(
                created["data"]["createTodo"]["title"], title,
                "{name}: the mutation by {form}: {created}"
            );
            let listed = post_as(&app, Some(&token), &with(list, json!({ "first": 50 }))).await;
            let titles: Vec<&str> = listed["data"]["viewer"]["todos"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: the query by {form}: {listed}"))
                .iter()
                .filter_map(|todo| todo["title"].as_str())
                .collect();
            assert!(
                titles.contains(&title.as_str()),
                "{name}: the query by {form}: {listed}"
            );
        }

        // By GET, as a CDN caches it: the id in the URL.
        let url = reqwest::Url::parse_with_params(
            &app.url("/graphql"),
            [
                ("documentId", documents["MyTodos"].id.as_str()),
                ("variables", r#"{"first": 1}"#),
            ],
        )
        .expect("a URL");
        let response = app
            .client()
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("an answer");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body["data"]["viewer"]["username"], username,
            "{name}: by GET: {body}"
        );

        // Still only these documents: another id, or another text, is refused.
        for body in [
            json!({ "documentId": format!("sha256:{}", "0".repeat(64)) }),
            json!({ "query": "{ viewer { username } }" }),
        ] {
            let answer = post_as(&app, Some(&token), &body).await;
            assert_eq!(
                error_code(&answer),
                Some("FORBIDDEN"),
                "{name}: {body}: {answer}"
            );
        }
    }
}
both_backends!(backend codegen_and_relay_manifests_run_by_id);

/// A manifest whose `sha256:` id is not its document's sha256 is refused at start, saying
/// which: it was edited by hand or mixed up, and clients hashing the document would not
/// find it.
#[test]
fn a_manifest_with_a_wrong_sha256_id_is_refused_at_start() {
    let path = std::env::temp_dir().join(format!("wrong-sha256-{}.json", std::process::id()));
    let wrong = format!("sha256:{}", "ab".repeat(32));
    std::fs::write(
        &path,
        json!({ wrong.clone(): "{ viewer { username } }" }).to_string(),
    )
    .expect("write the manifest");
    let mut config = api::Config::defaults();
    config.documents.trusted_documents = Some(path.clone());
    let refused = api::execution::documents::Documents::new(&config.documents, &config.limits);
    let _ = std::fs::remove_file(&path);
    let Err(error) = refused else {
        panic!("a manifest with a wrong sha256 id was accepted");
    };
    // As the server reports it when it stops at start.
    let message = format!("{error:?}");
    assert!(
        message.contains(&wrong) && message.contains("is not its document's sha256"),
        "{message}"
    );
}

/// graphql-js's `printSchema(buildClientSchema(introspection))` is its
/// `printSchema(buildSchema(schema.graphql))`, with the same schema description and the
/// same types, built-in scalars included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_js_introspects_schema_graphql() {
    let Some(dir) = clients_dir() else {
        return;
    };
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    // The same under aliases, through a fragment, and for `__type`, which graphql-js's
    // query does not ask.
    let answer = app
        .gql(
            "{ float: __type(name: \"Float\") { name } int: __type(name: \"Int\") { name } \
               s: __schema { about: description ...Types } } \
             fragment Types on __Schema { all: types { called: name } }",
            json!({}),
        )
        .await;
    assert_eq!(answer["data"]["float"], Value::Null, "{answer}");
    assert_eq!(answer["data"]["int"]["name"], "Int", "{answer}");
    assert_eq!(answer["data"]["s"]["about"], Value::Null, "{answer}");
    let types = answer["data"]["s"]["all"].as_array().expect("the types");
    assert!(
        types.iter().any(|ty| ty["called"] == "Int")
            && !types.iter().any(|ty| ty["called"] == "Float"),
        "{answer}"
    );

    let url = app.url("/graphql");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("introspection.mjs"))
            .arg(url)
            .output()
    })
    .await
    .expect("the node task finishes")
    .expect("node starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "introspection.mjs failed ({}):\n{}\n{stdout}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let pictures: Value = serde_json::from_str(&stdout).expect("JSON");
    let introspected = pictures["introspected"].as_str().expect("a string");
    let written = pictures["written"].as_str().expect("a string");
    assert!(
        introspected == written,
        "introspection and schema.graphql differ for graphql-js (- introspection, + \
         schema.graphql):\n{}",
        line_diff(introspected, written)
    );
}

/// The lines only in `left` (-) and only in `right` (+), in order, with their line numbers.
fn line_diff(left: &str, right: &str) -> String {
    let left: Vec<&str> = left.lines().collect();
    let right: Vec<&str> = right.lines().collect();
    // Longest common subsequence, from the end: the schemas are a few thousand lines.
    let mut common = vec![vec![0u32; right.len() + 1]; left.len() + 1];
    for i in (0..left.len()).rev() {
        for j in (0..right.len()).rev() {
            common[i][j] = if left[i] == right[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < left.len() || j < right.len() {
        if i < left.len() && j < right.len() && left[i] == right[j] {
            i += 1;
            j += 1;
        } else if j < right.len() && (i == left.len() || common[i][j + 1] >= common[i + 1][j]) {
            out.push_str(&format!("{:>5} + {}\n", j + 1, right[j]));
            j += 1;
        } else {
            out.push_str(&format!("{:>5} - {}\n", i + 1, left[i]));
            i += 1;
        }
    }
    out
}

/// The manifests, written once per test run by the pinned tools into this run's own folder.
fn manifests() -> Option<&'static Manifests> {
    static MANIFESTS: OnceLock<Option<Manifests>> = OnceLock::new();
    MANIFESTS
        .get_or_init(|| {
            let dir = clients_dir()?;
            let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("client-manifests-{}", std::process::id()));
            let output = Command::new("node")
                .arg(dir.join("manifests.mjs"))
                .arg(&out)
                .output()
                .expect("node starts");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "manifests.mjs failed ({}):\n{}\n{stdout}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            Some(serde_json::from_str(&stdout).expect("name → manifest file"))
        })
        .as_ref()
}

/// tests/clients, when node and its `npm ci` are there. Otherwise `None` after saying why,
/// or, with CI=true, a panic: in CI these tests must never pass as a skip.
fn clients_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients");
    let missing = if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
    {
        Some("node is not on PATH".to_owned())
    } else if ["@graphql-codegen/cli", "relay-compiler", "graphql"]
        .iter()
        .any(|package| !dir.join("node_modules").join(package).is_dir())
    {
        Some(format!(
            "{} has no node_modules (npm ci --prefix tests/clients)",
            dir.display()
        ))
    } else {
        None
    };
    let Some(missing) = missing else {
        return Some(dir);
    };
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(!in_ci, "CI=true but the client tools cannot run: {missing}");
    eprintln!("skipped: client tools test: {missing}");
    None
}
