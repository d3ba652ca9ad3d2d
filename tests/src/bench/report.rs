//! The benchmark's report: Markdown tables for BENCHMARKS.md.

use std::fmt::Write as _;

use super::{Options, SizeReport, peer::Peer, workload::Workload};

/// Where and when the benchmark ran.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs.
    pub cores: usize,
    /// `/proc/loadavg`'s first three fields before the run.
    pub load_before: String,
    /// The same after the run.
    pub load_after: String,
    /// When the run started (UTC).
    pub started: String,
}

impl Machine {
    /// Reads the core count and load now.
    pub fn now() -> Self {
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load_before: load_average(),
            load_after: String::new(),
            started: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The tables for `reports`, below the chart at `chart` (a path relative to the Markdown
/// file) when there is one.
pub fn markdown(
    reports: &[SizeReport],
    options: &Options,
    machine: &Machine,
    chart: Option<&str>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run {}: {} cores, load average {} before and {} after (server, PostgreSQL and load \
         generator share the machine). wrk with {} connections, {} s warm-up and {} s measured \
         per workload; the ceiling is `pgbench -M prepared -c 8 -j 2` for {} s on the \
         statements the server executed for the same request.\n",
        machine.started,
        machine.cores,
        machine.load_before,
        machine.load_after,
        options.connections,
        options.warmup.as_secs(),
        options.duration.as_secs(),
        options.duration.as_secs(),
    );
    let peer = reports.iter().find_map(|r| r.peer.as_ref());
    match (&options.peer, peer) {
        (_, Some(peer)) => {
            let _ = writeln!(
                out,
                "The peer: {} (amber preset, Node.js {}, a pool of 10 connections, \
                 `tests/bench/peer/`) on the same database, answering \
                 `tests/bench/peer/q1.graphql`, which the runner checks holds the same data as \
                 our Q1 before loading it with the same wrk settings. Its ratio is to Q1's \
                 ceiling.\n",
                peer.name, peer.node
            );
        }
        (Peer::Skip(reason), None) => {
            let _ = writeln!(
                out,
                "The peer (PostGraphile v5, `tests/bench/peer/`) did not run: {reason}.\n"
            );
        }
        (Peer::Run { .. }, None) => {}
    }
    if let Some(chart) = chart {
        let _ = writeln!(
            out,
            "![Requests per second per workload at each size: this server, the PostgreSQL \
             ceiling and the peer on Q1]({chart})\n"
        );
    }
    for report in reports {
        let _ = writeln!(
            out,
            "### N = {} users ({} todos, {} tags, {} todo–tag links; seeded in {:.1} s)\n",
            report.users,
            report.counts.todos,
            report.counts.tags,
            report.counts.links,
            report.seed_secs
        );
        out.push_str(
            "| Workload | req/s | p50 ms | p99 ms | errors | server RSS MiB | SQL statements / request | ceiling (pgbench tps) | server / ceiling |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for w in &report.workloads {
            let statements = match w.statements {
                (min, max) if min == max => min.to_string(),
                (min, max) => format!("{min}–{max}"),
            };
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1} | {:.1} | {} | {:.1} | {} | {} | {} |",
                w.workload.name(),
                w.load.rps,
                w.load.p50_ms,
                w.load.p99_ms,
                w.load.errors(),
                w.rss_mib,
                statements,
                w.ceiling
                    .map_or("–".to_owned(), |c| format!("{:.0}", c.tps)),
                w.ratio()
                    .map_or("–".to_owned(), |r| format!("{:.0} %", r * 100.0)),
            );
        }
        if let Some(peer) = &report.peer {
            let ceiling = report
                .workloads
                .iter()
                .find(|w| w.workload == Workload::Q1Nested)
                .and_then(|w| w.ceiling)
                .filter(|c| c.tps > 0.0);
            let _ = writeln!(
                out,
                "| Q1 nested, {} (peer) | {:.0} | {:.1} | {:.1} | {} | {:.1} | – | {} | {} |",
                peer.name,
                peer.load.rps,
                peer.load.p50_ms,
                peer.load.p99_ms,
                peer.load.errors(),
                peer.rss_mib,
                ceiling.map_or("–".to_owned(), |c| format!("{:.0}", c.tps)),
                ceiling.map_or("–".to_owned(), |c| format!(
                    "{:.0} %",
                    peer.load.rps / c.tps * 100.0
                )),
            );
        }
        out.push('\n');
    }
    if let [small, .., large] = reports {
        let _ = writeln!(
            out,
            "### Growth: N = {} against N = {}\n\n\
             Cost per request is the inverse of throughput; the target is at most 1.3 ×.\n\n\
             | Workload | req/s at {} | req/s at {} | cost × | statements at {} | statements at {} |\n\
             |---|---:|---:|---:|---:|---:|",
            large.users, small.users, small.users, large.users, small.users, large.users
        );
        for workload in Workload::ALL {
            let find =
                |r: &SizeReport| r.workloads.iter().find(|w| w.workload == workload).cloned();
            if let (Some(a), Some(b)) = (find(small), find(large)) {
                let _ = writeln!(
                    out,
                    "| {} | {:.0} | {:.0} | {:.2} | {} | {} |",
                    workload.name(),
                    a.load.rps,
                    b.load.rps,
                    a.load.rps / b.load.rps.max(f64::MIN_POSITIVE),
                    a.statements.1,
                    b.statements.1
                );
            }
        }
        if let (Some(a), Some(b)) = (&small.peer, &large.peer) {
            let _ = writeln!(
                out,
                "| Q1 nested, {} (peer) | {:.0} | {:.0} | {:.2} | – | – |",
                a.name,
                a.load.rps,
                b.load.rps,
                a.load.rps / b.load.rps.max(f64::MIN_POSITIVE),
            );
        }
        out.push('\n');
    }
    out
}

/// Where the generated tables start and end in BENCHMARKS.md; the prose around them is
/// written by hand and kept.
const BEGIN: &str = "<!-- bench:begin (generated by tests/bench/run; edits inside are lost) -->";
const END: &str = "<!-- bench:end -->";

/// Puts `tables` between the markers of the file at `path`, creating it (or the markers)
/// when missing.
pub fn write_into(path: &std::path::Path, tables: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let generated = format!("{BEGIN}\n{tables}{END}");
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{generated}{}", &old[..start], &old[end + END.len()..])
        }
        _ if old.is_empty() => format!("# Benchmarks\n\n{generated}\n"),
        _ => format!("{old}\n{generated}\n"),
    };
    std::fs::write(path, new)
}
