//! The server under load: the real binary in a process of its own, so that its memory can be
//! read from /proc and its statement log captured.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

/// A running server; killed when dropped.
pub struct BenchServer {
    child: Child,
    addr: SocketAddr,
    log: Option<PathBuf>,
}

impl BenchServer {
    /// Starts `program` on `database_url` (seeded) and a free port with `env` on top of the
    /// benchmark's settings (no rate limits, statement counts in a header), waiting until it
    /// is ready. With `log`, its JSON log goes to that file.
    pub async fn start(
        program: &Path,
        database_url: &str,
        env: &[(&str, &str)],
        log: Option<PathBuf>,
    ) -> Result<Self, String> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|err| format!("no free port: {err}"))?;
        let stdout = match &log {
            Some(path) => Stdio::from(
                std::fs::File::create(path)
                    .map_err(|err| format!("cannot create {path:?}: {err}"))?,
            ),
            None => Stdio::null(),
        };
        let mut command = Command::new(program);
        command
            .env("DATABASE_URL", database_url)
            .env("LISTEN_ADDR", addr.to_string())
            .env("RATE_LIMIT_POINTS", "0")
            .env("RATE_LIMIT_ANONYMOUS_POINTS", "0")
            .env("EXPOSE_SQL_STATEMENT_COUNT", "true")
            .env("LOG_FORMAT", "json")
            // The server's own default: one line per request, as in production.
            .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
            .env("NO_MIGRATE", "true");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .stdout(stdout)
            .spawn()
            .map_err(|err| format!("cannot start {program:?}: {err}"))?;
        let server = Self { child, addr, log };
        for _ in 0..200 {
            let ready = reqwest::get(server.url("/readyz")).await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("the server did not become ready".to_owned())
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The SQL statements logged (`api::sql` at trace) since the log was last read, after
    /// giving the writer a moment to flush.
    pub async fn logged_statements(&self, from_line: &mut usize) -> Result<Vec<String>, String> {
        let path = self
            .log
            .as_ref()
            .ok_or("the server was started without a log")?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let text =
            std::fs::read_to_string(path).map_err(|err| format!("cannot read {path:?}: {err}"))?;
        let lines: Vec<&str> = text.lines().collect();
        let statements = lines[(*from_line).min(lines.len())..]
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|event| event["target"] == "api::sql")
            .filter_map(|event| event["fields"]["statement"].as_str().map(str::to_owned))
            .collect();
        *from_line = lines.len();
        Ok(statements)
    }

    /// Samples the process's resident memory every 100 ms until the returned guard is
    /// dropped; the guard tells the largest value seen, in KiB.
    pub fn sample_rss(&self) -> RssSampler {
        sample_rss(self.child.id())
    }
}

/// Samples the resident memory of process `pid` every 100 ms until the returned guard is
/// dropped (the peer's too, so that both are measured alike).
pub fn sample_rss(pid: u32) -> RssSampler {
    let peak = Arc::new(AtomicU64::new(0));
    let status = format!("/proc/{pid}/status");
    let seen = peak.clone();
    let task = tokio::spawn(async move {
        loop {
            if let Some(kib) = rss_kib(&status) {
                seen.fetch_max(kib, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    RssSampler { peak, task }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` from a /proc status file, in KiB.
fn rss_kib(status: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// Samples a process's memory; see [`BenchServer::sample_rss`].
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Stops sampling; the peak in MiB.
    pub fn stop(self) -> f64 {
        self.task.abort();
        self.peak.load(Ordering::Relaxed) as f64 / 1024.0
    }
}
