//! Accounts and sessions: sign-up, log-in, log-out, tokens; and the throttling of log-ins and
//! sign-ups.

mod accounts;
mod throttle;
