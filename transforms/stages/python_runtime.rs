//! DP403 python-venv-runtime
use regex::Regex;

use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell::{self, Command};
use crate::syntax::Kind;
use crate::transforms::common::run_commands;
use crate::transforms::packages::apt::Apt;
use crate::transforms::images::slim_base_image::{python_packages, PY_NEEDS_COMPILER};
use crate::transforms::stages::split::{apt_install_line, apt_split, AptSplit, copy_from, derived_ref, kw, root_image, tag_release, unsplittable, Anchor, Place, Split};

pub struct PythonVenvRuntime;

static META: RuleMeta = RuleMeta {
    code: "DP403",
    name: "python-venv-runtime",
    summary: "The final image installs Python packages on a full `python` image: install into a virtualenv in a builder stage, copy it onto the slim image",
    fix: FixKind::Unsafe,
    hadolint: &[],
    docs: r#"## What it does
When the final stage installs Python packages (`pip install -r`, `pip install .`, named
packages, `poetry install`, `pipenv install`) on a full `python` image, splits it in two:

- the `builder` (the original stage, `builder-2`, ... when the name is taken) creates a
  virtualenv at `/opt/venv` (`RUN python -m venv /opt/venv`, `ENV VIRTUAL_ENV` and `PATH`) right
  before the first install, so that the installs go there;
- the runtime, on the slim image of the same Python version and Debian release
  (`python:3.11` -> `python:3.11-slim`, `python:3.11-bookworm` -> `python:3.11-slim-bookworm`,
  an ARG-named tag kept as an ARG), gets the virtualenv (`COPY --from=builder /opt/venv
  /opt/venv`, `ENV PATH`), then the application files (the stage's COPY instructions again),
  and the RUNs that come after the last install.

apt packages are split: build-only ones (compilers, `build-essential`, `*-dev`, `git`,
`pkg-config`) stay in the builder; the runtime installs the others and the shared libraries the
`-dev` packages stand for (`libpq-dev` -> `libpq5`, `libjpeg-dev` -> `libjpeg62-turbo`,
`libffi-dev` -> `libffi8` on bookworm, `libffi7` on bullseye, ...), without recommended
packages and with the lists removed.

It splits only where the build needs something the runtime should not carry: build-only apt
packages, a Python package that builds from source (psycopg2, mysqlclient, ...), a packaging
tool that would stay in the image (poetry, pipenv, pdm, hatch), a project with compiled
extension modules, or what dopt cannot see (no build context). Where the installs need nothing
the slim image lacks, moving the base to the slim image (DP301) gives the smaller image: a
virtualenv copied into the runtime carries its own pip and setuptools (25 MB). Measured in the
image lab on `examples/python` (flask, curl): 164.1 MB on `python:3.11-slim-bookworm` with
DP301, 186.9 MB with a virtualenv split.

## Why
`python:3.11` is about 1 GB with compilers and headers that only building wheels needs; the
slim image is about 130 MB, and the virtualenv holds exactly what was installed.

## Example
```dockerfile
FROM python:3.11
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["python", "app.py"]
```
becomes
```dockerfile
FROM python:3.11 AS builder
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
COPY requirements.txt .
RUN python -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
RUN pip install -r requirements.txt

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
COPY requirements.txt .
COPY . .
CMD ["python", "app.py"]
```

## Not flagged
A final stage on a slim or Alpine image (a file that already copies a virtualenv into a
runtime); a stage that installs no Python package; a stage whose installs need nothing the slim
image lacks (DP301 moves it to the slim image). Reported with no fix, saying why: `pip
install --user`, `--target` or `--prefix`, a pip named by an absolute path (it would bypass the
virtualenv), a stage that already makes its own virtualenv.

## Fix safety
Always unsafe: the runtime has no compilers, headers or build-only packages, so a RUN after the
installs that builds something fails there; a `-dev` package whose library dopt does not know
is named in the message, and its library is not installed.
"#,
};

/// Whether a command installs Python packages: (installs, installs project packages beyond pip
/// itself).
fn python_install(cmd: &Command) -> Option<bool> {
    let argv = cmd.argv();
    let prog = shell::base(&argv.first()?.text);
    let rest: Vec<&str> = argv[1..].iter().map(|w| w.text.as_str()).collect();
    // compiled once: this runs for every command of every RUN
    static PIP: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let pip = PIP.get_or_init(|| Regex::new(r"^pip(\d(\.\d+)?)?$").expect("a valid regex"));
    let pip_args: &[&str] = if pip.is_match(prog) {
        &rest
    } else if prog.starts_with("python") && rest.len() >= 2 && rest[0] == "-m" && rest[1] == "pip" {
        &rest[2..]
    } else if prog == "poetry" {
        return rest.iter().find(|a| !a.starts_with('-')).filter(|s| matches!(**s, "install" | "add" | "sync")).map(|_| true);
    } else if prog == "pipenv" {
        return rest.iter().find(|a| !a.starts_with('-')).filter(|s| matches!(**s, "install" | "sync")).map(|_| true);
    } else {
        return None;
    };
    let sub = pip_args.iter().position(|a| !a.starts_with('-'))?;
    if pip_args[sub] != "install" {
        return None;
    }
    let ops: Vec<&str> = pip_args[sub + 1..].iter().copied().filter(|a| !a.starts_with('-')).collect();
    let project = pip_args.iter().any(|a| matches!(*a, "-r" | "--requirement" | "-e" | "--editable") || a.starts_with("--requirement="))
        || ops.iter().any(|o| !matches!(*o, "pip" | "setuptools" | "wheel"));
    Some(project)
}

/// What the build needs that the runtime should not carry, if anything: build-only apt packages,
/// a Python package that builds from source, a packaging tool (poetry, pipenv) that would stay
/// in the image, or what dopt cannot see (no build context, a project built from its sources
/// with a compiled extension).
fn build_needs(cx: &Context, installs: &[(usize, &Command, bool)], apt: &AptSplit) -> Option<String> {
    if !apt.build_only.is_empty() {
        return Some(format!("build-only packages ({})", apt.build_only.join(", ")));
    }
    if !apt.unread.is_empty() {
        return Some("apt packages dopt cannot read".into());
    }
    for (_, c, _) in installs {
        let argv = c.argv();
        let tool = |t: &str| shell::base(&argv[0].text) == t || argv.iter().any(|w| w.text == t || w.text.starts_with(&format!("{t}=")) || w.text.starts_with(&format!("{t}==")));
        if let Some(t) = ["poetry", "pipenv", "pdm", "hatch"].into_iter().find(|t| tool(t)) {
            return Some(format!("`{t}`, which only the build uses"));
        }
    }
    if !cx.build.is_known() {
        return Some("packages dopt cannot see (no build context)".into());
    }
    let (_, pkgs) = python_packages(cx);
    let named = installs.iter().flat_map(|(_, c, _)| c.argv().iter().skip(1)).map(|w| {
        let t = w.text.to_ascii_lowercase();
        t.split(['=', '<', '>', '~', '!', '[', ';']).next().unwrap_or("").to_string()
    });
    if let Some(p) = pkgs.into_iter().chain(named).find(|p| PY_NEEDS_COMPILER.contains(&p.as_str())) {
        return Some(format!("a compiler for `{p}`, which builds from source"));
    }
    let project_build = installs.iter().any(|(_, c, _)| c.argv().iter().skip(1).any(|w| w.text == "." || w.text.starts_with("./") || w.text == "-e"));
    if project_build {
        let meta = ["pyproject.toml", "setup.py", "setup.cfg"].iter().filter_map(|f| cx.build.read(f)).collect::<String>().to_ascii_lowercase();
        if ["ext_modules", "cython", "maturin", "setuptools-rust", "setuptools_rust", "scikit-build", "pybind11", "cffi_modules", "meson-python"].iter().any(|k| meta.contains(k)) {
            return Some("a compiler for the project's own extension modules".into());
        }
    }
    None
}

impl Rule for PythonVenvRuntime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(stage) = cx.model.final_stage() else { return };
        let si = stage.index;
        let Some((root, image)) = root_image(cx, si) else { return };
        if image.short_name() != "python" {
            return;
        }
        let Some(tag) = image.tag.clone() else { return };
        static TAG: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let tag_re = TAG.get_or_init(|| Regex::new(r"^(\d+(?:\.\d+)*)(?:-(bookworm|bullseye|buster|trixie))?$").expect("a valid regex"));
        let Some(c) = tag_re.captures(&tag) else { return };
        let new_tag = match c.get(2) {
            Some(r) => format!("{}-slim-{}", &c[1], r.as_str()),
            None => format!("{}-slim", &c[1]),
        };
        let cmds = run_commands(cx);
        let in_stage = |i: usize| stage.instructions.contains(&i);
        let installs: Vec<(usize, &Command, bool)> =
            cmds.iter().filter(|rc| in_stage(rc.ins)).filter_map(|rc| python_install(rc.cmd).map(|p| (rc.ins, rc.cmd, p))).collect();
        if !installs.iter().any(|(_, _, p)| *p) {
            return;
        }
        let release = tag_release(&tag).unwrap_or("bookworm");
        let apt = apt_split(cx, si, release, &|_| true);
        // nothing to leave behind: the slim image itself (DP301) is smaller than a copy of a
        // virtualenv, which carries its own pip and setuptools
        let Some(needs) = build_needs(cx, &installs, &apt) else { return };
        let from = &cx.file.instructions[stage.from];
        let range = from.range.start..from.header_end;
        let base = cx.model.stages[root].base_resolved.clone();
        let head = format!("the final image installs Python packages on `{base}`, and only the build needs {needs}");
        let report = |out: &mut Vec<Diagnostic>, why: String| out.push(cx.diag(&META, range.clone(), format!("{head}; no fix: {why}"), None));
        if let Some(why) = unsplittable(cx, si) {
            return report(out, why);
        }
        for (i, c, _) in &installs {
            let line = cx.file.instructions[*i].start_line;
            let argv = c.argv();
            if argv.iter().any(|w| matches!(w.text.as_str(), "--user" | "--target" | "-t" | "--prefix" | "--root") || w.text.starts_with("--target=") || w.text.starts_with("--prefix=")) {
                return report(out, format!("the install at line {line} installs outside the environment (`--user`, `--target` or `--prefix`)"));
            }
            if argv[0].text.starts_with('/') {
                return report(out, format!("the install at line {line} runs `{}` by its path, which would bypass the virtualenv", argv[0].text));
            }
        }
        if cmds.iter().any(|rc| in_stage(rc.ins) && (rc.cmd.program() == Some("virtualenv") || rc.cmd.argv().windows(2).any(|w| w[0].text == "-m" && matches!(w[1].text.as_str(), "venv" | "virtualenv"))))
            || stage.instructions.clone().any(|i| {
                let n = cx.file.instructions[i].effective();
                n.kind == Kind::Env && n.values.iter().any(|v| v == "VIRTUAL_ENV")
            })
        {
            return report(out, "the stage already makes its own virtualenv".into());
        }
        let first = installs.iter().map(|(i, _, _)| *i).min().unwrap();
        let last = installs.iter().map(|(i, _, _)| *i).max().unwrap();
        let mut split = Split::new(si, derived_ref(cx, root, &image, None, &new_tag));
        let builder = split.builder_name(cx);
        // the venv goes before the first install, or before a USER that comes before it
        let r = stage.instructions.clone();
        let at = r.clone().filter(|&i| i <= first && cx.file.instructions[i].kind() == Kind::User).min().unwrap_or(first);
        let env = format!("{} VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"", kw(cx, "ENV"));
        split.builder_before.push((at, vec![format!("{} python -m venv /opt/venv", kw(cx, "RUN")), env.clone()]));
        split.runtime_lines.push((Anchor::BeforeFiles, copy_from(cx, &builder, &["/opt/venv"], "/opt/venv")));
        split.runtime_lines.push((Anchor::BeforeFiles, env));
        let mut moved_runs = Vec::new();
        for i in r.clone().skip(1) {
            let ins = &cx.file.instructions[i];
            match ins.kind() {
                Kind::Copy | Kind::Add => split.set(i, if i < last { Place::Both } else { Place::Runtime }),
                Kind::Run => {
                    let progs: Vec<&Command> = cmds.iter().filter(|rc| rc.ins == i).map(|rc| rc.cmd).collect();
                    let installs_here = progs.iter().any(|c| python_install(c).is_some() || Apt::of(c).is_some());
                    if installs_here {
                        continue;
                    }
                    if i > last {
                        split.set(i, Place::Runtime);
                        moved_runs.push(ins.start_line.to_string());
                    } else if progs.iter().any(|c| matches!(c.program(), Some("useradd" | "adduser" | "groupadd" | "addgroup"))) {
                        split.set(i, Place::Both);
                    }
                }
                _ => {}
            }
        }
        if !apt.runtime.is_empty() {
            split.runtime_head.push(apt_install_line(cx, &apt.runtime));
        }
        let mut msg = format!("{head}: install into a virtualenv in a `{builder}` stage and copy it onto `{}`", split.runtime_image);
        if !apt.runtime.is_empty() {
            msg.push_str(&format!("; the runtime installs {} with apt", apt.runtime.join(", ")));
        }
        if !moved_runs.is_empty() {
            msg.push_str(&format!("; the RUN at line {} now runs on the slim image", moved_runs.join(", ")));
        }
        let mut lacks = vec!["the full image's compilers and headers".to_string()];
        if !apt.build_only.is_empty() {
            lacks.push(format!("the build-only packages ({})", apt.build_only.join(", ")));
        }
        msg.push_str(&format!("; unsafe: the runtime image lacks {}", lacks.join("; ")));
        if !apt.unknown_dev.is_empty() {
            msg.push_str(&format!("; dopt does not know the runtime library of {}: it is not installed", apt.unknown_dev.join(", ")));
        }
        if !apt.unread.is_empty() {
            msg.push_str(&format!("; dopt could not read every package of the apt install at line {}", apt.unread.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")));
        }
        let fix = Fix::unsafe_(split.edits(cx)).foundation();
        out.push(cx.diag(&META, range, msg, Some(fix)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{context, count, fix_with};

    fn fixed(text: &str) -> String {
        fixed_with(text, "psycopg2\n")
    }

    fn fixed_with(text: &str, requirements: &str) -> String {
        let (_d, b) = context(&[("requirements.txt", requirements)]);
        fix_with(&PythonVenvRuntime, text, true, &b)
    }

    #[test]
    fn splits_only_where_the_build_needs_what_the_runtime_should_not_carry() {
        let t = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n";
        // pure Python: the slim image (DP301) is smaller than a virtualenv copy
        assert_eq!(fixed_with(t, "flask\n"), t);
        // a package that builds from source, named in requirements or on the command line
        assert!(fixed_with(t, "flask\npsycopg2==2.9.9\n").contains("\nFROM python:3.11-slim\n"));
        assert!(fixed_with(&t.replace("-r requirements.txt", "mysqlclient==2.2"), "flask\n").contains("\nFROM python:3.11-slim\n"));
        // build-only apt packages
        assert!(fixed_with(&t.replace("WORKDIR /app\n", "RUN apt-get update && apt-get install -y gcc\nWORKDIR /app\n"), "flask\n").contains("AS builder"));
        // a packaging tool that would stay in the image
        let poetry = "FROM python:3.11\nRUN pip install poetry==1.8.2\nCOPY . .\nRUN poetry install --only main\nCMD [\"python\", \"app.py\"]\n";
        assert!(fixed_with(poetry, "").contains("AS builder"));
        // no build context: dopt cannot tell, so it offers the split
        let f = crate::syntax::parse(t).unwrap();
        let d = crate::engine::check(&f, &[&PythonVenvRuntime], &Default::default());
        assert!(d.len() == 1 && d[0].message.contains("no build context"), "{d:?}");
        // a project with compiled extension modules
        let (_d, b) = context(&[("pyproject.toml", "[build-system]\nrequires = [\"setuptools\", \"cython\"]\n")]);
        let out = fix_with(&PythonVenvRuntime, &t.replace("-r requirements.txt", "."), true, &b);
        assert!(out.contains("AS builder"), "{out}");
    }

    #[test]
    fn installs_into_a_venv_copied_onto_slim() {
        let t = "FROM python:3.11\nRUN apt-get update && apt-get install -y gcc libpq-dev\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n";
        assert_eq!(
            fixed(t),
            "FROM python:3.11 AS builder\nRUN apt-get update && apt-get install -y gcc libpq-dev\nWORKDIR /app\nCOPY requirements.txt .\nRUN python -m venv /opt/venv\nENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nRUN pip install -r requirements.txt\n\nFROM python:3.11-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY --from=builder /opt/venv /opt/venv\nENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nCOPY requirements.txt .\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
        );
        let (_d, b) = context(&[]);
        assert_eq!(fix_with(&PythonVenvRuntime, t, false, &b), t);
    }

    #[test]
    fn keeps_the_release_and_arg_names() {
        let out = fixed("ARG PY=3.12\nFROM python:${PY}\nRUN pip install flask psycopg2\nCMD [\"flask\", \"run\"]\n");
        assert!(out.contains("\nFROM python:${PY}-slim\n"), "{out}");
        let out = fixed("FROM python:3.11-bullseye\nRUN apt-get update && apt-get install -y libffi-dev\nRUN pip install cffi\nCMD [\"python\"]\n");
        assert!(out.contains("\nFROM python:3.11-slim-bullseye\nRUN apt-get update && apt-get install -y --no-install-recommends libffi7 "), "{out}");
    }

    #[test]
    fn later_runs_move_to_the_runtime_and_users_are_kept() {
        let t = "FROM python:3.11\nRUN useradd app\nUSER app\nWORKDIR /home/app\nCOPY . .\nRUN pip install -r requirements.txt\nRUN python manage.py collectstatic\nCMD [\"gunicorn\", \"app:app\"]\n";
        let out = fixed(t);
        // the venv is made before the USER, as root
        assert!(out.starts_with("FROM python:3.11 AS builder\nRUN useradd app\nRUN python -m venv /opt/venv\nENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nWORKDIR /home/app\n"), "{out}");
        assert!(out.ends_with("FROM python:3.11-slim\nCOPY --from=builder /opt/venv /opt/venv\nENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nRUN useradd app\nWORKDIR /home/app\nCOPY . .\nRUN python manage.py collectstatic\nUSER app\nCMD [\"gunicorn\", \"app:app\"]\n"), "{out}");
    }

    #[test]
    fn not_flagged_or_no_fix() {
        assert_eq!(count(&PythonVenvRuntime, "FROM python:3.11-slim\nRUN pip install flask\n"), 0);
        assert_eq!(count(&PythonVenvRuntime, "FROM python:3.11\nRUN pip install --upgrade pip\n"), 0);
        assert_eq!(count(&PythonVenvRuntime, "FROM python:3.11 AS b\nRUN pip install flask\nFROM python:3.11-slim\nCOPY --from=b /x /x\n"), 0);
        for t in ["FROM python:3.11\nRUN pip install --user flask\n", "FROM python:3.11\nRUN python -m venv /v && /v/bin/pip install flask\n", "FROM python:3.11\nRUN /usr/local/bin/pip install flask\n"] {
            let f = crate::syntax::parse(t).unwrap();
            let d = crate::engine::check(&f, &[&PythonVenvRuntime], &Default::default());
            assert!(d.len() == 1 && d[0].fix.is_none(), "{t}: {d:?}");
        }
    }

    #[test]
    fn unknown_dev_packages_are_named() {
        let t = "FROM python:3.11\nRUN apt-get update && apt-get install -y libfoo-dev\nRUN pip install foo\n";
        let f = crate::syntax::parse(t).unwrap();
        let d = crate::engine::check(&f, &[&PythonVenvRuntime], &Default::default());
        assert!(d[0].message.contains("libfoo-dev"), "{}", d[0].message);
    }
}
