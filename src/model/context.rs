//! The build context beside a Dockerfile: the files rules look at before they decide
//! (lockfiles, package.json, requirements, go.mod).
//!
//! Every look is cached, and the caches are shared by threads, so that the Dockerfiles of one
//! directory (the 732 files of a corpus, say) read and list their common build context once.
//! A look never leaves the context: a path with `..`, or one whose symbolic links lead outside
//! the context directory, reads as absent, as BuildKit does not follow links out of the context
//! either.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A build context directory, or none (a Dockerfile read from stdin without a name).
#[derive(Debug, Default)]
pub struct BuildContext {
    dir: Option<PathBuf>,
    /// The canonical context directory (None: it does not exist).
    root: OnceLock<Option<PathBuf>>,
    /// Where each relative path resolves, when it exists inside the context.
    resolved: Mutex<HashMap<String, Option<Resolved>>>,
    read: Mutex<HashMap<String, Option<Arc<str>>>>,
    heads: Mutex<HashMap<String, Option<Arc<[u8]>>>>,
    lists: Mutex<HashMap<String, Option<Arc<Vec<String>>>>>,
    /// Facts that rules derive from the whole context (see [`BuildContext::memo`]).
    memo: Mutex<HashMap<(std::any::TypeId, &'static str), SharedFact>>,
}

/// A value of [`BuildContext::memo`].
type SharedFact = Arc<dyn std::any::Any + Send + Sync>;

#[derive(Debug, Clone)]
struct Resolved {
    path: PathBuf,
    is_dir: bool,
    is_file: bool,
    len: u64,
}

/// Context files larger than this are not read.
const MAX_CONTEXT_FILE: u64 = 4 << 20;
/// How much of a file `head` caches.
const HEAD_CACHE: usize = 512;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl BuildContext {
    pub fn new(dir: Option<PathBuf>) -> BuildContext {
        BuildContext { dir, ..BuildContext::default() }
    }

    /// Whether there is a context to look at.
    pub fn is_known(&self) -> bool {
        self.root().is_some()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn root(&self) -> Option<&Path> {
        self.root
            .get_or_init(|| self.dir.as_ref().and_then(|d| std::fs::canonicalize(d).ok()).filter(|p| p.is_dir()))
            .as_deref()
    }

    /// Where `rel` resolves inside the context, when it exists there. A leading `/` or `./` is
    /// relative to the context, as in COPY and ADD sources; `..` and symbolic links that lead
    /// out of the context resolve to nothing.
    fn resolve(&self, rel: &str) -> Option<Resolved> {
        let root = self.root()?;
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        if Path::new(rel).components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir)) {
            return None;
        }
        if let Some(r) = lock(&self.resolved).get(rel) {
            return r.clone();
        }
        let joined = if rel.is_empty() { root.to_path_buf() } else { root.join(rel) };
        let r = std::fs::canonicalize(&joined).ok().filter(|p| p.starts_with(root)).and_then(|p| {
            let m = std::fs::metadata(&p).ok()?;
            Some(Resolved { path: p, is_dir: m.is_dir(), is_file: m.is_file(), len: m.len() })
        });
        lock(&self.resolved).insert(rel.to_string(), r.clone());
        r
    }

    /// Whether a file or directory exists at `rel` in the context.
    pub fn exists(&self, rel: &str) -> bool {
        self.resolve(rel).is_some()
    }

    /// Whether `rel` is a directory of the context.
    pub fn is_dir(&self, rel: &str) -> bool {
        self.resolve(rel).is_some_and(|r| r.is_dir)
    }

    /// The first `n` bytes of the regular file `rel` of the context.
    pub fn head(&self, rel: &str, n: usize) -> Option<Vec<u8>> {
        use std::io::Read;
        let r = self.resolve(rel).filter(|r| r.is_file)?;
        let read = |n: usize| -> Option<Vec<u8>> {
            let mut buf = Vec::with_capacity(n.min(1 << 16));
            std::fs::File::open(&r.path).ok()?.take(n as u64).read_to_end(&mut buf).ok()?;
            Some(buf)
        };
        if n > HEAD_CACHE {
            return read(n);
        }
        let key = r.path.to_string_lossy().into_owned();
        if let Some(h) = lock(&self.heads).get(&key) {
            return h.as_ref().map(|h| h[..n.min(h.len())].to_vec());
        }
        let h: Option<Arc<[u8]>> = read(HEAD_CACHE).map(Into::into);
        lock(&self.heads).insert(key, h.clone());
        h.map(|h| h[..n.min(h.len())].to_vec())
    }

    /// The names in directory `rel` of the context, sorted.
    pub fn list(&self, rel: &str) -> Option<Vec<String>> {
        self.list_shared(rel).map(|v| v.as_ref().clone())
    }

    /// The names in directory `rel` of the context, sorted, without a copy.
    pub fn list_shared(&self, rel: &str) -> Option<Arc<Vec<String>>> {
        let r = self.resolve(rel).filter(|r| r.is_dir)?;
        let key = r.path.to_string_lossy().into_owned();
        if let Some(v) = lock(&self.lists).get(&key) {
            return v.clone();
        }
        let v = std::fs::read_dir(&r.path).ok().map(|rd| {
            let mut v: Vec<String> = rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            v.sort();
            Arc::new(v)
        });
        lock(&self.lists).insert(key, v.clone());
        v
    }

    /// A fact about the whole context, computed once and shared by every Dockerfile that has this
    /// context (a walk of the directory tree, say, which each file of a directory of 732
    /// Dockerfiles would otherwise repeat). `T` and `key` name the fact; `init` must give the
    /// same value for the same pair. Two threads may both compute it; the first one stored wins.
    pub fn memo<T: Send + Sync + 'static>(&self, key: &'static str, init: impl FnOnce() -> T) -> Arc<T> {
        let k = (std::any::TypeId::of::<T>(), key);
        if let Some(v) = lock(&self.memo).get(&k) {
            return v.clone().downcast::<T>().expect("memo keyed by type");
        }
        let v: SharedFact = Arc::new(init());
        let v = lock(&self.memo).entry(k).or_insert(v).clone();
        v.downcast::<T>().expect("memo keyed by type")
    }

    /// Like [`BuildContext::memo`], for a family of facts told apart at run time by `key` (a
    /// directory of the context, say): `name` names the family.
    pub fn memo_by<V: Clone + Send + Sync + 'static>(&self, name: &'static str, key: &str, init: impl FnOnce() -> V) -> V {
        type Family<V> = Mutex<HashMap<String, V>>;
        let family = self.memo(name, Family::<V>::default);
        if let Some(v) = lock(&family).get(key) {
            return v.clone();
        }
        let v = init();
        let v = lock(&family).entry(key.to_string()).or_insert(v).clone();
        v
    }

    /// The text of a context file, if it exists, is small and is UTF-8.
    pub fn read(&self, rel: &str) -> Option<String> {
        let r = self.resolve(rel).filter(|r| r.is_file && r.len <= MAX_CONTEXT_FILE)?;
        let key = r.path.to_string_lossy().into_owned();
        if let Some(v) = lock(&self.read).get(&key) {
            return v.as_deref().map(str::to_string);
        }
        let v: Option<Arc<str>> = std::fs::read_to_string(&r.path).ok().map(Into::into);
        lock(&self.read).insert(key, v.clone());
        v.as_deref().map(str::to_string)
    }
}

/// Build contexts by directory, shared by every Dockerfile of a run that has the same one.
#[derive(Debug, Default)]
pub struct Contexts {
    by_dir: Mutex<HashMap<Option<PathBuf>, Arc<BuildContext>>>,
}

impl Contexts {
    pub fn get(&self, dir: Option<PathBuf>) -> Arc<BuildContext> {
        let mut m = lock(&self.by_dir);
        m.entry(dir.clone()).or_insert_with(|| Arc::new(BuildContext::new(dir))).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dopt-ctx-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_inside_the_context_only() {
        let dir = tmp("inside");
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

    #[cfg(unix)]
    #[test]
    fn symbolic_links_out_of_the_context_read_as_absent() {
        use std::os::unix::fs::symlink;
        let dir = tmp("links");
        let ctx = dir.join("ctx");
        let outside = dir.join("outside");
        std::fs::create_dir_all(ctx.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.json"), "{\"dependencies\":{}}").unwrap();
        std::fs::write(ctx.join("real/package.json"), "{}").unwrap();
        symlink(outside.join("secret.json"), ctx.join("package.json")).unwrap();
        symlink("../outside", ctx.join("out")).unwrap();
        symlink("real/package.json", ctx.join("inner.json")).unwrap();
        symlink("real", ctx.join("inner")).unwrap();
        let c = BuildContext::new(Some(ctx.clone()));
        // out of the context: absent, whether the link is the file or a directory on the way
        assert!(!c.exists("package.json"));
        assert_eq!(c.read("package.json"), None);
        assert_eq!(c.head("package.json", 2), None);
        assert_eq!(c.read("out/secret.json"), None);
        assert_eq!(c.list("out"), None);
        assert!(!c.is_dir("out"));
        // links inside the context are followed
        assert_eq!(c.read("inner.json").as_deref(), Some("{}"));
        assert_eq!(c.list("inner"), Some(vec!["package.json".to_string()]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn one_context_per_directory() {
        let cs = Contexts::default();
        let a = cs.get(Some(PathBuf::from("x")));
        let b = cs.get(Some(PathBuf::from("x")));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &cs.get(None)));
    }

    #[test]
    fn a_fact_about_the_context_is_computed_once() {
        let c = BuildContext::new(None);
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let count = || {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            vec![1, 2, 3]
        };
        let a = c.memo("k", count);
        let b = c.memo("k", || -> Vec<i32> { unreachable!("computed twice") });
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        // another key or type is another fact
        assert_eq!(*c.memo("other", || vec![9]), vec![9]);
        assert_eq!(*c.memo("k", || 7u8), 7);
    }
}
