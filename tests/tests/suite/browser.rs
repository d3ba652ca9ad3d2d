//! GraphiQL in a real browser: `tests/browser/graphiql.mjs` drives a headless Chromium
//! (Debian's, through playwright-core) against the server, with every request to another
//! host blocked and reported, so the IDE is proven to work offline, and
//! `tests/browser/graphiql-login.mjs` signs in from a `logIn` run in the page; and the embedded files
//! it loads, with their types and cache headers.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::json;
use tests::{Backend, test_app::TestApp};

/// The browser the script launches; playwright-core downloads none.
const CHROMIUM: &str = "/usr/bin/chromium";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_the_example_query_offline() {
    let Some(script) = browser_script() else {
        return;
    };
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    // Todos are visible to their owner only: seeing its title in GraphiQL's result proves
    // the Authorization header typed in the Headers tab reached the server.
    let title = "Water the plants, from GraphiQL";
    let created = app
        .gql_as(
            &token,
            "mutation($input: CreateTodoInput!) { createTodo(input: $input) { title } }",
            json!({ "input": { "title": title, "tags": ["home"] } }),
        )
        .await;
    assert_eq!(created["data"]["createTodo"]["title"], title, "{created}");

    run_script(script, vec![app.url("/"), token, title.to_owned()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_signs_in_from_a_log_in_run_in_the_page() {
    let Some(script) = browser_script() else {
        return;
    };
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let mut config = api::Config::defaults();
    config.database_url = app.database_url().to_owned();
    let demo = api::seed_demo(&config).await.expect("seed the demo");
    // The script logs in through the page itself, checks the Headers tab, the banner and the
    // example query's todos, reloads, and logs out.
    let script = script.with_file_name("graphiql-login.mjs");
    run_script(
        script,
        vec![
            app.url("/"),
            demo.username.to_owned(),
            demo.password.clone(),
        ],
    )
    .await;
}

/// Runs one of the browser scripts with `args`; fails the test with its output if it fails.
async fn run_script(script: PathBuf, args: Vec<String>) {
    let name = script.display().to_string();
    // The server runs on this runtime: wait for the browser off its worker threads.
    let output =
        tokio::task::spawn_blocking(move || Command::new("node").arg(&script).args(&args).output())
            .await
            .expect("the browser task finishes")
            .expect("node starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} failed ({}):\n{stderr}\n{stdout}",
        output.status
    );
    eprintln!("{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_assets_are_embedded_and_cached() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let client = app.client();
    let page = client.get(app.url("/")).send().await.expect("GET /");
    assert_eq!(page.status(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    // Sockets to this server only, not to any host.
    let host = app
        .url("/")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    assert!(
        csp.contains(&format!("connect-src 'self' ws://{host} wss://{host};")),
        "{csp}"
    );
    let forged = client
        .get(app.url("/"))
        .header("host", "evil.example\"; script-src *")
        .send()
        .await
        .expect("GET / with a strange Host");
    let forged_csp = forged
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(forged_csp.contains("connect-src 'self';"), "{forged_csp}");
    let html = page.text().await.expect("the page");
    assert!(!html.contains("<script>"), "no inline script: {html}");

    let assets: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(assets.len(), 6, "2 stylesheets, 4 scripts: {html}");
    for path in assets {
        let response = client.get(app.url(path)).send().await.expect("an asset");
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let expected_type = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(header("content-type"), expected_type, "{path}");
        assert_eq!(
            header("cache-control"),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert!(
            !response.bytes().await.expect("a body").is_empty(),
            "{path}"
        );
    }

    for unknown in ["/graphiql/graphiql.min.js", "/graphiql/..%2FCargo.toml"] {
        let response = client.get(app.url(unknown)).send().await.expect("a 404");
        assert_eq!(response.status(), 404, "{unknown}");
    }
}

/// The script, when everything it needs is installed (Chromium, node, `npm ci` in
/// tests/browser). Otherwise `None` after saying why, or, with CI=true, a panic: in CI the
/// browser test must never pass as a skip.
fn browser_script() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    let missing = if !Path::new(CHROMIUM).exists() {
        Some(format!(
            "{CHROMIUM} is missing (apt-get install -y chromium)"
        ))
    } else if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
    {
        Some("node is not on PATH".to_owned())
    } else if !dir.join("node_modules/playwright-core").is_dir() {
        Some(format!(
            "{} has no node_modules (npm ci --prefix tests/browser)",
            dir.display()
        ))
    } else {
        None
    };
    let Some(missing) = missing else {
        return Some(dir.join("graphiql.mjs"));
    };
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(!in_ci, "CI=true but the browser test cannot run: {missing}");
    eprintln!("skipped: GraphiQL browser test: {missing}");
    None
}
