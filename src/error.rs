//! rung's error type: a user's mistake names the file, line and column and
//! says what was expected (exit status 2); anything else is a bug (status 1).

use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with what the user gave: a file, a flag, a value.
    #[error("{0}")]
    User(Box<UserError>),
    /// A failure that is not the user's doing.
    #[error("internal error: {0}")]
    Internal(String),
    /// Writing the output failed (a full disk, a closed device): not the
    /// input's fault, and not a bug.
    #[error("{0}")]
    Output(String),
    /// The reader of standard output went away (`rung … | head`): not a
    /// failure at all.
    #[error("broken pipe")]
    BrokenPipe,
}

/// Details of a user error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The file concerned, if any.
    pub path: Option<PathBuf>,
    /// 1-based line in that file, counting the header as line 1.
    pub line: Option<u64>,
    /// The column concerned.
    pub column: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        if let Some(c) = &self.column {
            write!(f, "column '{c}': ")?;
        }
        f.write_str(&self.message)
    }
}

impl Error {
    fn user(path: Option<PathBuf>, message: String) -> Error {
        Error::User(Box::new(UserError {
            path,
            line: None,
            column: None,
            message,
            hint: None,
        }))
    }

    /// A problem with an input file.
    pub fn input(path: &Path, message: impl Into<String>) -> Error {
        Error::user(Some(path.to_path_buf()), message.into())
    }

    /// A settings file (profile, grouping) that is not valid TOML or does not
    /// fit its format: the parser's message with the line it points at.
    pub fn toml(path: &Path, text: &str, err: &toml::de::Error, what: &str) -> Error {
        let e = Error::input(
            path,
            format!("not a valid {what}: {}", err.message().trim()),
        );
        match err.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() as u64 + 1;
                e.with_line(line)
            }
            None => e,
        }
    }

    /// A problem with the command line or settings.
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Error {
        let mut e = Error::user(None, message.into());
        if let Error::User(u) = &mut e {
            u.hint = hint;
        }
        e
    }

    /// A file that cannot be read or written.
    pub fn io(path: &Path, err: std::io::Error) -> Error {
        let what = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        };
        Error::input(path, what)
    }

    /// Adds the line number.
    pub fn with_line(mut self, line: u64) -> Error {
        if let Error::User(u) = &mut self {
            u.line = Some(line);
        }
        self
    }

    /// Adds the column name.
    pub fn with_column(mut self, column: impl Into<String>) -> Error {
        if let Error::User(u) = &mut self {
            u.column = Some(column.into());
        }
        self
    }

    /// Adds a hint on how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        if let Error::User(u) = &mut self {
            u.hint = Some(hint.into());
        }
        self
    }

    /// The line named, if any.
    pub fn line(&self) -> Option<u64> {
        match self {
            Error::User(u) => u.line,
            _ => None,
        }
    }

    /// The column named, if any.
    pub fn column(&self) -> Option<&str> {
        match self {
            Error::User(u) => u.column.as_deref(),
            _ => None,
        }
    }

    /// The hint, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::User(u) => u.hint.as_deref(),
            _ => None,
        }
    }

    /// Writing an output failed: the reader went away ([`Error::BrokenPipe`])
    /// or the write itself failed, naming where it was going.
    pub fn output(target: &str, err: std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output(format!("writing to {target}: {err}"))
        }
    }

    /// The reader of standard output went away. Every write goes through
    /// [`Error::output`], which tells it by the I/O error's kind.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::BrokenPipe)
    }

    /// Process exit status: 2 for the user's mistakes, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::User(_) => 2,
            Error::Internal(_) | Error::Output(_) => 1,
            Error::BrokenPipe => 0,
        }
    }
}

/// Result with rung's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_file_line_and_column() {
        let e = Error::input(Path::new("data/applications.csv"), "expected a number")
            .with_line(7)
            .with_column("score")
            .with_hint("fix it");
        assert_eq!(
            e.to_string(),
            "data/applications.csv: line 7: column 'score': expected a number"
        );
        assert_eq!(e.hint(), Some("fix it"));
        assert_eq!(e.exit_code(), 2);
        assert_eq!(Error::Internal("x".into()).exit_code(), 1);
    }
}
