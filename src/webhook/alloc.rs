//! The allocator's behaviour for a long-running server. mimalloc (the global allocator,
//! `src/main.rs`) keeps freed pages resident for a second before giving them back; a review
//! of a 3 MiB object allocates and frees its parsed forms (the JSON, the typed object) on
//! one thread and builds its entities on others, so freed pages that no thread reuses add
//! up: 162 MB peak for the worst review instead of 148 MB. The webhook gives them back at
//! once; the CLI, which runs once and exits, keeps the default.

// the C library is linked through the crate (the binary makes it the global allocator)
extern crate mimalloc;

use std::os::raw::{c_int, c_long};

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
}

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (include/mimalloc.h).
const PURGE_DELAY: c_int = 15;

/// Freed memory goes back to the system at once (purge delay 0 ms).
pub fn purge_at_once() {
    // SAFETY: mimalloc's options are plain integers, set and read with these two calls
    // from any thread; the option index names an existing option
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

/// The purge delay in force, in milliseconds.
pub fn purge_delay_ms() -> c_long {
    // SAFETY: as above
    unsafe { mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_is_set_to_zero() {
        assert!(super::purge_delay_ms() > 0, "mimalloc's default delays purging");
        super::purge_at_once();
        assert_eq!(super::purge_delay_ms(), 0);
    }
}
