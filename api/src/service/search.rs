//! Case-insensitive substring search, the same in every list: `%` and `_` in the search
//! match themselves.

use sea_orm::{
    DbBackend, ExprTrait,
    sea_query::{Expr, LikeExpr, SimpleExpr, extension::postgres::PgExpr},
};

/// `%`, `_` and the escape character itself match literally.
fn like_pattern(search: &str) -> String {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column` (SQL, e.g. `"todos"."title"`) contains `search`, ignoring case. ILIKE on
/// PostgreSQL, which a trigram index on the bare column serves (whose default escape
/// character is already the backslash: sea-query would parenthesise an ESCAPE clause after
/// ILIKE into invalid SQL); SQLite's LIKE already ignores (ASCII) case.
pub fn contains(column: &'static str, search: &str, backend: DbBackend) -> SimpleExpr {
    let pattern = LikeExpr::new(like_pattern(search));
    match backend {
        DbBackend::Postgres => Expr::cust(column).ilike(pattern),
        _ => Expr::cust(column).like(pattern.escape('\\')),
    }
}

/// `LOWER(column)` contains the lowercased `search`: for columns also looked up by
/// equality, whose trigram index is on `LOWER(column)` so that the planner never takes it
/// for an equality lookup on the column itself (a GIN index answers `=` too, slowly).
pub fn lower_contains(column: &'static str, search: &str) -> SimpleExpr {
    Expr::cust(format!("LOWER({column})"))
        .like(LikeExpr::new(like_pattern(&search.to_lowercase())).escape('\\'))
}
