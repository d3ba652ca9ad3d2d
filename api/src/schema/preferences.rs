//! The `UserPreferences` type and its nested settings; its mutation is in [`preferences_mutations`](super::preferences_mutations).

use async_graphql::{Context, Enum, Object, SimpleObject};
use entity::user_preferences as prefs;

use super::{context::ContextExt, user::User};
use crate::error::Error;

/// Colour scheme of the user's clients.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::user_preferences::Theme")]
pub enum Theme {
    /// Follow the operating system.
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// How often notifications are sent.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::user_preferences::NotificationFrequency")]
pub enum NotificationFrequency {
    /// As things happen.
    Instant,
    /// A daily digest.
    Daily,
    /// A weekly digest.
    Weekly,
}

/// Which notifications the user gets.
#[derive(SimpleObject)]
pub struct NotificationSettings {
    /// By email.
    email: bool,
    /// By push notification.
    push: bool,
    /// How often.
    frequency: NotificationFrequency,
}

/// How the user's clients lay things out.
#[derive(SimpleObject)]
pub struct LayoutSettings {
    /// Show the sidebar.
    sidebar: bool,
    /// Dense lists.
    compact: bool,
}

/// A user's settings.
pub struct UserPreferences(pub prefs::Model);

/// A user's settings.
#[Object]
impl UserPreferences {
    /// The user these preferences belong to, so that normalized client caches (Relay,
    /// Apollo) can update User.preferences after updatePreferences.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        // Through the loader: a list of users' preferences must not look each one up.
        let user = ctx
            .loaders()?
            .user_by_id()
            .load_one(self.0.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        Ok(user.into())
    }

    /// Colour scheme.
    async fn theme(&self) -> Theme {
        self.0.theme.into()
    }

    /// Notification settings.
    async fn notifications(&self) -> NotificationSettings {
        let n = &self.0.notifications;
        NotificationSettings {
            email: n.email,
            push: n.push,
            frequency: n.frequency.into(),
        }
    }

    /// Layout settings.
    async fn layout(&self) -> LayoutSettings {
        LayoutSettings {
            sidebar: self.0.layout.sidebar,
            compact: self.0.layout.compact,
        }
    }
}
