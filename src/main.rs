//! The `scrutineer` command line: see `scrutineer --help` and the README.

#![forbid(unsafe_code)]

mod cli;

// The server's allocator: glibc's serialised the request threads on its
// arena locks, about a fifth of a vote's cost (docs/performance.md).
#[cfg(feature = "server")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
