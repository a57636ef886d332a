//! Real LiteLLM proxy configs (tests/fixtures/litellm, MIT, see SOURCES.md) are recognised,
//! loaded without errors and judged field by field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::check::{self, Options};
use std::path::PathBuf;

fn findings() -> (Vec<(String, String, u32, String)>, compliance::report::Report) {
    let now = check::parse_now("2026-12-01T00:00:00Z").unwrap();
    let mut opts = Options::new(vec![PathBuf::from("tests/fixtures/litellm")], now);
    opts.git = false;
    let report = check::run(&opts, None).unwrap();
    let mut out: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.file.clone(), f.rule.clone(), f.line, f.path.clone()))
        .collect();
    out.sort();
    (out, report)
}

#[test]
fn real_litellm_configs_are_judged_at_the_exact_fields() {
    let (found, report) = findings();
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let s = |f: &str, r: &str, l: u32, p: &str| (f.to_string(), r.to_string(), l, p.to_string());
    let expected = vec![
        // keys from os.environ/, https api_base, no allowed_ips
        s("azure_config.yaml", "GW-009", 1, "general_settings"),
        // `api_key: fake-key`: a literal (a placeholder: low confidence)
        s(
            "enterprise_config.yaml",
            "GW-002",
            5,
            "model_list[0].litellm_params.api_key",
        ),
        s("enterprise_config.yaml", "GW-009", 1, "general_settings"),
        s(
            "otel_test_config.yaml",
            "GW-002",
            5,
            "model_list[0].litellm_params.api_key",
        ),
        s(
            "otel_test_config.yaml",
            "GW-002",
            13,
            "model_list[1].litellm_params.api_key",
        ),
        s(
            "otel_test_config.yaml",
            "GW-002",
            26,
            "model_list[3].litellm_params.api_key",
        ),
        // callbacks: ["otel"] sends messages; prometheus (enterprise_config) does not
        s("otel_test_config.yaml", "GW-005", 33, "litellm_settings.callbacks"),
        s("otel_test_config.yaml", "GW-009", 1, "general_settings"),
        s(
            "pass_through_config.yaml",
            "GW-002",
            5,
            "model_list[0].litellm_params.api_key",
        ),
        // master_key from os.environ/: keys are issued, unbounded, logs kept forever
        s("pass_through_config.yaml", "GW-007", 31, "general_settings"),
        s("pass_through_config.yaml", "GW-008", 32, "general_settings.master_key"),
        s("pass_through_config.yaml", "GW-009", 31, "general_settings"),
        s(
            "spend_tracking_config.yaml",
            "GW-002",
            5,
            "model_list[0].litellm_params.api_key",
        ),
        s("spend_tracking_config.yaml", "GW-009", 8, "general_settings"),
    ];
    assert_eq!(found, expected);
    // held back on real input: `http://localhost:8000` is not the network (GW-003), the
    // `os.environ/` master key is not a literal (GW-001), tpm limits bound azure_config's keys
    for rule in ["GW-001", "GW-003", "GW-004", "GW-006"] {
        assert!(!found.iter().any(|f| f.1 == rule), "{rule} fired on a real config");
    }
    // a placeholder key is low confidence, so not critical
    let placeholder = report.findings.iter().find(|f| f.rule == "GW-002").unwrap();
    assert_eq!(placeholder.confidence, compliance::base::finding::Confidence::Low);
    // the five files are LiteLLM configs: every one yields a GatewayConfig
    let live04 = report.checklist.iter().find(|c| c.id == "LIVE-04").unwrap();
    assert_eq!(live04.examined.len(), 5, "{:?}", live04.examined);
}

#[test]
fn a_literal_key_is_never_printed() {
    let (_, report) = findings();
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("fake-key"), "a literal api_key value reached the report");
}
