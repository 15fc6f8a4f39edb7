//! [`read_private_file`]: a file that holds a secret (a client secret, tokens, a
//! TLS key), refused when other users may read or write it, as ssh refuses such a
//! private key. Its group may read it: the usual deployment is `root:telegraf 0640`.

use std::path::Path;

/// Why a secret's file was not read. The message names the file and its mode,
/// never its contents.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    /// It could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Other users may read or write it.
    #[error(
        "{path} is accessible by other users (mode {mode:04o}); run `chmod o-rwx {path}`, as ssh requires of a private key"
    )]
    OpenToOthers {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
}

/// The permission bits of `path` that let other users in, if any (Unix only).
fn open_to_others(path: &Path) -> std::io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o7777;
        Ok((mode & 0o007 != 0).then_some(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}

/// Refuses `path` when other users may access it (through a symlink, the target's
/// mode counts).
pub fn check_private_file(path: &Path) -> Result<(), PrivateFileError> {
    let shown = || path.display().to_string();
    match open_to_others(path) {
        Ok(None) => Ok(()),
        Ok(Some(mode)) => Err(PrivateFileError::OpenToOthers {
            path: shown(),
            mode,
        }),
        Err(source) => Err(PrivateFileError::Read {
            path: shown(),
            source,
        }),
    }
}

/// The contents of `path`, after [`check_private_file`].
pub fn read_private_file(path: &Path) -> Result<String, PrivateFileError> {
    check_private_file(path)?;
    std::fs::read_to_string(path).map_err(|source| PrivateFileError::Read {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn file_with_mode(dir: &tempfile::TempDir, mode: u32) -> std::path::PathBuf {
        let path = dir.path().join(format!("secret-{mode:o}"));
        std::fs::write(&path, "s3cret-value\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn files_open_to_others_are_refused_and_the_secret_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o640, 0o400] {
            let path = file_with_mode(&dir, mode);
            assert_eq!(read_private_file(&path).unwrap(), "s3cret-value\n");
        }
        for mode in [0o644, 0o604, 0o602, 0o666] {
            let path = file_with_mode(&dir, mode);
            let error = read_private_file(&path).unwrap_err().to_string();
            assert!(error.contains(&format!("{mode:04o}")), "{error}");
            assert!(error.contains("chmod o-rwx"), "{error}");
            assert!(!error.contains("s3cret"), "{error}");
        }
        let error = read_private_file(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(error, PrivateFileError::Read { .. }), "{error}");
    }
}
