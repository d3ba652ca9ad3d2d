//! The entities under short names, for `use entity::prelude::*`.

pub use super::{
    login_failure::Entity as LoginFailure, session::Entity as Session, tag::Entity as Tag,
    todo::Entity as Todo, todo_handover::Entity as TodoHandover,
    todo_history::Entity as TodoHistory, todo_tag::Entity as TodoTag, user::Entity as User,
    user_preferences::Entity as UserPreferences,
};
