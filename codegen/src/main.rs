//! The `oncely` command line.

mod cli;
mod runs;

fn main() -> std::process::ExitCode {
    cli::main()
}
