//! In-place writes that never leave a half-written file: a temporary file in the same
//! directory, permissions copied, flushed, then renamed over the original.

use std::fs;
use std::io::Write;
use std::path::Path;

/// A symbolic link is followed: its target is rewritten and the link stays a link.
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let real = fs::canonicalize(path);
    let path: &Path = match &real {
        Ok(p) => p,
        Err(_) => path,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    let mut n = 0u32;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.dopt-{}-{n}.tmp", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    };
    let res = (|| {
        f.write_all(content)?;
        f.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        drop(f);
        fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

/// Writes a file a fix creates beside the Dockerfile (a `.dockerignore`): `rel` under the build
/// context `dir`. Never through a symbolic link, neither the file nor a directory on the way
/// (a repository dopt does not control could point it anywhere), and only when the file still
/// holds what the fix was computed from (`before`; None: it did not exist), so that two
/// Dockerfiles of one directory cannot overwrite each other's change.
pub fn write_beside(dir: &Path, rel: &str, before: Option<&str>, content: &[u8]) -> Result<std::path::PathBuf, String> {
    let relp = Path::new(rel);
    if relp.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        return Err("not a plain path inside the build context".into());
    }
    let mut cur = dir.to_path_buf();
    for c in relp.components() {
        cur.push(c);
        if fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!("{} is a symbolic link; not written through it", cur.display()));
        }
    }
    let now = match fs::read(&cur) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.to_string()),
    };
    if now.as_deref() != before.map(str::as_bytes) {
        return Err("it changed since dopt read it (another Dockerfile of the directory changed it?); run dopt again".into());
    }
    write_atomic(&cur, content).map_err(|e| e.to_string())?;
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_permissions_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("dopt-write-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("Dockerfile");
        fs::write(&p, "FROM a\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomic(&p, b"FROM b\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "FROM b\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
        }
        let left: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 1, "{left:?}");
        #[cfg(unix)]
        {
            let link = dir.join("link.Dockerfile");
            std::os::unix::fs::symlink("Dockerfile", &link).unwrap();
            write_atomic(&link, b"FROM c\n").unwrap();
            assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
            assert_eq!(fs::read_to_string(&p).unwrap(), "FROM c\n");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn never_writes_beside_through_a_link() {
        let dir = std::env::temp_dir().join(format!("dopt-beside-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("ctx")).unwrap();
        fs::write(dir.join("victim"), "keep\n").unwrap();
        std::os::unix::fs::symlink("../victim", dir.join("ctx/.dockerignore")).unwrap();
        let e = write_beside(&dir.join("ctx"), ".dockerignore", Some("keep\n"), b".git\n").unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(fs::read_to_string(dir.join("victim")).unwrap(), "keep\n");
        // a directory on the way that is a link
        std::os::unix::fs::symlink("..", dir.join("ctx/up")).unwrap();
        assert!(write_beside(&dir.join("ctx"), "up/victim", Some("keep\n"), b"x").is_err());
        assert!(write_beside(&dir.join("ctx"), "../victim", Some("keep\n"), b"x").is_err());
        assert_eq!(fs::read_to_string(dir.join("victim")).unwrap(), "keep\n");
        // a plain file: written when it still holds what the fix saw
        assert!(write_beside(&dir.join("ctx"), "new", Some("x"), b"y").unwrap_err().contains("changed since"));
        write_beside(&dir.join("ctx"), "new", None, b"y\n").unwrap();
        assert_eq!(fs::read_to_string(dir.join("ctx/new")).unwrap(), "y\n");
        fs::remove_dir_all(&dir).unwrap();
    }
}
