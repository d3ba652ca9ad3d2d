//! `signUp`, `logIn` and `logOut`.

use async_graphql::{Context, InputObject, Object};

use super::auth::AuthPayload;
use crate::{
    config::{AuthConfig, RateLimitConfig},
    error::Error,
    rate_limit::{ClientKey, RateLimiter, RetryAfter},
    schema::context::{ClientIp, ContextExt},
    service::{self, auth::SignUp, password::Passwords},
};

/// A new account.
#[derive(InputObject)]
pub struct SignUpInput {
    /// Email address, at most 254 characters; must be unused.
    email: String,
    /// 3 to 32 letters, digits, '_', '-' or '.'; must be unused.
    username: String,
    /// 8 to 1,024 characters.
    password: String,
}

/// Credentials.
#[derive(InputObject)]
pub struct LogInInput {
    /// Email or username (at most 254 characters).
    login: String,
    /// The account's password (at most 1,024 characters).
    password: String,
}

/// Account and session mutations.
#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and signs it in. A taken email or username is BAD_USER_INPUT
    /// with extensions.field naming it. Hashing the password is costly, so each call takes
    /// extra rate-limit points, and an address has a few sign-ups per hour (RATE_LIMITED
    /// with extensions.retryAfter beyond them).
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        input: SignUpInput,
    ) -> async_graphql::Result<AuthPayload> {
        let ip = client_ip(ctx);
        charge_password_work(ctx, ip).await?;
        let limiter = ctx.app_data::<RateLimiter>()?;
        let session = service::auth::sign_up_from(
            ctx.db()?,
            ctx.app_data::<Passwords>()?,
            ctx.app_data::<AuthConfig>()?,
            SignUp {
                email: input.email,
                username: input.username,
                password: input.password,
            },
            Some(ip),
            || {
                limiter
                    .sign_up(ip)
                    .map_err(|wait| too_many("sign-ups", "sign_up", wait))
            },
        )
        .await?;
        Ok(session.into())
    }

    /// Starts a session. A wrong password and an unknown login give the same
    /// UNAUTHENTICATED error. Checking a password is costly, so each call takes extra
    /// rate-limit points; failures are throttled per account and address, and an address
    /// has a number of successful log-ins per hour (RATE_LIMITED beyond them).
    async fn log_in(
        &self,
        ctx: &Context<'_>,
        input: LogInInput,
    ) -> async_graphql::Result<AuthPayload> {
        let ip = client_ip(ctx);
        charge_password_work(ctx, ip).await?;
        let limiter = ctx.app_data::<RateLimiter>()?;
        limiter
            .may_log_in(ip)
            .map_err(|wait| too_many("log-ins", "log_in", wait))?;
        let session = service::auth::log_in(
            ctx.db()?,
            ctx.app_data::<Passwords>()?,
            ctx.app_data::<AuthConfig>()?,
            ctx.app_data::<RateLimitConfig>()?,
            ip,
            &input.login,
            input.password,
        )
        .await?;
        limiter.logged_in(ip);
        Ok(session.into())
    }

    /// Revokes the token used for this request.
    async fn log_out(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let viewer = ctx.require_viewer()?;
        service::auth::log_out(ctx.db()?, ctx.events()?, viewer).await?;
        Ok(true)
    }
}

/// The client's address: HTTP and the WebSocket both set it; anything else would share one.
fn client_ip(ctx: &Context<'_>) -> std::net::IpAddr {
    ctx.data_opt::<ClientIp>()
        .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |ip| ip.0)
}

/// Takes `--password-points` from the client's rate limit before a password is hashed or
/// checked: the operation's cost counts the nodes it returns, not the hash's CPU and
/// memory.
async fn charge_password_work(
    ctx: &Context<'_>,
    ip: std::net::IpAddr,
) -> async_graphql::Result<()> {
    let points = ctx.app_data::<RateLimitConfig>()?.password_points;
    if points == 0 {
        return Ok(());
    }
    let key = ctx
        .data_opt::<ClientKey>()
        .cloned()
        .unwrap_or(ClientKey::Ip(ip));
    ctx.app_data::<RateLimiter>()?
        .charge(&key, points)
        .await
        .map_err(|wait| too_many("password checks", "password_points", wait))?;
    Ok(())
}

/// RATE_LIMITED for `what`, counted on the rate-limit metric as `kind`.
fn too_many(what: &'static str, kind: &'static str, wait: RetryAfter) -> Error {
    crate::metrics::rate_limited(kind);
    Error::TooMany {
        what,
        retry_after_secs: wait.secs(),
    }
}
