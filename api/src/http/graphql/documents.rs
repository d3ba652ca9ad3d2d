//! Where a request's document comes from when it is not sent in full: automatic persisted
//! queries (Apollo's APQ: `extensions.persistedQuery.sha256Hash`), or, in trusted-documents
//! mode, a manifest of the only operations that may run (`--trusted-documents FILE`).
//!
//! Resolved here, before the HTTP checks of `params::prepare`, so that a hashed mutation
//! sent by GET is refused like a written-out one.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use async_graphql::{Request, ServerError, Value};
use sha2::{Digest, Sha256};

use super::server_error;
use crate::{
    config::DocumentsConfig,
    error::{Error, Result},
};

/// The key under which `params` passes on a `documentId` (or Relay's `doc_id`) field.
pub const DOCUMENT_ID: &str = "documentId";

/// Apollo clients recognise this message and then resend the hash with the full query.
const NOT_FOUND: &str = "PersistedQueryNotFound";

/// How documents are looked up; cheap to clone.
#[derive(Clone)]
pub enum Documents {
    /// Anything runs; hashed queries are remembered in a bounded cache (none when off).
    Open(Option<Arc<Mutex<RecentDocuments>>>),
    /// Only the manifest's documents run.
    Trusted(Arc<Manifest>),
}

/// A trusted-documents manifest: id (usually a sha256 hash) → document.
pub struct Manifest {
    by_id: HashMap<String, String>,
    texts: HashSet<String>,
}

impl Documents {
    /// The lookup `config` asks for; reads and checks the manifest when there is one.
    pub fn new(config: &DocumentsConfig) -> Result<Self> {
        if let Some(path) = &config.trusted_documents {
            let text = std::fs::read_to_string(path)
                .map_err(|err| Error::Internal(format!("cannot read {}: {err}", path.display())))?;
            let by_id: HashMap<String, String> = serde_json::from_str(&text).map_err(|err| {
                Error::Internal(format!(
                    "{} is not a JSON object of id → document: {err}",
                    path.display()
                ))
            })?;
            tracing::info!(
                documents = by_id.len(),
                "trusted documents only: {}",
                path.display()
            );
            let texts = by_id.values().cloned().collect();
            return Ok(Self::Trusted(Arc::new(Manifest { by_id, texts })));
        }
        let cache = (config.apq_cache_size > 0)
            .then(|| Arc::new(Mutex::new(RecentDocuments::new(config.apq_cache_size))));
        Ok(Self::Open(cache))
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
                        let id = id.strip_prefix("sha256:").unwrap_or(&id);
                        let Some(document) = manifest.by_id.get(id) else {
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
            Self::Open(cache) => {
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
                let mut cache = cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if request.query.is_empty() {
                    let Some(query) = cache.get(&hash) else {
                        return Err(bad_request(NOT_FOUND));
                    };
                    request.query = query;
                } else {
                    if sha256_hex(&request.query) != hash.to_ascii_lowercase() {
                        return Err(bad_request(
                            "extensions.persistedQuery.sha256Hash is not the query's sha256",
                        ));
                    }
                    cache.insert(hash.to_ascii_lowercase(), request.query.clone());
                }
                Ok(request)
            }
        }
    }
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

/// The most recently used documents, at most `capacity` of them.
pub struct RecentDocuments {
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (String, u64)>,
}

impl RecentDocuments {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, hash: &str) -> Option<String> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(hash).map(|(query, used)| {
            *used = tick;
            query.clone()
        })
    }

    fn insert(&mut self, hash: String, query: String) {
        self.tick += 1;
        if !self.entries.contains_key(&hash) && self.entries.len() >= self.capacity {
            // A scan per eviction: the cache is small, and a registration is rare next to
            // the lookups it saves.
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(hash, _)| hash.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(hash, (query, self.tick));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_forgets_the_least_recently_used() {
        let mut cache = RecentDocuments::new(2);
        cache.insert("a".into(), "{ a }".into());
        cache.insert("b".into(), "{ b }".into());
        assert!(cache.get("a").is_some());
        cache.insert("c".into(), "{ c }".into());
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a").as_deref(), Some("{ a }"));
        assert_eq!(cache.get("c").as_deref(), Some("{ c }"));
    }

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
