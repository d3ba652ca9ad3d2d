//! Sets `extensions.code` on every error of a response, in one place.

use std::sync::Arc;

use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

use crate::error::Error;

/// Sets the code of every error of `response` (see [`classify`]). Called once per response
/// (and per subscription event) by [`ApiSchema`](super::executor::ApiSchema).
pub fn code_errors(response: &mut Response) {
    response.errors.iter_mut().for_each(classify);
}

/// The GraphQL error for one of our errors raised outside a resolver (before execution,
/// or by the HTTP layer), coded as [`classify`] codes the errors of execution.
pub fn server_error(error: &Error) -> ServerError {
    let mut server_error = ServerError::new(error.to_string(), None);
    let extensions = server_error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", error.code());
    if let Some(field) = error.field() {
        extensions.set("field", field);
    }
    if let Some(seconds) = error.retry_after() {
        extensions.set("retryAfter", seconds);
    }
    server_error
}

/// Errors from our services carry their code. Errors with no source are async-graphql's own
/// (syntax, validation, input coercion): the client's fault. Any other source is an error
/// that slipped through without being mapped: internal, and its text (possibly SQL) hidden.
fn classify(error: &mut ServerError) {
    // Loader errors are shared between the fields that awaited them, hence the Arc.
    let source = error
        .source::<Error>()
        .or_else(|| error.source::<Arc<Error>>().map(AsRef::as_ref));
    let (code, field, retry_after) = match source {
        Some(err) => {
            if err.is_internal() {
                tracing::error!(error = ?err, path = ?error.path, "internal error");
            }
            (err.code(), err.field(), err.retry_after())
        }
        None if error.source.is_some() => {
            tracing::error!(message = %error.message, path = ?error.path, "unmapped error");
            error.message = "internal error".to_owned();
            ("INTERNAL", None, None)
        }
        None if has_code(error) => return,
        None => (
            "BAD_USER_INPUT",
            invalid_argument_field(&error.message),
            None,
        ),
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    if let Some(seconds) = retry_after {
        extensions.set("retryAfter", seconds);
    }
}

/// The input field a validation error blames: async-graphql reports a value that does not
/// fit its type as `Invalid value for argument "input.0.dueDate", ...`, and the last named
/// segment of that path is the field (list indices are skipped).
fn invalid_argument_field(message: &str) -> Option<&str> {
    let path = message.strip_prefix("Invalid value for argument \"")?;
    let path = &path[..path.find('"')?];
    path.rsplit('.')
        .find(|segment| segment.parse::<usize>().is_err())
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .is_some_and(|code| matches!(code, Value::String(_)))
}

/// A TOO_COMPLEX error with the figures that explain it.
pub fn too_complex<'a>(
    message: String,
    figures: impl IntoIterator<Item = (&'a str, u64)>,
) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "TOO_COMPLEX");
    for (name, value) in figures {
        extensions.set(name, value);
    }
    error.extensions = Some(extensions);
    error
}
