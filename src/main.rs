//! The `rung` binary: parse the command line, run, and turn the outcome into
//! an exit status (0 done, 1 internal error, 2 the user's input or flags).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`rung audit … | head`) is not a failure.
            if err.to_string().contains("Broken pipe") {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err}");
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
