//! Accounts and sessions: sign-up, log-in, log-out, and turning a bearer token into a
//! [`Viewer`].

use chrono::{DateTime, Utc};
use entity::{session, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, SqlErr, sea_query::Expr,
};

use super::{
    login_throttle, now, password::Passwords, preferences, token, validate, viewer::Viewer,
};
use crate::{
    config::{AuthConfig, RateLimitConfig},
    error::{Error, Result},
    events::{Events, Notice},
};

/// A session is touched at most this often, so that authenticating a request is a read,
/// not a write, nearly every time.
const TOUCH_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

/// The one message for a wrong password and an unknown login, so that neither tells which
/// logins exist.
const BAD_CREDENTIALS: &str = "Invalid login or password.";

/// What sign-up asks for.
#[derive(Debug)]
pub struct SignUp {
    /// Email address; stored lowercased.
    pub email: String,
    /// Public handle.
    pub username: String,
    /// Plain password; only its hash is stored.
    pub password: String,
}

/// A new session: the token (shown once) and its user.
#[derive(Debug)]
pub struct NewSession {
    /// The bearer token; the database keeps only its hash.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: user::Model,
}

/// Creates the account, its preferences and a first session, all in one transaction.
pub async fn sign_up(
    db: &DatabaseConnection,
    passwords: &Passwords,
    settings: &AuthConfig,
    input: SignUp,
) -> Result<NewSession> {
    sign_up_from(db, passwords, settings, input, None, || Ok(())).await
}

/// [`sign_up`] by a client at `ip`, which the first session records: log-in throttling
/// lets the account's own addresses in (see [`login_throttle`]). `admit` is asked once
/// the input is valid and before the password is hashed, so that a per-address allowance
/// counts the sign-ups that cost a hash, not typing mistakes.
pub async fn sign_up_from(
    db: &DatabaseConnection,
    passwords: &Passwords,
    settings: &AuthConfig,
    input: SignUp,
    ip: Option<std::net::IpAddr>,
    admit: impl FnOnce() -> Result<()>,
) -> Result<NewSession> {
    let email = validate::email(&input.email)?;
    let username = validate::username(&input.username)?;
    validate::password(&input.password)?;
    admit()?;
    let password_hash = passwords.hash(input.password).await?;

    let now = now();
    let txn = super::begin_write(db).await?;
    let user = user::ActiveModel {
        email: Set(email),
        username: Set(username),
        password_hash: Set(password_hash),
        bio: Set(String::new()),
        is_active: Set(true),
        role: Set(user::Role::User),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(taken_name)?;
    preferences::default_preferences(user.id)
        .insert(&txn)
        .await?;
    let ip = ip.map(crate::rate_limit::network_text);
    let session = start_session(&txn, settings, user, now, ip).await?;
    txn.commit().await?;
    Ok(session)
}

/// Checks the password of the user named by `login` (an email or a username) and starts a
/// session. Wrong password and unknown login give the same error.
///
/// Throttled by [`login_throttle`]: after too many failures for the account (whichever
/// of its names was typed) from `ip`, from `ip` at all, or for the account from anywhere,
/// attempts are refused without checking the password.
pub async fn log_in(
    db: &DatabaseConnection,
    passwords: &Passwords,
    settings: &AuthConfig,
    throttle: &RateLimitConfig,
    ip: std::net::IpAddr,
    login: &str,
    password: String,
) -> Result<NewSession> {
    let login = login.trim();
    // Usernames cannot contain '@', so the form of the login says which column to search.
    let condition = if login.contains('@') {
        user::COLUMN.email.eq(login.to_lowercase())
    } else {
        user::COLUMN.username.eq(login)
    };
    let found = user::Entity::find().filter(condition).one(db).await?;
    // The user is found first so that failures count per account, not per name typed.
    let attempt = match &found {
        Some(user) => login_throttle::Attempt::for_user(user.id, ip),
        None => login_throttle::Attempt::for_unknown(login, ip),
    };
    login_throttle::begin(db, throttle, &attempt).await?;
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let matches = passwords.verify(password, stored).await?;
    let Some(user) = found.filter(|_| matches) else {
        // The failure was counted by `begin`.
        return Err(Error::Unauthenticated(BAD_CREDENTIALS));
    };
    login_throttle::forget(db, &attempt).await?;
    if !user.is_active {
        return Err(Error::Unauthenticated("This account is deactivated."));
    }

    let now = now();
    let txn = super::begin_write(db).await?;
    let user = user::ActiveModel {
        id: Set(user.id),
        last_login_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let address = Some(attempt.address().to_owned());
    let session = start_session(&txn, settings, user, now, address).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the viewer's current session; its token stops working at once, and its
/// subscriptions on every instance end.
pub async fn log_out(db: &DatabaseConnection, events: &Events, viewer: &Viewer) -> Result<()> {
    let txn = super::begin_write(db).await?;
    session::Entity::delete_by_id(viewer.session_id)
        .exec(&txn)
        .await?;
    let notice = Notice::SessionEnded {
        session_id: viewer.session_id,
    };
    events.commit(txn, vec![notice]).await
}

/// The viewer a bearer token stands for: `None` when the token is unknown or expired, or
/// its user inactive.
pub async fn authenticate(db: &DatabaseConnection, bearer: &str) -> Result<Option<Viewer>> {
    let now = now();
    let found = session::Entity::find()
        .filter(session::COLUMN.token_hash.eq(token::hash(bearer)))
        .filter(session::COLUMN.expires_at.gt(now))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    let Some((session, Some(user))) = found else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    if now - session.last_used_at > TOUCH_INTERVAL {
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .filter(session::COLUMN.id.eq(session.id))
            .exec(db)
            .await?;
    }
    Ok(Some(Viewer {
        user_id: user.id,
        role: user.role,
        session_id: session.id,
        session_expires_at: session.expires_at,
    }))
}

/// Deletes every expired session in one statement (`sessions_expires_at_idx` finds them);
/// returns how many. Expired tokens are refused anyway: this only keeps the table from
/// growing with them.
pub async fn delete_expired_sessions(db: &impl ConnectionTrait) -> Result<u64> {
    let deleted = session::Entity::delete_many()
        .filter(session::COLUMN.expires_at.lte(now()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

async fn start_session(
    db: &impl ConnectionTrait,
    settings: &AuthConfig,
    user: user::Model,
    now: DateTime<Utc>,
    ip: Option<String>,
) -> Result<NewSession> {
    let token = token::generate();
    let expires_at = now + settings.session_ttl();
    session::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(token::hash(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(now),
        ip: Set(ip),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(NewSession {
        token,
        expires_at,
        user,
    })
}

/// A unique violation on users means the email or username is taken: the client's fault,
/// reported on the field. Checking the constraint rather than looking first is race-free.
pub(crate) fn taken_name(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("email") => {
            Error::invalid("email", "This email address is already registered.")
        }
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("username") => {
            Error::invalid("username", "This username is taken.")
        }
        _ => Error::Database(err),
    }
}
