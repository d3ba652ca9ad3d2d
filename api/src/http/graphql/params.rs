//! GraphQL requests as HTTP carries them: the URL query string of a GET, the JSON body of
//! a POST (one request, or a batch), and what must hold of them before anything executes.

use async_graphql::{
    Request, ServerError, Value, Variables,
    parser::types::{OperationDefinition, OperationType},
};
use axum::{extract::Query, http::StatusCode};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Refusal, request_error};
use crate::{
    config::LimitsConfig,
    execution::{documents::DOCUMENT_ID, operation, prepared::PreparedDocuments, screen::screen},
};

/// The GraphQL requests of one HTTP request, and later their results.
pub enum Requests<T> {
    /// One request, answered with one result.
    Single(T),
    /// A JSON array of requests (only when batching is on), answered with an array.
    Batch(Vec<T>),
}

impl<T> Requests<T> {
    /// Whether `f` holds of any of them.
    pub fn any(&self, f: impl Fn(&T) -> bool) -> bool {
        match self {
            Self::Single(one) => f(one),
            Self::Batch(many) => many.iter().any(f),
        }
    }

    /// Each request through `f`, stopping at the first error.
    pub fn try_map<U, E>(self, mut f: impl FnMut(T) -> Result<U, E>) -> Result<Requests<U>, E> {
        Ok(match self {
            Self::Single(one) => Requests::Single(f(one)?),
            Self::Batch(many) => {
                Requests::Batch(many.into_iter().map(f).collect::<Result<_, _>>()?)
            }
        })
    }
}

/// A request checked before execution.
pub enum Prepared {
    /// To be executed.
    Execute(Box<Request>),
    /// A request error (GraphQL's, e.g. a missing required variable): answered with errors
    /// and no data, and nothing runs.
    Rejected(ServerError),
}

/// The parameters of a GET, as the spec names them. Values are text: `variables` and
/// `extensions` are JSON-encoded.
#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

/// The request of a GET's URL query string.
pub fn from_query_string(uri: &axum::http::Uri) -> Result<Request, Refusal> {
    let Query(params) = Query::<GetParams>::try_from_uri(uri).map_err(|err| {
        Refusal::bad_request(format!("invalid query string: {}", err.body_text()))
    })?;
    // Forms and some clients send empty values for parameters they do not use.
    let present = |value: Option<String>| value.filter(|text| !text.is_empty());
    let decode = |name: &str, value: Option<String>| match present(value) {
        None => Ok(Json::Null),
        Some(text) => serde_json::from_str(&text)
            .map_err(|_| Refusal::bad_request(format!("`{name}` must be JSON-encoded"))),
    };
    let mut fields = serde_json::Map::new();
    if let Some(query) = params.query {
        fields.insert("query".to_owned(), Json::String(query));
    }
    if let Some(id) = present(params.document_id) {
        fields.insert("documentId".to_owned(), Json::String(id));
    }
    if let Some(name) = present(params.operation_name) {
        fields.insert("operationName".to_owned(), Json::String(name));
    }
    fields.insert(
        "variables".to_owned(),
        decode("variables", params.variables)?,
    );
    fields.insert(
        "extensions".to_owned(),
        decode("extensions", params.extensions)?,
    );
    from_json(Json::Object(fields))
}

/// The request, or batch of requests, of a POST body. Batches need `batch_max` > 0 and
/// hold at most `batch_max` requests. Every operation of a batch is to count against the
/// cost limits (depth, complexity, rate) of later hardening work, as if sent alone.
pub fn from_body(body: &[u8], batch_max: usize) -> Result<Requests<Request>, Refusal> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|err| Refusal::bad_request(format!("the body is not JSON: {err}")))?;
    match json {
        Json::Array(items) => {
            if batch_max == 0 {
                return Err(Refusal::bad_request(
                    "batched requests (a JSON array) are not enabled on this server; send one \
                     request object per POST",
                ));
            }
            if items.is_empty() || items.len() > batch_max {
                return Err(Refusal::bad_request(format!(
                    "a batch holds 1 to {batch_max} requests, not {}",
                    items.len()
                )));
            }
            items
                .into_iter()
                .map(from_json)
                .collect::<Result<_, _>>()
                .map(Requests::Batch)
        }
        json => from_json(json).map(Requests::Single),
    }
}

/// Checks a request before it runs: scans its text and variables against `limits` before
/// anything parses it (a document over them is rejected, TOO_COMPLEX), parses its document
/// to find the operation, refuses a mutation or subscription when only reads are allowed
/// (GET: 405), and rejects a missing required variable, which async-graphql would only
/// notice inside the resolver that uses it, after other fields (or mutations) ran. The
/// parsed document is kept, so async-graphql does not parse it again.
pub fn prepare(
    mut request: Request,
    read_only: bool,
    limits: &LimitsConfig,
    prepared: &PreparedDocuments,
) -> Result<Prepared, Refusal> {
    let tokens = match screen(limits, &request.query, &request.variables) {
        Ok(tokens) => tokens,
        Err(error) => return Ok(Prepared::Rejected(error)),
    };
    if prepared.parse(&mut request, tokens).is_err() {
        // async-graphql reports the syntax error itself, with its position.
        return Ok(Prepared::Execute(Box::new(request)));
    }
    // Set aside while the document is borrowed, rather than copied: they may be large.
    let variables = std::mem::take(&mut request.variables);
    let operation_name = request.operation_name.take();
    let checked = match request.parsed_query() {
        // An operation that cannot be chosen is async-graphql's request error to report.
        Ok(document) => operation::selected(document, operation_name.as_deref())
            .map_or(Ok(None), |operation| {
                check(operation, read_only, &variables)
            }),
        Err(_) => Ok(None),
    };
    request.variables = variables;
    request.operation_name = operation_name;
    Ok(match checked? {
        Some(error) => Prepared::Rejected(error),
        None => Prepared::Execute(Box::new(request)),
    })
}

/// What [`prepare`] checks on the chosen operation: an error refusing the request, or a
/// request error to answer instead of running it.
fn check(
    operation: &OperationDefinition,
    read_only: bool,
    variables: &Variables,
) -> Result<Option<ServerError>, Refusal> {
    if read_only && operation.ty != OperationType::Query {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "a GET can only run a query; send mutations and subscriptions with POST",
        ));
    }
    Ok(check_required_variables(operation, variables).err())
}

/// GraphQL's CoerceVariableValues for non-null variables: each must be given, and not null,
/// unless it has a default. (Values of the wrong type fail async-graphql's validation.)
fn check_required_variables(
    operation: &OperationDefinition,
    variables: &Variables,
) -> Result<(), ServerError> {
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        let name = &definition.name.node;
        let given = variables.get(name);
        let missing = match given {
            Some(Value::Null) => true,
            Some(_) => false,
            None => definition.default_value.is_none(),
        };
        if !definition.var_type.node.nullable && missing {
            let mut error = request_error(format!(
                "variable `${name}` of type `{}` must be given and not null",
                definition.var_type.node
            ));
            error.locations = vec![definition.name.pos];
            return Err(error);
        }
    }
    Ok(())
}

/// One request from its JSON object form (`query`, `operationName`, `variables`,
/// `extensions`, and `documentId` or Relay's `doc_id` for persisted documents; null stands
/// for absent, unknown keys are ignored). The query may be left out when the document is
/// named instead: by a document id, or by APQ's `extensions.persistedQuery`.
fn from_json(json: Json) -> Result<Request, Refusal> {
    let Json::Object(mut fields) = json else {
        return Err(Refusal::bad_request(
            "a GraphQL request is a JSON object with a `query` string",
        ));
    };
    let document_id = match (fields.remove(DOCUMENT_ID), fields.remove("doc_id")) {
        (Some(Json::String(id)), _) | (_, Some(Json::String(id))) => Some(id),
        _ => None,
    };
    let persisted = fields
        .get("extensions")
        .is_some_and(|extensions| extensions.get("persistedQuery").is_some());
    let query = match fields.remove("query") {
        Some(Json::String(query)) => query,
        None | Some(Json::Null) if document_id.is_some() || persisted => String::new(),
        None | Some(Json::Null) => return Err(Refusal::bad_request("`query` is missing")),
        Some(_) => return Err(Refusal::bad_request("`query` must be a string")),
    };
    let mut request = Request::new(query);
    if let Some(id) = document_id {
        request
            .extensions
            .0
            .insert(DOCUMENT_ID.to_owned(), Value::String(id));
    }
    match fields.remove("operationName") {
        None | Some(Json::Null) => {}
        Some(Json::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(Refusal::bad_request("`operationName` must be a string")),
    }
    match fields.remove("variables") {
        None | Some(Json::Null) => {}
        Some(variables @ Json::Object(_)) => {
            request = request.variables(Variables::from_json(variables));
        }
        Some(_) => return Err(Refusal::bad_request("`variables` must be an object")),
    }
    match fields.remove("extensions") {
        None | Some(Json::Null) => {}
        Some(Json::Object(extensions)) => {
            for (name, value) in extensions {
                let value = Value::from_json(value).map_err(|_| {
                    Refusal::bad_request("`extensions` holds a value GraphQL cannot represent")
                })?;
                request.extensions.0.insert(name, value);
            }
        }
        Some(_) => return Err(Refusal::bad_request("`extensions` must be an object")),
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code of a request rejected by [`prepare`], or `None` when it is to execute.
    fn rejected(query: String, limits: &LimitsConfig) -> Option<Value> {
        let prepared = PreparedDocuments::new(10, 1 << 20);
        match prepare(Request::new(query), false, limits, &prepared) {
            Ok(Prepared::Rejected(error)) => error
                .extensions
                .and_then(|extensions| extensions.get("code").cloned()),
            Ok(Prepared::Execute(_)) | Err(_) => None,
        }
    }

    #[test]
    fn documents_over_the_limits_are_rejected_before_they_are_parsed() {
        let mut limits = crate::Config::defaults().limits;
        limits.max_query_length = 100;
        let too_complex = Some(Value::from("TOO_COMPLEX"));
        let padded = format!("{{ __typename }} # {}", "x".repeat(100));
        assert_eq!(rejected(padded, &limits), too_complex);
        let deep = format!("{{ a(b: {}1{}) }}", "[".repeat(70), "]".repeat(70));
        assert_eq!(rejected(deep, &limits), too_complex);
        assert_eq!(rejected("{ __typename }".to_owned(), &limits), None);
    }
}
