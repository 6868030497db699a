//! Group commit for SQLite.
//!
//! SQLite lets one connection write at a time, and each commit pays for its own WAL frames
//! and, every thousand pages, a checkpoint. When many phones log contacts at once, their
//! commands would queue on the write lock and commit one by one. Instead, one writer thread
//! takes every command waiting in its queue, runs them one after the other inside one
//! `BEGIN IMMEDIATE … COMMIT`, and answers each only after that commit.
//!
//! Each command behaves as if it ran alone: it runs in its own savepoint (and the `write_tx`
//! of a service function in one more), so a command that fails undoes exactly what it wrote
//! and the others still commit. Nothing is answered before the commit that makes it
//! durable, and if that commit fails every command of the group gets the error. A command
//! that panics fails its whole group, whose connection is then dropped rather than reused.
//!
//! The writer's commits do not checkpoint the WAL into the database file (which costs a
//! flush to disk and, every thousand pages, would land on whichever command committed
//! then): a checkpointer thread beside it does that, without blocking anyone, a few times
//! a second while there are writes.
//!
//! PostgreSQL runs concurrent transactions itself, so there commands go straight to the
//! pool (see `AppState::write`).

use super::{AnyConnection, Pool};
use crate::error::{AppError, AppResult};
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// How many commands may wait for the writer before new ones are told to retry.
const QUEUE: usize = 4096;

/// A command queued for the writer, with where its answer goes.
trait Task: Send {
    /// Run the command inside the group's transaction; what it answers waits for the commit.
    fn run(self: Box<Self>, conn: &mut AnyConnection) -> Box<dyn Finish>;
    /// The group could not start: answer with this error.
    fn fail(self: Box<Self>, error: AppError);
}

trait Finish: Send {
    /// The group's commit is done (or failed, with why): send the answer.
    fn finish(self: Box<Self>, commit: &Result<(), String>);
}

struct Command<T, F> {
    work: F,
    answer: oneshot::Sender<AppResult<T>>,
}

struct Answer<T> {
    result: AppResult<T>,
    answer: oneshot::Sender<AppResult<T>>,
}

impl<T, F> Task for Command<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut AnyConnection) -> Box<dyn Finish> {
        let Command { work, answer } = *self;
        // each command in its own savepoint: one that fails leaves nothing behind
        Box::new(Answer {
            result: conn.transaction(work),
            answer,
        })
    }

    fn fail(self: Box<Self>, error: AppError) {
        let _ = self.answer.send(Err(error));
    }
}

impl<T: Send> Finish for Answer<T> {
    fn finish(self: Box<Self>, commit: &Result<(), String>) {
        let result = match commit {
            Ok(()) => self.result,
            Err(why) => Err(commit_failed(why)),
        };
        // the client may have gone away; its command is committed all the same
        let _ = self.answer.send(result);
    }
}

fn commit_failed(why: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("group commit failed: {why}"))
}

/// The queue to the writer thread. Dropping it lets the thread finish what is queued and end.
pub struct Writer {
    queue: Mutex<mpsc::SyncSender<Box<dyn Task>>>,
    stats: Arc<Stats>,
    /// Dropping it ends the checkpointer.
    _checkpoints: mpsc::Sender<()>,
}

/// How often the checkpointer looks for new writes.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// What the writer has done, for `/metrics`.
#[derive(Default)]
struct Stats {
    /// Transactions run by the writer.
    groups: AtomicU64,
    /// Commands run in them.
    commands: AtomicU64,
}

impl Writer {
    /// Start the writer thread over `pool`; a group holds at most `max_group` commands.
    pub fn start(pool: Pool, max_group: usize) -> Writer {
        let (tx, rx) = mpsc::sync_channel::<Box<dyn Task>>(QUEUE);
        let max_group = max_group.max(1);
        let stats = Arc::new(Stats::default());
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn({
                let pool = pool.clone();
                move || run(pool, rx, max_group, &counted)
            })
            .expect("start the writer thread");
        let (stop, stopped) = mpsc::channel();
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || checkpoints(pool, stopped, &counted))
            .expect("start the checkpointer thread");
        Writer {
            queue: Mutex::new(tx),
            stats,
            _checkpoints: stop,
        }
    }

    /// Groups run and commands in them so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.stats.groups.load(Ordering::Relaxed),
            self.stats.commands.load(Ordering::Relaxed),
        )
    }

    /// Queue `work` for the next group (at once, not when the answer is awaited); the answer
    /// arrives once that group has committed.
    pub fn write<T, F>(&self, work: F) -> impl Future<Output = AppResult<T>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    {
        let queued = self.queue(work);
        async move { answered(queued?.await) }
    }

    /// `write` for a thread that is not async (a background chore): waits for the answer.
    pub fn write_blocking<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    {
        answered(self.queue(work)?.blocking_recv())
    }

    fn queue<T, F>(&self, work: F) -> AppResult<oneshot::Receiver<AppResult<T>>>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    {
        let (answer, wait) = oneshot::channel();
        let task: Box<dyn Task> = Box::new(Command { work, answer });
        let queued = {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.try_send(task)
        };
        match queued {
            Ok(()) => Ok(wait),
            Err(mpsc::TrySendError::Full(_)) => {
                tracing::warn!("the writer queue is full");
                Err(AppError::Unavailable(
                    "the database is busy; try again shortly".into(),
                ))
            }
            Err(mpsc::TrySendError::Disconnected(_)) => Err(AppError::Internal(anyhow::anyhow!(
                "the writer thread has stopped"
            ))),
        }
    }
}

/// What a queued command answered; its answer dropped unsent means its group panicked.
fn answered<T>(answer: Result<AppResult<T>, oneshot::error::RecvError>) -> AppResult<T> {
    answer.unwrap_or_else(|_| {
        Err(AppError::Internal(anyhow::anyhow!(
            "a command in the same write group panicked"
        )))
    })
}

/// The writer thread: wait for a command, take every other one already queued (up to
/// `max_group`), run them in one transaction, commit, answer.
fn run(pool: Pool, queue: mpsc::Receiver<Box<dyn Task>>, max_group: usize, stats: &Stats) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < max_group {
            match queue.try_recv() {
                Ok(task) => group.push(task),
                Err(_) => break,
            }
        }
        let commands = group.len() as u64;
        run_group(&pool, group);
        // counted once done, so that the checkpointer sees a group after its commit
        stats.commands.fetch_add(commands, Ordering::Relaxed);
        stats.groups.fetch_add(1, Ordering::Relaxed);
    }
}

/// The checkpointer: while the writer has committed since the last time, copy what the WAL
/// holds into the database file (`PASSIVE`: it waits for no reader or writer, and does what
/// it can). Ends when the writer is dropped.
fn checkpoints(pool: Pool, stop: mpsc::Receiver<()>, stats: &Stats) {
    let mut done = 0;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let groups = stats.groups.load(Ordering::Relaxed);
        if groups == done {
            continue;
        }
        let Ok(mut conn) = pool.get_timeout(CHECKPOINT_EVERY) else {
            continue;
        };
        if matches!(*conn, AnyConnection::Postgresql(_)) {
            return; // PostgreSQL checkpoints by itself
        }
        match diesel::connection::SimpleConnection::batch_execute(
            &mut *conn,
            "PRAGMA wal_checkpoint(PASSIVE)",
        ) {
            Ok(()) => done = groups,
            Err(e) => tracing::warn!(error = %e, "a WAL checkpoint failed"),
        }
    }
}

fn run_group(pool: &Pool, group: Vec<Box<dyn Task>>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no database connection for the writer");
            for task in group {
                task.fail(AppError::Unavailable(
                    "the database is busy; try again shortly".into(),
                ));
            }
            return;
        }
    };
    let begun = begin(&mut conn);
    if let Err(e) = begun {
        let why = e.to_string();
        for task in group {
            task.fail(commit_failed(&why));
        }
        return;
    }
    let mut done = Vec::with_capacity(group.len());
    let mut tasks = group.into_iter();
    let mut panicked = false;
    for task in tasks.by_ref() {
        match catch_unwind(AssertUnwindSafe(|| task.run(&mut conn))) {
            Ok(finish) => done.push(finish),
            Err(_) => {
                panicked = true;
                break;
            }
        }
    }
    let commit = if panicked {
        // The connection may be anywhere inside a savepoint: roll everything back and do
        // not give it back to the pool (a connection left in a transaction counts as broken).
        let _ = diesel::connection::SimpleConnection::batch_execute(&mut *conn, "ROLLBACK");
        Err("a command in the group panicked; nothing in it was written".to_string())
    } else {
        <AnyConnection as Connection>::TransactionManager::commit_transaction(&mut *conn)
            .map_err(|e| e.to_string())
    };
    if commit.is_err() {
        tracing::error!(error = ?commit.as_ref().err(), "a write group did not commit");
    }
    for finish in done {
        finish.finish(&commit);
    }
    for task in tasks {
        task.fail(commit_failed(commit.as_ref().err().map_or("", |s| s)));
    }
}

fn begin(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(inner) => {
            // this connection's commits leave checkpoints to the checkpointer
            diesel::connection::SimpleConnection::batch_execute(
                inner,
                "PRAGMA wal_autocheckpoint = 0",
            )?;
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(_) => {
            <AnyConnection as Connection>::TransactionManager::begin_transaction(conn)
        }
    }
}
