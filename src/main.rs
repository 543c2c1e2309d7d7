//! The `scrutineer` command line: see `scrutineer --help` and the README.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
