//! Performance that must not regress: statements per request ([`statements`]), index-served
//! plans ([`plans`]), the plain-field fast path ([`plain_fields`]), the benchmark's smoke
//! run ([`bench_smoke`]) and a rate-limit charge through Redis ([`redis_charge`]).

mod bench_smoke;
mod plain_fields;
mod plans;
mod redis_charge;
mod statements;
