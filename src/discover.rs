//! Finding the Dockerfiles under the directories given on the command line.
//!
//! A directory is walked in sorted order, skipping `.git`, `node_modules`, `target`, `vendor`
//! and what `.gitignore` files ignore (each `.gitignore` is read once). Symbolic links are
//! followed only while they stay under the directory the walk started from: a bot runs dopt on
//! repositories it does not control, and `repo/Dockerfile -> ../../victim` must not make
//! `dopt --write repo/` rewrite a file outside the repository. Such links are reported and
//! skipped. A file reached twice (directly and through a link) is taken once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What a walk found: the Dockerfiles in order, and messages for the user.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<PathBuf>,
    /// Symbolic links skipped because they lead out of the walk's root (warnings).
    pub skipped: Vec<String>,
    /// Directories that could not be searched, or loops (errors).
    pub errors: Vec<String>,
}

/// Whether a file name is a Dockerfile dopt looks for in directories.
pub fn is_dockerfile_name(name: &str) -> bool {
    name == "Dockerfile"
        || name == "Containerfile"
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
}

const SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", "vendor"];

pub fn io_msg(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Walks `root`, collecting Dockerfiles into `found`; `seen_files` holds the canonical paths
/// of files already taken (by earlier roots too).
pub fn walk(root: &Path, found: &mut Found, seen_files: &mut HashSet<PathBuf>) {
    let canon_root = match std::fs::canonicalize(root) {
        Ok(c) => c,
        Err(e) => {
            found.errors.push(format!("{}: {}", root.display(), io_msg(&e)));
            return;
        }
    };
    let mut w = Walk { root: canon_root, given: root, found, seen_files, stack: Vec::new() };
    w.dir(root, &[]);
}

struct Walk<'a> {
    /// The canonical root: nothing outside it is followed.
    root: PathBuf,
    given: &'a Path,
    found: &'a mut Found,
    seen_files: &'a mut HashSet<PathBuf>,
    /// Canonical directories on the current path, to detect loops.
    stack: Vec<PathBuf>,
}

type Ignores = [(PathBuf, Vec<String>)];

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, ignores: &Ignores) {
        let canon = match std::fs::canonicalize(dir) {
            Ok(c) => c,
            Err(e) => return self.found.errors.push(format!("{}: {}", dir.display(), io_msg(&e))),
        };
        if self.stack.contains(&canon) {
            return self.found.errors.push(format!("{}: directory loop (it leads back to {})", dir.display(), canon.display()));
        }
        self.stack.push(canon);
        let mut ignores = ignores.to_vec();
        // a .gitignore that is a link out of the tree is not read
        if self.inside(&dir.join(".gitignore")) {
            if let Ok(gi) = std::fs::read_to_string(dir.join(".gitignore")) {
                let pats: Vec<String> = gi.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!')).map(String::from).collect();
                ignores.push((dir.to_path_buf(), pats));
            }
        }
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.stack.pop();
                return self.found.errors.push(format!("{}: {}", dir.display(), io_msg(&e)));
            }
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let is_link = e.file_type().map(|t| t.is_symlink()).unwrap_or(false);
            if is_link && !self.inside(&path) {
                if std::fs::metadata(&path).is_ok() && (is_dockerfile_name(&name) || path.is_dir()) {
                    self.found.skipped.push(format!(
                        "{}: a symbolic link that leads out of {}; skipped",
                        path.display(),
                        self.given.display()
                    ));
                }
                continue;
            }
            let is_dir = std::fs::metadata(&path).map(|m| m.is_dir()).unwrap_or(false);
            if is_ignored(&path, is_dir, &ignores) {
                continue;
            }
            if is_dir {
                if !SKIP_DIRS.contains(&name.as_str()) {
                    self.dir(&path, &ignores);
                }
            } else if is_dockerfile_name(&name) {
                let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if self.seen_files.insert(key) {
                    self.found.files.push(path);
                }
            }
        }
        self.stack.pop();
    }

    /// Whether `path` (through any links) stays under the root; a dangling link does not.
    fn inside(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|c| c.starts_with(&self.root))
    }
}

/// A small subset of .gitignore: `name`, `*.ext`, `dir/`, `/anchored`, `a/b`, with `*` and `?`.
fn is_ignored(path: &Path, is_dir: bool, ignores: &Ignores) -> bool {
    for (base, pats) in ignores {
        let Ok(rel) = path.strip_prefix(base) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        for p in pats {
            let (p, dir_only) = match p.strip_suffix('/') {
                Some(x) => (x, true),
                None => (p.as_str(), false),
            };
            if dir_only && !is_dir {
                continue;
            }
            let anchored = p.starts_with('/') || p.trim_start_matches('/').contains('/');
            let p = p.trim_start_matches('/');
            let hit = if anchored { glob(p, &rel) } else { glob(p, name) };
            if hit {
                return true;
            }
        }
    }
    false
}

fn glob(p: &str, s: &str) -> bool {
    // iterative matching with one backtrack point: linear in practice, never exponential
    let (p, s) = (p.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == s[si] && p[pi] != b'*' || p[pi] == b'?' && s[si] != b'/') {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            if s[ss] == b'/' {
                return false;
            }
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*.txt", "a.txt"));
        assert!(!glob("*.txt", "a/b.txt"));
        assert!(glob("a/*/c", "a/b/c"));
        assert!(!glob("a/*/c", "a/b/d/c"));
        assert!(glob("?b", "ab"));
        assert!(!glob("?", "/"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        // no exponential backtracking
        let s = "a".repeat(5000);
        assert!(!glob(&format!("{}b", "*a".repeat(40)), &s));
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_are_skipped() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("dopt-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let repo = dir.join("repo");
        std::fs::create_dir_all(repo.join("app")).unwrap();
        std::fs::create_dir_all(dir.join("outside/sub")).unwrap();
        std::fs::write(dir.join("outside/victim"), "FROM a\n").unwrap();
        std::fs::write(dir.join("outside/sub/Dockerfile"), "FROM a\n").unwrap();
        std::fs::write(repo.join("app/Dockerfile"), "FROM a\n").unwrap();
        symlink("../outside/victim", repo.join("Dockerfile")).unwrap();
        symlink("../outside/sub", repo.join("linked")).unwrap();
        symlink("app/Dockerfile", repo.join("same.Dockerfile")).unwrap();
        symlink("app", repo.join("again")).unwrap();
        let mut found = Found::default();
        walk(&repo, &mut found, &mut HashSet::new());
        // the links inside the tree lead to the file already taken: once
        assert_eq!(found.files, vec![repo.join("again/Dockerfile")]);
        assert_eq!(found.skipped.len(), 2, "{:?}", found.skipped);
        assert!(found.skipped[0].contains("repo/Dockerfile: a symbolic link that leads out of"), "{:?}", found.skipped);
        assert!(found.skipped[1].contains("repo/linked"), "{:?}", found.skipped);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
