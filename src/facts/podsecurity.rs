//! Pod Security Standards facts: one `SecurityContext` entity for the pod's own settings
//! (`spec.host*`, `spec.securityContext`, the pod template's annotations) and one for each
//! container, init container and ephemeral container, plus one `Volume` entity per volume.
//! The `PSS-*` rules (`policies/pod-security.cedar`) judge them.
//!
//! Rust computes what Cedar cannot: values read from several places (the pod's
//! `runAsNonRoot` seen from a container, annotation values keyed by container name), the
//! containers a pod-level setting must cover, the version-dependent sysctl list, and the
//! field each finding points at (the offending element, or where a missing field goes).
//! Settings combine as PSA combines them (k8s.io/pod-security-admission/policy).

use super::template::Template;
use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::facts::pss::Applied;
use crate::input::loader::Document;
use k8s_openapi::api::core::v1::{Container, Lifecycle, PodSpec, Probe, SecurityContext, Volume};

/// Safe sysctls by the version that allowed them (check_sysctls.go).
const SYSCTLS: &[(i64, &str)] = &[
    (0, "kernel.shm_rmid_forced"),
    (0, "net.ipv4.ip_local_port_range"),
    (0, "net.ipv4.tcp_syncookies"),
    (0, "net.ipv4.ping_group_range"),
    (0, "net.ipv4.ip_unprivileged_port_start"),
    (27, "net.ipv4.ip_local_reserved_ports"),
    (29, "net.ipv4.tcp_keepalive_time"),
    (29, "net.ipv4.tcp_fin_timeout"),
    (29, "net.ipv4.tcp_keepalive_intvl"),
    (29, "net.ipv4.tcp_keepalive_probes"),
    (32, "net.ipv4.tcp_rmem"),
    (32, "net.ipv4.tcp_wmem"),
    (37, "net.ipv4.tcp_slow_start_after_idle"),
    (37, "net.ipv4.tcp_notsent_lowat"),
];

/// Is `name` a safe sysctl at policy version `minor`?
pub fn safe_sysctl(name: &str, minor: i64) -> bool {
    SYSCTLS.iter().any(|(since, n)| *n == name && *since <= minor)
}

const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
const SECCOMP_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// What the pod-level entity needs to know about the containers.
struct Coverage {
    without_run_as_non_root: Vec<String>,
    without_seccomp: Vec<String>,
}

/// Emits the PSS entities of a pod template under workload `wl_id`.
pub(super) fn emit(
    doc: &Document,
    t: &Template<'_>,
    wl_id: &str,
    applied: &Applied,
    display: &str,
    out: &mut Vec<Resource>,
) {
    let spec = t.spec.as_ref();
    let windows = spec.os.as_ref().is_some_and(|o| o.name == "windows");
    let user_namespace = spec.host_users == Some(false);
    let psc = spec.security_context.as_ref();
    let pod_non_root = psc.and_then(|s| s.run_as_non_root) == Some(true);
    let pod_seccomp = psc
        .and_then(|s| s.seccomp_profile.as_ref())
        .is_some_and(|p| p.type_ == "RuntimeDefault" || p.type_ == "Localhost");
    let annotations = &t.annotations;
    let ann_path = |key: &str| path::key(&t.annotations_path, key);

    // containers, init containers, ephemeral containers (as PSA's visitContainers)
    let mut all: Vec<(Container, &'static str, String)> = Vec::new();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        all.push((
            c.clone(),
            "initContainer",
            path::index(&path::key(&t.path, "initContainers"), i),
        ));
    }
    for (i, c) in spec.containers.iter().enumerate() {
        all.push((
            c.clone(),
            "container",
            path::index(&path::key(&t.path, "containers"), i),
        ));
    }
    for (i, e) in spec.ephemeral_containers.iter().flatten().enumerate() {
        let Some(c) = serde_json::to_value(e)
            .ok()
            .and_then(|v| serde_json::from_value::<Container>(v).ok())
        else {
            continue;
        };
        all.push((
            c,
            "ephemeralContainer",
            path::index(&path::key(&t.path, "ephemeralContainers"), i),
        ));
    }

    let mut cover = Coverage {
        without_run_as_non_root: Vec::new(),
        without_seccomp: Vec::new(),
    };
    let mut children = Vec::new();
    for (c, scope, cpath) in &all {
        let sc = c.security_context.as_ref();
        if sc.and_then(|s| s.run_as_non_root).is_none() && !pod_non_root {
            cover.without_run_as_non_root.push(c.name.clone());
        }
        if sc.and_then(|s| s.seccomp_profile.as_ref()).is_none() && !pod_seccomp {
            cover.without_seccomp.push(c.name.clone());
        }
        let apparmor_key = format!("{APPARMOR_PREFIX}{}", c.name);
        let seccomp_key = format!("{SECCOMP_PREFIX}{}", c.name);
        let apparmor_annotation = annotations
            .get(&apparmor_key)
            .map(|v| (v.clone(), ann_path(&apparmor_key)));
        let seccomp_annotation = annotations
            .get(&seccomp_key)
            .map(|v| (v.clone(), ann_path(&seccomp_key)));
        let r = container(doc, c, scope, cpath, display, apparmor_annotation, seccomp_annotation);
        children.push(applied.attrs(common(r, wl_id, windows, user_namespace)));
    }

    let pod = pod(doc, t, spec, display, &cover, applied.version, &ann_path);
    out.push(applied.attrs(common(pod, wl_id, windows, user_namespace)));
    out.append(&mut children);

    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let vpath = path::index(&path::key(&t.path, "volumes"), i);
        let kind = volume_type(v);
        let r = Resource::new(Kind::Volume, super::at(doc, vpath.clone()), display.to_string())
            .parent(Kind::Workload, wl_id)
            .str("name", v.name.clone())
            .str("type", kind.clone())
            .field(
                "type",
                if kind == "unknown" || v_is_bare(v) {
                    vpath
                } else {
                    path::key(&vpath, &kind)
                },
            );
        out.push(applied.attrs(r));
    }
}

/// A volume that names no source (defaulted to `emptyDir`).
fn v_is_bare(v: &Volume) -> bool {
    matches!(serde_json::to_value(v), Ok(serde_json::Value::Object(m)) if m.len() == 1)
}

fn common(r: Resource, wl_id: &str, windows: bool, user_namespace: bool) -> Resource {
    r.parent(Kind::Workload, wl_id)
        .bool("windows", windows)
        .bool("userNamespace", user_namespace)
}

/// The volume source a volume uses, named as in the API (`hostPath`, `nfs`). A volume
/// with none is an `emptyDir`: the API server defaults it so before PSA sees it.
fn volume_type(v: &Volume) -> String {
    let Ok(serde_json::Value::Object(m)) = serde_json::to_value(v) else {
        return "unknown".to_string();
    };
    m.keys()
        .find(|k| *k != "name")
        .cloned()
        .unwrap_or_else(|| "emptyDir".to_string())
}

fn opt_bool(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    }
}

/// The first host field set in a probe or handler (`httpGet.host`, `tcpSocket.host`).
fn probe_hosts(c: &Container, cpath: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |base: String, http: Option<&str>, tcp: Option<&str>| {
        if let Some(h) = http.filter(|h| !h.is_empty()) {
            out.push((h.to_string(), path::keys(&base, "httpGet.host")));
        }
        if let Some(h) = tcp.filter(|h| !h.is_empty()) {
            out.push((h.to_string(), path::keys(&base, "tcpSocket.host")));
        }
    };
    let probes: [(&str, &Option<Probe>); 3] = [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ];
    for (name, p) in probes {
        if let Some(p) = p {
            push(
                path::key(cpath, name),
                p.http_get.as_ref().and_then(|h| h.host.as_deref()),
                p.tcp_socket.as_ref().and_then(|h| h.host.as_deref()),
            );
        }
    }
    if let Some(Lifecycle {
        post_start, pre_stop, ..
    }) = &c.lifecycle
    {
        for (name, h) in [("postStart", post_start), ("preStop", pre_stop)] {
            if let Some(h) = h {
                push(
                    path::keys(cpath, &format!("lifecycle.{name}")),
                    h.http_get.as_ref().and_then(|x| x.host.as_deref()),
                    h.tcp_socket.as_ref().and_then(|x| x.host.as_deref()),
                );
            }
        }
    }
    out
}

/// Where a SELinux finding points: the first of user, role, type that is set.
fn selinux_field(base: &str, user: &str, role: &str) -> String {
    let leaf = if !user.is_empty() {
        "user"
    } else if !role.is_empty() {
        "role"
    } else {
        "type"
    };
    path::keys(base, &format!("seLinuxOptions.{leaf}"))
}

#[allow(clippy::too_many_arguments)]
fn container(
    doc: &Document,
    c: &Container,
    scope: &str,
    cpath: &str,
    display: &str,
    apparmor_annotation: Option<(String, String)>,
    seccomp_annotation: Option<(String, String)>,
) -> Resource {
    let empty = SecurityContext::default();
    let sc = c.security_context.as_ref().unwrap_or(&empty);
    let sp = path::key(cpath, "securityContext");
    let caps = sc.capabilities.as_ref();
    let added: Vec<String> = caps.and_then(|c| c.add.clone()).unwrap_or_default();
    let drops_all = caps
        .and_then(|c| c.drop.as_ref())
        .is_some_and(|d| d.iter().any(|x| x == "ALL"));
    let ports: Vec<(i32, usize)> = c
        .ports
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| p.host_port.filter(|h| *h != 0).map(|h| (h, i)))
        .collect();
    let hosts = probe_hosts(c, cpath);
    let apparmor = sc
        .app_armor_profile
        .as_ref()
        .map(|a| a.type_.clone())
        .unwrap_or_default();
    let selinux = sc.se_linux_options.as_ref();
    let (se_type, se_user, se_role) = (
        selinux.and_then(|s| s.type_.clone()).unwrap_or_default(),
        selinux.and_then(|s| s.user.clone()).unwrap_or_default(),
        selinux.and_then(|s| s.role.clone()).unwrap_or_default(),
    );
    let seccomp = sc.seccomp_profile.as_ref().map(|p| p.type_.clone()).unwrap_or_default();
    let (aa_value, aa_path) = apparmor_annotation.unzip();
    let (sc_value, sc_path) = seccomp_annotation.unzip();
    let who = match scope {
        "initContainer" => format!("init container `{}`", c.name),
        "ephemeralContainer" => format!("ephemeral container `{}`", c.name),
        _ => format!("container `{}`", c.name),
    };
    Resource::new(
        Kind::SecurityContext,
        super::at(doc, cpath.to_string()),
        display.to_string(),
    )
    .str("scope", scope)
    .str("name", c.name.clone())
    .str("owner", who)
    .set("hostNamespaces", Vec::<String>::new())
    .bool("privileged", sc.privileged == Some(true))
    .set("capabilitiesAdded", added.clone())
    .bool("dropsAll", drops_all)
    .bool(
        "hostProcess",
        sc.windows_options.as_ref().and_then(|w| w.host_process) == Some(true),
    )
    .set("hostPorts", ports.iter().map(|(h, _)| h.to_string()))
    .set("probeHosts", hosts.iter().map(|(h, _)| h.clone()))
    .str("appArmor", apparmor.clone())
    .str("appArmorAnnotation", aa_value.clone().unwrap_or_default())
    .str("seLinuxType", se_type)
    .str("seLinuxUser", se_user.clone())
    .str("seLinuxRole", se_role.clone())
    .str("procMount", sc.proc_mount.clone().unwrap_or_default())
    .str("seccomp", seccomp.clone())
    .str("seccompAnnotation", sc_value.clone().unwrap_or_default())
    .set("forbiddenSysctls", Vec::<String>::new())
    .str("escalation", opt_bool(sc.allow_privilege_escalation))
    .str("runAsNonRoot", opt_bool(sc.run_as_non_root))
    .bool("runAsUserZero", sc.run_as_user == Some(0))
    .set("withoutRunAsNonRoot", Vec::<String>::new())
    .set("withoutSeccomp", Vec::<String>::new())
    .field("hostProcess", path::keys(&sp, "windowsOptions.hostProcess"))
    .field("privileged", path::key(&sp, "privileged"))
    .field("capabilitiesAdded", path::keys(&sp, "capabilities.add"))
    .field("dropsAll", path::keys(&sp, "capabilities.drop"))
    .field(
        "restrictedCapabilities",
        path::keys(
            &sp,
            if drops_all {
                "capabilities.add"
            } else {
                "capabilities.drop"
            },
        ),
    )
    .field(
        "hostPorts",
        ports.first().map_or_else(
            || path::key(cpath, "ports"),
            |(_, i)| path::key(&path::index(&path::key(cpath, "ports"), *i), "hostPort"),
        ),
    )
    .field(
        "probeHosts",
        hosts.first().map_or_else(|| cpath.to_string(), |(_, p)| p.clone()),
    )
    .field(
        "appArmor",
        match (&aa_path, apparmor.is_empty()) {
            (Some(p), true) => p.clone(),
            _ => path::keys(&sp, "appArmorProfile.type"),
        },
    )
    .field("seLinux", selinux_field(&sp, &se_user, &se_role))
    .field("procMount", path::key(&sp, "procMount"))
    .field(
        "seccomp",
        match (&sc_path, seccomp.is_empty()) {
            (Some(p), true) => p.clone(),
            _ => path::keys(&sp, "seccompProfile.type"),
        },
    )
    .field("escalation", path::key(&sp, "allowPrivilegeEscalation"))
    .field("runAsNonRoot", path::key(&sp, "runAsNonRoot"))
    .field("runAsUserZero", path::key(&sp, "runAsUser"))
}

fn pod(
    doc: &Document,
    t: &Template<'_>,
    spec: &PodSpec,
    display: &str,
    cover: &Coverage,
    version: i64,
    ann_path: &dyn Fn(&str) -> String,
) -> Resource {
    let psc = spec.security_context.clone().unwrap_or_default();
    let sp = path::key(&t.path, "securityContext");
    let host: Vec<(&str, bool)> = vec![
        ("hostNetwork", spec.host_network == Some(true)),
        ("hostPID", spec.host_pid == Some(true)),
        ("hostIPC", spec.host_ipc == Some(true)),
    ];
    let host_set: Vec<&str> = host.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    let sysctls: Vec<(usize, String)> = psc
        .sysctls
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, s)| !safe_sysctl(&s.name, version))
        .map(|(i, s)| (i, s.name.clone()))
        .collect();
    let apparmor = psc
        .app_armor_profile
        .as_ref()
        .map(|a| a.type_.clone())
        .unwrap_or_default();
    let selinux = psc.se_linux_options.as_ref();
    let (se_type, se_user, se_role) = (
        selinux.and_then(|s| s.type_.clone()).unwrap_or_default(),
        selinux.and_then(|s| s.user.clone()).unwrap_or_default(),
        selinux.and_then(|s| s.role.clone()).unwrap_or_default(),
    );
    let seccomp = psc
        .seccomp_profile
        .as_ref()
        .map(|p| p.type_.clone())
        .unwrap_or_default();
    let seccomp_annotation = t.annotations.get(SECCOMP_POD).cloned();
    // an AppArmor annotation for a container the pod does not have is still judged (PSA
    // reads every key with the prefix): it is the pod's
    let names: Vec<String> = spec
        .containers
        .iter()
        .map(|c| c.name.clone())
        .chain(spec.init_containers.iter().flatten().map(|c| c.name.clone()))
        .chain(spec.ephemeral_containers.iter().flatten().map(|c| c.name.clone()))
        .collect();
    let stray_apparmor = t.annotations.iter().find(|(k, _)| {
        k.strip_prefix(APPARMOR_PREFIX)
            .is_some_and(|n| !names.iter().any(|c| c == n))
    });
    Resource::new(
        Kind::SecurityContext,
        super::at(doc, t.path.clone()),
        display.to_string(),
    )
    .str("scope", "pod")
    .str("name", doc.name.clone())
    .str("owner", "the pod")
    .set("hostNamespaces", host_set.iter().map(|s| (*s).to_string()))
    .bool("privileged", false)
    .set("capabilitiesAdded", Vec::<String>::new())
    .bool("dropsAll", true)
    .bool(
        "hostProcess",
        psc.windows_options.as_ref().and_then(|w| w.host_process) == Some(true),
    )
    .set("hostPorts", Vec::<String>::new())
    .set("probeHosts", Vec::<String>::new())
    .str("appArmor", apparmor.clone())
    .str(
        "appArmorAnnotation",
        stray_apparmor.map(|(_, v)| v.clone()).unwrap_or_default(),
    )
    .str("seLinuxType", se_type)
    .str("seLinuxUser", se_user.clone())
    .str("seLinuxRole", se_role.clone())
    .str("procMount", "")
    .str("seccomp", seccomp.clone())
    .str("seccompAnnotation", seccomp_annotation.clone().unwrap_or_default())
    .set("forbiddenSysctls", sysctls.iter().map(|(_, n)| n.clone()))
    .str("escalation", "false")
    .str("runAsNonRoot", opt_bool(psc.run_as_non_root))
    .bool("runAsUserZero", psc.run_as_user == Some(0))
    .set("withoutRunAsNonRoot", cover.without_run_as_non_root.clone())
    .set("withoutSeccomp", cover.without_seccomp.clone())
    .field(
        "hostNamespaces",
        path::key(&t.path, host_set.first().copied().unwrap_or("hostNetwork")),
    )
    .field("hostProcess", path::keys(&sp, "windowsOptions.hostProcess"))
    .field(
        "appArmor",
        match (stray_apparmor, apparmor.is_empty()) {
            (Some((k, _)), true) => ann_path(k),
            _ => path::keys(&sp, "appArmorProfile.type"),
        },
    )
    .field("seLinux", selinux_field(&sp, &se_user, &se_role))
    .field(
        "seccomp",
        match (&seccomp_annotation, seccomp.is_empty()) {
            (Some(_), true) => ann_path(SECCOMP_POD),
            _ => path::keys(&sp, "seccompProfile.type"),
        },
    )
    .field(
        "forbiddenSysctls",
        sysctls.first().map_or_else(
            || path::key(&sp, "sysctls"),
            |(i, _)| path::key(&path::index(&path::key(&sp, "sysctls"), *i), "name"),
        ),
    )
    .field("runAsNonRoot", path::key(&sp, "runAsNonRoot"))
    .field("runAsUserZero", path::key(&sp, "runAsUser"))
    .field("withoutRunAsNonRoot", path::key(&sp, "runAsNonRoot"))
    .field("withoutSeccomp", path::keys(&sp, "seccompProfile.type"))
}
