//! The server as an operator runs it, in a process of its own, so that a test can send it
//! signals: `src/bin/second_instance.rs`, which runs what the `api` binary runs, configured
//! from the environment alone.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// The real server in a process of its own; killed if still running when dropped.
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `program` (`env!("CARGO_BIN_EXE_second_instance")`, which only integration
    /// tests can name) on `database_url` (already migrated) and a free port, and waits until
    /// it is ready.
    pub async fn start(program: &str, database_url: &str, shutdown_timeout_secs: u64) -> Self {
        let timeout = shutdown_timeout_secs.to_string();
        Self::start_with_env(
            Path::new(program),
            database_url,
            &[("SHUTDOWN_TIMEOUT_SECS", &timeout)],
        )
        .await
    }

    /// Like [`ServerProcess::start`], for any server binary,
    /// with `env` set besides DATABASE_URL, LISTEN_ADDR and RUST_LOG.
    pub async fn start_with_env(program: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = Command::new(program)
            .env("DATABASE_URL", database_url)
            .env("LISTEN_ADDR", addr.to_string())
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server process");
        let process = Self { child, addr };
        for _ in 0..100 {
            let ready = reqwest::get(process.url("/readyz")).await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server process did not become ready");
    }

    /// The process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the process has ended (e.g. crashed), `None` while it runs.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the process's status")
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Whether new connections are refused within a few seconds of the signal (which the
    /// process handles asynchronously).
    pub async fn refuses_connections(&self) -> bool {
        for _ in 0..200 {
            match tokio::net::TcpStream::connect(self.addr).await {
                Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => return true,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        false
    }

    /// Waits (up to 30 s) for the process to exit.
    pub async fn exit_status(&mut self) -> ExitStatus {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.try_wait().expect("the process's status") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server process did not exit");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kB` figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, ...), in KiB; `None` once the
/// process is gone.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|line| line.split(':').next() == Some(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the process's peak resident set size (`VmHWM`) to its current one, so that the
/// next reading is the peak of what happens from now on (proc(5), `clear_refs`).
pub fn reset_peak_rss(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("write /proc/<pid>/clear_refs");
}
