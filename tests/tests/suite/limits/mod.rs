//! What one request or client may take: admission before parsing, bounded inputs and
//! responses, the limits on an operation, rate limits (shared through Redis too), the statement timeout, and the
//! optimized server's memory under hostile requests.

mod admission;
mod bounds;
mod memory;
mod operations;
mod rate_limits;
mod shared_rate_limits;
mod statement_timeout;
