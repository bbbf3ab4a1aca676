//! Parallel map with results delivered in input order: the heart of determinism.
//!
//! Work items run on a rayon pool. A finished result is parked; whichever worker can take
//! the merge lock then feeds parked results to `merge` strictly in index order. `merge`
//! splits each result into one item per *lane* (one lane per output table); each lane
//! consumes its items in that same order, but different lanes run at once on the pool's
//! threads, so writing one table overlaps decoding and writing the others. Everything runs
//! on the pool: `--threads N` means N busy threads, not N plus writers.
//!
//! A work item may hand over leading *parts* of its result before it ends ([`Emit`]); they
//! are merged in order like whole results, so an item holding much data need not keep it
//! all until it is done.
//!
//! Memory stays bounded however many items there are, and however large they are: at most
//! `window.items` items are in flight (spawned and not yet merged), and when the lanes hold
//! more than `window.items` items per lane or `window.bytes` bytes (by [`Weigh`]), the
//! merging worker writes lane items itself instead of starting more work (or, when other
//! workers are writing every lane that is behind, goes on decoding up to twice that). An
//! item that is not the oldest one in flight waits after handing over a part while parts and
//! lane items hold more than `window.bytes`; the oldest item never waits, so the run always
//! moves on.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use rayon::{Scope, ThreadPool};

/// A lane's consumer: called once per item, in merge order.
pub type LaneFn<'a, T, E> = Box<dyn FnMut(T) -> Result<(), E> + Send + 'a>;

/// Hands a leading part of a work item's result to the merge (see [`ordered_map`]).
pub type Emit<'a, R> = dyn Fn(R) + 'a;

/// The memory a result or lane item holds, for the byte bound.
pub trait Weigh {
    /// Bytes held (an estimate is enough).
    fn weight(&self) -> usize;
}

/// How much may be in flight.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Work items spawned and not yet merged (and lane items per lane before the merging
    /// worker writes instead of merging more).
    pub items: usize,
    /// Bytes of parked parts and lane items before workers write or wait instead of
    /// decoding more.
    pub bytes: usize,
}

/// The in-order merge state: the merge function, the next (item, part) it expects, its
/// first error.
struct Merger<M, E> {
    merge: M,
    next: (usize, u32),
    error: Option<E>,
}

/// One lane: its queued items and its consumer (locked while it runs).
struct Lane<'a, T, E> {
    queue: Mutex<VecDeque<T>>,
    consumer: Mutex<LaneFn<'a, T, E>>,
}

/// A parked part: true when it is the item's last, and the result (or the item's panic).
type Parked<R> = (bool, std::thread::Result<R>);

/// What the workers share.
struct Shared<'f, R, T, E, M> {
    n: usize,
    window: Window,
    work: &'f (dyn Fn(usize, &Emit<'_, R>) -> R + Sync),
    on_panic: &'f (dyn Fn(String) -> E + Sync),
    parked: Mutex<BTreeMap<(usize, u32), Parked<R>>>,
    merger: Mutex<Merger<M, E>>,
    lanes: Vec<Lane<'f, T, E>>,
    /// Lane items queued and not yet consumed, over all lanes.
    queued: AtomicUsize,
    /// Bytes of parked parts and of queued lane items.
    bytes: AtomicUsize,
    /// The item the merge waits for (every item before it is merged whole).
    head: AtomicUsize,
    /// Signalled when `head` moves or bytes are freed, for items waiting in `wait_for_room`.
    moved: (Mutex<()>, Condvar),
    lane_error: Mutex<Option<E>>,
    /// Work items spawned (each decides its index only when it starts: see `spawn_next`).
    spawned: AtomicUsize,
    /// Indices taken by started work items.
    started: AtomicUsize,
    failed: AtomicBool,
}

/// Runs `work(i, emit)` for `i` in `0..n` on `pool`, `merge` on each result in order of `i`,
/// and each lane's consumer on the items `merge` gave it (item `k` of the returned `Vec`
/// goes to lane `k`), in the same order. `work` may call `emit` with leading parts of its
/// result; they are merged before what it returns. Stops at the first error. A panicking
/// work item becomes an error through `on_panic` instead of hanging the run.
#[allow(clippy::too_many_arguments)]
pub fn ordered_map<'f, R, T, E, M>(
    pool: &ThreadPool,
    n: usize,
    window: Window,
    work: &'f (dyn Fn(usize, &Emit<'_, R>) -> R + Sync),
    on_panic: &'f (dyn Fn(String) -> E + Sync),
    merge: M,
    lanes: Vec<LaneFn<'f, T, E>>,
) -> Result<(), E>
where
    R: Send + Weigh,
    T: Send + Weigh,
    E: Send,
    M: FnMut(R) -> Result<Vec<T>, E> + Send,
{
    let window = Window {
        items: window.items.max(1),
        bytes: window.bytes,
    };
    let shared = Shared {
        n,
        window,
        work,
        on_panic,
        parked: Mutex::new(BTreeMap::new()),
        merger: Mutex::new(Merger {
            merge,
            next: (0, 0),
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
        bytes: AtomicUsize::new(0),
        head: AtomicUsize::new(0),
        moved: (Mutex::new(()), Condvar::new()),
        lane_error: Mutex::new(None),
        spawned: AtomicUsize::new(0),
        started: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
    };
    pool.scope(|s| {
        for _ in 0..window.items.min(n) {
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
            debug_assert_eq!(merger.next, (n, 0), "every result was merged");
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
    R: Send + Weigh,
    T: Send + Weigh,
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
            let part = Cell::new(0u32);
            let emit = |r: R| {
                park(shared, (i, part.get()), (false, Ok(r)));
                part.set(part.get() + 1);
                drain(s, shared);
                wait_for_room(shared, i);
            };
            let r = panic::catch_unwind(AssertUnwindSafe(|| (shared.work)(i, &emit)));
            park(shared, (i, part.get()), (true, r));
            drain(s, shared);
        });
    }
}

/// Parks a result (or part) for the merge, counting its bytes.
fn park<R: Weigh, T, E, M>(shared: &Shared<'_, R, T, E, M>, key: (usize, u32), parked: Parked<R>) {
    if let Ok(r) = &parked.1 {
        shared.bytes.fetch_add(r.weight(), Ordering::AcqRel);
    }
    lock(&shared.parked).insert(key, parked);
}

/// After item `i` handed over a part: while parts and lane items hold more than the byte
/// window and `i` is not the item the merge waits for, writes lane items, or waits.
fn wait_for_room<R, T: Weigh, E, M>(shared: &Shared<'_, R, T, E, M>, i: usize) {
    loop {
        if shared.failed.load(Ordering::Relaxed)
            || shared.head.load(Ordering::Acquire) == i
            || shared.bytes.load(Ordering::Acquire) <= shared.window.bytes
        {
            return;
        }
        if (0..shared.lanes.len()).any(|l| consume(shared, l, false)) {
            continue;
        }
        let (m, cv) = &shared.moved;
        // A timeout, not only the signal: a wake-up between the checks above and the wait
        // would otherwise be missed.
        let _ = cv.wait_timeout(lock(m), Duration::from_millis(5));
    }
}

/// Wakes the items waiting for room.
fn signal<R, T, E, M>(shared: &Shared<'_, R, T, E, M>) {
    let (m, cv) = &shared.moved;
    drop(lock(m));
    cv.notify_all();
}

/// Merges parked results in order, if no other worker is doing it already, and hands their
/// items to the lanes.
fn drain<'s, 'f, R, T, E, M>(s: &Scope<'s>, shared: &'s Shared<'f, R, T, E, M>)
where
    R: Send + Weigh,
    T: Send + Weigh,
    E: Send,
    M: FnMut(R) -> Result<Vec<T>, E> + Send,
{
    loop {
        let Ok(mut m) = shared.merger.try_lock() else {
            // The worker holding the merger re-checks the parked results after letting go,
            // so it will see ours.
            return;
        };
        // Items merged whole whose follow-up work (the next item) is not spawned yet, and
        // whether any part was merged (its lane writes are not spawned yet).
        let mut merged = 0;
        let mut any = false;
        while let Some((last, r)) = lock(&shared.parked).remove(&m.next) {
            m.next = if last {
                (m.next.0 + 1, 0)
            } else {
                (m.next.0, m.next.1 + 1)
            };
            if last {
                merged += 1;
                shared.head.store(m.next.0, Ordering::Release);
            }
            any = true;
            if let Ok(r) = &r {
                shared.bytes.fetch_sub(r.weight(), Ordering::AcqRel);
            }
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
            if over_bound(shared, 1) {
                // Far behind: write before merging more, with the merger let go, so the other
                // workers can merge what they finish meanwhile instead of running out of work.
                break;
            }
        }
        let next = m.next;
        drop(m);
        if any {
            signal(shared);
        }
        backpressure(shared);
        for _ in 0..merged {
            spawn_next(s, shared);
        }
        if any {
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

/// True when the lanes hold more than `factor` times the bound: `window.items` items per
/// lane, or `window.bytes` bytes in all (parked parts included).
fn over_bound<R, T, E, M>(shared: &Shared<'_, R, T, E, M>, factor: usize) -> bool {
    let queued = shared.queued.load(Ordering::Acquire);
    queued > factor * shared.window.items * shared.lanes.len()
        || (queued > 0 && shared.bytes.load(Ordering::Acquire) > factor * shared.window.bytes)
}

/// While the lanes are far behind, writes instead of decoding more: the longest queue that no
/// other worker is writing. When every backlogged lane is being written already, this worker
/// goes on decoding (waiting would leave its core idle for the length of a row-group flush),
/// unless the backlog has reached twice the bound: then it waits for the longest queue.
fn backpressure<R, T: Weigh, E, M>(shared: &Shared<'_, R, T, E, M>) {
    loop {
        if !over_bound(shared, 1) {
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
        if !over_bound(shared, 2) {
            return;
        }
        consume(shared, busiest, true);
    }
}

/// Queues each item on its lane.
fn enqueue<R, T: Weigh, E, M>(shared: &Shared<'_, R, T, E, M>, items: Vec<T>) {
    assert_eq!(items.len(), shared.lanes.len(), "one item per lane");
    for (l, item) in items.into_iter().enumerate() {
        // Counted before it is queued, so a consumer never counts it off first.
        shared.queued.fetch_add(1, Ordering::AcqRel);
        shared.bytes.fetch_add(item.weight(), Ordering::AcqRel);
        lock(&shared.lanes[l].queue).push_back(item);
    }
}

/// Consumes lane `l`'s queued items in order, if no other worker is doing it already (or,
/// with `wait`, after the worker that is has finished). Says whether it consumed any.
fn consume<R, T: Weigh, E, M>(shared: &Shared<'_, R, T, E, M>, l: usize, wait: bool) -> bool {
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
            let weight = item.weight();
            if !shared.failed.load(Ordering::Relaxed) {
                if let Err(e) = (consumer)(item) {
                    lock(&shared.lane_error).get_or_insert(e);
                    shared.failed.store(true, Ordering::Relaxed);
                }
            }
            shared.queued.fetch_sub(1, Ordering::AcqRel);
            shared.bytes.fetch_sub(weight, Ordering::AcqRel);
        }
        drop(consumer);
        if consumed {
            signal(shared);
        }
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

    impl Weigh for usize {
        fn weight(&self) -> usize {
            0
        }
    }

    impl Weigh for () {
        fn weight(&self) -> usize {
            0
        }
    }

    impl Weigh for String {
        fn weight(&self) -> usize {
            0
        }
    }

    /// A window of `items`, with no byte bound.
    fn items(items: usize) -> Window {
        Window {
            items,
            bytes: usize::MAX,
        }
    }

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
                    items(window),
                    &|i, _| {
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
            items(2),
            &|i, _| i,
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

    /// A lane item of 1,000 bytes, for the byte bound.
    struct Heavy(usize);

    impl Weigh for Heavy {
        fn weight(&self) -> usize {
            1_000
        }
    }

    #[test]
    fn parts_arrive_in_order_and_bytes_bound_what_waits() {
        // 20 items of 30 parts each behind a slow lane. A window of 8 items would let
        // 8 * 30 parts wait; the byte window (10 parts) holds them to a few over it.
        for threads in [1, 2, 4] {
            let alive = AtomicUsize::new(0);
            let most = AtomicUsize::new(0);
            let born = || {
                let a = alive.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(a, Ordering::SeqCst);
            };
            let mut seen = Vec::new();
            let lanes: Vec<LaneFn<'_, Heavy, String>> = vec![Box::new(|h: Heavy| {
                std::thread::sleep(std::time::Duration::from_micros(50));
                seen.push(h.0);
                alive.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })];
            ordered_map(
                &pool(threads),
                20,
                Window {
                    items: 8,
                    bytes: 10_000,
                },
                &|i, emit| {
                    for k in 0..29 {
                        born();
                        emit(Heavy(i * 30 + k));
                    }
                    born();
                    Heavy(i * 30 + 29)
                },
                &|m| m,
                |h| Ok(vec![h]),
                lanes,
            )
            .unwrap();
            assert_eq!(seen, (0..600).collect::<Vec<_>>(), "{threads} threads");
            let most = most.into_inner();
            // Twice the byte window, plus what races between a worker's checks and its adds
            // let through: a few parts per worker (one being built, one handed over past a
            // check another worker was also passing). Without the byte bound, 8 * 30 could wait.
            assert!(
                most <= 2 * 10 + 4 * threads + 8,
                "{most} parts waited ({threads} threads)"
            );
        }
    }

    #[test]
    fn a_panic_is_an_error_not_a_hang() {
        let r = ordered_map(
            &pool(2),
            10,
            items(2),
            &|i, _| if i == 5 { panic!("boom {i}") } else { i },
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
            items(4),
            &|i, _| i,
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
            items(2),
            &|i, _| {
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
            items(8),
            &|i, _| lock(&started).push(i),
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
            items(4),
            &|i, _| i,
            &|m: String| m,
            |i| Ok(vec![i]),
            vec![Box::new(|_| Ok(()))],
        )
        .unwrap();
    }
}
