//! `bench`: the load benchmark against the database's own ceiling; `tests/bench/run` builds
//! it in release mode and writes BENCHMARKS.md and its chart. Needs wrk and pgbench, and a
//! PostgreSQL server where it may create (and then drops) a database per size; runs the peer
//! (PostGraphile v5) on Q1 when Node.js is there and `tests/bench/peer` is installed.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use tests::bench::{self, chart, peer::Peer, report};

/// The benchmark's settings.
#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Load benchmark: the server against pgbench on its own SQL"
)]
struct Args {
    /// A PostgreSQL server where databases may be created, e.g.
    /// `postgres://postgres@127.0.0.1:5432/postgres` (what tests/bench/run passes).
    #[arg(long, env = "BENCH_DATABASE_URL")]
    database_url: String,
    /// Data set sizes in users (repeat for several).
    #[arg(long = "users", default_values_t = [2_000, 20_000])]
    users: Vec<u32>,
    /// Todos per user.
    #[arg(long, default_value_t = 25)]
    todos_per_user: u32,
    /// Tags.
    #[arg(long, default_value_t = 100)]
    tags: u32,
    /// Seconds of load before each measured run.
    #[arg(long, default_value_t = 3)]
    warmup_secs: u64,
    /// Seconds of each measured run.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Connections the load generator keeps open.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// The server binary; default: `api` next to this one.
    #[arg(long)]
    server: Option<PathBuf>,
    /// The workload documents (`tests/bench`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/bench"))]
    documents: PathBuf,
    /// Where the Markdown report goes (its table part replaces what was there).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md"))]
    output: PathBuf,
    /// Where the SVG chart goes; default: the report's path with `.svg`, beside it.
    #[arg(long)]
    chart: Option<PathBuf>,
    /// The peer's folder (`npm ci --prefix` it first; tests/bench/run does).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/peer"))]
    peer_dir: PathBuf,
    /// The Node.js binary the peer runs on; default: the one its package installs
    /// (`node_modules/.bin/node`, Node.js 24 on Linux x64), else `node` from PATH.
    #[arg(long)]
    node: Option<PathBuf>,
    /// Leave the peer out even when Node.js is there.
    #[arg(long)]
    no_peer: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let server = args.server.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("api")))
            .unwrap_or_else(|| PathBuf::from("api"))
    });
    let options = bench::Options {
        admin_url: args.database_url,
        sizes: args.users,
        todos_per_user: args.todos_per_user,
        tags: args.tags,
        warmup: Duration::from_secs(args.warmup_secs),
        duration: Duration::from_secs(args.duration_secs),
        connections: args.connections,
        server,
        dir: args.documents,
        server_env: Vec::new(),
        peer: if args.no_peer {
            Peer::Skip("left out with --no-peer".to_owned())
        } else {
            let bundled = args.peer_dir.join("node_modules/.bin/node");
            let node = args.node.clone().unwrap_or_else(|| {
                if bundled.exists() {
                    bundled
                } else {
                    PathBuf::from("node")
                }
            });
            Peer::detect(&args.peer_dir, &node)
        },
    };
    if let Peer::Skip(reason) = &options.peer {
        eprintln!("bench: skipping the peer (PostGraphile v5): {reason}");
    }
    let mut machine = report::Machine::now();
    let reports = match bench::run(&options).await {
        Ok(reports) => reports,
        Err(err) => {
            eprintln!("bench: {err}");
            return ExitCode::FAILURE;
        }
    };
    machine.load_after = report::load_average();
    let chart_path = args
        .chart
        .clone()
        .unwrap_or_else(|| args.output.with_extension("svg"));
    let subtitle = format!(
        "Run {}, {} cores, wrk with {} connections for {} s per workload",
        machine.started,
        machine.cores,
        options.connections,
        options.duration.as_secs()
    );
    let chart_link = match std::fs::write(&chart_path, chart::svg(&reports, &subtitle)) {
        Ok(()) => {
            eprintln!("bench: wrote {}", chart_path.display());
            relative_to(&chart_path, &args.output)
        }
        Err(err) => {
            eprintln!("bench: cannot write {}: {err}", chart_path.display());
            return ExitCode::FAILURE;
        }
    };
    let tables = report::markdown(&reports, &options, &machine, Some(&chart_link));
    match report::write_into(&args.output, &tables) {
        Ok(()) => {
            eprintln!("bench: wrote {}", args.output.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("bench: cannot write {}: {err}", args.output.display());
            ExitCode::FAILURE
        }
    }
}

/// `chart` as a link from the Markdown file `report`: its file name when they share a folder.
fn relative_to(chart: &std::path::Path, report: &std::path::Path) -> String {
    let folder = |p: &std::path::Path| p.parent().and_then(|d| d.canonicalize().ok());
    match chart.file_name() {
        Some(name) if folder(chart).is_some() && folder(chart) == folder(report) => {
            name.to_string_lossy().into_owned()
        }
        _ => chart.display().to_string(),
    }
}
