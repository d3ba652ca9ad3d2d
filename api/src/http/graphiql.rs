//! GraphiQL at `GET /`, from files compiled into the binary (`api/assets/graphiql/`): no CDN,
//! so the IDE works on a machine without internet and under a strict Content-Security-Policy.

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderName, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Where GraphiQL sends operations; subscriptions open a WebSocket on the same path.
const ENDPOINT: &str = "/graphql";

/// Where the assets are served from: `/graphiql/{file}`.
const ASSET_PREFIX: &str = "/graphiql/";

/// Everything comes from this server. WebSocket (for subscriptions) only to the page's own
/// host: CSP 3 counts same-origin ws:/wss: as 'self', but older browsers do not, so the
/// host is named. Inline styles because GraphiQL's editors and popovers set style
/// attributes; data: images and fonts because GraphiQL's CSS embeds its fonts and icons
/// that way. No inline or eval'd script.
fn content_security_policy(host: Option<&str>) -> String {
    // Only a plain host[:port] is written into the header; anything else gets 'self' alone.
    let sockets = host
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .map(|host| format!(" ws://{host} wss://{host}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; connect-src 'self'{sockets}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// An asset's name changes with its content (a package version or a content hash), so a
/// browser may keep it for good.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// What GraphiQL shows first: the nested shape the server is built for.
const EXAMPLE_QUERY: &str = "# Sign up or log in (see the README) with a mutation that asks for
#   { token user { username } }
# and this page puts the token in the Headers tab below; then run this query.
query Example {
  viewer { username }
  users(first: 5) {
    nodes {
      username
      todos(first: 3, filter: { completed: false }) {
        totalCount
        nodes { title priority dueDate tags { name color } }
      }
    }
  }
}
";

/// One file under `/graphiql/`.
struct Asset {
    /// The file name without its extension; vendored files carry their package version.
    stem: &'static str,
    /// Set for our own files, whose names carry no version: it goes into the served name.
    content_hash: Option<u64>,
    extension: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

impl Asset {
    /// A file from an npm package, its version in `stem`.
    const fn vendored(
        stem: &'static str,
        extension: &'static str,
        content_type: &'static str,
        body: &'static [u8],
    ) -> Self {
        Self {
            stem,
            content_hash: None,
            extension,
            content_type,
            body,
        }
    }

    /// One of our files, served under a name with a hash of its content, so that editing it
    /// is enough to bust caches.
    const fn own(
        stem: &'static str,
        extension: &'static str,
        content_type: &'static str,
        body: &'static [u8],
    ) -> Self {
        Self {
            stem,
            content_hash: Some(fnv1a(body)),
            extension,
            content_type,
            body,
        }
    }

    /// The name in `/graphiql/{file}`.
    fn served_name(&self) -> String {
        match self.content_hash {
            Some(hash) => format!("{}.{hash:016x}.{}", self.stem, self.extension),
            None => format!("{}.{}", self.stem, self.extension),
        }
    }

    fn url(&self) -> String {
        format!("{ASSET_PREFIX}{}", self.served_name())
    }
}

// The versions are also in api/assets/graphiql/README.md, with the commands that fetched them.
static GRAPHIQL_CSS: Asset = Asset::vendored(
    "graphiql-4.1.2.min",
    "css",
    CSS,
    include_bytes!("../../assets/graphiql/graphiql-4.1.2.min.css"),
);
static GRAPHIQL_JS: Asset = Asset::vendored(
    "graphiql-4.1.2.min",
    "js",
    JAVASCRIPT,
    include_bytes!("../../assets/graphiql/graphiql-4.1.2.min.js"),
);
static REACT_JS: Asset = Asset::vendored(
    "react-18.3.1.production.min",
    "js",
    JAVASCRIPT,
    include_bytes!("../../assets/graphiql/react-18.3.1.production.min.js"),
);
static REACT_DOM_JS: Asset = Asset::vendored(
    "react-dom-18.3.1.production.min",
    "js",
    JAVASCRIPT,
    include_bytes!("../../assets/graphiql/react-dom-18.3.1.production.min.js"),
);
static PAGE_CSS: Asset = Asset::own(
    "todo-graphiql",
    "css",
    CSS,
    include_bytes!("../../assets/graphiql/todo-graphiql.css"),
);
static BOOTSTRAP_JS: Asset = Asset::own(
    "todo-graphiql",
    "js",
    JAVASCRIPT,
    include_bytes!("../../assets/graphiql/todo-graphiql.js"),
);

static ASSETS: [&Asset; 6] = [
    &GRAPHIQL_CSS,
    &GRAPHIQL_JS,
    &REACT_JS,
    &REACT_DOM_JS,
    &PAGE_CSS,
    &BOOTSTRAP_JS,
];

/// GET /: the GraphiQL page. It names the assets by their current URLs, so it must be
/// revalidated rather than cached.
pub async fn page(headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                content_security_policy(host),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        page_html(),
    )
        .into_response()
}

/// GET /graphiql/{file}: one embedded asset, or 404.
pub async fn asset(Path(file): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.served_name() == file) else {
        return (StatusCode::NOT_FOUND, "no such GraphiQL asset").into_response();
    };
    let headers: [(HeaderName, &str); 3] = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, CACHE_FOREVER),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, asset.body).into_response()
}

fn page_html() -> String {
    // `defer` keeps the scripts in this order and runs them once #graphiql exists.
    let scripts: String = [&REACT_JS, &REACT_DOM_JS, &GRAPHIQL_JS, &BOOTSTRAP_JS]
        .iter()
        .map(|script| format!("  <script defer src=\"{}\"></script>\n", script.url()))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Todo GraphQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{graphiql_css}">
  <link rel="stylesheet" href="{page_css}">
{scripts}</head>
<body>
  <p class="todo-note" id="todo-note">Anonymous until you authenticate: run the
    <code>signUp</code> or <code>logIn</code> mutation (ask for its <code>token</code>), and the
    page puts <code>{{"Authorization": "Bearer &lt;token&gt;"}}</code> in the <b>Headers</b> tab
    for you.</p>
  <div class="todo-session" id="todo-session" role="status" hidden></div>
  <div id="graphiql" data-endpoint="{endpoint}" data-default-query="{query}">Loading GraphiQL…</div>
</body>
</html>
"#,
        graphiql_css = GRAPHIQL_CSS.url(),
        page_css = PAGE_CSS.url(),
        endpoint = escape_attribute(ENDPOINT),
        query = escape_attribute(EXAMPLE_QUERY),
    )
}

/// Makes `text` safe inside a double-quoted HTML attribute.
fn escape_attribute(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// 64-bit FNV-1a: cheap enough to run at compile time, and a changed file gets a new name.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}
