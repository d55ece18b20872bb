//! The `rung` binary: parse the command line, run, and turn the outcome into
//! an exit status (0 done, 1 internal error, 2 the user's input or flags).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let outcome = cli.run();
    rung::progress::step("done");
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`rung audit … | head`) is not a failure.
            if err.is_broken_pipe() {
                return ExitCode::SUCCESS;
            }
            // Messages quote values from the data: shown escaped, so a label
            // holding terminal control sequences cannot act on the terminal.
            eprintln!("error: {}", rung::report::escaped(&err.to_string()));
            if let Some(hint) = err.hint() {
                eprintln!("hint: {}", rung::report::escaped(hint));
            }
            ExitCode::from(err.exit_code() as u8)
        }
    }
}

/// jemalloc, as polars' own builds use: under glibc's allocator the
/// resident memory of a sliced audit climbed slice after slice (polars
/// frees short-lived buffers from several threads). The 10M national
/// audit peaked at 918–988 MiB under glibc, 783–794 under jemalloc
/// (benches/RESULTS.md, twelfth round).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read as it starts: an arena per processor, not
/// four, so memory one of polars' threads frees is there for the others'
/// allocations. The 10M national audit peaked at 657–737 MiB, against
/// 834–869 with jemalloc's default of four arenas a processor
/// (benches/RESULTS.md, twelfth round). Linux only: other systems lack
/// the processor lookup it needs.
#[cfg(all(target_os = "linux", not(target_env = "msvc")))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_OPTIONS: &[u8; 20] = b"percpu_arena:percpu\0";
