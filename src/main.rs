//! The `compliance` command: parses the arguments and dispatches to the library's
//! [`compliance::cli`].

use clap::Parser;
use std::process::ExitCode;

// A check allocates and frees millions of small strings and maps from two threads; glibc's
// allocator spent about a third of a large run (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    compliance::cli::run(compliance::cli::Cli::parse()).into()
}
