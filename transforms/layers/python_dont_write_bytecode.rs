//! DP208 python-dont-write-bytecode
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell;
use crate::syntax::Kind;
use crate::transforms::common::{base_image, is_windows_image, var_set_before};

pub struct PythonDontWriteBytecode;

static META: RuleMeta = RuleMeta {
    code: "DP208",
    name: "python-dont-write-bytecode",
    summary: "A Python app's sources are copied into the final image: set `PYTHONDONTWRITEBYTECODE=1` so that it writes no `.pyc` files at run time",
    fix: FixKind::Safe,
    hadolint: &[],
    docs: r#"## What it does
When the final image is a Python one (its base image is `python`, or CMD/ENTRYPOINT runs
`python`, `gunicorn`, `uvicorn` and the like) and its stages copy the app's Python sources into
it (a COPY/ADD of `*.py` files, or of a directory that holds some; a COPY from another stage
counts too), adds `ENV PYTHONDONTWRITEBYTECODE=1` right after the final stage's FROM.

dopt makes this a fix rather than advice: it changes nothing the app does, only where Python
may write.

## Why
Without it, the app writes `__pycache__/*.pyc` files next to its sources when it first
imports them: into the container's writable layer, on every container start, where they are
thrown away with the container. A read-only root filesystem (`--read-only`, a common hardening
setting) makes those writes fail (silently), and a non-root user often may not write there at
all. The setting does not stop Python from reading `.pyc` files that the image already has
(pip compiles the packages it installs).

## Example
```dockerfile
FROM python:3.11-slim
WORKDIR /app
COPY . .
CMD ["python", "app.py"]
```
becomes
```dockerfile
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY . .
CMD ["python", "app.py"]
```

## Not flagged
- `PYTHONDONTWRITEBYTECODE` is already set (ENV in the final image's stages, or ARG in the final
  stage), or the start command runs `python -B`;
- the final image copies no Python sources (only a wheel it installs, say), or is not a
  Python image; a Windows base image.

## Fix safety
Safe: the variable only keeps the interpreter from writing bytecode caches; every module
still imports, compiled in memory on each start (as it is when the cache cannot be written).
"#,
};

/// Programs that run a Python app.
const PYTHON_SERVERS: &[&str] = &["gunicorn", "uvicorn", "hypercorn", "daphne", "waitress-serve", "flask", "celery", "streamlit", "django-admin", "fastapi"];

impl Rule for PythonDontWriteBytecode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last_stage) = cx.model.final_stage() else { return };
        let chain = cx.model.final_chain();
        let n = cx.file.instructions.len();
        let in_chain = |i: usize| cx.file.instructions[i].node.trigger.is_none() && cx.model.stage_of(i).is_some_and(|s| chain.contains(&s.index));
        let base = base_image(cx, last_stage.from).unwrap_or_default();
        if is_windows_image(&base) {
            return;
        }
        // the start command
        let start: Vec<String> = (0..n)
            .filter(|&i| in_chain(i) && matches!(cx.file.instructions[i].node.kind, Kind::Cmd | Kind::Entrypoint))
            .flat_map(|i| cx.file.instructions[i].node.values.iter().flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>()))
            .collect();
        let runs_python = start.iter().any(|w| {
            let b = shell::base(w);
            is_python(b) || PYTHON_SERVERS.contains(&b)
        });
        let python_base = base.starts_with("python") || base.contains("/python");
        if !(python_base || runs_python) {
            return;
        }
        if start.windows(2).any(|w| is_python(shell::base(&w[0])) && w[1].starts_with('-') && !w[1].starts_with("--") && w[1].contains('B')) {
            return;
        }
        if var_set_before(cx, n - 1, "PYTHONDONTWRITEBYTECODE") || cx.file.instructions[n - 1].node.kind == Kind::Env && cx.file.instructions[n - 1].node.values.iter().any(|v| v == "PYTHONDONTWRITEBYTECODE") {
            return;
        }
        // a copy of Python sources
        let Some(copy) = (0..n).find(|&i| in_chain(i) && copies_python(cx, i)) else { return };
        let from = &cx.file.instructions[last_stage.from];
        let eol = cx.style.eol();
        let line = format!("{} PYTHONDONTWRITEBYTECODE=1", cx.style.keyword("ENV"));
        let edit = if cx.file.text[..from.range.end].ends_with('\n') { Edit::insert(from.range.end, format!("{line}{eol}")) } else { Edit::insert(from.range.end, format!("{eol}{line}")) };
        let c = &cx.file.instructions[copy];
        out.push(cx.diag(
            &META,
            from.range.start..from.line.to_source_end(from.node.args.end),
            format!("the final image gets Python sources (line {}) and may write `.pyc` files next to them at run time: set `PYTHONDONTWRITEBYTECODE=1`", c.start_line),
            Some(Fix::safe(vec![edit])),
        ));
    }
}

fn is_python(p: &str) -> bool {
    p == "python" || p.strip_prefix("python").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Whether the COPY/ADD at `i` brings Python sources: `*.py` files, a directory of the context
/// that holds some (any directory when the context is not visible), or a directory of another
/// stage.
fn copies_python(cx: &Context, i: usize) -> bool {
    let n = cx.file.instructions[i].effective();
    if !matches!(n.kind, Kind::Copy | Kind::Add) || n.values.len() < 2 {
        return false;
    }
    let from_stage = n.flag("from").is_some();
    n.values[..n.values.len() - 1].iter().any(|s| {
        let s = crate::model::unquote(s);
        if s.starts_with("<<") || s.contains("://") {
            return false;
        }
        let rel = s.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
        let rel = if rel == "." { "" } else { rel };
        if rel.ends_with(".py") || rel.ends_with("*.py") {
            return true;
        }
        if from_stage {
            // a directory of another stage (no extension): the app it built
            // (not a directory of installed packages or built wheels)
            let last = rel.rsplit('/').next().unwrap_or(rel);
            let deps = ["site-packages", "venv", "wheel", "dist", ".local", "node_modules", ".cache"].iter().any(|d| rel.contains(d));
            return !last.contains('.') && !deps && !rel.starts_with("usr/") && !rel.starts_with("root/") && !rel.is_empty();
        }
        if !cx.build.is_known() {
            return rel.is_empty() || s.ends_with('/');
        }
        cx.build.is_dir(rel) && cx.build.memo_by("holds-python", rel, || holds_python(cx, rel, 0, &mut 0))
    })
}

/// Whether a context directory holds a `.py` file (three levels deep, 2000 entries at most).
fn holds_python(cx: &Context, rel: &str, depth: usize, seen: &mut usize) -> bool {
    let Some(names) = cx.build.list(rel) else { return false };
    for name in names {
        *seen += 1;
        if *seen > 2000 {
            return false;
        }
        let p = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if name.ends_with(".py") && !crate::transforms::common::dockerignored(cx, &p) {
            return true;
        }
        if depth < 3 && !name.starts_with('.') && name != "node_modules" && cx.build.is_dir(&p) && holds_python(cx, &p, depth + 1, seen) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::BuildContext;
    use crate::transforms::testing::{context, count, fix, fix_with};

    #[test]
    fn sets_it_after_the_final_from() {
        assert_eq!(
            fix(&PythonDontWriteBytecode, "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"),
            "FROM python:3.11-slim\nENV PYTHONDONTWRITEBYTECODE=1\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
        );
        // the final stage of a multi-stage build; CRLF and lower case
        assert_eq!(
            fix(&PythonDontWriteBytecode, "from python:3.11 as build\r\ncopy . /src\r\nfrom python:3.11-slim\r\ncopy --from=build /src /app\r\ncmd gunicorn app:app"),
            "from python:3.11 as build\r\ncopy . /src\r\nfrom python:3.11-slim\r\nenv PYTHONDONTWRITEBYTECODE=1\r\ncopy --from=build /src /app\r\ncmd gunicorn app:app"
        );
        // a Debian image that runs python
        assert_eq!(
            fix(&PythonDontWriteBytecode, "FROM debian:12\nCOPY main.py /app/\nCMD [\"python3\", \"/app/main.py\"]\n"),
            "FROM debian:12\nENV PYTHONDONTWRITEBYTECODE=1\nCOPY main.py /app/\nCMD [\"python3\", \"/app/main.py\"]\n"
        );
    }

    #[test]
    fn reads_the_context() {
        let (_d, b) = context(&[("src/pkg/mod.py", ""), ("dist/app-1.0-py3-none-any.whl", "")]);
        let t = "FROM python:3.11-slim\nCOPY src/ /app/\n";
        assert_eq!(fix_with(&PythonDontWriteBytecode, t, false, &b), "FROM python:3.11-slim\nENV PYTHONDONTWRITEBYTECODE=1\nCOPY src/ /app/\n");
        let t = "FROM python:3.11-slim\nCOPY dist/ /tmp/dist/\nRUN pip install /tmp/dist/*.whl\n";
        assert_eq!(fix_with(&PythonDontWriteBytecode, t, true, &b), t);
        let none = BuildContext::default();
        assert_eq!(fix_with(&PythonDontWriteBytecode, "FROM python:3.11\nCOPY . .\n", false, &none), "FROM python:3.11\nENV PYTHONDONTWRITEBYTECODE=1\nCOPY . .\n");
    }

    #[test]
    fn leaves_alone() {
        for t in [
            "FROM python:3.11\nENV PYTHONDONTWRITEBYTECODE=1\nCOPY . .\n",
            "FROM python:3.11 AS base\nENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\nFROM base\nCOPY app.py .\n",
            "FROM python:3.11\nARG PYTHONDONTWRITEBYTECODE=1\nCOPY app.py .\n",
            "FROM python:3.11\nCOPY app.py .\nCMD [\"python\", \"-B\", \"app.py\"]\n",
            "FROM node:18\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
            "FROM python:3.11\nRUN pip install flask\n",
            "FROM python:3.11 AS build\nCOPY . .\nFROM nginx\nCOPY --from=build /app/static /usr/share/nginx/html\n",
            "FROM python:3.11\nCOPY requirements.txt .\n",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY app.py .\nCMD python app.py\n",
        ] {
            assert_eq!(count(&PythonDontWriteBytecode, t), 0, "{t}");
        }
    }
}
