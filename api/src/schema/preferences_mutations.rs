//! `updatePreferences`.

use async_graphql::{Context, Object};

use super::preferences::{NotificationFrequency, Theme, UserPreferences};
use crate::{schema::context::ContextExt, service};

/// Notification settings to change; absent fields keep their value.
#[derive(async_graphql::InputObject)]
pub struct NotificationSettingsInput {
    /// By email.
    email: Option<bool>,
    /// By push notification.
    push: Option<bool>,
    /// How often.
    frequency: Option<NotificationFrequency>,
}

/// Layout settings to change; absent fields keep their value.
#[derive(async_graphql::InputObject)]
pub struct LayoutSettingsInput {
    /// Show the sidebar.
    sidebar: Option<bool>,
    /// Dense lists.
    compact: Option<bool>,
}

/// Absent fields keep their value; nested objects merge.
#[derive(async_graphql::InputObject)]
pub struct UpdatePreferencesInput {
    /// New theme.
    theme: Option<Theme>,
    /// Notification settings to change.
    notifications: Option<NotificationSettingsInput>,
    /// Layout settings to change.
    layout: Option<LayoutSettingsInput>,
}

/// Preferences mutations.
#[derive(Default)]
pub struct PreferencesMutation;

/// Preferences mutations.
#[Object]
impl PreferencesMutation {
    /// Merges the given settings into the viewer's preferences.
    async fn update_preferences(
        &self,
        ctx: &Context<'_>,
        input: UpdatePreferencesInput,
    ) -> async_graphql::Result<UserPreferences> {
        let viewer = ctx.require_viewer()?;
        let notifications = input.notifications;
        let layout = input.layout;
        let changes = service::preferences::PreferenceChanges {
            theme: input.theme.map(Into::into),
            email: notifications.as_ref().and_then(|n| n.email),
            push: notifications.as_ref().and_then(|n| n.push),
            frequency: notifications
                .as_ref()
                .and_then(|n| n.frequency)
                .map(Into::into),
            sidebar: layout.as_ref().and_then(|l| l.sidebar),
            compact: layout.as_ref().and_then(|l| l.compact),
        };
        Ok(UserPreferences(
            service::preferences::update(ctx.db()?, viewer, changes).await?,
        ))
    }
}
