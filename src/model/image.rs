//! Image references: `[registry/]repository[:tag][@digest]`.

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `docker.io`, `ghcr.io`, `localhost:5000`, ... when written.
    pub registry: Option<String>,
    /// `library/python` is written `python`; kept as written.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(s: &str) -> Option<ImageRef> {
        if s.is_empty() || s.contains(char::is_whitespace) || s.contains('$') {
            return None;
        }
        let (rest, digest) = match s.split_once('@') {
            Some((a, d)) => (a, Some(d.to_string())),
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, p)) if first.contains('.') || first.contains(':') || first == "localhost" => (Some(first.to_string()), p),
            _ => (None, rest),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string())),
            _ => (path.to_string(), None),
        };
        if repository.is_empty() {
            return None;
        }
        Some(ImageRef { registry, repository, tag, digest })
    }

    /// The repository without `library/` and registry: `python` for `docker.io/library/python`.
    pub fn short_name(&self) -> &str {
        self.repository.strip_prefix("library/").unwrap_or(&self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let r = ImageRef::parse("docker.io/library/python:3.11-slim@sha256:abc").unwrap();
        assert_eq!(r.registry.as_deref(), Some("docker.io"));
        assert_eq!(r.short_name(), "python");
        assert_eq!(r.tag.as_deref(), Some("3.11-slim"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        let r = ImageRef::parse("localhost:5000/app").unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.tag, None);
        let r = ImageRef::parse("node:18").unwrap();
        assert_eq!((r.registry, r.repository.as_str(), r.tag.as_deref()), (None, "node", Some("18")));
        assert!(ImageRef::parse("$BASE").is_none());
    }
}
