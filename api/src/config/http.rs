//! Settings of the GraphQL-over-HTTP endpoint.

use std::time::Duration;

use clap::Args;

/// Settings of the GraphQL-over-HTTP endpoint (`/graphql`).
#[derive(Debug, Clone, Args)]
pub struct HttpConfig {
    /// Most GraphQL requests one POST may carry as a JSON array (a batch); 0 turns batching
    /// off, and a batch is then refused with 400. Batching is not part of the
    /// GraphQL-over-HTTP spec, hence opt-in. Every operation of a batch is to count against
    /// the cost limits (depth, complexity, rate) that later hardening adds, so that a batch
    /// cannot multiply what one request may cost.
    #[arg(long, env = "BATCH_MAX", default_value_t = 0, global = true)]
    pub batch_max: usize,

    /// Largest request body accepted, in bytes; a larger one is refused with 413.
    #[arg(long, env = "BODY_LIMIT_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub body_limit_bytes: usize,

    /// Seconds a GraphQL request may run before it is stopped (503). On PostgreSQL the same
    /// bound is the connections' statement_timeout, so the database stops working too.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// GraphQL requests this instance runs at once; more are refused at once with 503 and
    /// Retry-After, rather than queued until they time out (0: no limit).
    #[arg(long, env = "MAX_IN_FLIGHT", default_value_t = 512, global = true)]
    pub max_in_flight: usize,

    /// GraphQL queries and mutations this instance executes at once (default: twice its
    /// CPU cores); the others in flight wait their turn in order of arrival, within the
    /// request timeout. More at once than the cores can run adds only memory and latency.
    #[arg(long, env = "MAX_EXECUTING", default_value_t = twice_the_cores(), global = true)]
    pub max_executing: usize,

    /// Take the client's IP address from this header (e.g. X-Forwarded-For; its last
    /// entry) instead of the TCP peer: set it when a proxy you run sits in front, never
    /// otherwise, since clients can write any header.
    #[arg(long, env = "CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,

    /// Serve GraphiQL at `/` (turn off in production with `--graphiql false`).
    #[arg(
        long,
        env = "GRAPHIQL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub graphiql: bool,
}

/// Two operations per core: one runs while the other waits for the database.
fn twice_the_cores() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

impl HttpConfig {
    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}
