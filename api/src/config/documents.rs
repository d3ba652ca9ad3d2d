//! Persisted queries and trusted documents.

use std::path::PathBuf;

use clap::Args;

/// Persisted queries: Apollo's automatic persisted queries (APQ), or a fixed list of
/// trusted documents.
#[derive(Debug, Clone, Args)]
pub struct DocumentsConfig {
    /// Documents remembered for automatic persisted queries (least recently used are
    /// forgotten first); 0 turns APQ off.
    #[arg(long, env = "APQ_CACHE_SIZE", default_value_t = 1000, global = true)]
    pub apq_cache_size: usize,

    /// Most bytes of document text the APQ cache holds (least recently used are forgotten
    /// first), so that its memory is bounded whatever the documents' sizes.
    #[arg(
        long,
        env = "APQ_CACHE_BYTES",
        default_value_t = 8 * 1024 * 1024,
        global = true
    )]
    pub apq_cache_bytes: usize,

    /// Parsed documents kept, so that a document sent again is not parsed again (least
    /// recently used are forgotten first); 0 turns the cache off.
    #[arg(
        long,
        env = "PREPARED_DOCUMENTS",
        default_value_t = 1000,
        global = true
    )]
    pub prepared_documents: usize,

    /// Most memory the parsed documents may take, counted as 320 bytes per token of their
    /// text (the most a parsed token takes) plus the text.
    #[arg(
        long,
        env = "PREPARED_DOCUMENTS_BYTES",
        default_value_t = 32 * 1024 * 1024,
        global = true
    )]
    pub prepared_documents_bytes: usize,

    /// Answer read queries over users, todos and tags from a plan made once per document
    /// (fetching only the selected columns, writing the JSON straight from the rows)
    /// instead of async-graphql's generic execution; the generic path answers everything
    /// else, and each document's first run. Plans are kept under the same bounds as
    /// parsed documents (`--prepared-documents`, `--prepared-documents-bytes`).
    #[arg(
        long,
        env = "COMPILED_OPERATIONS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub compiled_operations: bool,

    /// Run only the operations of this manifest: a JSON object of id → document, as
    /// Relay's persisted-query output and graphql-codegen's client preset write (ids with or
    /// without the `sha256:` prefix, or sha1 ones). Anything else is refused, introspection
    /// included, and APQ registration is off.
    #[arg(long, env = "TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<PathBuf>,
}
