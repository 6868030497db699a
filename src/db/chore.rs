//! Work a service does by itself every so often (statistics to refresh, accesses to file),
//! each on its own thread, which ends when its handle is dropped.

use std::sync::mpsc;
use std::time::Duration;

/// A running chore; dropping it ends its thread after the round in progress.
pub struct Chore {
    _stop: mpsc::Sender<()>,
}

impl Chore {
    /// Run `round` every `every` on a thread named `name`, until dropped.
    pub fn start(name: &str, every: Duration, mut round: impl FnMut() + Send + 'static) -> Chore {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    round();
                }
            })
            .unwrap_or_else(|e| panic!("start the {name} thread: {e}"));
        Chore { _stop: stop }
    }
}
