//! Unified diffs with `a/` and `b/` headers that `patch -p1` and `git apply` accept.

use similar::TextDiff;

/// The path as it appears after `a/` and `b/`: relative, with `/` separators, no `./`.
pub fn display_path(p: &str) -> String {
    let s = p.replace('\\', "/");
    let s = s.trim_start_matches("./");
    s.trim_start_matches('/').to_string()
}

/// A unified diff of `old` → `new` for file `path` (empty when they are equal).
pub fn unified(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    let p = display_path(path);
    let d = TextDiff::from_lines(old, new);
    let mut out = String::new();
    out.push_str(&format!("--- a/{p}\n+++ b/{p}\n"));
    for hunk in d.unified_diff().context_radius(3).missing_newline_hint(true).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    out
}

/// A diff that creates `path` with `content` (`--- /dev/null`), or changes it when `before`.
pub fn new_file(before: Option<&str>, content: &str, path: &str) -> String {
    match before {
        Some(b) => unified(b, content, path),
        None => {
            let p = display_path(path);
            let d = TextDiff::from_lines("", content);
            let mut out = format!("--- /dev/null\n+++ b/{p}\n");
            for hunk in d.unified_diff().missing_newline_hint(true).iter_hunks() {
                out.push_str(&hunk.to_string());
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_hunks() {
        let d = unified("FROM a\nRUN b\n", "FROM a\nRUN c\n", "./x/Dockerfile");
        assert_eq!(d, "--- a/x/Dockerfile\n+++ b/x/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\n-RUN b\n+RUN c\n");
        assert_eq!(unified("a\n", "a\n", "f"), "");
    }

    #[test]
    fn missing_final_newline() {
        let d = unified("FROM a\nRUN b", "FROM a\nRUN c", "f");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
    }

    #[test]
    fn creates_a_file() {
        let d = new_file(None, ".git\nnode_modules\n", "app/.dockerignore");
        assert_eq!(d, "--- /dev/null\n+++ b/app/.dockerignore\n@@ -0,0 +1,2 @@\n+.git\n+node_modules\n");
    }
}
