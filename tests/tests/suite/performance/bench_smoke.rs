//! The benchmark, small and short (N = 200, 3 s per workload), so that it cannot rot: every
//! workload runs under wrk without an error, pgbench measures a ceiling for each read, the
//! statement counts stay within the targets, and the report holds every row.
//!
//! Needs PostgreSQL (TEST_DATABASE_URL), wrk and pgbench: without TEST_DATABASE_URL it skips,
//! saying so, except with CI=true. It runs [`alone`](tests::test_app::alone), so that its
//! load does not slow the other tests of the suite down.

use std::time::Duration;

use tests::bench::{self, chart, peer::Peer, report, workload::Workload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_runs_every_workload_without_errors() {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL").ok() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true needs TEST_DATABASE_URL for the benchmark smoke test"
        );
        eprintln!("TEST_DATABASE_URL is not set: skipping the benchmark smoke test");
        return;
    };
    let _alone = tests::test_app::alone().await;
    let dir = std::env::temp_dir().join(format!("bench_smoke_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/bench")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "graphql") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let options = bench::Options {
        admin_url,
        sizes: vec![200],
        todos_per_user: 25,
        tags: 100,
        warmup: Duration::from_secs(1),
        duration: Duration::from_secs(3),
        connections: 32,
        server: env!("CARGO_BIN_EXE_second_instance").into(),
        dir: dir.clone(),
        server_env: Vec::new(),
        // The peer takes a minute to install and start, and CI's time is counted: it runs in
        // tests/bench/run only.
        peer: Peer::Skip("not run in the smoke test".to_owned()),
    };
    let reports = bench::run(&options).await.expect("the benchmark runs");
    let _ = std::fs::remove_dir_all(&dir);

    let [size] = &reports[..] else {
        panic!("one size was asked for");
    };
    assert_eq!(size.counts.users, 201, "200 users and the admin");
    assert_eq!(size.counts.todos, 200 * 25);
    assert_eq!(size.counts.tags, 100);
    assert_eq!(size.workloads.len(), Workload::ALL.len());
    for w in &size.workloads {
        let name = w.workload.name();
        assert!(w.load.requests > 0, "{name}: no request completed");
        assert_eq!(
            w.load.errors(),
            0,
            "{name}: errors under load: {:?}",
            w.load
        );
        assert!(
            w.rss_mib > 0.0,
            "{name}: the server's memory was not sampled"
        );
        match w.ceiling {
            Some(ceiling) => assert!(ceiling.tps > 0.0, "{name}: pgbench measured nothing"),
            None => assert!(!w.workload.is_read(), "{name}: a read without a ceiling"),
        }
    }
    let statements = |workload| {
        size.workloads
            .iter()
            .find(|w| w.workload == workload)
            .map(|w| w.statements)
            .unwrap()
    };
    // Constant per request, and Q1 within its target of 4 with the session lookup.
    assert_eq!(statements(Workload::Q1Nested), (4, 4));
    for read in [Workload::Q2Detail, Workload::Q3Reverse, Workload::Q4Search] {
        let (min, max) = statements(read);
        assert_eq!(min, max, "{}: the statement count varies", read.name());
    }

    let machine = report::Machine::now();
    let markdown = report::markdown(&reports, &options, &machine, Some("BENCHMARKS.svg"));
    assert!(
        markdown.contains("](BENCHMARKS.svg)"),
        "the chart is not shown"
    );
    assert!(markdown.contains("did not run: not run in the smoke test"));
    let svg = chart::svg(&reports, "smoke");
    assert_eq!(
        svg.matches("<rect class=\"bar ").count(),
        Workload::ALL.len() + Workload::ALL.iter().filter(|w| w.is_read()).count(),
        "one bar per figure"
    );
    for workload in Workload::ALL {
        assert!(
            markdown.contains(&format!("| {} |", workload.name())),
            "the report has no row for {}:\n{markdown}",
            workload.name()
        );
    }
}
