//! [`Secret`]: the client secret and tokens, redacted whenever formatted (shared
//! with the sidecar through `genesys-aht-config`), and [`read_secret_file`].

pub use genesys_aht_config::Secret;

/// The secret in `client_secret_file` (trailing whitespace dropped). The file is
/// refused when other users may read or write it, as ssh refuses such a private
/// key; the error names the file and its mode, never its contents.
pub(crate) fn read_secret_file(path: &str) -> Result<Secret, String> {
    genesys_aht_config::read_private_file(std::path::Path::new(path))
        .map(|text| Secret::new(text.trim_end()))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_secret_file_others_can_read_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("client_secret");
        std::fs::write(&path, "very-secret-value\n").expect("write");
        let shown = path.display().to_string();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = super::read_secret_file(&shown).expect_err("0644 is refused");
        assert!(error.contains("0644") && error.contains(&shown), "{error}");
        assert!(!error.contains("very-secret"), "{error}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let secret = super::read_secret_file(&shown).expect("0640 is accepted");
        assert_eq!(secret.expose(), "very-secret-value");
    }
}
