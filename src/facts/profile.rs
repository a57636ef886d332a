//! Security-profile facts: the application settings of a `SecurityProfile`, reduced to what
//! the rules in `policies/profile.cedar` judge. A setting that is not stated counts as its
//! insecure default (`cookieSecure` absent is not Secure); a review date that is not stated
//! is absent, so it never makes a review control pass.

use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::kinds::Profile;
use crate::input::loader::Document;
use chrono::{DateTime, Utc};

/// The monitoring alerts the guide's "Usage Monitoring" table asks for, in its order.
pub const ALERTS: [&str; 4] = ["usage-spike", "new-ip", "error-rate", "after-hours"];

/// Requests per minute, rounded up, of `max` requests per `window` seconds.
pub fn per_minute(max: u64, window: u64) -> i64 {
    let window = u128::from(window.max(1));
    let n = (u128::from(max) * 60).div_ceil(window);
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An `http://` URL (any case).
pub fn is_http(url: &str) -> bool {
    url.trim().get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://"))
}

/// The later of two optional `YYYY-MM-DD` dates, with the field it came from.
fn later<'a>(a: (Option<&'a String>, String), b: (Option<&'a String>, String)) -> Option<(&'a String, String)> {
    match (a, b) {
        ((Some(x), px), (Some(y), py)) => Some(if y > x { (y, py) } else { (x, px) }),
        ((Some(x), px), _) => Some((x, px)),
        (_, (Some(y), py)) => Some((y, py)),
        _ => None,
    }
}

pub fn profile(doc: &Document, p: &Profile, now: DateTime<Utc>, out: &mut Vec<Resource>) {
    let base = doc.base.as_str();
    let at = |k: &str| path::keys(base, k);
    let display = format!("SecurityProfile {}", p.metadata.name);
    let mut r = Resource::new(Kind::SecurityProfile, super::at(doc, doc.base.clone()), display)
        .str("name", p.metadata.name.clone());

    // gateway URL and certificate checks
    let url = p.api_base_url.clone().unwrap_or_default();
    r = r
        .bool("hasApiBaseUrl", !url.trim().is_empty())
        .bool("httpBaseUrl", is_http(&url))
        .str("apiBaseUrl", url)
        .bool("tlsVerifyDisabled", p.tls_verify == Some(false))
        .field("httpBaseUrl", at("apiBaseUrl"))
        .field("tlsVerifyDisabled", at("tlsVerify"));

    // session cookies: judged only for applications that have sessions
    let session = p.session.clone().unwrap_or_default();
    r = r
        .bool("hasSession", p.session.is_some())
        .bool("cookieSecure", session.cookie_secure == Some(true))
        .bool("cookieHttpOnly", session.cookie_http_only == Some(true))
        .str("cookieSameSite", session.cookie_same_site.clone().unwrap_or_default())
        .str(
            "sessionLifetime",
            session
                .lifetime_seconds
                .map_or_else(|| "not set".to_string(), |s| format!("{s} seconds")),
        )
        .field("cookieSecure", at("session.cookieSecure"))
        .field("cookieHttpOnly", at("session.cookieHttpOnly"))
        .field("cookieSameSite", at("session.cookieSameSite"))
        .field("sessionLifetime", at("session.lifetimeSeconds"));
    if let Some(s) = session.lifetime_seconds {
        r = r.long("sessionLifetimeSeconds", i64::try_from(s).unwrap_or(i64::MAX));
    }

    // rate limiting
    let rate = p.rate_limit.clone().unwrap_or_default();
    let rate_text = match (rate.max_requests, rate.window_seconds) {
        (Some(max), Some(window)) => {
            let scope = rate.scope.as_ref().map(|s| format!(" per {s}")).unwrap_or_default();
            format!(
                "allows {max} requests per {window} s{scope} ({} a minute)",
                per_minute(max, window)
            )
        }
        _ => "states no `maxRequests` and `windowSeconds`, so its rate cannot be checked".to_string(),
    };
    r = r
        .bool("hasRateLimit", p.rate_limit.is_some())
        .str("rateLimit", rate_text)
        .field("hasRateLimit", at("rateLimit"))
        .field(
            "rateLimit",
            at(if rate.max_requests.is_some() {
                "rateLimit.maxRequests"
            } else {
                "rateLimit"
            }),
        );
    if let (Some(max), Some(window)) = (rate.max_requests, rate.window_seconds) {
        r = r.long("rateLimitPerMinute", per_minute(max, window));
    }

    // request validation
    let validation = p.request_validation.clone().unwrap_or_default();
    let models = validation.allowed_models.clone().unwrap_or_default();
    r = r
        .bool("hasRequestValidation", p.request_validation.is_some())
        .bool(
            "hasModelAllowList",
            !models.is_empty() && !models.iter().any(|m| m.trim() == "*"),
        )
        .set("allowedModels", models)
        .str(
            "messageLimit",
            validation.max_message_length.map_or_else(
                || "sets no `maxMessageLength`: messages of any length go to the gateway".to_string(),
                |n| format!("accepts messages of up to {n} characters"),
            ),
        )
        .field("hasRequestValidation", at("requestValidation"))
        .field("maxMessageLength", at("requestValidation.maxMessageLength"))
        .field("hasModelAllowList", at("requestValidation.allowedModels"));
    if let Some(n) = validation.max_message_length {
        r = r.long("maxMessageLength", i64::try_from(n).unwrap_or(i64::MAX));
    }

    // logging, MFA, monitoring
    let logging = p.logging.clone().unwrap_or_default();
    let alerts: Vec<String> = p.monitoring.as_ref().and_then(|m| m.alerts.clone()).unwrap_or_default();
    let missing_alerts = ALERTS.iter().filter(|a| !alerts.iter().any(|x| x == *a));
    r = r
        .bool("logRequestBodies", logging.log_request_bodies == Some(true))
        .bool("redactPii", logging.redact_pii == Some(true))
        .bool("securityEvents", logging.security_events == Some(true))
        .bool("mfaEnabled", p.mfa.as_ref().and_then(|m| m.enabled) == Some(true))
        .set("missingAlerts", missing_alerts.copied())
        .set("alerts", alerts)
        .field("logRequestBodies", at("logging.logRequestBodies"))
        .field("redactPii", at("logging.redactPii"))
        .field("securityEvents", at("logging.securityEvents"))
        .field("mfaEnabled", at("mfa.enabled"))
        .field("missingAlerts", at("monitoring.alerts"));

    // incident response: the drill date is the later of the two places it may be written
    let incident = p.incident_response.clone().unwrap_or_default();
    let reviews = p.reviews.clone().unwrap_or_default();
    r = r
        .bool(
            "hasRunbook",
            incident.runbook.as_ref().is_some_and(|s| !s.trim().is_empty()),
        )
        .field("hasRunbook", at("incidentResponse.runbook"));
    let drill = later(
        (incident.last_drill.as_ref(), at("incidentResponse.lastDrill")),
        (reviews.incident_drill.as_ref(), at("reviews.incidentDrill")),
    );
    let has_drill = drill.is_some();
    r = r.bool("hasIncidentDrill", has_drill);
    match drill {
        Some((date, field)) => {
            r = r
                .datetime("incidentDrill", date.clone())
                .long("incidentDrillDays", super::days_since(date, now).unwrap_or(0))
                .field("incidentDrill", field);
        }
        None => {
            let intended = if p.reviews.is_some() || p.incident_response.is_none() {
                "reviews.incidentDrill"
            } else {
                "incidentResponse.lastDrill"
            };
            r = r.field("incidentDrill", at(intended));
        }
    }

    // the other regular reviews: (item, has-fact, date fact, days fact, date)
    let items: [(&str, &'static str, &'static str, &'static str, &Option<String>); 5] = [
        (
            "keyRotation",
            "hasKeyRotationReview",
            "keyRotationReview",
            "keyRotationReviewDays",
            &reviews.key_rotation,
        ),
        (
            "accessLogs",
            "hasAccessLogsReview",
            "accessLogsReview",
            "accessLogsReviewDays",
            &reviews.access_logs,
        ),
        (
            "permissionAudit",
            "hasPermissionAudit",
            "permissionAudit",
            "permissionAuditDays",
            &reviews.permission_audit,
        ),
        (
            "dependencyUpdates",
            "hasDependencyUpdates",
            "dependencyUpdates",
            "dependencyUpdatesDays",
            &reviews.dependency_updates,
        ),
        (
            "policyReview",
            "hasPolicyReview",
            "policyReview",
            "policyReviewDays",
            &reviews.policy_review,
        ),
    ];
    let mut missing_reviews = Vec::new();
    for (item, has, date_fact, days_fact, date) in items {
        r = r
            .bool(has, date.is_some())
            .field(date_fact, at(&format!("reviews.{item}")));
        match date {
            Some(d) => {
                r = r
                    .datetime(date_fact, d.clone())
                    .long(days_fact, super::days_since(d, now).unwrap_or(0));
            }
            None => missing_reviews.push(item),
        }
    }
    if !has_drill {
        missing_reviews.push("incidentDrill");
    }
    r = r
        .bool("hasReviews", p.reviews.is_some())
        .set(
            "missingReviews",
            if p.reviews.is_some() {
                missing_reviews
            } else {
                Vec::new()
            },
        )
        .field("missingReviews", at("reviews"));
    out.push(r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::model::Attr;

    fn facts(yaml: &str) -> Resource {
        let loaded = crate::input::loader::load_text(0, "p.yaml", yaml, &crate::input::loader::Limits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let doc = &loaded.docs[0];
        let crate::input::loader::Object::Profile(p) = &doc.object else {
            panic!("not a profile: {:?}", doc.object)
        };
        let now = crate::check::parse_now("2026-11-24T00:00:00Z").unwrap_or_default();
        let mut out = Vec::new();
        profile(doc, p, now, &mut out);
        out.remove(0)
    }

    fn get<'a>(r: &'a Resource, name: &str) -> Option<&'a Attr> {
        r.attr(name)
    }

    #[test]
    fn rates_scale_to_a_minute_rounding_up() {
        assert_eq!(per_minute(20, 60), 20);
        assert_eq!(per_minute(100, 60), 100);
        assert_eq!(per_minute(101, 60), 101);
        assert_eq!(per_minute(10, 1), 600);
        assert_eq!(per_minute(1000, 3600), 17);
        assert_eq!(per_minute(u64::MAX, 1), i64::MAX);
    }

    #[test]
    fn http_urls() {
        assert!(is_http("http://api.apertis.ai/v1"));
        assert!(is_http("HTTP://api.apertis.ai/v1"));
        assert!(!is_http("https://api.apertis.ai/v1"));
        assert!(!is_http("ftp"));
    }

    #[test]
    fn an_empty_profile_has_insecure_defaults_and_no_review_dates() {
        let r = facts("apiVersion: compliance/v1alpha1\nkind: SecurityProfile\nmetadata: {name: bare}\n");
        assert_eq!(get(&r, "hasSession"), Some(&Attr::Bool(false)));
        assert_eq!(get(&r, "hasRateLimit"), Some(&Attr::Bool(false)));
        assert_eq!(get(&r, "redactPii"), Some(&Attr::Bool(false)));
        assert_eq!(get(&r, "mfaEnabled"), Some(&Attr::Bool(false)));
        assert_eq!(
            get(&r, "missingAlerts"),
            Some(&Attr::Set(
                ["after-hours", "error-rate", "new-ip", "usage-spike"]
                    .map(String::from)
                    .to_vec()
            ))
        );
        assert_eq!(get(&r, "hasKeyRotationReview"), Some(&Attr::Bool(false)));
        assert_eq!(get(&r, "keyRotationReview"), None);
        assert_eq!(get(&r, "hasIncidentDrill"), Some(&Attr::Bool(false)));
        // no reviews section: nothing is "missing" from it
        assert_eq!(get(&r, "missingReviews"), Some(&Attr::Set(vec![])));
        assert_eq!(r.field_path(Some("keyRotationReview")), "reviews.keyRotation");
    }

    #[test]
    fn the_later_drill_date_counts_and_points_at_its_field() {
        let r = facts(
            "apiVersion: compliance/v1alpha1\nkind: SecurityProfile\nmetadata: {name: d}\n\
             incidentResponse: {runbook: docs/ir.md, lastDrill: 2026-06-01}\n\
             reviews: {incidentDrill: 2025-01-01, accessLogs: 2026-11-01}\n\
             rateLimit: {windowSeconds: 10, maxRequests: 30, scope: user}\n",
        );
        assert_eq!(get(&r, "incidentDrill"), Some(&Attr::DateTime("2026-06-01".into())));
        assert_eq!(get(&r, "incidentDrillDays"), Some(&Attr::Long(176)));
        assert_eq!(r.field_path(Some("incidentDrill")), "incidentResponse.lastDrill");
        assert_eq!(get(&r, "accessLogsReviewDays"), Some(&Attr::Long(23)));
        assert_eq!(
            get(&r, "missingReviews"),
            Some(&Attr::Set(
                ["dependencyUpdates", "keyRotation", "permissionAudit", "policyReview"]
                    .map(String::from)
                    .to_vec()
            ))
        );
        assert_eq!(get(&r, "rateLimitPerMinute"), Some(&Attr::Long(180)));
        assert_eq!(
            get(&r, "rateLimit"),
            Some(&Attr::Str("allows 30 requests per 10 s per user (180 a minute)".into()))
        );
    }
}
