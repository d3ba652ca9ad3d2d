//! Todos: listing them, and every change to them.

pub mod list;
pub mod transfer;
pub mod update;
