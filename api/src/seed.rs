//! Data generators for people and benchmarks, not for requests: `api seed-demo` loads a
//! small sample to explore in GraphiQL ([`demo`]), `api seed-bench` the benchmark's data
//! set ([`bench`]).

pub mod bench;
pub mod demo;
