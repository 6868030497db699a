//! A short-lived memory of who a token's session is, so that a phone sending a burst of
//! requests does not reload the account and its grants for each one.
//!
//! An entry lives `AUTH_CACHE_MS` (default 1 s; 0 turns the cache off). Every change to
//! accounts, sessions or grants made through this process empties it at once, and a load
//! that raced with such a change is not kept; another instance of the service sees the
//! change when its own entries expire.

use super::Actor;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept at most; past this the cache starts again empty.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct ActorCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<(String, String), (Instant, Actor)>>,
}

impl ActorCache {
    pub fn new(ttl: Duration) -> ActorCache {
        ActorCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The actor of a user's session, if loaded less than the TTL ago.
    pub fn get(&self, user: &str, session: &str) -> Option<Actor> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (at, actor) = entries.get(&(user.to_string(), session.to_string()))?;
        (at.elapsed() < self.ttl).then(|| actor.clone())
    }

    /// The generation to pass to `put` for a load starting now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keep a loaded actor, unless accounts changed since the load started.
    pub fn put(&self, generation: u64, user: &str, session: &str, actor: &Actor) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            // checked under the lock that `clear` takes too
            if self.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                (user.to_string(), session.to_string()),
                (Instant::now(), actor.clone()),
            );
        }
    }

    /// Forget everything: an account, a session or a grant changed.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(name: &str) -> Actor {
        Actor {
            user_id: "u1".into(),
            username: name.into(),
            grants: Vec::new(),
        }
    }

    #[test]
    fn entries_live_the_ttl_and_a_change_forgets_them() {
        let c = ActorCache::new(Duration::from_millis(1000));
        assert!(c.get("u1", "s1").is_none());
        let g = c.generation();
        c.put(g, "u1", "s1", &actor("an"));
        assert_eq!(c.get("u1", "s1").unwrap().username, "an");
        assert!(c.get("u1", "s2").is_none(), "per session");
        c.clear();
        assert!(c.get("u1", "s1").is_none());
        // a load that started before the change is not kept
        c.put(g, "u1", "s1", &actor("stale"));
        assert!(c.get("u1", "s1").is_none());
        let g = c.generation();
        c.put(g, "u1", "s1", &actor("fresh"));
        std::thread::sleep(Duration::from_millis(1100));
        assert!(c.get("u1", "s1").is_none(), "expired");
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let c = ActorCache::new(Duration::ZERO);
        c.put(c.generation(), "u1", "s1", &actor("an"));
        assert!(c.get("u1", "s1").is_none());
    }
}
