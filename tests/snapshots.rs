//! Snapshots of the shipped example's reports. Review changes with `cargo insta review`
//! (or set INSTA_UPDATE=always and read the diff).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::check::{self, Options};
use compliance::report;

fn example() -> report::Report {
    let opts = Options::new(
        vec!["examples/deploy".into()],
        check::parse_now("2026-11-24T00:00:00Z").unwrap(),
    );
    check::run(&opts, None).unwrap()
}

#[test]
fn example_json_report() {
    insta::assert_snapshot!("example.json", report::json(&example()));
}

#[test]
fn example_markdown_report() {
    insta::assert_snapshot!("example.md", report::markdown(&example()).unwrap());
}

#[test]
fn example_text_report() {
    insta::assert_snapshot!("example.txt", report::text(&example()));
}
