//! Pod Security Standards: a conformance table that follows the PSS document
//! (kubernetes.io/docs/concepts/security/pod-security-standards, v1.37) control by control,
//! with every allowed and every forbidden value it lists; level selection (flag, Namespace
//! labels, audit/warn severities); the webhook's per-namespace levels.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::TimeZone;
use compliance::base::finding::{Finding, Severity};
use compliance::facts::pss::{Level, Settings, LATEST_MINOR};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap()
}

/// A Pod that passes the restricted profile: every row changes one thing in it.
fn compliant() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "apps"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{
                "name": "init", "image": "busybox",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
            }],
            "containers": [{
                "name": "app", "image": "nginx",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
            }],
            "volumes": [{"name": "tmp", "emptyDir": {}}]
        }
    })
}

/// Sets `value` at a `/`-separated path, creating objects on the way (arrays must exist).
fn set(doc: &mut Value, path: &str, value: Value) {
    let mut at = doc;
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if let Ok(n) = p.parse::<usize>() {
            at = &mut at.as_array_mut().unwrap()[n];
            if last {
                *at = value;
                return;
            }
            continue;
        }
        let obj = at.as_object_mut().unwrap();
        if last {
            obj.insert((*p).to_string(), value);
            return;
        }
        at = obj.entry((*p).to_string()).or_insert_with(|| json!({}));
    }
}

fn findings(doc: &Value, settings: &Settings) -> Vec<Finding> {
    static RULES: std::sync::LazyLock<compliance::engine::policy::RuleSet> =
        std::sync::LazyLock::new(|| compliance::engine::policy::load(&[]).unwrap());
    let rules = &*RULES;
    let text = serde_json::to_string(doc).unwrap();
    let loaded =
        compliance::input::loader::load_text(0, "pod.yaml", &text, &compliance::input::loader::Limits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let (f, errors) =
        compliance::check::evaluate_documents_with(rules, &loaded.docs, &["pod.yaml".to_string()], now(), settings)
            .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    f
}

fn at(level: Level, version: i64) -> Settings {
    Settings {
        default: level,
        version,
        ..Settings::default()
    }
}

/// The PSS rules a finding stands for: its own, or the twin a K8S finding names.
fn pss_rules(f: &[Finding]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for x in f {
        if x.rule.starts_with("PSS-") {
            out.insert(x.rule.clone());
        }
        if let Some(i) = x.message.find("(also PSS-") {
            out.insert(x.message[i + 6..i + 13].to_string());
        }
    }
    out
}

/// One row: a PSS control, the value written, the profile and version judged, and the
/// rule that must fire (`None`: the value is allowed, no PSS rule may fire).
struct Row {
    control: &'static str,
    what: String,
    level: Level,
    version: i64,
    edits: Vec<(&'static str, Value)>,
    fires: Option<&'static str>,
}

fn row(
    control: &'static str,
    what: impl Into<String>,
    edits: Vec<(&'static str, Value)>,
    fires: Option<&'static str>,
) -> Row {
    Row {
        control,
        what: what.into(),
        level: Level::Restricted,
        version: LATEST_MINOR,
        edits,
        fires,
    }
}

fn versioned(mut r: Row, level: Level, version: i64) -> Row {
    r.level = level;
    r.version = version;
    r
}

const C: &str = "/spec/containers/0/securityContext";
const I: &str = "/spec/initContainers/0/securityContext";
const P: &str = "/spec/securityContext";

fn table() -> Vec<Row> {
    let mut t = Vec::new();
    // --- baseline: HostProcess
    for (path, who) in [
        ("/spec/securityContext/windowsOptions/hostProcess", "pod"),
        (
            "/spec/containers/0/securityContext/windowsOptions/hostProcess",
            "container",
        ),
        (
            "/spec/initContainers/0/securityContext/windowsOptions/hostProcess",
            "init container",
        ),
    ] {
        t.push(row(
            "HostProcess",
            format!("{who} hostProcess: false"),
            vec![(path, json!(false))],
            None,
        ));
        t.push(row(
            "HostProcess",
            format!("{who} hostProcess: true"),
            vec![(path, json!(true))],
            Some("PSS-001"),
        ));
    }
    // --- Host Namespaces
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        let p: &'static str = Box::leak(format!("/spec/{field}").into_boxed_str());
        t.push(row(
            "Host Namespaces",
            format!("{field}: false"),
            vec![(p, json!(false))],
            None,
        ));
        t.push(row(
            "Host Namespaces",
            format!("{field}: true"),
            vec![(p, json!(true))],
            Some("PSS-002"),
        ));
    }
    // --- Privileged Containers (container, init container)
    for base in [C, I] {
        let p: &'static str = Box::leak(format!("{base}/privileged").into_boxed_str());
        t.push(row(
            "Privileged Containers",
            format!("{base} privileged: false"),
            vec![(p, json!(false))],
            None,
        ));
        t.push(row(
            "Privileged Containers",
            format!("{base} privileged: true"),
            vec![(p, json!(true))],
            Some("PSS-003"),
        ));
    }
    // --- Capabilities (baseline): every value of the default set is allowed, at baseline
    for cap in [
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ] {
        t.push(versioned(
            row(
                "Capabilities",
                format!("add {cap}"),
                vec![("/spec/containers/0/securityContext/capabilities/add", json!([cap]))],
                None,
            ),
            Level::Baseline,
            LATEST_MINOR,
        ));
    }
    for cap in ["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "BPF", "ALL"] {
        t.push(versioned(
            row(
                "Capabilities",
                format!("add {cap}"),
                vec![("/spec/initContainers/0/securityContext/capabilities/add", json!([cap]))],
                Some("PSS-004"),
            ),
            Level::Baseline,
            LATEST_MINOR,
        ));
    }
    // --- HostPath Volumes
    t.push(row(
        "HostPath Volumes",
        "hostPath volume",
        vec![(
            "/spec/volumes/0",
            json!({"name": "h", "hostPath": {"path": "/var/run"}}),
        )],
        Some("PSS-005"),
    ));
    // --- Host Ports
    t.push(row(
        "Host Ports",
        "hostPort: 0",
        vec![(
            "/spec/containers/0/ports",
            json!([{"containerPort": 80, "hostPort": 0}]),
        )],
        None,
    ));
    t.push(row(
        "Host Ports",
        "no hostPort",
        vec![("/spec/containers/0/ports", json!([{"containerPort": 80}]))],
        None,
    ));
    t.push(row(
        "Host Ports",
        "hostPort: 8080",
        vec![(
            "/spec/containers/0/ports",
            json!([{"containerPort": 80, "hostPort": 8080}]),
        )],
        Some("PSS-006"),
    ));
    t.push(row(
        "Host Ports",
        "init container hostPort: 9000",
        vec![(
            "/spec/initContainers/0/ports",
            json!([{"containerPort": 9000, "hostPort": 9000}]),
        )],
        Some("PSS-006"),
    ));
    // --- Host Probes / Lifecycle Hooks (v1.34+)
    for (field, handler) in [
        ("livenessProbe", json!({"httpGet": {"port": 80, "host": "10.0.0.1"}})),
        ("readinessProbe", json!({"httpGet": {"port": 80, "host": "10.0.0.1"}})),
        ("startupProbe", json!({"httpGet": {"port": 80, "host": "10.0.0.1"}})),
        ("livenessProbe", json!({"tcpSocket": {"port": 80, "host": "10.0.0.1"}})),
        ("readinessProbe", json!({"tcpSocket": {"port": 80, "host": "10.0.0.1"}})),
        ("startupProbe", json!({"tcpSocket": {"port": 80, "host": "10.0.0.1"}})),
    ] {
        let p: &'static str = Box::leak(format!("/spec/containers/0/{field}").into_boxed_str());
        t.push(row(
            "Host Probes / Lifecycle Hooks",
            format!("{field} {handler}"),
            vec![(p, handler.clone())],
            Some("PSS-007"),
        ));
        t.push(versioned(
            row(
                "Host Probes / Lifecycle Hooks",
                format!("{field} {handler} at v1.33"),
                vec![(p, handler.clone())],
                None,
            ),
            Level::Restricted,
            33,
        ));
        let mut empty = handler.clone();
        for v in empty.as_object_mut().unwrap().values_mut() {
            v["host"] = json!("");
        }
        t.push(row(
            "Host Probes / Lifecycle Hooks",
            format!("{field} host \"\""),
            vec![(p, empty)],
            None,
        ));
    }
    for (hook, handler) in [
        ("postStart", json!({"httpGet": {"port": 80, "host": "metadata"}})),
        ("preStop", json!({"httpGet": {"port": 80, "host": "metadata"}})),
        ("postStart", json!({"tcpSocket": {"port": 80, "host": "metadata"}})),
        ("preStop", json!({"tcpSocket": {"port": 80, "host": "metadata"}})),
    ] {
        let p: &'static str = Box::leak(format!("/spec/containers/0/lifecycle/{hook}").into_boxed_str());
        t.push(row(
            "Host Probes / Lifecycle Hooks",
            format!("lifecycle.{hook} {handler}"),
            vec![(p, handler)],
            Some("PSS-007"),
        ));
    }
    // --- AppArmor
    for base in [P, C] {
        let p: &'static str = Box::leak(format!("{base}/appArmorProfile").into_boxed_str());
        t.push(row(
            "AppArmor",
            format!("{base} RuntimeDefault"),
            vec![(p, json!({"type": "RuntimeDefault"}))],
            None,
        ));
        t.push(row(
            "AppArmor",
            format!("{base} Localhost"),
            vec![(p, json!({"type": "Localhost", "localhostProfile": "k8s-nginx"}))],
            None,
        ));
        t.push(row(
            "AppArmor",
            format!("{base} Unconfined"),
            vec![(p, json!({"type": "Unconfined"}))],
            Some("PSS-008"),
        ));
    }
    let ann = "/metadata/annotations";
    for (value, fires) in [
        ("runtime/default", None),
        ("localhost/k8s-nginx", None),
        ("", None),
        ("unconfined", Some("PSS-008")),
    ] {
        t.push(row(
            "AppArmor",
            format!("annotation `{value}`"),
            vec![(
                ann,
                json!({"container.apparmor.security.beta.kubernetes.io/app": value}),
            )],
            fires,
        ));
    }
    // --- SELinux
    for base in [P, C, I] {
        let p: &'static str = Box::leak(format!("{base}/seLinuxOptions").into_boxed_str());
        for ty in [
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ] {
            t.push(row(
                "SELinux",
                format!("{base} type `{ty}`"),
                vec![(p, json!({"type": ty, "level": "s0:c123,c456"}))],
                None,
            ));
        }
        t.push(versioned(
            row(
                "SELinux",
                format!("{base} container_engine_t at v1.30"),
                vec![(p, json!({"type": "container_engine_t"}))],
                Some("PSS-009"),
            ),
            Level::Baseline,
            30,
        ));
        t.push(row(
            "SELinux",
            format!("{base} type spc_t"),
            vec![(p, json!({"type": "spc_t"}))],
            Some("PSS-009"),
        ));
        t.push(row(
            "SELinux",
            format!("{base} user"),
            vec![(p, json!({"user": "system_u"}))],
            Some("PSS-009"),
        ));
        t.push(row(
            "SELinux",
            format!("{base} role"),
            vec![(p, json!({"role": "system_r"}))],
            Some("PSS-009"),
        ));
    }
    // --- /proc Mount Type
    t.push(row(
        "/proc Mount Type",
        "Default",
        vec![("/spec/containers/0/securityContext/procMount", json!("Default"))],
        None,
    ));
    t.push(row(
        "/proc Mount Type",
        "Unmasked",
        vec![("/spec/containers/0/securityContext/procMount", json!("Unmasked"))],
        Some("PSS-010"),
    ));
    t.push(versioned(
        row(
            "/proc Mount Type",
            "Unmasked, hostUsers: false, baseline",
            vec![
                ("/spec/containers/0/securityContext/procMount", json!("Unmasked")),
                ("/spec/hostUsers", json!(false)),
            ],
            None,
        ),
        Level::Baseline,
        LATEST_MINOR,
    ));
    t.push(versioned(
        row(
            "/proc Mount Type",
            "Unmasked, hostUsers: false, baseline v1.34",
            vec![
                ("/spec/containers/0/securityContext/procMount", json!("Unmasked")),
                ("/spec/hostUsers", json!(false)),
            ],
            Some("PSS-010"),
        ),
        Level::Baseline,
        34,
    ));
    t.push(row(
        "/proc Mount Type",
        "Unmasked, hostUsers: false, restricted",
        vec![
            ("/spec/initContainers/0/securityContext/procMount", json!("Unmasked")),
            ("/spec/hostUsers", json!(false)),
        ],
        Some("PSS-014"),
    ));
    // --- Seccomp (baseline): Unconfined anywhere
    for base in [P, C, I] {
        let p: &'static str = Box::leak(format!("{base}/seccompProfile").into_boxed_str());
        t.push(row(
            "Seccomp",
            format!("{base} Localhost"),
            vec![(p, json!({"type": "Localhost", "localhostProfile": "p.json"}))],
            None,
        ));
        t.push(row(
            "Seccomp",
            format!("{base} Unconfined"),
            vec![(p, json!({"type": "Unconfined"}))],
            Some("PSS-011"),
        ));
    }
    // --- Sysctls
    for (since, name) in [
        (0, "kernel.shm_rmid_forced"),
        (0, "net.ipv4.ip_local_port_range"),
        (0, "net.ipv4.ip_unprivileged_port_start"),
        (0, "net.ipv4.tcp_syncookies"),
        (0, "net.ipv4.ping_group_range"),
        (27, "net.ipv4.ip_local_reserved_ports"),
        (29, "net.ipv4.tcp_keepalive_time"),
        (29, "net.ipv4.tcp_fin_timeout"),
        (29, "net.ipv4.tcp_keepalive_intvl"),
        (29, "net.ipv4.tcp_keepalive_probes"),
        (32, "net.ipv4.tcp_rmem"),
        (32, "net.ipv4.tcp_wmem"),
        (37, "net.ipv4.tcp_slow_start_after_idle"),
        (37, "net.ipv4.tcp_notsent_lowat"),
    ] {
        let edit = vec![("/spec/securityContext/sysctls", json!([{"name": name, "value": "1"}]))];
        t.push(row("Sysctls", name, edit.clone(), None));
        if since > 0 {
            t.push(versioned(
                row("Sysctls", format!("{name} before v1.{since}"), edit, Some("PSS-012")),
                Level::Baseline,
                since - 1,
            ));
        }
    }
    t.push(row(
        "Sysctls",
        "kernel.msgmax",
        vec![(
            "/spec/securityContext/sysctls",
            json!([{"name": "kernel.msgmax", "value": "1"}]),
        )],
        Some("PSS-012"),
    ));
    // --- restricted: Volume Types
    for (ty, source) in [
        ("configMap", json!({"name": "c"})),
        ("csi", json!({"driver": "d"})),
        ("downwardAPI", json!({"items": []})),
        ("emptyDir", json!({})),
        (
            "ephemeral",
            json!({"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}),
        ),
        ("image", json!({"reference": "registry.example/data:1"})),
        ("persistentVolumeClaim", json!({"claimName": "c"})),
        ("projected", json!({"sources": []})),
        ("secret", json!({"secretName": "s"})),
    ] {
        t.push(row(
            "Volume Types",
            format!("{ty} volume"),
            vec![("/spec/volumes/0", json!({"name": "v", ty: source}))],
            None,
        ));
    }
    for (ty, source) in [
        ("gcePersistentDisk", json!({"pdName": "d"})),
        ("awsElasticBlockStore", json!({"volumeID": "v"})),
        ("gitRepo", json!({"repository": "https://example.com/r.git"})),
        ("nfs", json!({"server": "s", "path": "/"})),
        ("iscsi", json!({"targetPortal": "t", "iqn": "i", "lun": 0})),
        ("glusterfs", json!({"endpoints": "e", "path": "p"})),
        ("rbd", json!({"monitors": ["m"], "image": "i"})),
        ("flexVolume", json!({"driver": "d"})),
        ("cinder", json!({"volumeID": "v"})),
        ("cephfs", json!({"monitors": ["m"]})),
        ("flocker", json!({"datasetName": "d"})),
        ("fc", json!({"wwids": ["w"]})),
        ("azureFile", json!({"secretName": "s", "shareName": "s"})),
        ("vsphereVolume", json!({"volumePath": "p"})),
        ("quobyte", json!({"registry": "r", "volume": "v"})),
        ("azureDisk", json!({"diskName": "d", "diskURI": "u"})),
        ("portworxVolume", json!({"volumeID": "v"})),
        ("photonPersistentDisk", json!({"pdID": "p"})),
        (
            "scaleIO",
            json!({"gateway": "g", "system": "s", "secretRef": {"name": "s"}}),
        ),
        ("storageos", json!({"volumeName": "v"})),
    ] {
        t.push(row(
            "Volume Types",
            format!("{ty} volume"),
            vec![("/spec/volumes/0", json!({"name": "v", ty: source}))],
            Some("PSS-013"),
        ));
    }
    // --- Privilege Escalation
    t.push(row(
        "Privilege Escalation",
        "allowPrivilegeEscalation: true",
        vec![(
            "/spec/containers/0/securityContext/allowPrivilegeEscalation",
            json!(true),
        )],
        Some("PSS-015"),
    ));
    t.push(row(
        "Privilege Escalation",
        "init container: undefined",
        vec![(
            "/spec/initContainers/0/securityContext",
            json!({"capabilities": {"drop": ["ALL"]}}),
        )],
        Some("PSS-015"),
    ));
    t.push(row(
        "Privilege Escalation",
        "undefined in a Windows pod",
        vec![
            ("/spec/os", json!({"name": "windows"})),
            ("/spec/containers/0/securityContext", json!({})),
        ],
        None,
    ));
    // --- Running as Non-root
    t.push(row(
        "Running as Non-root",
        "pod true, containers undefined",
        vec![],
        None,
    ));
    t.push(row(
        "Running as Non-root",
        "pod undefined, every container true",
        vec![
            ("/spec/securityContext/runAsNonRoot", Value::Null),
            ("/spec/containers/0/securityContext/runAsNonRoot", json!(true)),
            ("/spec/initContainers/0/securityContext/runAsNonRoot", json!(true)),
        ],
        None,
    ));
    t.push(row(
        "Running as Non-root",
        "pod undefined, containers undefined",
        vec![("/spec/securityContext/runAsNonRoot", Value::Null)],
        Some("PSS-016"),
    ));
    t.push(row(
        "Running as Non-root",
        "pod false",
        vec![("/spec/securityContext/runAsNonRoot", json!(false))],
        Some("PSS-016"),
    ));
    t.push(row(
        "Running as Non-root",
        "container false",
        vec![("/spec/containers/0/securityContext/runAsNonRoot", json!(false))],
        Some("PSS-016"),
    ));
    t.push(row(
        "Running as Non-root",
        "init container false",
        vec![("/spec/initContainers/0/securityContext/runAsNonRoot", json!(false))],
        Some("PSS-016"),
    ));
    t.push(row(
        "Running as Non-root",
        "undefined with hostUsers: false",
        vec![
            ("/spec/securityContext/runAsNonRoot", Value::Null),
            ("/spec/hostUsers", json!(false)),
        ],
        None,
    ));
    // --- Running as Non-root user (v1.23+)
    for base in [P, C, I] {
        let p: &'static str = Box::leak(format!("{base}/runAsUser").into_boxed_str());
        t.push(row(
            "Running as Non-root user",
            format!("{base} runAsUser: 1000"),
            vec![(p, json!(1000))],
            None,
        ));
        t.push(row(
            "Running as Non-root user",
            format!("{base} runAsUser: 0"),
            vec![(p, json!(0))],
            Some("PSS-017"),
        ));
        t.push(versioned(
            row(
                "Running as Non-root user",
                format!("{base} runAsUser: 0 at v1.22"),
                vec![(p, json!(0))],
                None,
            ),
            Level::Restricted,
            22,
        ));
        t.push(row(
            "Running as Non-root user",
            format!("{base} runAsUser: 0 with hostUsers: false"),
            vec![(p, json!(0)), ("/spec/hostUsers", json!(false))],
            None,
        ));
    }
    // --- Seccomp (restricted, v1.19+)
    t.push(row(
        "Seccomp (restricted)",
        "pod Localhost",
        vec![(
            "/spec/securityContext/seccompProfile",
            json!({"type": "Localhost", "localhostProfile": "p.json"}),
        )],
        None,
    ));
    t.push(row(
        "Seccomp (restricted)",
        "pod undefined, every container RuntimeDefault",
        vec![
            ("/spec/securityContext/seccompProfile", Value::Null),
            (
                "/spec/containers/0/securityContext/seccompProfile",
                json!({"type": "RuntimeDefault"}),
            ),
            (
                "/spec/initContainers/0/securityContext/seccompProfile",
                json!({"type": "RuntimeDefault"}),
            ),
        ],
        None,
    ));
    t.push(row(
        "Seccomp (restricted)",
        "pod undefined, init container undefined",
        vec![
            ("/spec/securityContext/seccompProfile", Value::Null),
            (
                "/spec/containers/0/securityContext/seccompProfile",
                json!({"type": "RuntimeDefault"}),
            ),
        ],
        Some("PSS-018"),
    ));
    t.push(row(
        "Seccomp (restricted)",
        "undefined everywhere",
        vec![("/spec/securityContext/seccompProfile", Value::Null)],
        Some("PSS-018"),
    ));
    t.push(versioned(
        row(
            "Seccomp (restricted)",
            "undefined everywhere at v1.18",
            vec![("/spec/securityContext/seccompProfile", Value::Null)],
            None,
        ),
        Level::Restricted,
        18,
    ));
    t.push(row(
        "Seccomp (restricted)",
        "undefined in a Windows pod",
        vec![
            ("/spec/securityContext/seccompProfile", Value::Null),
            ("/spec/os", json!({"name": "windows"})),
        ],
        None,
    ));
    // --- Capabilities (restricted, v1.22+)
    t.push(row(
        "Capabilities (restricted)",
        "drop ALL, add NET_BIND_SERVICE",
        vec![(
            "/spec/containers/0/securityContext/capabilities",
            json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
        )],
        None,
    ));
    t.push(row(
        "Capabilities (restricted)",
        "drop undefined",
        vec![("/spec/containers/0/securityContext/capabilities", json!({}))],
        Some("PSS-019"),
    ));
    t.push(row(
        "Capabilities (restricted)",
        "drop NET_RAW only",
        vec![(
            "/spec/initContainers/0/securityContext/capabilities",
            json!({"drop": ["NET_RAW"]}),
        )],
        Some("PSS-019"),
    ));
    t.push(row(
        "Capabilities (restricted)",
        "drop ALL, add CHOWN",
        vec![(
            "/spec/containers/0/securityContext/capabilities",
            json!({"drop": ["ALL"], "add": ["CHOWN"]}),
        )],
        Some("PSS-019"),
    ));
    t.push(versioned(
        row(
            "Capabilities (restricted)",
            "drop undefined at v1.21",
            vec![("/spec/containers/0/securityContext/capabilities", json!({}))],
            None,
        ),
        Level::Restricted,
        21,
    ));
    t.push(row(
        "Capabilities (restricted)",
        "drop undefined in a Windows pod",
        vec![
            ("/spec/containers/0/securityContext/capabilities", json!({})),
            ("/spec/os", json!({"name": "windows"})),
        ],
        None,
    ));
    t
}

#[test]
fn conformance_with_the_pod_security_standards_document() {
    let table = table();
    let mut failures = Vec::new();
    for r in &table {
        let mut doc = compliant();
        for (path, value) in &r.edits {
            set(&mut doc, path, value.clone());
        }
        let got = pss_rules(&findings(&doc, &at(r.level, r.version)));
        let want: BTreeSet<String> = r.fires.iter().map(|s| s.to_string()).collect();
        if got != want {
            failures.push(format!(
                "{} / {} ({} v1.{}): expected {want:?}, got {got:?}",
                r.control, r.what, r.level, r.version
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows of {} differ:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    let controls: BTreeSet<&str> = table.iter().map(|r| r.control).collect();
    let forbidden = table.iter().filter(|r| r.fires.is_some()).count();
    // the closing note of the report quotes these numbers
    println!(
        "conformance: {} controls, {} rows ({} allowed, {forbidden} forbidden)",
        controls.len(),
        table.len(),
        table.len() - forbidden
    );
    // 12 baseline and 6 restricted controls; /proc Mount Type is in both profiles (PSS-010,
    // PSS-014), so 19 rules
    assert_eq!(controls.len(), 18, "{controls:?}");
    let rules: BTreeSet<&str> = table.iter().filter_map(|r| r.fires).collect();
    assert_eq!(rules.len(), 19, "every PSS rule fires in some row: {rules:?}");
}

#[test]
fn the_compliant_pod_passes_every_level_and_privileged_runs_no_pss_rule() {
    for level in [Level::Baseline, Level::Restricted] {
        assert!(pss_rules(&findings(&compliant(), &at(level, LATEST_MINOR))).is_empty());
    }
    let mut bad = compliant();
    set(&mut bad, "/spec/hostNetwork", json!(true));
    set(
        &mut bad,
        "/spec/volumes/0",
        json!({"name": "h", "hostPath": {"path": "/"}}),
    );
    assert!(pss_rules(&findings(&bad, &at(Level::Privileged, LATEST_MINOR))).is_empty());
    assert_eq!(
        pss_rules(&findings(&bad, &at(Level::Baseline, LATEST_MINOR))),
        ["PSS-002", "PSS-005"].iter().map(|s| s.to_string()).collect()
    );
}

/// A Namespace manifest's labels decide over the flag; audit and warn labels add the
/// rules of their level one severity lower.
#[test]
fn namespace_labels_choose_the_level_and_audit_warn_lower_the_severity() {
    let ns = |name: &str, labels: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});
    let mut pod = compliant();
    set(&mut pod, "/spec/securityContext/runAsNonRoot", Value::Null); // restricted: PSS-016
    set(&mut pod, "/spec/hostIPC", json!(true)); // baseline: PSS-002
    let in_ns = |n: &str| {
        let mut p = pod.clone();
        set(&mut p, "/metadata/namespace", json!(n));
        set(&mut p, "/metadata/name", json!(format!("p-{n}")));
        p
    };
    let docs = json!({"apiVersion": "v1", "kind": "List", "items": [
        ns("strict", json!({"pod-security.kubernetes.io/enforce": "restricted"})),
        ns("open", json!({"pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "restricted"})),
        ns("audited", json!({"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/audit": "restricted"})),
        in_ns("strict"), in_ns("open"), in_ns("audited"), in_ns("unlabelled"),
    ]});
    // the flag says privileged: labelled namespaces are judged at their labels' level anyway
    let f = findings(&docs, &at(Level::Privileged, LATEST_MINOR));
    let of = |n: &str| -> Vec<(String, Severity)> {
        let mut v: Vec<(String, Severity)> = f
            .iter()
            .filter(|x| x.resource == format!("Pod {n}/p-{n}") && x.rule.starts_with("PSS-"))
            .map(|x| (x.rule.clone(), x.severity))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        of("strict"),
        vec![("PSS-002".into(), Severity::High), ("PSS-016".into(), Severity::Medium)]
    );
    // privileged enforced, restricted warned: every rule one severity lower
    assert_eq!(
        of("open"),
        vec![("PSS-002".into(), Severity::Medium), ("PSS-016".into(), Severity::Low)]
    );
    // baseline enforced at full severity, restricted audited one lower
    assert_eq!(
        of("audited"),
        vec![("PSS-002".into(), Severity::High), ("PSS-016".into(), Severity::Low)]
    );
    assert_eq!(of("unlabelled"), vec![]);
    let strict = f
        .iter()
        .find(|x| x.rule == "PSS-016" && x.resource.contains("strict"))
        .unwrap();
    assert!(
        strict
            .message
            .contains("Namespace `strict` labels `pod-security.kubernetes.io/enforce: restricted`"),
        "{}",
        strict.message
    );
    // a missing field is reported where it must be added
    assert_eq!(strict.path, "items[3].spec.securityContext.runAsNonRoot");
}

#[test]
fn enforce_version_pins_the_checks_of_that_version() {
    let mut pod = compliant();
    set(&mut pod, "/spec/containers/0/securityContext/runAsUser", json!(0));
    let docs = |version: &str| {
        json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": version}}},
            pod.clone()]})
    };
    let base = at(Level::Baseline, LATEST_MINOR);
    assert!(
        pss_rules(&findings(&docs("v1.22"), &base)).is_empty(),
        "runAsUser is checked since v1.23"
    );
    assert!(pss_rules(&findings(&docs("v1.23"), &base)).contains("PSS-017"));
    assert!(pss_rules(&findings(&docs("latest"), &base)).contains("PSS-017"));
    // PSA reads a version that does not parse as latest
    assert!(pss_rules(&findings(&docs("1.22"), &base)).contains("PSS-017"));
}

/// Every workload kind with a pod template, and an unknown kind with one, is judged.
#[test]
fn every_pod_template_is_judged() {
    let spec = json!({"hostPID": true, "containers": [{"name": "c", "image": "i"}]});
    let template = json!({"metadata": {"labels": {"a": "b"}}, "spec": spec});
    let sel = json!({"matchLabels": {"a": "b"}});
    let kinds = vec![
        (
            "Pod",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": spec}),
            "spec.hostPID",
        ),
        (
            "Deployment",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"selector": sel, "template": template}}),
            "spec.template.spec.hostPID",
        ),
        (
            "StatefulSet",
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "x"}, "spec": {"selector": sel, "serviceName": "x", "template": template}}),
            "spec.template.spec.hostPID",
        ),
        (
            "DaemonSet",
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"}, "spec": {"selector": sel, "template": template}}),
            "spec.template.spec.hostPID",
        ),
        (
            "ReplicaSet",
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "x"}, "spec": {"selector": sel, "template": template}}),
            "spec.template.spec.hostPID",
        ),
        (
            "ReplicationController",
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "x"}, "spec": {"template": template}}),
            "spec.template.spec.hostPID",
        ),
        (
            "Job",
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"}, "spec": {"template": template}}),
            "spec.template.spec.hostPID",
        ),
        (
            "CronJob",
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "x"}, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}),
            "spec.jobTemplate.spec.template.spec.hostPID",
        ),
        (
            "DeploymentConfig",
            json!({"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig", "metadata": {"name": "x"}, "spec": {"template": template}}),
            "spec.template.spec.hostPID",
        ),
    ];
    for (kind, doc, path) in kinds {
        let f = findings(&doc, &at(Level::Baseline, LATEST_MINOR));
        let hit = f.iter().find(|x| x.rule == "PSS-002");
        assert_eq!(hit.map(|x| x.path.as_str()), Some(path), "{kind}: {f:?}");
    }
}

/// The webhook has no namespace labels: its configuration gives the levels.
#[test]
fn the_webhook_decides_by_the_namespace_level_it_is_configured_with() {
    use compliance::webhook::{decide_body, Config, Outcome};
    let rules = compliance::engine::policy::load(&[])
        .unwrap()
        .restricted_to(compliance::engine::policy::Scope::Object);
    // passes K8S-001..004 and baseline; restricted wants capabilities dropped and seccomp
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"securityContext": {"runAsNonRoot": true}, "automountServiceAccountToken": false,
                 "containers": [{"name": "app", "image": "nginx", "securityContext": {
                     "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true}}]}
    });
    let review = |ns: &str| {
        serde_json::to_vec(&json!({
            "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
            "request": {
                "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "name": "web", "namespace": ns, "operation": "CREATE",
                "userInfo": {"username": "admin"}, "object": pod, "dryRun": false
            }
        }))
        .unwrap()
    };
    let mut settings = Settings::default();
    settings
        .namespaces
        .insert("payments".into(), (Level::Restricted, LATEST_MINOR));
    let cfg = Config {
        pod_security: settings,
        ..Config::default()
    };
    let denied = decide_body(&rules, &cfg, &review("payments"), now()).unwrap();
    assert_eq!(denied.outcome, Outcome::Denied, "{:?}", denied.violations);
    let ids: BTreeSet<&str> = denied.violations.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(ids, ["PSS-018", "PSS-019"].into_iter().collect());
    let allowed = decide_body(&rules, &cfg, &review("web"), now()).unwrap();
    assert_eq!(allowed.outcome, Outcome::Allowed, "{:?}", allowed.violations);
}

/// PSA's own fixtures (tests/fixtures/pss-admission, see its SOURCES.md): every Pod PSA
/// rejects at a level and version draws a PSS finding there, every Pod it admits none.
#[test]
fn psa_fixtures_are_decided_as_psa_decides_them() {
    let root = std::path::Path::new("tests/fixtures/pss-admission");
    let (mut checked, mut failures) = (0, Vec::new());
    for level in [Level::Baseline, Level::Restricted] {
        for version_dir in std::fs::read_dir(root.join(level.as_str())).unwrap() {
            let version_dir = version_dir.unwrap().path();
            let name = version_dir.file_name().unwrap().to_string_lossy().to_string();
            let version: i64 = name.trim_start_matches("v1.").parse().unwrap();
            for outcome in ["pass", "fail"] {
                let Ok(files) = std::fs::read_dir(version_dir.join(outcome)) else {
                    continue;
                };
                for file in files {
                    let path = file.unwrap().path();
                    let text = std::fs::read_to_string(&path).unwrap();
                    let doc: Value = serde_yaml::from_str(&text).unwrap();
                    let got = pss_rules(&findings(&doc, &at(level, version)));
                    checked += 1;
                    if got.is_empty() != (outcome == "pass") {
                        failures.push(format!("{}: {got:?}", path.display()));
                    }
                }
            }
        }
    }
    println!("PSA fixtures: {checked} pods, {} decided otherwise", failures.len());
    assert!(checked > 2000, "{checked}");
    assert!(
        failures.is_empty(),
        "{} of {checked}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `--pod-security` and `podSecurity` reach the check; the flag overrides the
/// configuration's default; a level that is not one is an error at its line.
#[test]
fn the_flag_and_the_configuration_choose_the_level() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let mut pod = compliant();
    set(&mut pod, "/spec/containers/0/securityContext/capabilities", json!({})); // restricted only
    std::fs::write(dir.path().join("pod.yaml"), serde_yaml::to_string(&pod).unwrap()).unwrap();
    let rules_of = |args: &[&str]| -> (BTreeSet<String>, Value) {
        let out = Command::cargo_bin("compliance")
            .unwrap()
            .arg("check")
            .arg(dir.path())
            .args(["--format", "json", "--now", "2026-11-24T00:00:00Z"])
            .args(args)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| json!({"stderr": String::from_utf8_lossy(&out.stderr)}));
        let ids = v["findings"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|x| x["rule"].as_str())
                    .filter(|r| r.starts_with("PSS-"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        (ids, v)
    };
    assert!(rules_of(&[]).0.is_empty(), "baseline by default");
    let (ids, report) = rules_of(&["--pod-security", "restricted"]);
    assert_eq!(ids, ["PSS-019".to_string()].into_iter().collect());
    assert_eq!(report["podSecurity"][0]["level"], "restricted");
    assert_eq!(
        report["podSecurity"][0]["reason"],
        "restricted latest: `--pod-security` level"
    );
    std::fs::write(
        dir.path().join(".compliance.yaml"),
        "podSecurity:\n  default: restricted\n  namespaces:\n    other: privileged\n",
    )
    .unwrap();
    let (ids, report) = rules_of(&[]);
    assert_eq!(ids, ["PSS-019".to_string()].into_iter().collect(), "{report}");
    assert_eq!(
        report["podSecurity"][0]["reason"],
        "restricted latest: configuration `podSecurity` level"
    );
    assert!(
        rules_of(&["--pod-security", "privileged"]).0.is_empty(),
        "the flag overrides the file"
    );
    std::fs::write(
        dir.path().join(".compliance.yaml"),
        "failOn: high\npodSecurity: strict\n",
    )
    .unwrap();
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".compliance.yaml:2:") && err.contains("podSecurity"),
        "{err}"
    );
}
