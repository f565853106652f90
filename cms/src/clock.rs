//! Time as a seam: the system clock in production, a settable clock in tests.

use std::sync::Arc;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = t;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut guard) = self.0.lock() {
            *guard += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// The one timestamp format stored and served: RFC 3339, UTC, milliseconds, `Z`
/// (fixed width, so it also sorts as text).
pub fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parse an RFC 3339 timestamp into UTC.
pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

/// Parse any RFC 3339 timestamp and normalise it with [`format_ts`].
pub fn normalize_ts(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| format_ts(t.with_timezone(&Utc)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_normalized_to_utc_millis() {
        assert_eq!(
            normalize_ts("2019-01-02T03:04:05Z").unwrap(),
            "2019-01-02T03:04:05.000Z"
        );
        assert_eq!(
            normalize_ts("2019-01-02T04:04:05.5+01:00").unwrap(),
            "2019-01-02T03:04:05.500Z"
        );
        assert!(normalize_ts("yesterday").is_none());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(chrono::Duration::seconds(5));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(5));
    }
}
