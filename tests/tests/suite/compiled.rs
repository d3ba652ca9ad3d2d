//! Compiled operations answer exactly what the generic executor answers. The fast path plans a
//! read operation once and writes its JSON straight from SQL rows, so everything async-graphql
//! does for free there (field order, aliases, fragments merged, `@include`/`@skip`, nulls,
//! string escaping, cursors, page flags, visibility per viewer, errors) it must redo by hand.
//!
//! Two servers share one seeded database (`seed`): A compiles (the default), B never does
//! (`compiled_operations = false`), so B is the reference. Generated documents (`generate`,
//! proptest, shrinking to a minimal case on failure) over users, todos and tags, as
//! anonymous, two users and an admin, are sent twice to A, since A compiles a document only
//! once it has run without error through the generic path, and once to B; A's second answer
//! must be B's, byte for byte, with B's keys put in the document's order (see
//! [`Answer::agrees`] for why B's own order cannot be the reference), and the same status.
//! Then the same document as another viewer with other variables (directives flipped, other
//! page sizes, some refused, cursors, names) goes once to each: A answers it from its plan,
//! which must read each request's viewer and variables, or gives it back to the generic path. One case in five uses what the fast path does not support (totalCount,
//! preferences, history, the viewer, `... on Node`, lists it does not plan, refused pages),
//! so the fallback is checked too; and a good share of the answers must really be compiled,
//! or the comparison would prove nothing. The four benchmark documents are fixed cases,
//! each of which must be compiled.

mod arguments;
mod case;
mod generate;
mod seed;
mod write;

use std::{
    collections::HashSet,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use serde_json::json;
use tests::{both_backends, test_app::TestApp};

use self::{
    case::{Case, Sel},
    write::{Request, Writer, canonical},
};

/// Generated cases per backend (PROPTEST_CASES overrides it).
const CASES: u32 = 300;

/// The header a compiled answer carries (with `expose_sql_statement_count`).
const COMPILED: &str = "x-compiled-operation";

/// The viewers, by index: anonymous, two users, the admin.
const VIEWERS: [&str; 4] = [
    "anonymous",
    "ann (a user)",
    "bob (a user)",
    "root (the admin)",
];

/// Both servers: no rate limits, since the test sends thousands of requests a minute.
fn unlimited(config: &mut api::Config) {
    config.rate_limits.points = 0;
    config.rate_limits.anonymous_points = 0;
}

async fn compiled_answers_match_the_generic_ones(app: TestApp) {
    let generic = app
        .start_beside(|config| {
            unlimited(config);
            config.documents.compiled_operations = false;
        })
        .await;
    let viewers = seed::seed(&app).await;
    let cursors = seed::cursors(&generic, viewers[3].as_deref()).await;
    let pair = Pair {
        compiled: &app,
        generic: &generic,
        viewers: &viewers,
        seen: Mutex::default(),
    };

    let bench = [
        (include_str!("../../bench/q1_nested.graphql"), json!({}), 3),
        (
            include_str!("../../bench/q2_detail.graphql"),
            json!({ "username": "ann" }),
            3,
        ),
        (
            include_str!("../../bench/q3_reverse.graphql"),
            json!({ "name": "work" }),
            3,
        ),
        (include_str!("../../bench/q4_search.graphql"), json!({}), 1),
    ];
    for (document, variables, viewer) in bench {
        let request = Request {
            document: document.to_owned(),
            variables,
            operation_name: None,
        };
        // Their answers' async fields come last in each selection, so B's order is theirs.
        let compiled = pair
            .compare(&request, None, viewer, false)
            .await
            .unwrap_or_else(|mismatch| panic!("{mismatch}"));
        assert!(compiled, "not compiled on its second run:\n{document}");
    }

    let counts = Counts::default();
    let started = std::time::Instant::now();
    let handle = tokio::runtime::Handle::current();
    let check = |case: Case| -> Result<(), TestCaseError> {
        match handle.block_on(pair.check(&case, &cursors)) {
            Ok((compiled, variant)) => counts.add(compiled, variant),
            Err(mismatch) => return Err(TestCaseError::fail(mismatch)),
        }
        Ok(())
    };
    let mut config = Config {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    // Fixed unless PROPTEST_RNG_SEED or PROPTEST_CASES asks for another run.
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x5eed_c0de);
    }
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config.cases = Config::default().cases;
    }
    // The runner is synchronous: it runs on a thread of its own with a large stack (deep
    // strategies in a debug build), blocking on the requests while the runtime's workers
    // serve both servers.
    let result = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(scope, || {
                    TestRunner::new(config)
                        .run(&generate::case(), check)
                        .map_err(|err| match err {
                            TestError::Abort(why) => format!("aborted: {why}"),
                            TestError::Fail(why, case) => {
                                format!("{why}\nminimal failing case: {case:#?}")
                            }
                        })
                })
                .expect("a thread")
                .join()
                .expect("the runner does not panic")
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let [cases, compiled, variants, variants_compiled] = counts.0.map(AtomicUsize::into_inner);
    eprintln!(
        "{:?}: {cases} generated cases, {compiled} compiled; {variants} variants, \
         {variants_compiled} compiled; in {:.1} s",
        app.backend(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        compiled * 3 >= cases,
        "only {compiled} of {cases} generated cases were compiled: the comparison proves little"
    );
    assert!(
        variants_compiled * 3 >= variants,
        "only {variants_compiled} of {variants} variants were compiled"
    );
    drop(generic);
}
both_backends!(compiled_answers_match_the_generic_ones, unlimited);

/// How many cases ran and were compiled, and how many variants ran and were compiled.
#[derive(Default)]
struct Counts([AtomicUsize; 4]);

impl Counts {
    fn add(&self, compiled: bool, variant: Option<bool>) {
        let [cases, compiled_cases, variants, compiled_variants] = &self.0;
        cases.fetch_add(1, Ordering::Relaxed);
        compiled_cases.fetch_add(usize::from(compiled), Ordering::Relaxed);
        if let Some(compiled) = variant {
            variants.fetch_add(1, Ordering::Relaxed);
            compiled_variants.fetch_add(usize::from(compiled), Ordering::Relaxed);
        }
    }
}

/// The server under test (A) and the reference (B), on one database, and the viewers'
/// tokens.
struct Pair<'a> {
    compiled: &'a TestApp,
    generic: &'a TestApp,
    viewers: &'a [Option<String>; 4],
    /// The operations sent so far (document and operationName).
    seen: Mutex<HashSet<String>>,
}

impl Pair<'_> {
    /// Checks `case` (see [`Pair::compare`]), then its variant if it has one, sent once to
    /// each server: A has seen the document, so its plan answers if it has one. Ok(whether
    /// A's answers were compiled).
    async fn check(
        &self,
        case: &Case,
        cursors: &seed::Cursors,
    ) -> Result<(bool, Option<bool>), String> {
        let request = Writer::write(cursors, case);
        let compiled = self
            .compare(&request, Some(&case.root), case.viewer, case.strict)
            .await?;
        let Some(variant) = case.variant() else {
            return Ok((compiled, None));
        };
        let other = Writer::write(cursors, &variant);
        assert_eq!(
            other.document, request.document,
            "a variant changes variables only"
        );
        let (answer, reference) = self.send(&other, variant.viewer, case.strict, true).await;
        let reference = reference.expect("B's answer");
        let expected = canonical(&reference.body, Some(&variant.root));
        if !answer.agrees(&reference, expected.as_deref(), Some(&variant.root)) {
            let what = "A's answer to the document with another viewer or other variables \
                        differs from B's";
            let shown = (variant.viewer, case.strict);
            return Err(report(what, &other, shown, &answer, &reference, expected));
        }
        Ok((compiled, Some(answer.compiled)))
    }

    /// Sends `request` as `viewer` twice to A and once to B; Ok(whether A's second answer
    /// was compiled) when the answers agree (see [`Answer::agrees`]), else a report of the
    /// difference. `root` is the operation's selection, for the order of the answer's keys.
    async fn compare(
        &self,
        request: &Request,
        root: Option<&[Sel]>,
        viewer: usize,
        strict: bool,
    ) -> Result<bool, String> {
        let (first, _) = self.send(request, viewer, strict, false).await;
        let (second, reference) = self.send(request, viewer, strict, true).await;
        let reference = reference.expect("B's answer");
        let expected = canonical(&reference.body, root);
        let fail = |what: &str, a: &Answer| {
            let shown = (viewer, strict);
            report(what, request, shown, a, &reference, expected.clone())
        };
        if reference.compiled {
            return Err(fail(
                "B, with compiled operations off, compiled",
                &reference,
            ));
        }
        // Cases repeat (shrinking above all): only a document A has not seen must not be
        // compiled on its first run.
        let operation = format!("{}\n{:?}", request.document, request.operation_name);
        let new = self.seen.lock().expect("not poisoned").insert(operation);
        if new && first.compiled {
            return Err(fail("A compiled a document on its first run", &first));
        }
        // Generic unless a case repeats: a difference here is the test's (nondeterminism).
        if !first.agrees(&reference, expected.as_deref(), root) {
            let what = match first.compiled {
                true => "A's first answer (compiled: A had seen the document) differs from B's",
                false => "A's first answer differs from B's",
            };
            return Err(fail(what, &first));
        }
        if !second.agrees(&reference, expected.as_deref(), root) {
            return Err(fail("A's second answer differs from B's", &second));
        }
        Ok(second.compiled)
    }

    /// POSTs `request` as `viewer` to A and, with `to_b`, then to B.
    async fn send(
        &self,
        request: &Request,
        viewer: usize,
        strict: bool,
        to_b: bool,
    ) -> (Answer, Option<Answer>) {
        let body = request.body();
        let token = self.viewers[viewer].as_deref();
        let a = post(self.compiled, &body, token, strict).await;
        let b = match to_b {
            true => Some(post(self.generic, &body, token, strict).await),
            false => None,
        };
        (a, b)
    }
}

/// The failure message: what differs, the request in full, both answers, and B's in the
/// document's order.
fn report(
    what: &str,
    request: &Request,
    (viewer, strict): (usize, bool),
    a: &Answer,
    b: &Answer,
    expected: Option<Vec<u8>>,
) -> String {
    let expected = expected.as_deref().map(String::from_utf8_lossy);
    format!(
        "{what}\nviewer: {}\nAccept: application/graphql-response+json: {strict}\ndocument:\n{}\n\
         variables: {}\noperationName: {:?}\n--- A (compiled on) ---\n{}\n--- B (generic) ---\n\
         {}\n--- B in the document's order ---\n{}",
        VIEWERS[viewer],
        request.document,
        request.variables,
        request.operation_name,
        a.show(),
        b.show(),
        expected.unwrap_or_default(),
    )
}

/// One answer: status, whether the compiled path wrote it, the body's bytes.
struct Answer {
    status: u16,
    compiled: bool,
    body: Vec<u8>,
}

impl Answer {
    fn show(&self) -> String {
        format!(
            "HTTP {} (compiled: {})\n{}",
            self.status,
            self.compiled,
            String::from_utf8_lossy(&self.body)
        )
    }

    /// Whether this answer of A's agrees with B's `reference`: the same status, and
    ///
    /// - compiled: its bytes are B's answer with the keys in the document's order
    ///   (`expected`), byte for byte;
    /// - generic: it is the same answer as B's once both are in the document's order.
    ///
    /// Not B's bytes as they are: async-graphql resolves the fields of an object
    /// concurrently and puts them into the answer as they complete (`FuturesUnordered` in
    /// `resolver_utils::container`), so siblings that wait on the database (`users` and
    /// `tag`, `todos` and `id`) come in a different order from one request to the next. The
    /// spec's order (CollectFields, what the fast path writes) is the one fixed order; B's
    /// answer is put into it and must then match A's compiled bytes exactly. The errors of
    /// an answer are sorted too: they come in the same racing order (and validation errors
    /// in the order of a HashMap of fragments); a compiled answer has none. When B's answer
    /// is not JSON (`expected` is `None`), its bytes as they are.
    fn agrees(&self, reference: &Self, expected: Option<&[u8]>, root: Option<&[Sel]>) -> bool {
        if self.status != reference.status {
            return false;
        }
        match (self.compiled, expected) {
            (true, Some(expected)) => self.body == expected,
            (false, Some(expected)) => canonical(&self.body, root).as_deref() == Some(expected),
            (_, None) => self.body == reference.body,
        }
    }
}

/// POSTs `body` to `app`'s /graphql.
async fn post(app: &TestApp, body: &str, token: Option<&str>, strict: bool) -> Answer {
    let mut request = app
        .client()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if strict {
        request = request.header("accept", "application/graphql-response+json");
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let compiled = response
        .headers()
        .get(COMPILED)
        .is_some_and(|value| value == "1");
    Answer {
        status: response.status().as_u16(),
        compiled,
        body: response.bytes().await.expect("a body").to_vec(),
    }
}
