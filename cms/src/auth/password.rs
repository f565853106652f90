//! argon2id password hashes, computed off the async workers on a small pool of dedicated
//! threads (one per core): work queues there, and since each hash allocates `memory_kib`, only
//! those few threads' allocator arenas ever hold such buffers (on tokio's blocking pool, every
//! short-lived thread kept its own and RSS grew by ~170 MB under a login storm).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use super::Error;

/// argon2id cost parameters (from `[auth]`).
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on dedicated threads, one per core.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password with the same cost: verifying an unknown account against it
    /// costs what a real verification costs, so timing does not reveal which accounts exist.
    dummy: Arc<str>,
    verifications: Arc<AtomicU64>,
}

impl Hasher {
    pub fn new(cost: Cost) -> Result<Self, Error> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| Error::Config(format!("argon2 parameters: {e}")))?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking the next job.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // every Hasher is gone
                        }
                    }
                })
                .map_err(|e| Error::Internal(format!("starting a hashing thread: {e}")))?;
        }
        let mut hasher = Hasher {
            params,
            jobs,
            dummy: Arc::from(""),
            verifications: Arc::new(AtomicU64::new(0)),
        };
        hasher.dummy = Arc::from(hash_now(&hasher.params, &super::random_token(24))?);
        Ok(hasher)
    }

    /// The PHC string of `password` (argon2id, random salt).
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.blocking(move || hash_now(&params, &password)).await?
    }

    /// Verify `password` against `phc`, or against the dummy hash when there is no account
    /// (`None`), so both cost one argon2 verification. True only for a real match.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, Error> {
        let real = phc.is_some();
        let phc = phc.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let password = password.to_owned();
        let params = self.params.clone();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let ok = self
            .blocking(move || {
                argon2(&params)
                    .verify_password(password.as_bytes(), phc.as_str())
                    .is_ok()
            })
            .await?;
        Ok(ok && real)
    }

    /// argon2 verifications run since start (a test counts them for unknown accounts).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| Error::Internal("the hashing threads are gone".into()))?;
        rx.await
            .map_err(|_| Error::Internal("a hashing job was dropped".into()))
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_now(params: &Params, password: &str) -> Result<String, Error> {
    argon2(params)
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Hasher {
        Hasher::new(Cost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .expect("hasher")
    }

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let h = cheap();
        let a = h.hash("correct horse").await.expect("hash");
        let b = h.hash("correct horse").await.expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(h.verify("correct horse", Some(&a)).await.expect("verify"));
        assert!(!h.verify("wrong horse", Some(&a)).await.expect("verify"));
    }

    #[tokio::test]
    async fn an_unknown_account_costs_one_verification_and_never_matches() {
        let h = cheap();
        let before = h.verifications();
        assert!(!h.verify("anything", None).await.expect("verify"));
        assert_eq!(h.verifications(), before + 1);
    }
}
