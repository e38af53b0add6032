//! Keys generated on first start and kept in the data folder: 32 random
//! bytes, base64url, readable by the owner only.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The key in `path`, or a new one written there.
pub fn load_or_create(path: &Path, what: &str) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        return read(path);
    }
    let key: [u8; 32] = crate::crypto::random_bytes();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, URL_SAFE_NO_PAD.encode(key).as_bytes())?;
    tracing::info!(path = %path.display(), "generated the {what}");
    Ok(key)
}

/// The key kept in `path`.
pub fn read(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("could not read the key {}: {e}", path.display()))?;
    let bytes = URL_SAFE_NO_PAD.decode(text.trim())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()))
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}
