//! Stage timings for benchmarks: on stderr when `COMPLIANCE_TIMINGS` is set.

/// Stage timings on stderr when `COMPLIANCE_TIMINGS` is set (for benchmarks).
pub struct Timings {
    on: bool,
    last: std::time::Instant,
}

impl Default for Timings {
    fn default() -> Self {
        Self::new()
    }
}

impl Timings {
    pub fn new() -> Self {
        Timings {
            on: std::env::var_os("COMPLIANCE_TIMINGS").is_some(),
            last: std::time::Instant::now(),
        }
    }

    pub fn lap(&mut self, stage: &str) {
        self.lap_per(stage, 0);
    }

    pub fn lap_per(&mut self, stage: &str, items: usize) {
        let now = std::time::Instant::now();
        let took = now - self.last;
        self.last = now;
        if self.on {
            let per = if items > 0 {
                format!(
                    " ({items} entities, {:.2} µs each)",
                    took.as_secs_f64() * 1e6 / items as f64
                )
            } else {
                String::new()
            };
            eprintln!(
                "timing {stage}: {:.1} ms{per}, {} MiB resident",
                took.as_secs_f64() * 1e3,
                resident_mib()
            );
        }
    }
}

/// The process's resident memory now, from /proc (0 where there is none).
fn resident_mib() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}
