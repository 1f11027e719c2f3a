use clap::Parser;

fn main() {
    let cli = dopt::cli::Cli::parse();
    std::process::exit(dopt::cli::main_with(cli));
}
