//! The exit status of every command, typed: what CI reads from the tool.

/// `0`, `1` or `2`, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above `--fail-on` (or every policy case passed).
    Pass = 0,
    /// Findings at or above `--fail-on` (or a policy case failed).
    Fail = 1,
    /// Input, policy or usage errors: the run could not judge everything it was given.
    Error = 2,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_the_documented_ones() {
        assert_eq!([Exit::Pass.code(), Exit::Fail.code(), Exit::Error.code()], [0, 1, 2]);
    }
}
