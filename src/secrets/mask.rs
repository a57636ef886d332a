//! Masking of secret values. Every place that could show a value goes through here.

/// How many characters of a secret are shown before the redaction marker.
const SHOWN: usize = 5;

/// Masks a secret value: `sk-abcdef…` becomes `sk-ab…[redacted]`. Short values show less,
/// so that a 6-character password never appears nearly whole.
pub fn mask(value: &str) -> String {
    let count = value.chars().count();
    let shown = if count >= 16 { SHOWN } else { count / 4 };
    let head: String = value.chars().take(shown).collect();
    format!("{head}…[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::detect;
    use crate::secrets::redact::redact_text;

    #[test]
    fn masks_long_values_to_five_characters() {
        assert_eq!(mask("sk-abcdefghijklmnopqrstuvwxyz"), "sk-ab…[redacted]");
    }

    #[test]
    fn short_values_show_a_quarter_at_most() {
        assert_eq!(mask("hunter2"), "h…[redacted]");
        assert_eq!(mask("abc"), "…[redacted]");
    }

    #[test]
    fn redacts_keys_inside_text() {
        let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
        let text = format!("invalid type: string \"{key}\", expected a map");
        let red = redact_text(&text);
        assert!(!red.contains(key));
        assert!(red.contains("sk-pr…[redacted]"));
    }

    #[test]
    fn redacts_passwords_in_urls_and_other_providers_keys() {
        // litellm deploy/kubernetes/kub.yaml (MIT): a database URL with its password
        let url = "postgresql://ishaan:HogdJCvK89Xe@ep-bitter-fog-a573fgz9.us-east-2.aws.neon.tech/local";
        let red = redact_text(&format!("DATABASE_URL={url}"));
        assert!(!red.contains("HogdJCvK89Xe"), "{red}");
        assert!(red.contains("postgresql://ishaan:Hog…[redacted]@ep-bitter"), "{red}");
        for key in [
            "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
            "hf_Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue",
            "ghp_Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue7I",
            "AKIAZ7Q2LM4XV9RT4WP8",
            "xoxb-1234567890-Qx7Lm2Xv9Rt4Wp8Kz3Nb",
            "sk-ant-admin01-Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue",
        ] {
            let red = redact_text(&format!("token: {key}"));
            assert!(!red.contains(key), "{red}");
            assert!(red.contains("…[redacted]"), "{red}");
        }
    }

    #[test]
    fn redacts_keys_glued_to_a_word() {
        let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
        let red = redact_text(&format!("plant{key}"));
        assert_eq!(red, "plantsk-pr…[redacted]");
        // the detector still wants a word start
        assert_eq!(detect::find_api_key(&format!("plant{key}")), None);
    }
}
