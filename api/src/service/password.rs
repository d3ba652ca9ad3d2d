//! Password hashing with argon2id (the argon2 crate's defaults: OWASP's m=19 MiB, t=2, p=1).
//! Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool, away from
//! the threads that serve requests.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::{Error, Result};

/// Hashes and verifies passwords. Holds a hash of a random password so that a log-in for an
/// unknown user costs the same time as one for a known user, and timing does not tell which
/// logins exist.
#[derive(Debug, Clone)]
pub struct Passwords {
    dummy_hash: String,
}

impl Passwords {
    /// Prepares the hasher; computes the dummy hash once.
    pub async fn new() -> Result<Self> {
        let dummy_hash = hash(super::token::generate()).await?;
        Ok(Self { dummy_hash })
    }

    /// The PHC string (algorithm, parameters, salt and hash) of `password`.
    pub async fn hash(&self, password: String) -> Result<String> {
        hash(password).await
    }

    /// Whether `password` matches `stored`; with `None`, checks against the dummy hash and
    /// answers false, taking as long as a real check.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = run_blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| Error::Internal(e.to_string()))?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await?;
        Ok(known && matches)
    }
}

async fn hash(password: String) -> Result<String> {
    run_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("password task failed: {e}")))?
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    /// The dummy hash costs what a stored one costs: same algorithm, version and parameters.
    #[tokio::test]
    async fn the_dummy_hash_is_as_costly_as_a_real_one() {
        let passwords = Passwords::new().await.expect("passwords");
        let stored = passwords
            .hash("correct horse".to_owned())
            .await
            .expect("a hash");
        let dummy = PasswordHash::new(&passwords.dummy_hash).expect("the dummy parses");
        let real = PasswordHash::new(&stored).expect("the hash parses");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
    }

    /// An unknown login is really checked, against the dummy: with a broken dummy the check
    /// fails instead of answering at once; with the real one it answers false.
    #[tokio::test]
    async fn an_unknown_login_is_verified_against_the_dummy() {
        let passwords = Passwords::new().await.expect("passwords");
        let verdict = passwords
            .verify("anything".to_owned(), None)
            .await
            .expect("a verdict");
        assert!(!verdict);
        let broken = Passwords {
            dummy_hash: "not a PHC string".to_owned(),
        };
        assert!(broken.verify("anything".to_owned(), None).await.is_err());
    }
}
