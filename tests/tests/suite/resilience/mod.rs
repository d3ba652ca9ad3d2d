//! Failures survived: the database going away ([`failures`]), retried transient errors
//! ([`retry`]) and concurrent writers ([`concurrency`]).

mod concurrency;
mod failures;
mod retry;
