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
