//! Accounts and sessions: `signUp`, `logIn` and `logOut` are in [`mutations`].

pub mod mutations;
