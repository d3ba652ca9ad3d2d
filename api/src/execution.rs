//! How an operation runs, whichever transport brought it: the checks made before it is
//! parsed and before it runs (admission), what it may cost, the turns and timeout it runs
//! within, the schema held to all of that ([`executor::ApiSchema`]), and the error codes of
//! every response. It knows the schema only through async-graphql's traits, so the domain's
//! types (`schema/`) can use its output wrappers without an import cycle.

pub mod cost;
pub mod documents;
pub mod error_codes;
pub mod executor;
pub mod gate;
pub mod input_bounds;
pub mod introspection;
pub mod limits;
pub mod operation;
pub mod pace;
pub mod plain_fields;
pub mod prepared;
pub mod quiescence;
pub mod recent;
pub mod response_budget;
pub mod root_order;
pub mod scan;
pub mod screen;
pub mod turns;
