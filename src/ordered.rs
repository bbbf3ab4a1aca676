//! Parallel map with results delivered in input order: the heart of determinism.
//!
//! Work items run on a rayon pool; the calling thread receives results, holds the ones that
//! arrive early, and hands them to a sink strictly in index order. At most `window` items are
//! in flight, so memory is bounded however many items there are.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use rayon::ThreadPool;

/// Runs `work(i)` for `i` in `0..n` on `pool`, and `sink` on each result in order of `i`,
/// on the calling thread. Stops at the first sink error. A panicking work item is reported
/// through `on_panic` as an error instead of hanging the run.
pub fn ordered_map<R, E>(
    pool: &ThreadPool,
    n: usize,
    window: usize,
    work: impl Fn(usize) -> R + Sync,
    on_panic: impl Fn(String) -> E,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    R: Send,
{
    let window = window.max(1);
    let (tx, rx) = mpsc::channel::<(usize, std::thread::Result<R>)>();
    pool.in_place_scope(|scope| {
        let work = &work;
        let spawn = |i: usize| {
            let tx = tx.clone();
            scope.spawn(move |_| {
                let r = panic::catch_unwind(AssertUnwindSafe(|| work(i)));
                // The receiver is gone only when the run already failed.
                let _ = tx.send((i, r));
            });
        };
        let mut spawned = 0;
        while spawned < n.min(window) {
            spawn(spawned);
            spawned += 1;
        }
        let mut pending = BTreeMap::new();
        let mut next = 0;
        while next < n {
            let (i, r) = rx
                .recv()
                .expect("a sender is alive while items are in flight");
            pending.insert(i, r);
            while let Some(r) = pending.remove(&next) {
                let r = r.map_err(|p| on_panic(panic_message(&p)))?;
                sink(r)?;
                next += 1;
                if spawned < n {
                    spawn(spawned);
                    spawned += 1;
                }
            }
        }
        Ok(())
    })
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
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut seen = Vec::new();
            ordered_map(
                &pool,
                100,
                3,
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
            assert_eq!(seen, (0..100).map(|i| i * 2).collect::<Vec<_>>());
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
}
