//! The entity model in Rust: one [`Resource`] per checkable thing, with the facts the
//! policies judge and the exact place it was written. [`crate::engine::cedar`] turns these into
//! Cedar entities; nothing here knows Cedar.

use std::fmt;

/// The entity types of `schemas/compliance.cedarschema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Object,
    Workload,
    Container,
    EnvVar,
    Value,
    Ingress,
    IngressHost,
    Role,
    RbacRule,
    Inventory,
    ApiKey,
    Subnet,
    RetentionPolicy,
    RetentionRule,
    SecurityProfile,
    SourceFile,
    SourceMatch,
    GatewayConfig,
    GatewayModel,
    GatewaySecret,
    KeyDrift,
    SecurityContext,
    Volume,
}

impl Kind {
    pub const ALL: [Kind; 24] = [
        Kind::Namespace,
        Kind::Object,
        Kind::Workload,
        Kind::Container,
        Kind::EnvVar,
        Kind::Value,
        Kind::Ingress,
        Kind::IngressHost,
        Kind::Role,
        Kind::RbacRule,
        Kind::Inventory,
        Kind::ApiKey,
        Kind::Subnet,
        Kind::RetentionPolicy,
        Kind::RetentionRule,
        Kind::SecurityProfile,
        Kind::SourceFile,
        Kind::SourceMatch,
        Kind::GatewayConfig,
        Kind::GatewayModel,
        Kind::GatewaySecret,
        Kind::KeyDrift,
        Kind::SecurityContext,
        Kind::Volume,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Object => "Object",
            Kind::Workload => "Workload",
            Kind::Container => "Container",
            Kind::EnvVar => "EnvVar",
            Kind::Value => "Value",
            Kind::Ingress => "Ingress",
            Kind::IngressHost => "IngressHost",
            Kind::Role => "Role",
            Kind::RbacRule => "RbacRule",
            Kind::Inventory => "Inventory",
            Kind::ApiKey => "ApiKey",
            Kind::Subnet => "Subnet",
            Kind::RetentionPolicy => "RetentionPolicy",
            Kind::RetentionRule => "RetentionRule",
            Kind::SecurityProfile => "SecurityProfile",
            Kind::SourceFile => "SourceFile",
            Kind::SourceMatch => "SourceMatch",
            Kind::GatewayConfig => "GatewayConfig",
            Kind::GatewayModel => "GatewayModel",
            Kind::GatewaySecret => "GatewaySecret",
            Kind::KeyDrift => "KeyDrift",
            Kind::SecurityContext => "SecurityContext",
            Kind::Volume => "Volume",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An attribute value. Dates are Cedar `datetime` strings, addresses Cedar `ipaddr` strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    Str(String),
    Long(i64),
    Bool(bool),
    Set(Vec<String>),
    DateTime(String),
    Ip(String),
}

impl Attr {
    /// How the value reads in a finding message.
    pub fn render(&self) -> String {
        match self {
            Attr::Str(s) | Attr::DateTime(s) | Attr::Ip(s) => s.clone(),
            Attr::Long(n) => n.to_string(),
            Attr::Bool(b) => b.to_string(),
            Attr::Set(v) => v.join(", "),
        }
    }
}

/// Where a thing is written: file index, YAML document ordinal, field path. Things found
/// by the source scanner know their position already (`pos`); the others are placed by
/// the position-keeping pass from their path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: usize,
    pub doc: usize,
    pub path: String,
    pub pos: Option<crate::base::source::Pos>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: Kind,
    /// Unique in a run; derived from the location, so stable across runs.
    pub id: String,
    pub parents: Vec<(Kind, String)>,
    pub attrs: Vec<(&'static str, Attr)>,
    /// Kubernetes labels, as Cedar entity tags.
    pub tags: Vec<(String, String)>,
    pub loc: Location,
    /// Fact name -> the field that decides it, for rules annotated `@field("fact")`.
    pub fields: Vec<(&'static str, String)>,
    /// The object a reader looks for: `Deployment chat/chat-frontend`.
    pub display: String,
    /// Extra identity for fingerprints where the location says too little (see
    /// [`crate::base::finding::Finding::identity`]).
    pub identity: String,
    /// Facts decided by a field of another document (a workload's egress by the
    /// NetworkPolicy rule that allows everything): a rule's `@field` naming one points there.
    pub elsewhere: Vec<(&'static str, Location)>,
}

impl Resource {
    pub fn new(kind: Kind, loc: Location, display: String) -> Self {
        let id = format!("{}#{}:{}", loc.file, loc.doc, loc.path);
        Resource {
            kind,
            id,
            parents: Vec::new(),
            attrs: Vec::new(),
            tags: Vec::new(),
            loc,
            fields: Vec::new(),
            display,
            identity: String::new(),
            elsewhere: Vec::new(),
        }
    }

    pub fn with_id(mut self, id: String) -> Self {
        self.id = id;
        self
    }

    pub fn parent(mut self, kind: Kind, id: &str) -> Self {
        self.parents.push((kind, id.to_string()));
        self
    }

    pub fn str(mut self, name: &'static str, v: impl Into<String>) -> Self {
        self.attrs.push((name, Attr::Str(v.into())));
        self
    }

    pub fn long(mut self, name: &'static str, v: i64) -> Self {
        self.attrs.push((name, Attr::Long(v)));
        self
    }

    pub fn bool(mut self, name: &'static str, v: bool) -> Self {
        self.attrs.push((name, Attr::Bool(v)));
        self
    }

    pub fn set<I, S>(mut self, name: &'static str, v: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut items: Vec<String> = v.into_iter().map(Into::into).collect();
        items.sort();
        items.dedup();
        self.attrs.push((name, Attr::Set(items)));
        self
    }

    pub fn datetime(mut self, name: &'static str, v: impl Into<String>) -> Self {
        self.attrs.push((name, Attr::DateTime(v.into())));
        self
    }

    pub fn ip(mut self, name: &'static str, v: impl Into<String>) -> Self {
        self.attrs.push((name, Attr::Ip(v.into())));
        self
    }

    pub fn field(mut self, fact: &'static str, path: String) -> Self {
        self.fields.push((fact, path));
        self
    }

    /// Like [`Resource::field`], for a field in another document.
    pub fn field_elsewhere(mut self, fact: &'static str, loc: Location) -> Self {
        self.elsewhere.push((fact, loc));
        self
    }

    /// Where a rule annotated `@field(fact)` points: (file, document, path).
    pub fn place(&self, fact: Option<&str>) -> (usize, usize, String) {
        match fact.and_then(|f| self.elsewhere.iter().find(|(n, _)| *n == f)) {
            Some((_, l)) => (l.file, l.doc, l.path.clone()),
            None => (self.loc.file, self.loc.doc, self.field_path(fact).to_string()),
        }
    }

    pub fn tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.tags = tags;
        self
    }

    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The field a rule points at: the one named by its `@field`, else the entity itself.
    pub fn field_path(&self, fact: Option<&str>) -> &str {
        fact.and_then(|f| self.fields.iter().find(|(n, _)| *n == f))
            .map_or(self.loc.path.as_str(), |(_, p)| p.as_str())
    }
}
