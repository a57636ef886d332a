//! Where a report is written as it is rendered: a run with many findings gives a report of
//! tens of megabytes (89 MB of JSON on the x30 benchmark corpus), which need not be held
//! in memory before it goes to a file or to standard output.

use std::fmt;
use std::io;

/// An [`io::Write`] with the `String` methods the hand-written renderers use. The first
/// write error is kept and ends the output; [`Sink::finish`] returns it.
pub struct Sink<'a> {
    out: &'a mut dyn io::Write,
    error: Option<io::Error>,
}

impl<'a> Sink<'a> {
    pub fn new(out: &'a mut dyn io::Write) -> Self {
        Sink { out, error: None }
    }

    pub fn push_str(&mut self, s: &str) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(s.as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    pub fn finish(self) -> io::Result<()> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// What `write` puts into `out`, as a string (for tests and the webhook's small answers).
pub fn to_string(write: impl FnOnce(&mut Sink<'_>)) -> String {
    let mut bytes = Vec::new();
    let mut sink = Sink::new(&mut bytes);
    write(&mut sink);
    // writing to a Vec does not fail, and every renderer writes `str`s
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    struct Full(usize);

    impl io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 < buf.len() {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_write_error_is_kept_and_ends_the_output() {
        let mut full = Full(5);
        let mut sink = Sink::new(&mut full);
        sink.push_str("abc");
        sink.push_str("defgh");
        // both would fit in what is left; nothing is written after an error
        sink.push('i');
        let _ = write!(sink, "{}", 1);
        assert_eq!(sink.finish().unwrap_err().kind(), io::ErrorKind::StorageFull);
        assert_eq!(full.0, 2, "nothing written after the error");
        assert_eq!(to_string(|s| s.push('é')), "é");
    }
}
