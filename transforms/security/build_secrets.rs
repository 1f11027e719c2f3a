//! DP502 build-secrets
use crate::engine::{Context, Diagnostic, FixKind, Rule, RuleMeta};
use crate::model::unquote;
use crate::syntax::Kind;

pub struct BuildSecrets;

static META: RuleMeta = RuleMeta {
    code: "DP502",
    name: "build-secrets",
    summary: "A secret in ENV or ARG, or a private key copied in: pass it with `RUN --mount=type=secret` (advice)",
    fix: FixKind::None,
    hadolint: &[],
    docs: r#"## What it does
Reports, in every stage:
- an `ENV` or `ARG` that gives a literal value to a variable named like a secret: names that
  end in `PASSWORD`, `PASSWD`, `_PASS`, `_PWD`, `TOKEN`, `SECRET`, `SECRET_KEY`, `API_KEY`,
  `APIKEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `AUTH_KEY`, `CREDENTIALS` or `_CREDS` (any case);
- a `COPY` or `ADD` of a private key or credentials file: `id_rsa`, `id_dsa`, `id_ecdsa`,
  `id_ed25519`, `*.key`, `*key.pem`, `.netrc`, `.pypirc`, `.aws/credentials`, and, when the
  build context shows their content, a `*.pem` holding a `PRIVATE KEY` or an `.npmrc` holding
  an auth token.

## Why
An ENV value is stored in the image's configuration (`docker inspect` shows it), an ARG's in
its history (`docker history`), a copied file in a layer (deleting it later does not remove
it); and the literal is in the Dockerfile, in version control. Anyone who can pull the image,
or read the repository, has the secret.

## Example
```dockerfile
ENV NPM_TOKEN=npm_abc123
RUN npm ci
```
should pass the token only to the RUN that needs it, as a BuildKit secret:
```dockerfile
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
```
built with `docker build --secret id=npm_token,env=NPM_TOKEN .` (`env=` needs the
Dockerfile frontend 1.10; before it, `--mount=type=secret,id=npm_token` and
`NPM_TOKEN="$(cat /run/secrets/npm_token)" npm ci`). A key file is mounted the same way
(`--mount=type=secret,id=key,target=/root/.ssh/id_rsa`, or `--mount=type=ssh` for SSH agents).
A secret the application needs at run time is given to the container (`docker run -e`, a
Kubernetes Secret), not to the image.

## Not flagged
Values from variables (`ENV DB_PASSWORD=$DB_PASSWORD`, an `ARG` without a default: still
recorded in the history, but not in the file), empty values, `yes`/`no`/`true`/`false`/`0`/`1`
(flags such as `MYSQL_ALLOW_EMPTY_PASSWORD=yes`), names that end otherwise (`*_PASSWORD_FILE`,
`GPG_KEY`, `*_TOKEN_URL`) or contain `PUBLIC`, and public keys (`*.pub`).

## Fix safety
Advice only: where the secret should come from is the user's choice.
"#,
};

/// Name endings of secret variables (upper-cased names).
const SECRET_SUFFIXES: &[&str] = &[
    "PASSWORD", "PASSWD", "_PASS", "_PWD", "TOKEN", "SECRET", "SECRET_KEY", "SECRETKEY", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
    "AUTH_KEY", "CREDENTIALS", "_CREDS",
];

/// Values that are flags, not secrets.
const FLAG_VALUES: &[&str] = &["yes", "no", "true", "false", "0", "1", "on", "off", "y", "n", "none", "null"];

/// Whether a variable name looks like it holds a secret.
pub fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    !n.contains("PUBLIC") && SECRET_SUFFIXES.iter().any(|s| n.ends_with(s))
}

/// Whether a value (quotes removed) is a literal that may be a secret.
fn literal_secret_value(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty() && !t.contains('$') && !FLAG_VALUES.contains(&t.to_ascii_lowercase().as_str())
}

/// What a copied file is, when it is a private key or credentials.
fn key_file(cx: &Context, src: &str) -> Option<&'static str> {
    let path = src.trim_start_matches("./").trim_end_matches('/');
    let name = path.rsplit('/').next().unwrap_or(path);
    let content = || cx.build.read(path);
    match name {
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" => Some("an SSH private key"),
        ".netrc" => Some("a `.netrc` (login credentials)"),
        ".pypirc" => Some("a `.pypirc` (package index credentials)"),
        "credentials" if path.ends_with(".aws/credentials") => Some("AWS credentials"),
        ".npmrc" if content().is_some_and(|t| t.contains("_authToken") || t.contains("_auth=") || t.contains("_password")) => {
            Some("an `.npmrc` with an auth token")
        }
        n if n.ends_with(".pub") => None,
        // a `.key` or `key.pem` whose content shows no private key is a public one (a GPG key)
        n if (n.ends_with(".key") && n.len() > 4 || n.ends_with("key.pem")) && content().is_none_or(|t| t.contains("PRIVATE KEY")) => Some("a private key"),
        n if n.ends_with(".pem") && content().is_some_and(|t| t.contains("PRIVATE KEY-----")) => Some("a private key"),
        _ => None,
    }
}

impl Rule for BuildSecrets {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in &cx.file.instructions {
            let n = ins.effective();
            let range = ins.keyword_start()..ins.header_end;
            match n.kind {
                Kind::Env => {
                    for kv in n.values.chunks(2) {
                        let (Some(k), Some(v)) = (kv.first(), kv.get(1)) else { continue };
                        if secret_name(k) && literal_secret_value(&unquote(v)) {
                            out.push(cx.diag(
                                &META,
                                range.clone(),
                                format!("`{k}` is set to a literal in ENV: it is kept in the image's configuration (`docker inspect`) and in the Dockerfile. Pass a build secret with `RUN --mount=type=secret,id={},env={k} ...` (`docker build --secret`), and a runtime one to the container (`docker run -e`, a Kubernetes Secret)", k.to_ascii_lowercase()),
                                None,
                            ));
                        }
                    }
                }
                Kind::Arg => {
                    for w in &n.values {
                        let Some((k, v)) = w.split_once('=') else { continue };
                        if secret_name(k) && literal_secret_value(&unquote(v)) {
                            out.push(cx.diag(
                                &META,
                                range.clone(),
                                format!("`{k}` has a literal default in ARG: it is in the Dockerfile, and the image's history (`docker history`) records build arguments that RUNs use. Pass it with `RUN --mount=type=secret,id={},env={k} ...` (`docker build --secret`)", k.to_ascii_lowercase()),
                                None,
                            ));
                        }
                    }
                }
                Kind::Copy | Kind::Add if n.values.len() >= 2 && n.flag("from").is_none() => {
                    // copied as a public key (`COPY jenkins.key /war/jenkins-key.pub`)
                    let dest = unquote(n.values.last().map(String::as_str).unwrap_or(""));
                    if [".pub", ".asc", ".gpg"].iter().any(|e| dest.ends_with(e)) {
                        continue;
                    }
                    for s in &n.values[..n.values.len() - 1] {
                        let s = unquote(s);
                        if s.contains("://") || s.starts_with("<<") {
                            continue;
                        }
                        if let Some(what) = key_file(cx, &s) {
                            out.push(cx.diag(
                                &META,
                                range.clone(),
                                format!("`{s}` is {what}, copied into a layer: anyone with the image can read it, even after a later RUN deletes it. Mount it only where it is needed: `RUN --mount=type=secret,id=...,target=/path ...` (`--mount=type=ssh` for SSH keys)"),
                                None,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{context, count};

    #[test]
    fn secret_names() {
        for n in ["DB_PASSWORD", "POSTGRES_PASSWORD", "password", "NPM_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "DJANGO_SECRET_KEY", "STRIPE_API_KEY", "JWT_SECRET", "DB_PASS", "MYSQL_PWD", "GOOGLE_APPLICATION_CREDENTIALS", "SSH_PRIVATE_KEY"] {
            assert!(secret_name(n), "{n}");
        }
        for n in ["PASSWORD_FILE", "POSTGRES_PASSWORD_FILE", "GPG_KEY", "TOKEN_URL", "NEXT_PUBLIC_API_KEY", "PWD", "PASSWORD_MIN_LENGTH", "AWS_ACCESS_KEY_ID", "KEYCLOAK_URL", "COMPASS"] {
            assert!(!secret_name(n), "{n}");
        }
    }

    #[test]
    fn literal_env_and_arg_values() {
        assert_eq!(count(&BuildSecrets, "FROM a\nENV DB_PASSWORD=hunter2\n"), 1);
        assert_eq!(count(&BuildSecrets, "FROM a\nENV DB_PASSWORD hunter2 and more\n"), 1);
        assert_eq!(count(&BuildSecrets, "FROM a\nENV A=1 NPM_TOKEN=\"npm_x\" JWT_SECRET='s'\n"), 2);
        assert_eq!(count(&BuildSecrets, "ARG GITHUB_TOKEN=ghp_x\nFROM a\n"), 1);
        assert_eq!(count(&BuildSecrets, "FROM a AS build\nARG API_KEY=abc\nFROM b\n"), 1);
        assert_eq!(count(&BuildSecrets, "FROM a\nONBUILD ENV SECRET=x\n"), 1);
        // CRLF and an escape directive
        assert_eq!(count(&BuildSecrets, "# escape=`\r\nFROM a\r\nENV A=1 `\r\n    DB_PASSWORD=x\r\n"), 1);
    }

    #[test]
    fn variables_flags_and_other_names_are_not_secrets() {
        for s in [
            "FROM a\nENV DB_PASSWORD=$DB_PASSWORD\n",
            "FROM a\nENV DB_PASSWORD=${PW:-x}\n",
            "FROM a\nARG NPM_TOKEN\n",
            "FROM a\nENV MYSQL_ALLOW_EMPTY_PASSWORD=yes\n",
            "FROM a\nENV MYSQL_RANDOM_ROOT_PASSWORD=true\n",
            "FROM a\nENV DB_PASSWORD=\"\"\n",
            "FROM a\nENV POSTGRES_PASSWORD_FILE=/run/secrets/pw\n",
            "FROM a\nENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n",
            "FROM a\nRUN echo DB_PASSWORD=x\n",
            "FROM a\nLABEL TOKEN=x\n",
        ] {
            assert_eq!(count(&BuildSecrets, s), 0, "{s}");
        }
    }

    #[test]
    fn copied_keys() {
        assert_eq!(count(&BuildSecrets, "FROM a\nCOPY id_rsa /root/.ssh/id_rsa\n"), 1);
        assert_eq!(count(&BuildSecrets, "FROM a\nADD ./certs/server.key /etc/ssl/\n"), 1);
        assert_eq!(count(&BuildSecrets, "FROM a\nCOPY .netrc .aws/credentials /root/\n"), 2);
        assert_eq!(count(&BuildSecrets, "FROM a\nCOPY [\"privkey.pem\", \"/k\"]\n"), 1);
        for s in ["FROM a\nCOPY id_rsa.pub /root/.ssh/\n", "FROM a\nCOPY jenkins.io-2026.key /war/jenkins-key.pub\n", "FROM a\nCOPY cert.pem /etc/ssl/\n", "FROM a\nCOPY --from=b id_rsa /x\n", "FROM a\nCOPY .npmrc ./\n", "FROM a\nCOPY keys/ /k/\n"] {
            assert_eq!(count(&BuildSecrets, s), 0, "{s}");
        }
    }

    #[test]
    fn reads_pem_and_npmrc_content() {
        let (_d, b) = context(&[("repo.key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), ("key.crt.pem", "-----BEGIN RSA PRIVATE KEY-----\n"), ("ca.pem", "-----BEGIN CERTIFICATE-----\n"), (".npmrc", "//registry.npmjs.org/:_authToken=npm_x\n")]);
        let n = |t: &str| {
            let f = crate::syntax::parse(t).unwrap();
            crate::engine::check(&f, &[&BuildSecrets], &b).len()
        };
        assert_eq!(n("FROM a\nCOPY key.crt.pem /k\n"), 1);
        assert_eq!(n("FROM a\nCOPY ca.pem /k\n"), 0);
        assert_eq!(n("FROM a\nCOPY repo.key /k\n"), 0);
        assert_eq!(n("FROM a\nCOPY .npmrc ./\n"), 1);
    }
}
