//! The build context beside a Dockerfile: the files rules look at before they decide
//! (lockfiles, package.json, requirements, go.mod). Reads are cached per run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A build context directory, or none (a Dockerfile read from stdin without a name).
#[derive(Debug, Default)]
pub struct BuildContext {
    dir: Option<PathBuf>,
    cache: RefCell<HashMap<String, Option<String>>>,
}

/// Context files larger than this are not read.
const MAX_CONTEXT_FILE: u64 = 4 << 20;

impl BuildContext {
    pub fn new(dir: Option<PathBuf>) -> BuildContext {
        BuildContext { dir, cache: RefCell::new(HashMap::new()) }
    }

    /// Whether there is a context to look at.
    pub fn is_known(&self) -> bool {
        self.dir.as_ref().is_some_and(|d| d.is_dir())
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Whether a file exists at `rel` in the context.
    pub fn exists(&self, rel: &str) -> bool {
        self.dir.as_ref().is_some_and(|d| d.join(rel).exists())
    }

    /// The path of `rel` inside the context, when there is a context and `rel` stays inside it
    /// (a leading `/` or `./` is relative to the context, as in COPY and ADD sources).
    fn path(&self, rel: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        if Path::new(rel).components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return None;
        }
        Some(if rel.is_empty() { dir.clone() } else { dir.join(rel) })
    }

    /// Whether `rel` is a directory of the context.
    pub fn is_dir(&self, rel: &str) -> bool {
        self.path(rel).is_some_and(|p| p.is_dir())
    }

    /// The first `n` bytes of the regular file `rel` of the context (symlinks followed).
    pub fn head(&self, rel: &str, n: usize) -> Option<Vec<u8>> {
        use std::io::Read;
        let p = self.path(rel)?;
        if !p.is_file() {
            return None;
        }
        let mut buf = Vec::with_capacity(n);
        std::fs::File::open(p).ok()?.take(n as u64).read_to_end(&mut buf).ok()?;
        Some(buf)
    }

    /// The names in directory `rel` of the context, sorted.
    pub fn list(&self, rel: &str) -> Option<Vec<String>> {
        let p = self.path(rel)?;
        let mut v: Vec<String> = std::fs::read_dir(p).ok()?.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        Some(v)
    }

    /// The text of a context file, if it exists, is small and is UTF-8.
    pub fn read(&self, rel: &str) -> Option<String> {
        let dir = self.dir.as_ref()?;
        if let Some(v) = self.cache.borrow().get(rel) {
            return v.clone();
        }
        let p = dir.join(rel);
        let v = std::fs::metadata(&p)
            .ok()
            .filter(|m| m.is_file() && m.len() <= MAX_CONTEXT_FILE)
            .and_then(|_| std::fs::read_to_string(&p).ok());
        self.cache.borrow_mut().insert(rel.to_string(), v.clone());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_the_context_only() {
        let dir = std::env::temp_dir().join(format!("dopt-ctx-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.bin"), [1u8, 2, 3, 4]).unwrap();
        let c = BuildContext::new(Some(dir.join("sub")));
        assert_eq!(c.head("/a.bin", 2), Some(vec![1, 2]));
        assert_eq!(c.head("./a.bin", 9), Some(vec![1, 2, 3, 4]));
        assert!(c.is_dir(".") && !c.is_dir("a.bin"));
        assert_eq!(c.list("").unwrap(), vec!["a.bin".to_string()]);
        assert_eq!(c.head("../sub/a.bin", 2), None);
        assert_eq!(BuildContext::default().head("a.bin", 2), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
