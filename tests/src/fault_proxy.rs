//! A TCP proxy to put between the server and PostgreSQL (or Redis), so that a test can make
//! the database go away without stopping a real one: cut every connection, refuse new ones,
//! or swallow all traffic as a network partition does, and then restore it.

use std::net::SocketAddr;

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

/// What happens to traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Bytes flow both ways.
    Forward,
    /// New connections are reset as soon as they arrive: the database is down.
    Refuse,
    /// Connections, old and new, stay open but carry nothing: a network partition.
    Blackhole,
}

#[derive(Clone, Debug)]
struct State {
    /// Where connections go, `host:port`; set by [`FaultProxy::route`].
    upstream: Option<String>,
    mode: Mode,
    /// Bumped to close every connection opened before.
    generation: u64,
}

/// The proxy, listening on 127.0.0.1 on a free port. Dropping it closes every connection.
pub struct FaultProxy {
    addr: SocketAddr,
    state: watch::Sender<State>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts the proxy, forwarding; [`FaultProxy::route`] says where to.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port for the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (state, watched) = watch::channel(State {
            upstream: None,
            mode: Mode::Forward,
            generation: 0,
        });
        let accept = tokio::spawn(async move {
            loop {
                if let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(relay(client, watched.clone()));
                }
            }
        });
        Self {
            addr,
            state,
            accept,
        }
    }

    /// `database_url` (`postgres://user@host:port/db?...`, or a `redis://` URL with its
    /// port) with its host and port replaced by the proxy's; the proxy forwards to the
    /// original host and port from now on.
    pub fn route(&self, database_url: &str) -> String {
        let scheme_end = database_url.find("://").map_or(0, |i| i + 3);
        let rest = &database_url[scheme_end..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (format!("{userinfo}@"), host_port),
            None => (String::new(), authority),
        };
        let upstream = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        self.state
            .send_modify(|state| state.upstream = Some(upstream));
        format!(
            "{}{userinfo}{}{}",
            &database_url[..scheme_end],
            self.addr,
            &rest[authority_end..]
        )
    }

    /// Closes every open connection, abruptly (a reset, as when the database's host or a
    /// firewall drops them); new connections are served as before.
    pub fn cut(&self) {
        self.state.send_modify(|state| state.generation += 1);
    }

    /// The database goes down: every open connection is reset, and so is each new one.
    pub fn refuse(&self) {
        self.state.send_modify(|state| {
            state.mode = Mode::Refuse;
            state.generation += 1;
        });
    }

    /// The network goes silent: open connections stay open but nothing passes, and new ones
    /// are accepted and then hang.
    pub fn blackhole(&self) {
        self.state.send_modify(|state| state.mode = Mode::Blackhole);
    }

    /// Traffic flows again. Connections that were silenced are reset (their state is lost);
    /// new ones are forwarded.
    pub fn restore(&self) {
        self.state.send_modify(|state| {
            state.mode = Mode::Forward;
            state.generation += 1;
        });
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// Serves one client connection according to the proxy's state, until it is cut.
async fn relay(client: TcpStream, mut state: watch::Receiver<State>) {
    let State {
        upstream,
        mode,
        generation,
    } = state.borrow_and_update().clone();
    let cut = move |state: &State| state.generation != generation;
    match (mode, upstream) {
        (Mode::Forward, Some(upstream)) => {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                reset(client);
                return;
            };
            forward(client, server, state, generation).await;
        }
        (Mode::Blackhole, _) => {
            let _ = state.wait_for(cut).await;
            reset(client);
        }
        (Mode::Refuse, _) | (Mode::Forward, None) => reset(client),
    }
}

async fn forward(
    mut client: TcpStream,
    mut server: TcpStream,
    mut state: watch::Receiver<State>,
    generation: u64,
) {
    let cut = move |state: &State| state.generation != generation;
    let silenced = tokio::select! {
        _ = copy_bidirectional(&mut client, &mut server) => false,
        changed = state.wait_for(|s| cut(s) || s.mode == Mode::Blackhole) => {
            changed.is_ok_and(|s| !cut(&s))
        }
    };
    if silenced {
        // Holding both ends open without reading: each side waits for the other forever.
        let _ = state.wait_for(cut).await;
    }
    reset(client);
    reset(server);
}

/// Closes with a RST rather than a FIN: a cut, not a polite goodbye.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}
