//! The built `api` binary's admin commands on a fresh SQLite file: `seed-demo` creates an
//! admin, `admin grant|revoke` change roles idempotently and say so, and an unknown user is
//! a clear message with a non-zero exit status. (The tests crate checks what the role
//! changes mean for GraphQL, on both backends.)

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use std::{path::PathBuf, process::Command};

/// A SQLite file in the temporary directory, removed (with its WAL files) on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("api_admin_cli_{}.db", std::process::id())))
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs `api --database-url <db> <args>`; returns the exit status's success, stdout and
/// stderr.
fn api(db: &TempDb, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_api"))
        .arg("--database-url")
        .arg(db.url())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the api binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn admin_commands_grant_and_revoke_by_username() {
    let db = TempDb::new();
    let (ok, out, err) = api(&db, &["seed-demo"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("\"demo_admin\""), "{out}");

    // The demo admin is one already.
    let (ok, out, err) = api(&db, &["admin", "grant", "demo_admin"]);
    assert!(ok, "{out}{err}");
    assert_eq!(out, "\"demo_admin\" was already an admin.\n");

    let (ok, out, _) = api(&db, &["admin", "grant", "sam"]);
    assert!(ok);
    assert_eq!(out, "\"sam\" is now an admin.\n");
    let (ok, out, _) = api(&db, &["admin", "grant", "sam"]);
    assert!(ok, "granting twice is fine");
    assert_eq!(out, "\"sam\" was already an admin.\n");
    let (ok, out, _) = api(&db, &["admin", "revoke", "sam"]);
    assert!(ok);
    assert_eq!(out, "\"sam\" is now a plain user.\n");
    let (ok, out, _) = api(&db, &["admin", "revoke", "sam"]);
    assert!(ok, "revoking twice is fine");
    assert_eq!(out, "\"sam\" was already a plain user.\n");

    let (ok, out, err) = api(&db, &["admin", "grant", "nobody"]);
    assert!(!ok, "an unknown user is a failure");
    assert_eq!(out, "");
    assert_eq!(err, "There is no user named \"nobody\"; nothing changed.\n");
}
