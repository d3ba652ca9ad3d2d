//! Limits on one GraphQL document.

use clap::Args;

/// Limits on one GraphQL document, checked before anything executes; a document over one
/// is refused with TOO_COMPLEX.
#[derive(Debug, Clone, Args)]
pub struct LimitsConfig {
    /// Longest query text accepted, in bytes. Checked before the document is parsed, on
    /// every way in (HTTP, WebSocket, APQ registration, the trusted-documents manifest).
    #[arg(long, env = "MAX_QUERY_LENGTH", default_value_t = 32 * 1024, global = true)]
    pub max_query_length: usize,

    /// Most tokens in a query text (names, values, punctuators; commas and comments do not
    /// count), checked before it is parsed. Apollo Router's default; large generated
    /// documents have a few thousand.
    #[arg(
        long,
        env = "MAX_QUERY_TOKENS",
        default_value_t = 15_000,
        global = true
    )]
    pub max_query_tokens: usize,

    /// Deepest nesting of brackets, braces and parentheses together in a query text
    /// (outside strings and comments), checked before it is parsed: the parser and the
    /// validator recurse once per level, so this is what keeps a small document from
    /// overflowing the stack. Selection sets alone may not nest past 32 anyway.
    #[arg(long, env = "MAX_QUERY_NESTING", default_value_t = 64, global = true)]
    pub max_query_nesting: usize,

    /// Most bytes an operation's variables may take once copied to every place the
    /// document uses them (each variable's size in memory times its uses), checked before
    /// validation: async-graphql copies a variable at each use, so one large string used
    /// thousands of times would otherwise take gigabytes.
    #[arg(
        long,
        env = "MAX_VARIABLE_BYTES",
        default_value_t = 4 * 1024 * 1024,
        global = true
    )]
    pub max_variable_bytes: u64,

    /// Deepest nesting of fields in an operation.
    #[arg(long, env = "MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,

    /// Most aliased fields in an operation (fragments counted where they are used).
    #[arg(long, env = "MAX_ALIASES", default_value_t = 30, global = true)]
    pub max_aliases: usize,

    /// Most directives in an operation (fragments counted where they are used).
    #[arg(long, env = "MAX_DIRECTIVES", default_value_t = 50, global = true)]
    pub max_directives: usize,

    /// Deepest nesting of fragment spreads (a fragment that spreads a fragment that ...).
    #[arg(long, env = "MAX_FRAGMENT_DEPTH", default_value_t = 8, global = true)]
    pub max_fragment_depth: usize,

    /// Most fields an operation selects once its fragments are expanded (a fragment counts
    /// each time it is spread): a few bytes of fragments spread into each other many times
    /// would otherwise make the executor walk billions of fields that cost nothing.
    #[arg(long, env = "MAX_FIELDS", default_value_t = 2_000, global = true)]
    pub max_fields: usize,

    /// Largest cost of an operation: the number of nodes it may return, each connection
    /// counting its page size times its parents' page sizes.
    #[arg(long, env = "MAX_COST", default_value_t = 10_000, global = true)]
    pub max_cost: u64,

    /// Largest response, in bytes of JSON: lists stop growing once their items have taken
    /// this much, and the operation ends with TOO_COMPLEX (`responseBytes`, `limit`).
    /// Cost bounds how many nodes a response holds; this bounds their size.
    #[arg(
        long,
        env = "MAX_RESPONSE_BYTES",
        default_value_t = 8 * 1024 * 1024,
        global = true
    )]
    pub max_response_bytes: usize,

    /// What each mutation field costs, on top of what its selection returns.
    #[arg(long, env = "MUTATION_COST", default_value_t = 10, global = true)]
    pub mutation_cost: u64,

    /// Answer introspection queries (`__schema`, `__type`); turn off in production with
    /// `--introspection false` when clients are built from schema.graphql.
    #[arg(
        long,
        env = "INTROSPECTION",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub introspection: bool,
}
