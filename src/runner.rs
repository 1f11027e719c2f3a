//! Work on many files in parallel, results handed over in the order of the input.
//!
//! `jobs` threads (std::thread::scope) take items by index; the calling thread receives the
//! results and passes each to `emit` as soon as every earlier one has been passed, so output
//! is the same whatever the timing, and it streams: a result waits only for those before it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

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
    // a bounded channel: workers that run far ahead of the output wait for it
    let (tx, rx) = mpsc::sync_channel::<(usize, R)>(jobs * 4);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
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
        let mut none = 0;
        ordered(&Vec::<u8>::new(), 4, |_| 0, |_, _: i32| none += 1);
        assert_eq!(none, 0);
    }
}
