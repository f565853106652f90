//! Login rate limits per account and per client IP (GCRA via `governor`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Keys kept before stale ones are dropped.
const RETAIN_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct LoginLimits {
    accounts: Arc<DefaultKeyedRateLimiter<String>>,
    ips: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl LoginLimits {
    pub fn new(per_account_per_min: u32, per_ip_per_min: u32) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimits {
            accounts: Arc::new(DefaultKeyedRateLimiter::keyed(quota(per_account_per_min))),
            ips: Arc::new(DefaultKeyedRateLimiter::keyed(quota(per_ip_per_min))),
            clock: DefaultClock::default(),
        }
    }

    /// Take one attempt for `account` from `ip`; `Err(wait)` when either limit is exhausted.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        if self.accounts.len() > RETAIN_ABOVE {
            self.accounts.retain_recent();
        }
        if self.ips.len() > RETAIN_ABOVE {
            self.ips.retain_recent();
        }
        if let Some(ip) = ip
            && let Err(not_until) = self.ips.check_key(&ip)
        {
            return Err(not_until.wait_time_from(self.clock.now()));
        }
        self.accounts
            .check_key(&account.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_limit_and_the_ip_limit_each_stop_attempts() {
        let limits = LoginLimits::new(3, 5);
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(limits.check("a@x.org", Some(ip)).is_ok());
        }
        let wait = limits
            .check("a@x.org", Some(ip))
            .expect_err("4th attempt on one account");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        // Other accounts from the same IP: the IP allows 5 in all (4 used).
        assert!(limits.check("b@x.org", Some(ip)).is_ok());
        assert!(limits.check("c@x.org", Some(ip)).is_err());
        let other: IpAddr = [10, 0, 0, 2].into();
        assert!(limits.check("c@x.org", Some(other)).is_ok());
    }
}
