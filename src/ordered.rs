//! Parallel map with results delivered in input order: the heart of determinism.
//!
//! Work items run on a rayon pool. A finished result is parked; whichever worker can take
//! the writer lock then feeds parked results to the sink strictly in index order, so the
//! sink runs on the pool's threads too and `--threads N` means N busy threads, not N plus a
//! writer. At most `window` items are in flight (spawned and not yet sunk), so memory stays
//! bounded however many items there are.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::{Scope, ThreadPool};

/// The ordered writer's state: the sink, the next index it expects, the first error.
struct Writer<S, E> {
    sink: S,
    next: usize,
    error: Option<E>,
}

/// What the workers share.
struct Shared<'f, R, E, S> {
    n: usize,
    work: &'f (dyn Fn(usize) -> R + Sync),
    on_panic: &'f (dyn Fn(String) -> E + Sync),
    parked: Mutex<BTreeMap<usize, std::thread::Result<R>>>,
    writer: Mutex<Writer<S, E>>,
    spawned: AtomicUsize,
    failed: AtomicBool,
}

/// Runs `work(i)` for `i` in `0..n` on `pool` and `sink` on each result in order of `i`.
/// Stops at the first sink error. A panicking work item becomes an error through
/// `on_panic` instead of hanging the run.
pub fn ordered_map<R, E, S>(
    pool: &ThreadPool,
    n: usize,
    window: usize,
    work: impl Fn(usize) -> R + Sync,
    on_panic: impl Fn(String) -> E + Sync,
    sink: S,
) -> Result<(), E>
where
    R: Send,
    E: Send,
    S: FnMut(R) -> Result<(), E> + Send,
{
    let shared = Shared {
        n,
        work: &work,
        on_panic: &on_panic,
        parked: Mutex::new(BTreeMap::new()),
        writer: Mutex::new(Writer {
            sink,
            next: 0,
            error: None,
        }),
        spawned: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
    };
    pool.scope(|s| {
        for _ in 0..window.max(1).min(n) {
            spawn_next(s, &shared);
        }
    });
    let writer = shared
        .writer
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    match writer.error {
        Some(e) => Err(e),
        None => {
            debug_assert_eq!(writer.next, n, "every result reached the sink");
            Ok(())
        }
    }
}

/// Spawns the next unstarted item, if any and if the run has not failed.
fn spawn_next<'s, R, E, S>(s: &Scope<'s>, shared: &'s Shared<'s, R, E, S>)
where
    R: Send,
    E: Send,
    S: FnMut(R) -> Result<(), E> + Send,
{
    if shared.failed.load(Ordering::Relaxed) {
        return;
    }
    let i = shared.spawned.fetch_add(1, Ordering::Relaxed);
    if i < shared.n {
        s.spawn(move |s| {
            let r = panic::catch_unwind(AssertUnwindSafe(|| (shared.work)(i)));
            lock(&shared.parked).insert(i, r);
            drain(s, shared);
        });
    }
}

/// Feeds parked results to the sink in order, if no other worker is doing it already.
fn drain<'s, R, E, S>(s: &Scope<'s>, shared: &'s Shared<'s, R, E, S>)
where
    R: Send,
    E: Send,
    S: FnMut(R) -> Result<(), E> + Send,
{
    loop {
        let Ok(mut w) = shared.writer.try_lock() else {
            // The worker holding the writer re-checks the parked results after letting go,
            // so it will see ours.
            return;
        };
        while let Some(r) = lock(&shared.parked).remove(&w.next) {
            w.next += 1;
            if w.error.is_none() {
                let outcome = match r {
                    Ok(r) => (w.sink)(r),
                    Err(p) => Err((shared.on_panic)(panic_message(&p))),
                };
                if let Err(e) = outcome {
                    w.error = Some(e);
                    shared.failed.store(true, Ordering::Relaxed);
                }
            }
            spawn_next(s, shared);
        }
        let next = w.next;
        drop(w);
        if !lock(&shared.parked).contains_key(&next) {
            return;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a sink panicked; rayon re-raises that panic anyway.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_for_any_thread_count() {
        for threads in [1, 2, 4] {
            for window in [1, 3, 64] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut seen = Vec::new();
                ordered_map(
                    &pool,
                    100,
                    window,
                    |i| {
                        // Uneven work so results arrive out of order.
                        std::thread::sleep(std::time::Duration::from_micros(
                            ((i * 7919) % 13) as u64 * 50,
                        ));
                        i * 2
                    },
                    |m| m,
                    |r| {
                        seen.push(r);
                        Ok::<_, String>(())
                    },
                )
                .unwrap();
                assert_eq!(
                    seen,
                    (0..100).map(|i| i * 2).collect::<Vec<_>>(),
                    "{threads} threads, window {window}"
                );
            }
        }
    }

    #[test]
    fn a_panic_is_an_error_not_a_hang() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let r = ordered_map(
            &pool,
            10,
            2,
            |i| if i == 5 { panic!("boom {i}") } else { i },
            |m| m,
            |_| Ok(()),
        );
        assert_eq!(r.unwrap_err(), "boom 5");
    }

    #[test]
    fn a_sink_error_stops_the_run() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut sunk = 0;
        let r = ordered_map(
            &pool,
            1000,
            4,
            |i| i,
            |m| m,
            |i| {
                sunk += 1;
                if i == 3 {
                    Err("full".to_owned())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r.unwrap_err(), "full");
        assert_eq!(sunk, 4);
    }

    #[test]
    fn no_items_is_fine() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        ordered_map(&pool, 0, 4, |i| i, |m: String| m, |_| Ok(())).unwrap();
    }
}
