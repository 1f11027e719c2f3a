//! Work on many files in parallel, results handed over in the order of the input.
//!
//! `jobs` threads (std::thread::scope) take items by index; the calling thread receives the
//! results and passes each to `emit` as soon as every earlier one has been passed, so output
//! is the same whatever the timing, and it streams: a result waits only for those before it.
//! Workers stay within a window of items after the last one emitted, so that one slow file
//! does not make the others pile up in memory while they wait for it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// The number of threads `--jobs` defaults to: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Runs `work` on every item, on up to `jobs` threads, and calls `emit(index, result)` in the
/// order of `items`.
pub fn ordered<T, R, W, E>(items: &[T], jobs: usize, work: W, mut emit: E)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    E: FnMut(usize, R),
{
    let jobs = jobs.max(1).min(items.len().max(1));
    if jobs == 1 {
        for (i, it) in items.iter().enumerate() {
            emit(i, work(it));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let window = jobs * 8;
    // how many results have been emitted; workers wait while they are a window ahead of it
    let emitted = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, work, emitted) = (&next, &work, &emitted);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                // every item before `i` is taken, so the one the output waits for is being
                // worked on: this wait ends
                let mut done = emitted.0.lock().unwrap_or_else(|e| e.into_inner());
                while i >= *done + window {
                    done = emitted.1.wait(done).unwrap_or_else(|e| e.into_inner());
                }
                drop(done);
                if tx.send((i, work(&items[i]))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (i, r) in rx {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&want) {
                emit(want, r);
                want += 1;
            }
            *emitted.0.lock().unwrap_or_else(|e| e.into_inner()) = want;
            emitted.1.notify_all();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [1, 2, 7] {
            let mut got = Vec::new();
            ordered(
                &items,
                jobs,
                |&x| {
                    // later items finish first
                    std::thread::sleep(std::time::Duration::from_micros((200 - x) * 20));
                    x * 2
                },
                |i, r| got.push((i, r)),
            );
            assert_eq!(got, items.iter().map(|&x| (x as usize, x * 2)).collect::<Vec<_>>(), "jobs {jobs}");
        }
        // a slow first item: the others wait within the window instead of piling up
        let ahead = AtomicUsize::new(0);
        let max_ahead = AtomicUsize::new(0);
        ordered(
            &items,
            2,
            |&x| {
                if x == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                } else {
                    let a = ahead.fetch_add(1, Ordering::SeqCst) + 1;
                    max_ahead.fetch_max(a, Ordering::SeqCst);
                }
                x
            },
            |i, _| {
                if i > 0 {
                    ahead.fetch_sub(1, Ordering::SeqCst);
                }
            },
        );
        assert!(max_ahead.load(Ordering::SeqCst) <= 2 * 8, "{} results waited at once", max_ahead.load(Ordering::SeqCst));
        let mut none = 0;
        ordered(&Vec::<u8>::new(), 4, |_| 0, |_, _: i32| none += 1);
        assert_eq!(none, 0);
    }
}
