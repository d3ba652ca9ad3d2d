//! The database's own ceiling: pgbench running, as one pgbench transaction, exactly the
//! statements the server executed for one request (taken from its statement log).

use std::{path::Path, process::Command, time::Duration};

/// What pgbench measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct CeilingOutcome {
    /// Scripts (one request's statements) per second.
    pub tps: f64,
    /// Average latency of one script, in milliseconds.
    pub latency_ms: f64,
}

/// A pgbench script and the variables it needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    /// The statements, each ending with `;`.
    pub text: String,
    /// `-D name=value` definitions.
    pub variables: Vec<(String, String)>,
}

/// The script running `statements` (SQL with their values inlined) one after the other.
///
/// With `-M prepared`, pgbench reads every `:name` in a statement as a variable, so string
/// literals holding a colon (timestamps) become variables bound as parameters, the way the
/// server binds them.
pub fn script(statements: &[String]) -> Script {
    let mut script = Script::default();
    for statement in statements {
        let mut out = String::with_capacity(statement.len());
        let mut rest = statement.as_str();
        while let Some(start) = rest.find('\'') {
            out.push_str(&rest[..start]);
            let literal_len = literal_length(&rest[start..]);
            let literal = &rest[start..start + literal_len];
            if literal.contains(':') {
                let name = format!("v{}", script.variables.len() + 1);
                let value = literal[1..literal_len - 1].replace("''", "'");
                out.push(':');
                out.push_str(&name);
                script.variables.push((name, value));
            } else {
                out.push_str(literal);
            }
            rest = &rest[start + literal_len..];
        }
        out.push_str(rest);
        script.text.push_str(out.trim_end_matches(';'));
        script.text.push_str(";\n");
    }
    script
}

/// The length in bytes of the SQL string literal at the start of `s` (`'...'`, with `''`
/// inside as a quote), or all of `s` when it is not closed.
fn literal_length(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// Runs `script` (written to `path`) with `pgbench -M prepared -c 8 -j 2` for `duration`
/// against `database_url`.
pub fn run(
    script: &Script,
    path: &Path,
    database_url: &str,
    duration: Duration,
) -> Result<CeilingOutcome, String> {
    std::fs::write(path, &script.text).map_err(|err| format!("cannot write {path:?}: {err}"))?;
    let mut command = Command::new("pgbench");
    command
        .args(["-n", "-M", "prepared", "-c", "8", "-j", "2", "-T"])
        .arg(duration.as_secs().max(1).to_string())
        .arg("-f")
        .arg(path);
    for (name, value) in &script.variables {
        command.arg("-D").arg(format!("{name}={value}"));
    }
    let output = command
        .arg(database_url)
        .output()
        .map_err(|err| format!("cannot run pgbench: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse(&stdout).ok_or_else(|| format!("no tps in pgbench's output:\n{stdout}"))
}

/// Reads `tps = …` and `latency average = … ms` from pgbench's report.
fn parse(stdout: &str) -> Option<CeilingOutcome> {
    let number_after = |prefix: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    Some(CeilingOutcome {
        tps: number_after("tps = ")?,
        latency_ms: number_after("latency average = ").unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_with_colons_become_variables() {
        let script = script(&[
            "SELECT 1 FROM t WHERE a = 'it''s' AND b > '2026-12-01 10:00:00 +00:00' AND c = 3"
                .to_owned(),
        ]);
        assert_eq!(
            script.text,
            "SELECT 1 FROM t WHERE a = 'it''s' AND b > :v1 AND c = 3;\n"
        );
        assert_eq!(
            script.variables,
            vec![("v1".to_owned(), "2026-12-01 10:00:00 +00:00".to_owned())]
        );
    }
}
