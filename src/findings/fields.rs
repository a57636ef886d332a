//! Every text field of a report, for the functions that must reach all of them: masking
//! ([`mask`], once, where a report leaves the check) and escaping for a terminal
//! (`report::escape::for_terminal`). A field added to the report is added here, or it is neither masked
//! nor escaped; `tests/security.rs` checks every output format for that.

use super::outcome::Report;
use crate::base::finding::{Finding, InputError};

/// Calls `f` on every string of `report` that comes from an input or a policy.
pub fn each(report: &mut Report, f: &mut dyn FnMut(&mut String)) {
    report.roots.iter_mut().for_each(&mut *f);
    for c in &mut report.checklist {
        for s in [&mut c.title].into_iter().chain(&mut c.rules).chain(&mut c.examined) {
            f(s);
        }
        c.disabled.iter_mut().chain(&mut c.errored).for_each(&mut *f);
    }
    report.findings.iter_mut().for_each(|x| finding(x, f));
    report.errors.iter_mut().for_each(|e| error(e, f));
    for s in &mut report.skipped {
        f(&mut s.file);
        f(&mut s.reason);
    }
    for w in &mut report.waived {
        finding(&mut w.finding, f);
        let r = &mut w.waiver;
        for s in [&mut r.file, &mut r.rule, &mut r.reason, &mut r.owner, &mut r.expires] {
            f(s);
        }
    }
    for w in &mut report.waivers {
        for s in [&mut w.rule, &mut w.file, &mut w.reason, &mut w.owner, &mut w.expires] {
            f(s);
        }
        w.path.iter_mut().for_each(&mut *f);
        let sel = &mut w.selector;
        for s in [&mut sel.kind, &mut sel.namespace, &mut sel.name, &mut sel.file]
            .into_iter()
            .flatten()
        {
            f(s);
        }
    }
    if let Some(b) = &mut report.baseline {
        f(&mut b.file);
    }
    for o in &mut report.objects {
        for s in [&mut o.api_version, &mut o.kind, &mut o.name]
            .into_iter()
            .chain(&mut o.namespace)
        {
            f(s);
        }
    }
    for l in &mut report.pod_security {
        f(&mut l.resource);
        f(&mut l.reason);
    }
    let a = &mut report.audit;
    a.command_line.iter_mut().for_each(&mut *f);
    for i in a.inputs.iter_mut().chain(a.config.as_mut()) {
        f(&mut i.file);
    }
    for r in &mut a.disabled_rules {
        f(&mut r.rule);
        f(&mut r.title);
    }
}

/// Every string of a finding (its fingerprint's inputs included).
pub fn finding(x: &mut Finding, f: &mut dyn FnMut(&mut String)) {
    for s in [
        &mut x.rule,
        &mut x.title,
        &mut x.message,
        &mut x.file,
        &mut x.path,
        &mut x.resource,
        &mut x.remediation,
        &mut x.category,
    ]
    .into_iter()
    .chain(&mut x.checklist)
    {
        f(s);
    }
}

pub fn error(e: &mut InputError, f: &mut dyn FnMut(&mut String)) {
    f(&mut e.file);
    f(&mut e.message);
}

/// Masks every key-shaped substring in every field ([`crate::secrets::redact::redact_text`]): a key
/// used as an object name, a namespace, a file name or a map key is masked wherever it is
/// printed, not only in the message.
pub fn mask(report: &mut Report) {
    each(report, &mut mask_one);
}

pub fn mask_one(s: &mut String) {
    if crate::secrets::detect::find_key_shape(s).is_some() {
        *s = crate::secrets::redact::redact_text(s);
    }
}
