use clap::Parser;

// A run makes and frees millions of small strings and vectors (findings, shell words, one parse
// a round); jemalloc takes about a third less time than glibc's malloc on the largest files.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let cli = dopt::cli::Cli::parse();
    std::process::exit(dopt::cli::main_with(cli));
}
