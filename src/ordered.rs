//! Parallel map with results delivered in input order: the heart of determinism.
//!
//! Work items run on a rayon pool. A finished result is parked; whichever worker can take
//! the merge lock then feeds parked results to `merge` strictly in index order. `merge`
//! splits each result into one item per *lane* (one lane per output table); each lane
//! consumes its items in that same order, but different lanes run at once on the pool's
//! threads, so writing one table overlaps decoding and writing the others. Everything runs
//! on the pool: `--threads N` means N busy threads, not N plus writers.
//!
//! Memory stays bounded however many items there are: at most `window` items are in flight
//! (spawned and not yet merged), and when the lanes hold more than `window` items per lane
//! the merging worker writes lane items itself instead of starting more work (or, when other
//! workers are writing every lane that is behind, goes on decoding up to twice that; so at
//! most `2 * window * lanes + window` lane items wait).

use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::{Scope, ThreadPool};

/// A lane's consumer: called once per item, in merge order.
pub type LaneFn<'a, T, E> = Box<dyn FnMut(T) -> Result<(), E> + Send + 'a>;

/// The in-order merge state: the merge function, the next index it expects, its first error.
struct Merger<M, E> {
    merge: M,
    next: usize,
    error: Option<E>,
}

/// One lane: its queued items and its consumer (locked while it runs).
struct Lane<'a, T, E> {
    queue: Mutex<VecDeque<T>>,
    consumer: Mutex<LaneFn<'a, T, E>>,
}

/// What the workers share.
struct Shared<'f, R, T, E, M> {
    n: usize,
    window: usize,
    work: &'f (dyn Fn(usize) -> R + Sync),
    on_panic: &'f (dyn Fn(String) -> E + Sync),
    parked: Mutex<BTreeMap<usize, std::thread::Result<R>>>,
    merger: Mutex<Merger<M, E>>,
    lanes: Vec<Lane<'f, T, E>>,
    /// Lane items queued and not yet consumed, over all lanes.
    queued: AtomicUsize,
    lane_error: Mutex<Option<E>>,
    /// Work items spawned (each decides its index only when it starts: see `spawn_next`).
    spawned: AtomicUsize,
    /// Indices taken by started work items.
    started: AtomicUsize,
    failed: AtomicBool,
}

/// Runs `work(i)` for `i` in `0..n` on `pool`, `merge` on each result in order of `i`, and
/// each lane's consumer on the items `merge` gave it (item `k` of the returned `Vec` goes to
/// lane `k`), in the same order. Stops at the first error. A panicking work item becomes an
/// error through `on_panic` instead of hanging the run.
pub fn ordered_map<'f, R, T, E, M>(
    pool: &ThreadPool,
    n: usize,
    window: usize,
    work: &'f (dyn Fn(usize) -> R + Sync),
    on_panic: &'f (dyn Fn(String) -> E + Sync),
    merge: M,
    lanes: Vec<LaneFn<'f, T, E>>,
) -> Result<(), E>
where
    R: Send,
    T: Send,
    E: Send,
    M: FnMut(R) -> Result<Vec<T>, E> + Send,
{
    let window = window.max(1);
    let shared = Shared {
        n,
        window,
        work,
        on_panic,
        parked: Mutex::new(BTreeMap::new()),
        merger: Mutex::new(Merger {
            merge,
            next: 0,
            error: None,
        }),
        lanes: lanes
            .into_iter()
            .map(|consumer| Lane {
                queue: Mutex::new(VecDeque::new()),
                consumer: Mutex::new(consumer),
            })
            .collect(),
        queued: AtomicUsize::new(0),
        lane_error: Mutex::new(None),
        spawned: AtomicUsize::new(0),
        started: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
    };
    pool.scope(|s| {
        for _ in 0..window.min(n) {
            spawn_next(s, &shared);
        }
    });
    let merger = shared
        .merger
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let lane_error = shared
        .lane_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    match merger.error.or(lane_error) {
        Some(e) => Err(e),
        None => {
            debug_assert_eq!(merger.next, n, "every result was merged");
            debug_assert_eq!(
                shared.queued.into_inner(),
                0,
                "every lane item was consumed"
            );
            Ok(())
        }
    }
}

/// Spawns the next unstarted item, if any and if the run has not failed.
fn spawn_next<'s, 'f, R, T, E, M>(s: &Scope<'s>, shared: &'s Shared<'f, R, T, E, M>)
where
    R: Send,
    T: Send,
    E: Send,
    M: FnMut(R) -> Result<Vec<T>, E> + Send,
{
    if shared.failed.load(Ordering::Relaxed) {
        return;
    }
    if shared.spawned.fetch_add(1, Ordering::Relaxed) < shared.n {
        // The index is taken when the item starts, not when it is spawned: rayon runs a
        // worker's own tasks newest first, so indices fixed at spawn time would be decoded
        // out of order, and the merge would wait on the oldest while the window fills.
        s.spawn(move |s| {
            let i = shared.started.fetch_add(1, Ordering::Relaxed);
            let r = panic::catch_unwind(AssertUnwindSafe(|| (shared.work)(i)));
            lock(&shared.parked).insert(i, r);
            drain(s, shared);
        });
    }
}

/// Merges parked results in order, if no other worker is doing it already, and hands their
/// items to the lanes.
fn drain<'s, 'f, R, T, E, M>(s: &Scope<'s>, shared: &'s Shared<'f, R, T, E, M>)
where
    R: Send,
    T: Send,
    E: Send,
    M: FnMut(R) -> Result<Vec<T>, E> + Send,
{
    loop {
        let Ok(mut m) = shared.merger.try_lock() else {
            // The worker holding the merger re-checks the parked results after letting go,
            // so it will see ours.
            return;
        };
        // Results merged whose follow-up work (the next item, the lane writes) is not spawned yet.
        let mut merged = 0;
        while let Some(r) = lock(&shared.parked).remove(&m.next) {
            m.next += 1;
            merged += 1;
            if m.error.is_none() && !shared.failed.load(Ordering::Relaxed) {
                let outcome = match r {
                    Ok(r) => (m.merge)(r),
                    Err(p) => Err((shared.on_panic)(panic_message(&p))),
                };
                match outcome {
                    Ok(items) => enqueue(shared, items),
                    Err(e) => {
                        m.error = Some(e);
                        shared.failed.store(true, Ordering::Relaxed);
                    }
                }
            }
            if shared.queued.load(Ordering::Acquire) > bound(shared) {
                // Far behind: write before merging more, with the merger let go, so the other
                // workers can merge what they finish meanwhile instead of running out of work.
                break;
            }
        }
        let next = m.next;
        drop(m);
        backpressure(shared);
        for _ in 0..merged {
            spawn_next(s, shared);
        }
        if merged > 0 {
            // Spawned last so this worker (rayon runs its newest task first) writes the
            // batches it just merged while they are in cache; idle workers steal the work.
            for l in 0..shared.lanes.len() {
                s.spawn(move |_| {
                    consume(shared, l, false);
                });
            }
        }
        if !lock(&shared.parked).contains_key(&next) {
            return;
        }
    }
}

/// Lane items that may wait, over all lanes, before merging workers write instead of decoding.
fn bound<R, T, E, M>(shared: &Shared<'_, R, T, E, M>) -> usize {
    shared.window * shared.lanes.len()
}

/// While the lanes are far behind, writes instead of decoding more: the longest queue that no
/// other worker is writing. When every backlogged lane is being written already, this worker
/// goes on decoding (waiting would leave its core idle for the length of a row-group flush),
/// unless the backlog has reached twice the bound: then it waits for the longest queue.
fn backpressure<R, T, E, M>(shared: &Shared<'_, R, T, E, M>) {
    let bound = bound(shared);
    loop {
        let queued = shared.queued.load(Ordering::Acquire);
        if queued <= bound {
            return;
        }
        let mut backlog: Vec<(usize, usize)> = (0..shared.lanes.len())
            .map(|l| (lock(&shared.lanes[l].queue).len(), l))
            .filter(|&(len, _)| len > 0)
            .collect();
        // Longest first; the lowest lane first among equals.
        backlog.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let Some(&(_, busiest)) = backlog.first() else {
            // The excess is being consumed right now, at most an item per lane.
            return;
        };
        if backlog.iter().any(|&(_, l)| consume(shared, l, false)) {
            continue;
        }
        if queued <= 2 * bound {
            return;
        }
        consume(shared, busiest, true);
    }
}

/// Queues each item on its lane.
fn enqueue<R, T, E, M>(shared: &Shared<'_, R, T, E, M>, items: Vec<T>) {
    assert_eq!(items.len(), shared.lanes.len(), "one item per lane");
    for (l, item) in items.into_iter().enumerate() {
        // Counted before it is queued, so a consumer never counts it off first.
        shared.queued.fetch_add(1, Ordering::AcqRel);
        lock(&shared.lanes[l].queue).push_back(item);
    }
}

/// Consumes lane `l`'s queued items in order, if no other worker is doing it already (or,
/// with `wait`, after the worker that is has finished). Says whether it consumed any.
fn consume<R, T, E, M>(shared: &Shared<'_, R, T, E, M>, l: usize, wait: bool) -> bool {
    let lane = &shared.lanes[l];
    let mut wait = wait;
    let mut consumed = false;
    loop {
        let mut consumer = if wait {
            wait = false;
            lock(&lane.consumer)
        } else {
            match lane.consumer.try_lock() {
                Ok(c) => c,
                // The worker holding it re-checks the queue after letting go.
                Err(_) => return consumed,
            }
        };
        while let Some(item) = lock(&lane.queue).pop_front() {
            consumed = true;
            if !shared.failed.load(Ordering::Relaxed) {
                if let Err(e) = (consumer)(item) {
                    lock(&shared.lane_error).get_or_insert(e);
                    shared.failed.store(true, Ordering::Relaxed);
                }
            }
            shared.queued.fetch_sub(1, Ordering::AcqRel);
        }
        drop(consumer);
        if lock(&lane.queue).is_empty() {
            return consumed;
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

    fn pool(threads: usize) -> ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// Uneven work so results arrive out of order.
    fn nap(i: usize) {
        std::thread::sleep(std::time::Duration::from_micros(
            ((i * 7919) % 13) as u64 * 50,
        ));
    }

    #[test]
    fn every_lane_sees_its_items_in_order_for_any_thread_count() {
        for threads in [1, 2, 4] {
            for window in [1, 3, 64] {
                let (mut merged, mut doubled, mut squared) = (Vec::new(), Vec::new(), Vec::new());
                let lanes: Vec<LaneFn<'_, usize, String>> = vec![
                    Box::new(|x| {
                        nap(x);
                        doubled.push(x);
                        Ok(())
                    }),
                    Box::new(|x| {
                        squared.push(x);
                        Ok(())
                    }),
                ];
                ordered_map(
                    &pool(threads),
                    100,
                    window,
                    &|i| {
                        nap(i);
                        i
                    },
                    &|m| m,
                    |i| {
                        merged.push(i);
                        Ok(vec![i * 2, i * i])
                    },
                    lanes,
                )
                .unwrap();
                let want = |f: fn(usize) -> usize| (0..100).map(f).collect::<Vec<_>>();
                let case = format!("{threads} threads, window {window}");
                assert_eq!(merged, want(|i| i), "{case}");
                assert_eq!(doubled, want(|i| i * 2), "{case}");
                assert_eq!(squared, want(|i| i * i), "{case}");
            }
        }
    }

    #[test]
    fn a_slow_lane_holds_back_new_work() {
        // Lane 0 is slow; with a window of 2, no more than twice the bound (2 items per
        // lane) plus the window may wait for it, not the 200 items of the run.
        let waiting = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let lanes: Vec<LaneFn<'_, usize, String>> = vec![Box::new(|_| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            waiting.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })];
        ordered_map(
            &pool(4),
            200,
            2,
            &|i| i,
            &|m| m,
            |i| {
                let w = waiting.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(w, Ordering::SeqCst);
                Ok(vec![i])
            },
            lanes,
        )
        .unwrap();
        let most = most.into_inner();
        assert!(most <= 2 * 2 + 2, "{most} items waited for the slow lane");
    }

    #[test]
    fn a_panic_is_an_error_not_a_hang() {
        let r = ordered_map(
            &pool(2),
            10,
            2,
            &|i| if i == 5 { panic!("boom {i}") } else { i },
            &|m| m,
            |i| Ok(vec![i]),
            vec![Box::new(|_| Ok(()))],
        );
        assert_eq!(r.unwrap_err(), "boom 5");
    }

    #[test]
    fn a_merge_error_stops_the_run() {
        let mut merged = 0;
        let r = ordered_map(
            &pool(2),
            1000,
            4,
            &|i| i,
            &|m| m,
            |i| {
                merged += 1;
                if i == 3 {
                    Err("full".to_owned())
                } else {
                    Ok(Vec::<usize>::new())
                }
            },
            vec![],
        );
        assert_eq!(r.unwrap_err(), "full");
        assert_eq!(merged, 4);
    }

    #[test]
    fn a_lane_error_stops_the_run() {
        let started = AtomicUsize::new(0);
        let r = ordered_map(
            &pool(2),
            1000,
            2,
            &|i| {
                started.fetch_add(1, Ordering::Relaxed);
                i
            },
            &|m| m,
            |i| Ok(vec![i, i]),
            vec![
                Box::new(|_| Ok(())),
                Box::new(|i| {
                    if i == 7 {
                        Err(format!("disk full at {i}"))
                    } else {
                        Ok(())
                    }
                }),
            ],
        );
        assert_eq!(r.unwrap_err(), "disk full at 7");
        assert!(started.into_inner() < 1000, "work went on after the error");
    }

    #[test]
    fn items_start_in_index_order() {
        // With one worker nothing runs at once, so the start order is the order the pool
        // picked the items; rayon runs a worker's newest task first, which must not reorder
        // them (the merge would wait on the oldest while the window filled up).
        let started = Mutex::new(Vec::new());
        let lanes: Vec<LaneFn<'_, usize, String>> = vec![Box::new(|_| Ok(()))];
        ordered_map(
            &pool(1),
            50,
            8,
            &|i| lock(&started).push(i),
            &|m| m,
            |()| Ok(vec![0]),
            lanes,
        )
        .unwrap();
        let started = started.into_inner().unwrap();
        assert_eq!(started, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn no_items_is_fine() {
        ordered_map(
            &pool(2),
            0,
            4,
            &|i| i,
            &|m: String| m,
            |i| Ok(vec![i]),
            vec![Box::new(|_| Ok(()))],
        )
        .unwrap();
    }
}
