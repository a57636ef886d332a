//! What kind of file is this: language, client-side or server-side, a secret file.

/// Languages by extension; `None` for prose and data the code detectors skip.
pub fn language(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        return "dotenv";
    }
    if lower == "dockerfile" || lower.ends_with(".dockerfile") {
        return "dockerfile";
    }
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "mts" | "cts" | "tsx" => "typescript",
        "vue" => "vue",
        "svelte" => "svelte",
        "py" | "pyw" => "python",
        "go" => "go",
        "rb" => "ruby",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "cs" => "csharp",
        "php" => "php",
        "rs" => "rust",
        "sh" | "bash" | "zsh" => "shell",
        "html" | "htm" => "html",
        "yaml" | "yml" => "yaml",
        "json" => "json",
        "toml" => "toml",
        "ini" | "cfg" | "conf" | "properties" => "config",
        "tf" | "hcl" => "hcl",
        "md" | "markdown" | "rst" | "txt" | "adoc" => "prose",
        _ => "text",
    }
}

/// Program source, where the code detectors (TLS, logging, error handling) apply.
pub fn is_code(language: &str) -> bool {
    matches!(
        language,
        "javascript"
            | "typescript"
            | "vue"
            | "svelte"
            | "python"
            | "go"
            | "ruby"
            | "java"
            | "kotlin"
            | "csharp"
            | "php"
            | "rust"
            | "shell"
            | "html"
    )
}

/// Configuration, where settings such as `verify_ssl: false` are looked for too.
pub fn is_config(language: &str) -> bool {
    matches!(
        language,
        "dotenv" | "yaml" | "json" | "toml" | "config" | "hcl" | "dockerfile"
    )
}

const CLIENT_DIRS: &[&str] = &[
    "frontend",
    "front-end",
    "client",
    "web",
    "webapp",
    "ui",
    "public",
    "static",
    "www",
    "browser",
    "spa",
];

/// Code that runs in a browser or an app: the backend-proxy rule's subject.
pub fn is_client_side(path: &str, language: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let (dirs, name) = parts.split_at(parts.len().saturating_sub(1));
    let name = name.first().copied().unwrap_or("");
    if matches!(language, "vue" | "svelte") || name.ends_with(".jsx") || name.ends_with(".tsx") {
        return true;
    }
    let scripty = matches!(language, "javascript" | "typescript" | "html");
    let bundle = name.ends_with(".bundle.js") || name.ends_with(".min.js") || name.ends_with(".chunk.js");
    scripty
        && (bundle
            || dirs
                .iter()
                .any(|d| CLIENT_DIRS.contains(d) || *d == "dist" || *d == "build"))
}

/// Files the guide says never to commit: `.env` and its variants (not the conventional
/// templates), private keys and certificates, `config/secrets.yml`.
pub fn is_secret_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name == ".env" {
        return true;
    }
    if let Some(variant) = name.strip_prefix(".env.") {
        return !matches!(
            variant,
            "example" | "sample" | "template" | "dist" | "defaults" | "schema"
        );
    }
    name.ends_with(".key")
        || name.ends_with(".pem")
        || lower.ends_with("config/secrets.yml")
        || lower.ends_with("config/secrets.yaml")
        || lower == "secrets.yml"
}

/// Documentation, examples, tests and fixtures: what is written there is shown, not run.
pub fn is_example_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let (dirs, name) = parts.split_at(parts.len().saturating_sub(1));
    let name = name.first().copied().unwrap_or("");
    const DIRS: &[&str] = &[
        "docs",
        "doc",
        "documentation",
        "examples",
        "example",
        "samples",
        "sample",
        "tests",
        "test",
        "__tests__",
        "spec",
        "specs",
        "e2e",
        "fixtures",
        "testdata",
        "test_data",
        "mocks",
        "cookbook",
        "demo",
        "demos",
    ];
    let prose = matches!(language(path), "prose") || name.ends_with(".mdx") || name.ends_with(".ipynb");
    let template = [
        ".example",
        ".sample",
        ".template",
        "-template",
        ".dist",
        "-example",
        "_example",
    ]
    .iter()
    .any(|t| name.contains(t));
    prose
        || template
        || dirs
            .iter()
            .any(|d| DIRS.contains(d) || d.starts_with("test_") || d.ends_with("_tests"))
        || name.starts_with("test_")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_test.")
        || name.ends_with(".ipynb")
}

/// Does a secret file's text hold anything secret? An empty file, a `.pem` with only
/// certificates or public keys, and a framework env file (`.env.production`,
/// `.env.development`: Next.js and Vite commit these for public settings) without a
/// credential-named variable or a key do not.
pub fn holds_secrets(path: &str, text: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if text.trim().is_empty() {
        return false;
    }
    if (name.ends_with(".pem") || name.ends_with(".crt")) && text.contains("-----BEGIN") {
        return text.contains("PRIVATE KEY");
    }
    if let Some(mode) = name.strip_prefix(".env.") {
        if matches!(mode, "production" | "development" | "test" | "staging" | "preview") {
            return text.lines().any(|l| {
                let l = l.trim_start().trim_start_matches("export ");
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                !l.starts_with('#')
                    && ((crate::secrets::detect::is_sensitive_name(k.trim())
                        && crate::secrets::detect::is_literal_value(v))
                        || crate::secrets::detect::looks_like_api_key(v))
            });
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_side_paths() {
        assert!(is_client_side("web/src/App.tsx", "typescript"));
        assert!(is_client_side("frontend/src/api.js", "javascript"));
        assert!(is_client_side("public/app.bundle.js", "javascript"));
        assert!(is_client_side("src/Chat.vue", "vue"));
        assert!(!is_client_side("backend/server.js", "javascript"));
        assert!(!is_client_side("frontend/README.md", "prose"));
    }

    #[test]
    fn secret_files() {
        for p in [
            ".env",
            "app/.env.local",
            ".env.production",
            "certs/tls.key",
            "tls.pem",
            "config/secrets.yml",
        ] {
            assert!(is_secret_file(p), "{p}");
        }
        for p in [".env.example", "src/env.ts", "keys.md", "config/settings.yml"] {
            assert!(!is_secret_file(p), "{p}");
        }
    }
}
