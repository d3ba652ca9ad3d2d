//! Where a request's document comes from when it is not sent in full: automatic persisted
//! queries (Apollo's APQ: `extensions.persistedQuery.sha256Hash`), or, in trusted-documents
//! mode, a manifest of the only operations that may run (`--trusted-documents FILE`).
//!
//! Resolved here, before the HTTP checks of `params::prepare`, so that a hashed mutation
//! sent by GET is refused like a written-out one. A document is scanned
//! (`limits::screen_text`) before it is stored: the manifest's at start, so that a server
//! never starts with a document it would refuse, and APQ's at registration, so that the
//! cache holds none either.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use async_graphql::{Request, ServerError, Value};
use sha2::{Digest, Sha256};

use crate::{
    config::{DocumentsConfig, LimitsConfig},
    error::{Error, Result},
    execution::{error_codes::server_error, recent::Recent, screen::screen_text},
};

/// The key under which `params` passes on a `documentId` (or Relay's `doc_id`) field.
pub const DOCUMENT_ID: &str = "documentId";

/// Apollo clients recognise this message and then resend the hash with the full query.
const NOT_FOUND: &str = "PersistedQueryNotFound";

/// How documents are looked up; cheap to clone.
#[derive(Clone)]
pub enum Documents {
    /// Anything runs; hashed queries are remembered in a bounded cache (none when off),
    /// once their text passes the limits.
    Open(Option<Arc<Mutex<Recent<String>>>>, Arc<LimitsConfig>),
    /// Only the manifest's documents run.
    Trusted(Arc<Manifest>),
}

/// A trusted-documents manifest: id (usually a sha256 hash, without its `sha256:` prefix)
/// → document, each document also under its sha256 (see `index`).
pub struct Manifest {
    by_id: HashMap<String, String>,
    texts: HashSet<String>,
}

impl Documents {
    /// The lookup `config` asks for; reads the manifest when there is one, and refuses it
    /// when one of its documents is over `limits` (length, tokens, nesting).
    pub fn new(config: &DocumentsConfig, limits: &LimitsConfig) -> Result<Self> {
        if let Some(path) = &config.trusted_documents {
            let text = std::fs::read_to_string(path)
                .map_err(|err| Error::Internal(format!("cannot read {}: {err}", path.display())))?;
            let listed: HashMap<String, String> = serde_json::from_str(&text).map_err(|err| {
                Error::Internal(format!(
                    "{} is not a JSON object of id → document: {err}",
                    path.display()
                ))
            })?;
            for (id, document) in &listed {
                if let Err(error) = screen_text(limits, document) {
                    return Err(Error::Internal(format!(
                        "{}: the trusted document {id:?} is refused: {}",
                        path.display(),
                        error.message
                    )));
                }
            }
            let documents = listed.len();
            let by_id = index(listed)
                .map_err(|message| Error::Internal(format!("{}: {message}", path.display())))?;
            tracing::info!(documents, "trusted documents only: {}", path.display());
            let texts = by_id.values().cloned().collect();
            return Ok(Self::Trusted(Arc::new(Manifest { by_id, texts })));
        }
        let cache = (config.apq_cache_size > 0 && config.apq_cache_bytes > 0).then(|| {
            Arc::new(Mutex::new(Recent::new(
                config.apq_cache_size,
                config.apq_cache_bytes,
            )))
        });
        Ok(Self::Open(cache, Arc::new(limits.clone())))
    }

    /// Fills in the request's document, or says why it cannot run.
    pub fn resolve(&self, mut request: Request) -> Result<Request, ServerError> {
        let document_id = match request.extensions.0.remove(DOCUMENT_ID) {
            Some(Value::String(id)) => Some(id),
            _ => None,
        };
        let persisted = request.extensions.0.remove("persistedQuery");
        match self {
            Self::Trusted(manifest) => {
                let hash = persisted.as_ref().and_then(persisted_hash);
                match document_id.or(hash) {
                    Some(id) => {
                        let Some(document) = manifest.by_id.get(without_prefix(&id)) else {
                            return Err(untrusted("no trusted document has this id"));
                        };
                        request.query.clone_from(document);
                    }
                    None if manifest.texts.contains(&request.query) => {}
                    None => {
                        return Err(untrusted(
                            "only trusted documents run on this server, and this one is not \
                             among them: send its id (documentId)",
                        ));
                    }
                }
                Ok(request)
            }
            Self::Open(cache, limits) => {
                let Some(persisted) = persisted else {
                    if document_id.is_some() {
                        return Err(bad_request(
                            "this server runs any document but stores none: send the query",
                        ));
                    }
                    return Ok(request);
                };
                let Some(cache) = cache else {
                    return Err(bad_request("PersistedQueryNotSupported"));
                };
                let Some(hash) = persisted_hash(&persisted) else {
                    return Err(bad_request(
                        "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \
                         \"<hex>\"}",
                    ));
                };
                let lock = || {
                    cache
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                };
                if request.query.is_empty() {
                    let Some(query) = lock().get(&hash) else {
                        return Err(bad_request(NOT_FOUND));
                    };
                    request.query = query;
                } else {
                    // Before it is hashed or kept: a document the server would refuse is
                    // not worth a place in the cache.
                    screen_text(limits, &request.query)?;
                    let hash = hash.to_ascii_lowercase();
                    if sha256_hex(&request.query) != hash {
                        return Err(bad_request(
                            "extensions.persistedQuery.sha256Hash is not the query's sha256",
                        ));
                    }
                    let bytes = request.query.len();
                    lock().insert(hash.into(), request.query.clone(), bytes);
                }
                Ok(request)
            }
        }
    }
}

/// The GraphQL-over-HTTP draft's prefix of a sha256 document id, which graphql-codegen's
/// client preset writes into its manifest's keys as well.
const SHA256_PREFIX: &str = "sha256:";

/// `id` without its `sha256:` prefix: the manifest and the clients may each write it or not.
fn without_prefix(id: &str) -> &str {
    id.strip_prefix(SHA256_PREFIX).unwrap_or(id)
}

/// The lookup table of a manifest's documents (id → document): each under its id without a
/// `sha256:` prefix, and under the sha256 of its text, which is what APQ's `sha256Hash`
/// names whatever ids the client's build chose (sha1 ones, say). Any other id is the
/// build's own choice (Relay's md5 or sha1, graphql-codegen's sha1 or custom function) and
/// is kept as written: the server never hashes a client's text in this mode, so how an id
/// was made does not matter, only that it names one document. Refused: an id with the
/// `sha256:` prefix that is not its document's sha256 (a hand-edited or mixed-up
/// manifest), and an id naming two documents.
fn index(listed: HashMap<String, String>) -> Result<HashMap<String, String>, String> {
    let mut by_id = HashMap::with_capacity(listed.len() * 2);
    for (id, document) in listed {
        let hash = sha256_hex(&document);
        let bare = without_prefix(&id);
        if bare.len() != id.len() && !bare.eq_ignore_ascii_case(&hash) {
            return Err(format!(
                "the id {id:?} is not its document's sha256, which is {SHA256_PREFIX}{hash}"
            ));
        }
        for key in [bare.to_owned(), hash] {
            match by_id.get(&key) {
                Some(other) if *other != document => {
                    return Err(format!("the id {key:?} names two different documents"));
                }
                Some(_) => {}
                None => {
                    by_id.insert(key, document.clone());
                }
            }
        }
    }
    Ok(by_id)
}

/// The hash of a version 1 `persistedQuery` extension.
fn persisted_hash(persisted: &Value) -> Option<String> {
    let Value::Object(fields) = persisted else {
        return None;
    };
    let version_one =
        matches!(fields.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) if version_one => Some(hash.clone()),
        _ => None,
    }
}

/// The lowercase hex sha256 of `text`, as APQ and document manifests name documents.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn bad_request(message: &str) -> ServerError {
    server_error(&Error::BadUserInput {
        field: None,
        message: message.to_owned(),
    })
}

fn untrusted(message: &'static str) -> ServerError {
    server_error(&Error::Forbidden(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
