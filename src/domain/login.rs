//! Login throttling, as pure rules. Failures are counted per username and client address,
//! and per username across every address:
//! - one client that fails `max_failures` times in a row is locked out for `lock`, alone: the
//!   account's owner elsewhere still logs in;
//! - a username that fails more than `slow_after` times across clients is slowed, never
//!   locked: each further attempt waits a delay that doubles with every failure, up to
//!   `max_delay`, so guessing from many addresses stays slow and the owner waits seconds.
//!
//! Failures older than `lock` are forgotten.

use chrono::{Duration, NaiveDateTime};

/// What is kept of the failures of one username at one client (or across all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    pub count: i32,
    pub last: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_failures: i32,
    pub lock: Duration,
    pub slow_after: i32,
    pub max_delay: Duration,
}

/// Whether an attempt may be checked now, or how many seconds it must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    Wait { secs: u64 },
}

fn wait_until(until: NaiveDateTime, now: NaiveDateTime) -> Gate {
    if until > now {
        Gate::Wait {
            secs: (until - now).num_seconds().max(1) as u64,
        }
    } else {
        Gate::Open
    }
}

/// The delay the username as a whole imposes after `count` failures across clients.
pub fn delay_after(count: i32, limits: &Limits) -> Duration {
    let over = count - limits.slow_after;
    if over <= 0 {
        return Duration::zero();
    }
    let secs = 1i64 << over.min(20);
    Duration::seconds(secs).min(limits.max_delay)
}

/// May this client try now? `client`: its failures for this username; `all`: the username's
/// failures across clients.
pub fn gate(
    client: Option<&Failures>,
    all: Option<&Failures>,
    limits: &Limits,
    now: NaiveDateTime,
) -> Gate {
    if let Some(until) = client.and_then(|f| f.locked_until) {
        if let g @ Gate::Wait { .. } = wait_until(until, now) {
            return g;
        }
    }
    match all.filter(|f| now - f.last < limits.lock) {
        Some(f) => wait_until(f.last + delay_after(f.count, limits), now),
        None => Gate::Open,
    }
}

/// The failures after one more, and whether it locks the client out.
pub fn after_failure(
    prev: Option<&Failures>,
    limits: &Limits,
    now: NaiveDateTime,
    is_client: bool,
) -> (Failures, bool) {
    let count = match prev {
        Some(f) if now - f.last < limits.lock && f.locked_until.is_none_or(|u| u <= now) => {
            f.count + 1
        }
        _ => 1,
    };
    let locks = is_client && count >= limits.max_failures;
    (
        Failures {
            count: if locks { 0 } else { count },
            last: now,
            locked_until: locks.then(|| now + limits.lock),
        },
        locks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    const LIMITS: Limits = Limits {
        max_failures: 5,
        lock: Duration::seconds(900),
        slow_after: 10,
        max_delay: Duration::seconds(30),
    };

    #[test]
    fn a_client_is_locked_after_its_failures_and_alone() {
        let mut client: Option<Failures> = None;
        for i in 0..5 {
            assert_eq!(gate(client.as_ref(), None, &LIMITS, t(i)), Gate::Open);
            let (f, locks) = after_failure(client.as_ref(), &LIMITS, t(i), true);
            assert_eq!(locks, i == 4);
            client = Some(f);
        }
        assert_eq!(
            gate(client.as_ref(), None, &LIMITS, t(5)),
            Gate::Wait { secs: 899 }
        );
        // another client of the same username is not locked by it
        assert_eq!(gate(None, None, &LIMITS, t(5)), Gate::Open);
        // the lock ends, and the count starts again
        assert_eq!(gate(client.as_ref(), None, &LIMITS, t(904)), Gate::Open);
        let (f, locks) = after_failure(client.as_ref(), &LIMITS, t(905), true);
        assert_eq!((f.count, locks), (1, false));
    }

    #[test]
    fn many_clients_slow_the_username_down_but_never_lock_it() {
        let mut all: Option<Failures> = None;
        for i in 0..10 {
            assert_eq!(gate(None, all.as_ref(), &LIMITS, t(i)), Gate::Open);
            let (f, locks) = after_failure(all.as_ref(), &LIMITS, t(i), false);
            assert!(!locks);
            all = Some(f);
        }
        // the 11th failure in a row waits 2 s after it, the 12th 4 s, …, at most 30 s
        let (f, _) = after_failure(all.as_ref(), &LIMITS, t(10), false);
        assert_eq!(f.count, 11);
        assert_eq!(gate(None, Some(&f), &LIMITS, t(11)), Gate::Wait { secs: 1 });
        assert_eq!(gate(None, Some(&f), &LIMITS, t(12)), Gate::Open);
        let many = Failures {
            count: 40,
            last: t(100),
            locked_until: None,
        };
        assert_eq!(delay_after(40, &LIMITS), Duration::seconds(30));
        assert_eq!(
            gate(None, Some(&many), &LIMITS, t(101)),
            Gate::Wait { secs: 29 }
        );
        assert_eq!(gate(None, Some(&many), &LIMITS, t(130)), Gate::Open);
        // old failures are forgotten
        assert_eq!(gate(None, Some(&many), &LIMITS, t(1001)), Gate::Open);
        let (f, _) = after_failure(Some(&many), &LIMITS, t(1001), false);
        assert_eq!(f.count, 1);
    }
}
