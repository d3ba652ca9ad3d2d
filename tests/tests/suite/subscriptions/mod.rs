//! `todoEvents` over WebSocket ([`events`]) and the socket's session and limits
//! ([`sockets`]).

mod events;
mod sockets;
