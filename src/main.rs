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
