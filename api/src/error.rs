//! The one error type of the server, and its mapping to GraphQL `extensions.code`.
//!
//! Services return [`Error`]; resolvers pass it on with `?`, which keeps it as the source of
//! the GraphQL error; [`code_errors`](crate::execution::error_codes::code_errors) then sets the
//! code once for every error of a response. Internal causes are logged there, never shown.

use sea_orm::DbErr;

/// `Result` with the server's error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operation needs a valid bearer token.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The viewer is known but may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The thing does not exist or the viewer may not see it (the two look the same, so
    /// that IDs cannot be probed).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The input is wrong; `field` names the input field at fault, when there is one.
    #[error("{message}")]
    BadUserInput {
        /// The input field at fault, as the client spelled it.
        field: Option<&'static str>,
        /// What is wrong, for a person to read.
        message: String,
    },
    /// The change collides with another one (e.g. a stale expectedVersion).
    #[error("{0}")]
    Conflict(String),
    /// Too much at once: a limit on open subscriptions or on request rate.
    #[error("{0}")]
    RateLimited(String),
    /// Too many failed log-ins for an account or from an address; try again after
    /// `retry_after_secs`.
    #[error("too many failed log-ins: retry in {retry_after_secs} s")]
    LoginThrottled {
        /// Seconds until the oldest counted failure leaves the window.
        retry_after_secs: u64,
    },
    /// Too many of an expensive call (`what`: sign-ups, log-ins) from one address, or too
    /// many cost points spent on them; try again after `retry_after_secs`.
    #[error("too many {what}: retry in {retry_after_secs} s")]
    TooMany {
        /// What was done too often, for a person to read.
        what: &'static str,
        /// Seconds until one more is allowed.
        retry_after_secs: u64,
    },
    /// As many requests run as the server allows (`--max-in-flight`); try again after
    /// `retry_after_secs`.
    #[error("the server is busy: retry in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The database is known to be unreachable (see `db::health`); try again after
    /// `retry_after_secs`.
    #[error("the database is unreachable: retry in {retry_after_secs} s")]
    DatabaseDown {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The request ran longer than the configured timeout and was stopped.
    #[error("the request took longer than {0} s and was stopped")]
    Timeout(u64),
    /// The database failed; the cause is logged, the client sees a generic message.
    #[error("internal error")]
    Database(DbErr),
    /// Anything else that is the server's fault; logged, never shown.
    #[error("internal error")]
    Internal(String),
}

impl From<DbErr> for Error {
    /// A database error is the server's fault, except text the database cannot take: a NUL
    /// character in a search or a lookup, which PostgreSQL refuses (SQLSTATE 22021) where
    /// SQLite just finds nothing. Stored text is checked before (`validate::no_nul`).
    fn from(err: DbErr) -> Self {
        if sqlstate(&err).as_deref() == Some("22021") {
            return Self::BadUserInput {
                field: None,
                message: "Text must not contain NUL characters.".to_owned(),
            };
        }
        Self::Database(err)
    }
}

/// The SQLSTATE (PostgreSQL) or result code (SQLite) of a database error, if it has one.
pub fn sqlstate(err: &DbErr) -> Option<String> {
    let (DbErr::Exec(runtime) | DbErr::Query(runtime) | DbErr::Conn(runtime)) = err else {
        return None;
    };
    let sea_orm::RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db_err) = sqlx_err.as_ref() else {
        return None;
    };
    db_err.code().map(|code| code.into_owned())
}

impl Error {
    /// A BAD_USER_INPUT error about one input field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: Some(field),
            message: message.into(),
        }
    }

    /// The `extensions.code` clients see.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited(_)
            | Self::LoginThrottled { .. }
            | Self::TooMany { .. }
            | Self::Busy { .. } => "RATE_LIMITED",
            Self::Timeout(_) | Self::DatabaseDown { .. } => "INTERNAL",
            Self::Database(_) | Self::Internal(_) => "INTERNAL",
        }
    }

    /// The input field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::BadUserInput { field, .. } => *field,
            _ => None,
        }
    }

    /// Seconds the client should wait before trying again, if that is known.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::LoginThrottled { retry_after_secs }
            | Self::TooMany {
                retry_after_secs, ..
            }
            | Self::Busy { retry_after_secs }
            | Self::DatabaseDown { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Whether the server is at fault (and the cause must be logged).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Database(_) | Self::Internal(_))
    }
}
