//! Benchmark: parse, and parse + check + fix (unsafe fixes included), every file of
//! `../shared/corpus/files` in one process. Prints the best of several passes.
//!
//!     cargo bench --bench corpus
//!
//! Target: the whole corpus (about 730 files) in under 100 ms on a 2-core machine.

use std::time::{Duration, Instant};

use dopt::engine::{self, Options};
use dopt::model::context::BuildContext;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("corpus bench: no corpus at {}", dir.display());
        std::process::exit(1);
    };
    let mut files: Vec<String> = rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect();
    files.sort();
    let bytes: usize = files.iter().map(String::len).sum();
    let rules = dopt::transforms::all();
    let ctx = BuildContext::default();
    let opts = Options { unsafe_fixes: true, ..Options::default() };
    let passes = std::env::var("DOPT_BENCH_PASSES").ok().and_then(|v| v.parse().ok()).unwrap_or(20);

    let best = |f: &dyn Fn() -> usize| {
        let mut best = Duration::MAX;
        let mut n = 0;
        for _ in 0..passes {
            let t = Instant::now();
            n = f();
            best = best.min(t.elapsed());
        }
        (best, n)
    };
    let (parse, ok) = best(&|| files.iter().filter(|t| dopt::syntax::parse(t).is_ok()).count());
    let (fix, changed) = best(&|| {
        files
            .iter()
            .filter(|t| engine::run(t, &rules, &ctx, &opts).map(|o| o.output != **t).unwrap_or(false))
            .count()
    });
    let report = |what: &str, d: Duration| {
        println!(
            "{what:<28} {:>8.2} ms per corpus pass  {:>9.0} files/s  {:>6.1} MB/s",
            d.as_secs_f64() * 1e3,
            files.len() as f64 / d.as_secs_f64(),
            bytes as f64 / d.as_secs_f64() / 1e6
        );
    };
    println!("corpus: {} files, {} KiB, {} parse, {} changed by the fixes; best of {passes} passes", files.len(), bytes / 1024, ok, changed);
    report("parse", parse);
    report("parse + check + fix (all)", fix);
}
