//! `rung profiles`: the bundled mapping profiles, what each is for, and its
//! ladder. Use one with `--profile NAME`; copy it (`--show NAME`) to adapt.

use std::io::Write;

use clap::Args;

use super::{open_output, output_error};
use rung::error::{Error, Result};
use rung::ingest::Profile;

/// Flags of `rung profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Print this bundled profile's TOML, to copy and adapt.
    #[arg(long, value_name = "NAME")]
    show: Option<String>,
}

impl ProfilesArgs {
    /// Lists the bundled profiles, or prints one.
    pub fn run(self) -> Result<()> {
        let mut out = open_output(&None)?;
        let written = match &self.show {
            Some(name) => {
                let Some((_, text)) = Profile::BUNDLED.iter().find(|(n, _)| n == name) else {
                    return Err(Error::usage(
                        format!("there is no bundled profile '{name}'"),
                        Some(format!("bundled profiles: {}", names().join(", "))),
                    ));
                };
                write!(out, "{text}")
            }
            None => list(&mut out),
        };
        written
            .and_then(|_| out.finish())
            .map_err(|e| output_error(&None, e))
    }
}

fn names() -> Vec<&'static str> {
    Profile::BUNDLED.iter().map(|(n, _)| *n).collect()
}

fn list(out: &mut dyn Write) -> std::io::Result<()> {
    for (name, text) in Profile::BUNDLED {
        // The opening comment's first paragraph says what it is for.
        let about: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with('#') && l.trim() != "#")
            .map(|l| l.trim_start_matches('#').trim())
            .collect();
        let ladder = Profile::named_or_file(std::path::Path::new(name))
            .map(|p| p.ladder().stages().join(" < "))
            .unwrap_or_default();
        writeln!(out, "{name}")?;
        writeln!(out, "  {}", about.join(" "))?;
        writeln!(out, "  ladder: {ladder}")?;
        writeln!(
            out,
            "  use: --profile {name}   copy: rung profiles --show {name} > my-profile.toml"
        )?;
        writeln!(out)?;
    }
    Ok(())
}
