//! The bounded pool passwords are hashed and checked on: at most `PERMITS` at once on
//! tokio's blocking threads, at most `WAITING_MAX` more waiting their turn. Past that a
//! request is refused at once ("try again later"), so a flood of logins costs two cores
//! at most and never stalls chat.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

/// Hashes running at once: argon2 with OWASP's parameters takes about 19 MiB and tens of
/// milliseconds each.
pub const PERMITS: usize = 2;
/// Requests that may wait for a permit.
pub const WAITING_MAX: usize = 32;

/// The pool is full: the caller says "try again later".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks at once; try again later")]
pub struct Busy;

pub struct Pool {
    permits: Semaphore,
    waiting: AtomicUsize,
    waiting_max: usize,
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new(PERMITS, WAITING_MAX)
    }
}

/// Takes one waiter off the count however the wait ends (a dropped future included).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Pool {
    pub fn new(permits: usize, waiting_max: usize) -> Pool {
        Pool {
            permits: Semaphore::new(permits),
            waiting: AtomicUsize::new(0),
            waiting_max,
        }
    }

    /// Runs `job` on a blocking thread once a permit is free, or refuses at once if too
    /// many are waiting already.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.waiting_max {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let permit = {
            let _waiting = Waiting(&self.waiting);
            self.permits.acquire().await.map_err(|_| Busy)?
        };
        let done = tokio::task::spawn_blocking(job).await.map_err(|_| Busy);
        drop(permit);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn past_the_waiting_bound_a_job_is_refused_at_once() {
        let pool = Arc::new(Pool::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || hold.recv().is_ok()).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let waiting = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| 2).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pool.run(|| 3).await, Err(Busy));
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap(), Ok(true));
        assert_eq!(waiting.await.unwrap(), Ok(2));
        assert_eq!(pool.run(|| 4).await, Ok(4));
    }
}
