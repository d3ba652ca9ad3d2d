//! Compiled operations: the read queries over users, todos and tags (the lists of Q1–Q4
//! and what clients build around them) answered without async-graphql's generic execution.
//!
//! An operation is planned once ([`plan`]): which fields each level selects, in response
//! order, with fragments merged and directives kept to be read per request. A request for
//! it then reads its arguments with the schema's own input types ([`inputs`]), fetches one
//! statement per list field for all of its parents, reading only the selected columns and
//! decoding them by position ([`fetch`]), and writes the JSON bytes straight from the rows
//! ([`write`]): no models per field, no `Value` tree, no futures per item.
//!
//! The generic path stays the reference, and takes over whenever the compiled path is not
//! sure: a document with anything the plan does not know (totalCount, preferences,
//! history, other directives, fragments on other types, a key selected twice other than as
//! the same plain field), a variable or argument the schema's input types refuse, a page
//! argument out of bounds, a statement that fails, a response past its byte limit. A
//! document is compiled only after the generic path has run it once without an error: that
//! run is its validation, which depends on the document alone, so later requests skip
//! parsing and validation (the limits, the cost and the rate limit still apply to each).
//! tests/tests/suite/compiled.rs requires both paths to answer alike, byte for byte.

mod fetch;
mod inputs;
mod plan;
mod write;

use std::sync::{Arc, Mutex, PoisonError, atomic::Ordering};

use async_graphql::{Request, Response};
use sea_orm::DatabaseConnection;

pub use self::plan::Plan;
use self::{fetch::Fetch, inputs::Inputs, write::Writer};
use crate::{
    execution::{
        prepared::{BYTES_PER_TOKEN, PreparedDocuments},
        recent::Recent,
        scan::{ScanLimits, scan},
    },
    service::{page::PageLimits, viewer::Viewer},
};

/// The plans of the documents most recently run, by document text; shared behind an `Arc`.
pub struct CompiledOperations {
    plans: Mutex<Recent<Arc<DocumentPlans>>>,
}

/// What is known of one document's operations, by operation name.
#[derive(Default)]
struct DocumentPlans(Vec<(Option<String>, Option<Arc<Plan>>)>);

/// What the compiled path knows of a request's operation.
pub enum Known {
    /// Its plan.
    Plan(Arc<Plan>),
    /// It has run, and cannot be compiled.
    NotCompilable,
    /// It has not run without errors yet.
    Unknown,
}

/// How one compiled operation runs: where, for whom, within which bounds.
pub struct Run<'a> {
    /// The pool.
    pub db: &'a DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<&'a Viewer>,
    /// Page sizes.
    pub limits: PageLimits,
    /// The most bytes a response may take.
    pub max_response_bytes: usize,
    /// The operation's cost, and the most an operation may cost (its `extensions.cost`).
    pub cost: (u64, u64),
}

impl CompiledOperations {
    /// Plans of at most `capacity` documents weighing at most `max_bytes` (counted as
    /// parsed documents are, see [`BYTES_PER_TOKEN`]: a plan holds less than its parse);
    /// `None` when either is 0.
    pub fn new(capacity: usize, max_bytes: usize) -> Option<Self> {
        (capacity > 0 && max_bytes > 0).then(|| Self {
            plans: Mutex::new(Recent::new(capacity, max_bytes)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent<Arc<DocumentPlans>>> {
        // A poisoned lock only means a request panicked while holding it; the cache is
        // still a valid cache.
        self.plans.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What is known of `request`'s operation.
    pub fn known(&self, request: &Request) -> Known {
        let Some(plans) = self.lock().get(&request.query) else {
            return Known::Unknown;
        };
        let name = request.operation_name.as_deref();
        match plans.0.iter().find(|(known, _)| known.as_deref() == name) {
            Some((_, Some(plan))) => Known::Plan(plan.clone()),
            Some((_, None)) => Known::NotCompilable,
            None => Known::Unknown,
        }
    }

    /// Learns from the generic path's `response` to the operation `name` of document
    /// `text`: once it ran without errors, the operation is planned (or marked as not
    /// compilable).
    pub fn learn(
        &self,
        text: &str,
        name: Option<&str>,
        response: &Response,
        prepared: &PreparedDocuments,
    ) {
        if !response.errors.is_empty() {
            return;
        }
        let document = match prepared.document(text) {
            Some(document) => document,
            // Parsed and run already, so within every limit: parsing again is safe.
            None => match async_graphql::parser::parse_query(text) {
                Ok(document) => Arc::new(document),
                Err(_) => return,
            },
        };
        let planned = plan::plan(&document, name).map(Arc::new);
        let unbounded = ScanLimits {
            max_bytes: usize::MAX,
            max_tokens: usize::MAX,
            max_nesting: usize::MAX,
        };
        let tokens = scan(text, &unbounded).map_or(text.len(), |scan| scan.tokens);
        let mut cache = self.lock();
        let mut plans = cache
            .get(text)
            .map(|plans| plans.0.clone())
            .unwrap_or_default();
        if plans.iter().any(|(known, _)| known.as_deref() == name) {
            return;
        }
        plans.push((name.map(str::to_owned), planned));
        // Each operation's plan counted as a parse of the whole text: an upper bound.
        let bytes =
            (text.len() + tokens.saturating_mul(BYTES_PER_TOKEN)).saturating_mul(plans.len());
        cache.insert(text.into(), Arc::new(DocumentPlans(plans)), bytes);
    }

    /// Answers `request` by `plan`: the response's JSON, or `None` when the generic path
    /// must answer instead (nothing has been written to the client; statements may have
    /// run, all of them reads).
    pub async fn run(plan: &Plan, request: &Request, run: Run<'_>) -> Option<Vec<u8>> {
        let inputs = Inputs {
            variables: &request.variables,
            definitions: &plan.variables,
        };
        if !inputs.valid() {
            return None;
        }
        let mut fetch = Fetch {
            db: run.db,
            viewer: run.viewer,
            limits: run.limits,
            inputs: &inputs,
            slots: std::iter::repeat_with(Default::default)
                .take(plan.slots)
                .collect(),
        };
        fetch.root(&plan.root).await.ok()?;
        let size = plan.last_size.load(Ordering::Relaxed);
        let mut writer = Writer {
            // Within the limit: a response past it is never sent.
            out: Vec::with_capacity(size.min(run.max_response_bytes)),
            max_bytes: run.max_response_bytes,
            inputs: &inputs,
            viewer: run.viewer,
            slots: &fetch.slots,
        };
        let (cost, max_cost) = run.cost;
        writer.response(&plan.root, cost, max_cost).ok()?;
        plan.last_size.store(writer.out.len(), Ordering::Relaxed);
        (writer.out.len() <= run.max_response_bytes).then_some(writer.out)
    }
}
