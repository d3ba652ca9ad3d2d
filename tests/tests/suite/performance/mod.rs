//! Performance that must not regress: statements per request ([`statements`]), index-served
//! plans ([`plans`]), the plain-field fast path ([`plain_fields`]) and the benchmark's smoke
//! run ([`bench_smoke`]).

mod bench_smoke;
mod plain_fields;
mod plans;
mod statements;
