//! Injectable time.
//!
//! Everything time-dependent in Portcullis (token ages, TOTP windows, login
//! tracking) reads a [`Clock`], so tests can use a [`FakeClock`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since the Unix epoch, with sub-second precision.
    fn unix_time(&self) -> f64;

    /// Whole seconds since the Unix epoch (rounded down).
    fn unix_secs(&self) -> i64 {
        self.unix_time().floor() as i64
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_time(&self) -> f64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            // A clock set before 1970 is treated as the epoch itself.
            Err(_) => 0.0,
        }
    }
}

/// A clock that only moves when told to. For tests.
#[derive(Debug)]
pub struct FakeClock {
    bits: AtomicU64,
}

impl FakeClock {
    /// A clock standing at `unix_time` seconds.
    pub fn new(unix_time: f64) -> Self {
        Self {
            bits: AtomicU64::new(unix_time.to_bits()),
        }
    }

    /// Sets the time.
    pub fn set(&self, unix_time: f64) {
        self.bits.store(unix_time.to_bits(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `seconds` (backwards if negative).
    pub fn advance(&self, seconds: f64) {
        let now = self.unix_time();
        self.set(now + seconds);
    }
}

impl Clock for FakeClock {
    fn unix_time(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_clock_moves_only_when_told() {
        let c = FakeClock::new(1_700_000_000.5);
        assert_eq!(c.unix_secs(), 1_700_000_000);
        c.advance(29.6);
        assert_eq!(c.unix_secs(), 1_700_000_030);
        c.set(5.0);
        assert_eq!(c.unix_time(), 5.0);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.unix_secs() > 1_577_836_800);
    }
}
