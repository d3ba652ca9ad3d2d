//! `signUp`, `logIn` and `logOut`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::{context::ContextExt, scalars::DateTime, user::User};
use crate::{
    config::{AuthConfig, RateLimitConfig},
    http::ClientIp,
    service::{
        self,
        auth::{NewSession, SignUp},
        password::Passwords,
    },
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

/// A new session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the Authorization header.
    token: String,
    /// When the token stops working.
    expires_at: DateTime,
    /// The signed-in user.
    user: User,
}

impl From<NewSession> for AuthPayload {
    fn from(session: NewSession) -> Self {
        Self {
            token: session.token,
            expires_at: DateTime(session.expires_at),
            user: User::session_owner(session.user),
        }
    }
}

/// Account and session mutations.
#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and signs it in. A taken email or username is BAD_USER_INPUT
    /// with extensions.field naming it.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        input: SignUpInput,
    ) -> async_graphql::Result<AuthPayload> {
        let session = service::auth::sign_up(
            ctx.db()?,
            ctx.app_data::<Passwords>()?,
            ctx.app_data::<AuthConfig>()?,
            SignUp {
                email: input.email,
                username: input.username,
                password: input.password,
            },
        )
        .await?;
        Ok(session.into())
    }

    /// Starts a session. A wrong password and an unknown login give the same
    /// UNAUTHENTICATED error.
    async fn log_in(
        &self,
        ctx: &Context<'_>,
        input: LogInInput,
    ) -> async_graphql::Result<AuthPayload> {
        // HTTP and the WebSocket both set it; anything else would share one address.
        let ip = ctx
            .data_opt::<ClientIp>()
            .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |ip| ip.0);
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
        Ok(session.into())
    }

    /// Revokes the token used for this request.
    async fn log_out(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let viewer = ctx.require_viewer()?;
        service::auth::log_out(ctx.db()?, ctx.app_data()?, viewer).await?;
        Ok(true)
    }
}
