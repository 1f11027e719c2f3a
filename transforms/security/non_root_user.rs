//! DP501 non-root-user
use crate::engine::{Context, Diagnostic, Edit, Fix, FixKind, Rule, RuleMeta};
use crate::model::unquote;
use crate::syntax::Kind;
use crate::transforms::common::{operands, run_commands_incl, InnerScripts, RunCommand};
use crate::transforms::programs::{context_source, cwd_before, join_abs, normalize, workdir_at};

use super::final_image::{inside, is_root_user, launch, numeric_opt, Account, Base, Distro, FinalImage, Launch, SHELLS};

pub struct NonRootUser;

static META: RuleMeta = RuleMeta {
    code: "DP501",
    name: "non-root-user",
    summary: "The final image runs its application as root: add a numeric `USER uid:gid` before CMD/ENTRYPOINT",
    fix: FixKind::Unsafe,
    hadolint: &["DL3002"],
    docs: r#"## What it does
Finds a final image that runs its application as root, and adds a numeric `USER uid:gid`
before its CMD or ENTRYPOINT (after the last RUN, so that every RUN still runs as root):

- an earlier non-root USER of the file that a later `USER root` undid, or a user the file
  creates (`useradd -u 1001 ...`): that user, by its ids;
- else the base image's own unprivileged user: `node` (1000:1000) on node images, `nonroot`
  (65532:65532) on distroless, `app` (1654:1654) on .NET 8 and later;
- else `nobody`, 65534:65534 (on `scratch` too, which has no `/etc/passwd`: only a numeric
  USER works there);
- when the application writes to its directory (see below), a user that owns it: the base's
  own user, or one the fix creates, `app` (10001:10001), with `groupadd`/`useradd` on Debian
  and Ubuntu bases and BusyBox `addgroup`/`adduser` on Alpine. The files COPY and ADD put in
  that directory get `--chown=uid:gid`, and one RUN before the USER creates the user (if
  needed) and gives it the directories themselves (`mkdir -p` and a `chown` that is not
  recursive: a recursive one would copy every file into a new layer).

The user is numeric so that Kubernetes' `runAsNonRoot` can check it: a name would need the
image's `/etc/passwd`, which the kubelet does not read.

### How dopt tells that the application writes to its directory
It counts as writing to a directory when the final image shows one of:
- a `VOLUME`, except `/tmp` (the volume takes the directory's owner; that directory is given
  to the user);
- a RUN that makes a directory and leaves it for the application: inside the working
  directory of the CMD (`mkdir -p logs uploads`), or elsewhere (`mkdir -p /data/db`). A
  directory the build itself uses (a later command `cd`s into it, fills it, deletes it or names
  a path in it, a WORKDIR goes there, a COPY writes there) does not count, nor do the system's
  (`/usr`, `/etc`, `/var/cache`, `/root`, `/tmp`, ...);
- a SQLite database (`*.db`, `*.sqlite`, `*.sqlite3`) copied from the build context into
  that directory: SQLite writes its journal beside the database;
- a framework known to write under its application directory when it runs: Next.js
  (`next start`, also through the `start` script of `package.json`: `.next/cache`), Rails
  (`rails`, `puma`, `unicorn`: `tmp/`, `log/`).

Writes dopt cannot see (a log file the code opens, a cache a library keeps) are why the fix is
unsafe.

## Why
A process that runs as root in a container is root on the files of the container and, when it
breaks out through a kernel or runtime bug, root on the host. Kubernetes' `runAsNonRoot` and
most admission policies refuse such images.

## Example
```dockerfile
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python", "app.py"]
```
becomes
```dockerfile
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
USER 65534:65534
CMD ["python", "app.py"]
```

## Not flagged
A final image whose last USER is not root, or is named through a variable (`USER $APP_UID`);
a base image not known to run as root (an image of your own may set its USER) unless the
file itself says `USER root`; a file with no CMD or ENTRYPOINT (a base image for other
Dockerfiles, or one that keeps its base's command); a command that is only a shell
(`CMD ["bash"]`), an interpreter's prompt (`CMD ["python3"]`, `CMD ["node"]`, also behind an
ENTRYPOINT `docker-entrypoint.sh`) or `sleep`/`tail`; Windows images; builder stages, whose
user does not reach the final image.

## No fix, advice only
When the image needs root, the finding names why and nothing is changed:
- a program that starts as root and drops its privileges itself, or manages processes or
  devices: nginx, httpd/apache2, sshd, supervisord, systemd or another init, cron, dockerd,
  php-fpm, s6, runit, postfix, and start scripts that use `gosu`, `su-exec`, `su` or
  `setpriv` (read from the build context when the CMD or ENTRYPOINT runs one);
- a start script from the build context that runs commands only root may (`chown`, `apt-get`,
  `sysctl`, `mount`, `iptables`, `useradd`, ...);
- an `EXPOSE` of a port below 1024 without a RUN that grants `cap_net_bind_service`
  (`setcap`);
- ONBUILD RUN triggers: they run in the builds FROM this image, after its last USER;
- a user dopt cannot give ids to (a `USER app` undone by `USER root`, or a `useradd` without
  `-u`), or a directory the app writes to on a base where dopt cannot create a user or change
  an owner (`scratch`, distroless, a system it does not know), or in a working directory it
  cannot tell (`WORKDIR $HOME`) or that is `/`.

## Fix safety
Always unsafe: the application then runs without root's rights, and dopt cannot see every file
it writes or every privilege it uses. hadolint's DL3002 (last USER is root) goes away.
"#,
};

/// Programs that start as root and drop privileges themselves, or manage processes, services
/// or devices.
const NEEDS_ROOT_PROGRAMS: &[&str] = &[
    "nginx", "openresty", "httpd", "apache2", "apachectl", "apache2ctl", "apache2-foreground", "httpd-foreground", "sshd", "supervisord",
    "systemd", "init", "runit", "runsvdir", "my_init", "s6-svscan", "cron", "crond", "anacron", "dockerd", "dockerd-entrypoint.sh",
    "containerd", "postfix", "dovecot", "dnsmasq", "rsyslogd", "syslog-ng", "squid", "named", "vsftpd", "proftpd", "smbd", "openvpn",
    "xinetd", "inetd", "varnishd", "service", "systemctl", "gosu", "su-exec", "su", "setpriv", "runuser", "chroot", "setuidgid",
    "s6-setuidgid", "chpst",
];

/// Commands a start script runs that need root.
const ROOT_COMMANDS: &[&str] = &[
    "chown", "apt-get", "apt", "apk", "yum", "dnf", "microdnf", "useradd", "adduser", "groupadd", "addgroup", "usermod", "mount",
    "sysctl", "iptables", "ip6tables", "setcap", "update-ca-certificates", "ldconfig", "modprobe", "ulimit",
];

/// Programs that are not an application: an interactive shell, or a command that only waits.
const NOT_APPS: &[&str] = &["tail", "sleep", "true", "cat", "tini", "dumb-init", "catatonit", "tini-static"];

/// Interpreters that, with no script, start an interactive prompt (`CMD ["node"]` of a base
/// image).
const INTERPRETERS: &[&str] = &[
    "node", "nodejs", "ruby", "irb", "php", "perl", "jshell", "ghci", "iex", "erl", "R", "julia", "lua", "scala", "bun", "deno", "groovysh", "clj", "sbcl", "swift",
];

/// The uid and gid of a user the fix creates.
const CREATED_ID: u32 = 10001;

impl Rule for NonRootUser {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(fi) = FinalImage::of(cx) else { return };
        let Some(main) = fi.main_command(cx) else { return };
        let base = fi.base.clone();
        if base.as_ref().is_some_and(|b| b.windows) {
            return;
        }
        // who the image runs as
        let users: Vec<usize> = fi.of_kind(cx, Kind::User).collect();
        let last_user = users.last().copied();
        let at = match last_user {
            Some(u) => {
                let v = user_value(cx, u);
                if v.is_empty() || v.contains('$') || !is_root_user(&v) {
                    return;
                }
                u
            }
            None if base.as_ref().and_then(|b| b.runs_as_root) == Some(true) => main,
            None => return,
        };
        let base = base.unwrap_or_else(Base::scratch);
        let ins = &cx.file.instructions[at];
        let range = ins.keyword_start()..ins.header_end;
        // what it runs
        let mut launches = vec![launch(cx, main)];
        if cx.file.instructions[main].node.kind == Kind::Entrypoint {
            if let Some(c) = fi.last(cx, Kind::Cmd) {
                launches.push(launch(cx, c));
            }
        }
        // a wrapper script of the base (`docker-entrypoint.sh`) runs the CMD: the CMD tells
        let judged = match launches.first().and_then(|l| l.runs.first()) {
            Some(r) if launches.len() > 1 && r.program.contains("entrypoint") => &launches[1..],
            _ => &launches[..],
        };
        if !is_application(judged) {
            return;
        }
        let what = describe(cx, main);
        let root_why = match last_user {
            Some(u) => format!("its last USER, line {}, is root", cx.file.instructions[u].start_line),
            None => format!("`{}` sets no USER and the file none", base.name),
        };
        let advise = |out: &mut Vec<Diagnostic>, why: String| {
            out.push(cx.diag(&META, range.clone(), format!("the final image runs {what} as root ({root_why}), and {why}; dopt changes nothing"), None));
        };
        if let Some(why) = needs_root(cx, &fi, &launches) {
            advise(out, format!("it needs root: {why}"));
            return;
        }
        let unseen: Vec<String> = launches.iter().flat_map(|l| l.unseen.iter().cloned()).collect();
        // whose the app's directory is, if it writes to it
        // the commands of the final image's RUNs, `sh -c` strings included
        let inner = InnerScripts::of(cx);
        let mut in_image = vec![false; cx.file.instructions.len()];
        for &i in &fi.instructions {
            in_image[i] = true;
        }
        let cmds: Vec<RunCommand> = run_commands_incl(cx, &inner).into_iter().filter(|rc| in_image[rc.ins]).collect();
        let writes = match writes(cx, &fi, main, &launches, &cmds) {
            Ok(w) => w,
            Err(why) => return advise(out, why),
        };
        let created = created_users(&cmds);
        let choice = match choose_user(cx, &base, &users, &created, &writes) {
            Ok(c) => c,
            Err(why) => return advise(out, why),
        };
        let (edits, how) = plan(cx, &fi, &choice, &writes);
        let caveat = if unseen.is_empty() {
            String::new()
        } else {
            format!("; dopt could not read everything the command runs ({}): check it needs no root", unseen.join("; "))
        };
        let msg = format!("the final image runs {what} as root ({root_why}): {how}, numeric so that Kubernetes' runAsNonRoot can check it (unsafe: {}{caveat})", match &writes {
            Some(w) => format!("the app writes to {}; files RUN instructions made stay root's", w.why.join(", ")),
            None => "the app can no longer write where only root may; dopt saw no sign that it writes to its files".to_string(),
        });
        out.push(cx.diag(&META, range, msg, Some(Fix::unsafe_(edits))));
    }
}

/// The value of a USER instruction, quotes removed.
fn user_value(cx: &Context, i: usize) -> String {
    cx.file.instructions[i].node.values.first().map(|v| unquote(v)).unwrap_or_default()
}

/// `python app.py`, for messages (the first words of the command).
fn describe(cx: &Context, i: usize) -> String {
    let n = &cx.file.instructions[i].node;
    let mut words: Vec<&str> = if n.json { n.values.iter().map(String::as_str).collect() } else { n.values.first().map(|v| v.split_whitespace().collect()).unwrap_or_default() };
    // `tini -- app`: the app
    while words.len() > 1 && (["tini", "dumb-init", "catatonit", "tini-static", "exec"].contains(&crate::model::shell::base(words[0])) || words[0].starts_with('-')) {
        words.remove(0);
    }
    let mut s = words.iter().take(4).copied().collect::<Vec<_>>().join(" ");
    if words.len() > 4 {
        s.push_str(" ...");
    }
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "...";
    }
    format!("`{s}`")
}

/// Whether the command is an application: not only a shell, `sleep` or `tail`.
fn is_application(launches: &[Launch]) -> bool {
    launches.iter().flat_map(|l| &l.runs).any(|r| {
        let p = r.program.as_str();
        if NOT_APPS.contains(&p) {
            return false;
        }
        // a shell or an interpreter counts only when it runs a script or code
        let repl = SHELLS.contains(&p) || p.starts_with("python") || p.starts_with("pypy") || INTERPRETERS.contains(&p);
        !(repl && r.args.iter().all(|a| a.starts_with('-')))
    })
}

/// Why the image needs root, if it does.
fn needs_root(cx: &Context, fi: &FinalImage, launches: &[Launch]) -> Option<String> {
    let mut why = Vec::new();
    for r in launches.iter().flat_map(|l| &l.runs) {
        let p = r.program.as_str();
        let daemon = NEEDS_ROOT_PROGRAMS.contains(&p) || p.starts_with("php-fpm") || (p == "init" && r.path.starts_with('/'));
        let w = if daemon {
            let from = r.via.as_ref().map(|v| format!(" (in `{v}`)")).unwrap_or_default();
            if ["gosu", "su-exec", "su", "setpriv", "runuser", "chroot", "setuidgid", "s6-setuidgid", "chpst"].contains(&p) {
                format!("it starts as root and drops its privileges with `{p}`{from}")
            } else {
                format!("`{p}`{from} starts as root (it drops privileges itself or manages processes)")
            }
        } else if let Some(v) = r.via.as_ref().filter(|_| ROOT_COMMANDS.contains(&p)) {
            format!("`{v}` runs `{p}`, which needs root")
        } else {
            continue;
        };
        if !why.contains(&w) {
            why.push(w);
        }
    }
    let low: Vec<u32> = fi.exposed(cx).into_iter().map(|(_, p)| p).filter(|p| *p < 1024).collect();
    if !low.is_empty() && !grants_bind_capability(cx, fi) {
        let ports = low.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
        why.push(format!(
            "it exposes port {ports}, which a non-root process binds only with `cap_net_bind_service` (`setcap cap_net_bind_service=+ep` on the program) or where the runtime lowers `net.ipv4.ip_unprivileged_port_start`; or move the app to a port above 1023"
        ));
    }
    if let Some(i) = fi.instructions.iter().copied().find(|&i| cx.file.instructions[i].node.trigger.as_ref().is_some_and(|t| t.kind == Kind::Run)) {
        why.push(format!("its ONBUILD RUN (line {}) runs in the builds FROM this image, after its last USER", cx.file.instructions[i].start_line));
    }
    if why.is_empty() {
        None
    } else {
        Some(why.join("; "))
    }
}

/// Whether a RUN of the final image grants `cap_net_bind_service` with `setcap`.
fn grants_bind_capability(cx: &Context, fi: &FinalImage) -> bool {
    fi.of_kind(cx, Kind::Run).any(|i| {
        let t = cx.file.text[cx.file.instructions[i].range.clone()].to_ascii_lowercase();
        t.contains("setcap") && t.contains("cap_net_bind_service")
    })
}

/// The directories the application writes to and how dopt knows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Writes {
    /// Absolute, normalized; the working directory first when it is one.
    dirs: Vec<String>,
    /// The working directory of the command, when the app writes there.
    workdir: Option<String>,
    why: Vec<String>,
}

/// Sqlite database names.
fn is_sqlite(name: &str) -> bool {
    [".db", ".sqlite", ".sqlite3"].iter().any(|e| name.ends_with(e) && name.len() > e.len())
}

/// Where the application writes, from what the final image shows; Err(advice) when it writes
/// where dopt cannot give the directory to a user.
fn writes(cx: &Context, fi: &FinalImage, main: usize, launches: &[Launch], cmds: &[RunCommand]) -> Result<Option<Writes>, String> {
    let wd = workdir_at(cx, main);
    let mut in_wd: Vec<String> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    let mut why: Vec<String> = Vec::new();
    // VOLUMEs
    for i in fi.of_kind(cx, Kind::Volume) {
        for v in &cx.file.instructions[i].node.values {
            let v = unquote(v);
            if v.contains('$') || !v.starts_with('/') {
                return Err(format!("the app writes to a VOLUME (line {}) whose path dopt cannot tell", cx.file.instructions[i].start_line));
            }
            let d = normalize(&v);
            if ["/tmp", "/var/tmp", "/dev/shm"].contains(&d.as_str()) {
                continue; // writable by everyone
            }
            if !dirs.contains(&d) {
                dirs.push(d.clone());
                why.push(format!("`{d}` (a VOLUME)"));
            }
        }
    }
    // directories RUNs make: inside the working directory, or elsewhere for data
    let copy_dests: Vec<String> = fi.instructions.iter().copied().filter(|&i| matches!(cx.file.instructions[i].node.kind, Kind::Copy | Kind::Add)).filter_map(|i| copy_dest(cx, i)).collect();
    for rc in cmds {
        if rc.cmd.program() != Some("mkdir") {
            continue;
        }
        let cwd = cwd_before(rc.script, rc.cmd, workdir_at(cx, rc.ins));
        let line = cx.file.instructions[rc.ins].start_line;
        for op in operands(rc.cmd, &["-m", "--mode"]) {
            if op.dynamic {
                continue;
            }
            if op.text.starts_with('~') {
                continue;
            }
            let Some(p) = (if op.text.starts_with('/') { Some(normalize(&op.text)) } else { cwd.as_deref().map(|c| normalize(&join_abs(c, &op.text))) }) else { continue };
            if dirs.contains(&p) || used_at_build(cx, fi, cmds, &p, &op.text, wd.as_deref()) {
                continue;
            }
            if copy_dests.iter().any(|d| inside(d, &p)) {
                continue; // files are copied there
            }
            match wd.as_deref() {
                Some(w) if w != "/" && p != w && inside(&p, w) => {
                    in_wd.push(format!("`{}` (made at line {line})", op.text));
                    dirs.push(p);
                }
                // the working directory, a directory above it, or one files are copied to
                Some(w) if inside(w, &p) => {}
                _ if is_system_path(&p) => {}
                _ => {
                    why.push(format!("`{p}` (made at line {line})"));
                    dirs.push(p);
                }
            }
        }
    }
    // SQLite databases copied from the context
    if let Some(w) = wd.as_deref() {
        if let Some(db) = copied_sqlite(cx, fi, w) {
            in_wd.push(format!("`{db}` (a SQLite database: its journal goes beside it)"));
        }
    }
    // frameworks that write under their directory
    for r in launches.iter().flat_map(|l| &l.runs) {
        let fw = match r.program.as_str() {
            "next" if r.args.first().is_some_and(|a| a == "start") => Some("Next.js writes `.next/cache`"),
            "rails" | "puma" | "unicorn" => Some("Rails writes `tmp/` and `log/`"),
            "npm" | "yarn" | "pnpm" if r.args.iter().any(|a| a == "start") && wd.as_deref().is_some_and(|w| start_script_runs_next(cx, fi, w)) => {
                Some("Next.js (`next start`) writes `.next/cache`")
            }
            _ => None,
        };
        if let Some(f) = fw {
            let s = f.to_string();
            if !in_wd.contains(&s) {
                in_wd.push(s);
            }
        }
    }
    if !in_wd.is_empty() {
        let w = match wd.as_deref() {
            None => return Err(format!("the app writes to its working directory ({}), which dopt cannot tell (a WORKDIR with a variable)", in_wd.join(", "))),
            Some("/") => return Err(format!("the app writes to its working directory ({}), which is `/`: set a WORKDIR for it", in_wd.join(", "))),
            Some(w) => w.to_string(),
        };
        for d in &dirs {
            if is_system_dir(d) {
                return Err(format!("the app writes to `{d}`, a system directory"));
            }
        }
        if is_system_dir(&w) {
            return Err(format!("the app writes to its working directory `{w}`, a system directory"));
        }
        dirs.retain(|d| d != &w);
        dirs.insert(0, w.clone());
        why.insert(0, format!("`{w}`: {}", in_wd.join(", ")));
        return Ok(Some(Writes { dirs, workdir: Some(w), why }));
    }
    if dirs.is_empty() {
        return Ok(None);
    }
    if let Some(d) = dirs.iter().find(|d| is_system_dir(d)) {
        return Err(format!("the app writes to `{d}`, a system directory"));
    }
    Ok(Some(Writes { dirs, workdir: None, why }))
}

/// Whether the build itself uses directory `dir` (made as `written`): a command other than
/// `mkdir`, `chown`, `chmod` names it or a path in it (`cd /src/x`, `mv app bin/`, `tar -C`), or a
/// WORKDIR other than the command's goes there. Such a directory holds what the build puts in
/// it, not what the application will write.
fn used_at_build(cx: &Context, fi: &FinalImage, cmds: &[RunCommand], dir: &str, written: &str, wd: Option<&str>) -> bool {
    let rel = written.trim_start_matches("./").trim_end_matches('/');
    let names = |t: &str| {
        let t = t.trim_start_matches("./");
        // the directory, a path in it, or a directory above it (`cd src && ... && rm -rf src`)
        let above = !t.is_empty() && t != "/" && t != "." && !t.starts_with('-') && !is_system_dir(t);
        let hits = |d: &str| {
            !d.is_empty() && (t == d || t.starts_with(&format!("{d}/")) || t.ends_with(&format!("={d}")) || t.contains(&format!("={d}/")) || (above && d.starts_with(&format!("{t}/"))))
        };
        hits(dir) || (!written.starts_with('/') && hits(rel))
    };
    for rc in cmds {
        if matches!(rc.cmd.program(), Some("mkdir" | "chown" | "chmod" | "chgrp")) {
            continue;
        }
        if rc.cmd.words.iter().skip(1).any(|w| names(&w.text)) {
            return true;
        }
    }
    fi.of_kind(cx, Kind::Workdir).any(|i| {
        let v = cx.file.instructions[i].node.values.first().map(|v| unquote(v)).unwrap_or_default();
        let w = workdir_at(cx, i).filter(|_| !v.contains('$')).map(|b| normalize(&join_abs(&b, &v)));
        w.as_deref().is_some_and(|w| inside(w, dir)) && w.as_deref() != wd
    })
}

/// Directories of the system, and the places tools and builds use, where a directory made is
/// not a sign that the application writes there.
fn is_system_path(d: &str) -> bool {
    const UNDER: &[&str] = &[
        "/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin", "/root", "/home", "/proc", "/sys", "/dev", "/boot", "/tmp", "/var/tmp", "/run",
        "/var/run", "/var/cache", "/var/lib/apt", "/var/lib/dpkg", "/go", "/build", "/src", "/source", "/workspace",
    ];
    is_system_dir(d) || UNDER.iter().any(|u| inside(d, u))
}

/// Directories no application should own.
fn is_system_dir(d: &str) -> bool {
    ["/", "/usr", "/usr/local", "/usr/bin", "/usr/local/bin", "/bin", "/sbin", "/lib", "/etc", "/var", "/opt", "/home", "/root", "/tmp", "/srv", "/run", "/proc", "/sys", "/dev"].contains(&d)
}

/// A SQLite database that a COPY/ADD from the build context puts inside `wd`.
fn copied_sqlite(cx: &Context, fi: &FinalImage, wd: &str) -> Option<String> {
    if !cx.build.is_known() {
        return None;
    }
    for i in fi.instructions.iter().copied() {
        let n = &cx.file.instructions[i].node;
        if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("from").is_some() || n.values.len() < 2 {
            continue;
        }
        let Some(dest) = copy_dest(cx, i) else { continue };
        if !inside(&dest, wd) && !inside(wd, &dest) {
            continue;
        }
        for s in &n.values[..n.values.len() - 1] {
            let s = unquote(s);
            if s.contains('$') || s.contains("://") || s.starts_with("<<") {
                continue;
            }
            let rel = s.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
            let rel = if rel == "." { "" } else { rel };
            if cx.build.is_dir(rel) {
                // a fact of the context: found once for the Dockerfiles that share it
                if let Some(f) = cx.build.memo_by("sqlite-in-dir", rel, || find_in_dir(cx, rel, 3, &mut 0)) {
                    return Some(f);
                }
            } else if is_sqlite(rel) && cx.build.exists(rel) {
                return Some(rel.to_string());
            }
        }
    }
    None
}

/// A SQLite file under context directory `rel`, at most `depth` levels down (bounded).
fn find_in_dir(cx: &Context, rel: &str, depth: usize, seen: &mut usize) -> Option<String> {
    for name in cx.build.list(rel)? {
        *seen += 1;
        if *seen > 5000 {
            return None;
        }
        let p = crate::transforms::common::join_path(rel, &name);
        if crate::transforms::common::dockerignored(cx, &p) {
            continue;
        }
        if is_sqlite(&name) && !cx.build.is_dir(&p) {
            return Some(p);
        }
        if depth > 0 && !name.starts_with('.') && name != "node_modules" && name != "vendor" && cx.build.is_dir(&p) {
            if let Some(f) = find_in_dir(cx, &p, depth - 1, seen) {
                return Some(f);
            }
        }
    }
    None
}

/// The absolute destination of a COPY/ADD; None when it uses a variable or the working
/// directory is not known.
fn copy_dest(cx: &Context, i: usize) -> Option<String> {
    let n = &cx.file.instructions[i].node;
    let d = unquote(n.values.last()?);
    if d.contains('$') {
        return None;
    }
    let wd = workdir_at(cx, i)?;
    Some(normalize(&join_abs(&wd, &d)))
}

/// Whether the `start` script of the `package.json` the image has in `wd` runs `next start`.
fn start_script_runs_next(cx: &Context, fi: &FinalImage, wd: &str) -> bool {
    let Some(&last) = fi.instructions.last() else { return false };
    let Some(src) = context_source(cx, last + 1, &join_abs(wd, "package.json")).or_else(|| context_source(cx, last, &join_abs(wd, "package.json"))) else {
        return false;
    };
    let Some(v) = cx.build.read(&src).and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) else { return false };
    v["scripts"]["start"].as_str().is_some_and(|s| s.contains("next start"))
}

/// Users and groups the RUNs of the final image create: (user name, uid, gid) and
/// (group name, gid).
#[derive(Debug, Default)]
struct Created {
    users: Vec<(String, Option<u32>, Option<u32>)>,
    groups: Vec<(String, Option<u32>)>,
}

impl Created {
    fn user(&self, name: &str) -> Option<&(String, Option<u32>, Option<u32>)> {
        self.users.iter().rev().find(|u| u.0 == name)
    }
    fn gid_of(&self, group: &str) -> Option<u32> {
        group.parse().ok().or_else(|| self.groups.iter().rev().find(|g| g.0 == group).and_then(|g| g.1))
    }
}

/// The operands of a command's arguments, skipping the values of `value_flags`.
fn plain_operands(args: &[String], value_flags: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < args.len() {
        let a = &args[k];
        if a.starts_with('-') && a.len() > 1 {
            if value_flags.contains(&a.as_str()) {
                k += 1;
            }
        } else {
            out.push(a.clone());
        }
        k += 1;
    }
    out
}

fn created_users(cmds: &[RunCommand]) -> Created {
    let mut c = Created::default();
    for rc in cmds {
        let argv = rc.cmd.argv();
        let Some(p) = rc.cmd.program() else { continue };
        let args: Vec<String> = argv[1..].iter().map(|w| w.text.clone()).collect();
        match p {
            "groupadd" | "addgroup" => {
                let ops = plain_operands(&args, &["-g", "--gid", "-K", "--key", "-p", "--password", "-R", "--root", "-P", "--prefix"]);
                if ops.len() == 1 {
                    c.groups.push((ops[0].clone(), numeric_opt(&args, "-g", "--gid")));
                }
            }
            "useradd" => {
                let vf = [
                    "-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home-dir", "--home", "-s", "--shell", "-c", "--comment", "-k", "--skel", "-K", "--key",
                    "-p", "--password", "-e", "--expiredate", "-f", "--inactive", "-b", "--base-dir", "-Z", "--selinux-user", "-R", "--root", "-P", "--prefix",
                ];
                let ops = plain_operands(&args, &vf);
                if let Some(name) = ops.last() {
                    let uid = numeric_opt(&args, "-u", "--uid");
                    let group = opt_value(&args, &["-g", "--gid"]);
                    let gid = match group {
                        Some(g) => c.gid_of(&g),
                        None => None,
                    };
                    c.users.push((name.clone(), uid, gid));
                }
            }
            "adduser" => {
                let vf = ["-u", "--uid", "-G", "--ingroup", "-g", "--gecos", "-h", "--home", "-s", "--shell", "-k", "--gid", "--comment", "--firstuid", "--lastuid", "-c"];
                let ops = plain_operands(&args, &vf);
                if ops.len() == 1 {
                    let uid = numeric_opt(&args, "-u", "--uid");
                    let gid = numeric_opt(&args, "--gid", "--gid").or_else(|| opt_value(&args, &["-G", "--ingroup"]).and_then(|g| c.gid_of(&g)));
                    c.users.push((ops[0].clone(), uid, gid));
                }
            }
            _ => {}
        }
    }
    c
}

/// The value of the first of `flags` (`-g x`, `--gid=x`).
fn opt_value(args: &[String], flags: &[&str]) -> Option<String> {
    for (k, a) in args.iter().enumerate() {
        for f in flags {
            if a == f {
                return args.get(k + 1).cloned();
            }
            if let Some(v) = a.strip_prefix(f).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// The user the fix switches to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    /// A user that exists (in the base or made by the file); `what` says which.
    Existing { account: Account, what: String },
    /// A user the fix creates.
    Create { account: Account, distro: Distro },
}

fn choose_user(cx: &Context, base: &Base, users: &[usize], created: &Created, writes: &Option<Writes>) -> Result<Choice, String> {
    if let (Some(w), false) = (writes, base.has_shell()) {
        return Err(format!("the app writes to {}, and on `{}` (no shell) dopt can neither create a user nor give it a directory", w.why.join(", "), base.name));
    }
    let resolve = |name: &str| -> Result<Option<Account>, String> {
        if let Ok(uid) = name.parse::<u32>() {
            return Ok(Some(Account { uid, gid: None, name: name.to_string() }));
        }
        if let Some(a) = base.named_user(name) {
            return Ok(Some(a));
        }
        match created.user(name) {
            Some((_, Some(uid), gid)) => Ok(Some(Account { uid: *uid, gid: *gid, name: name.to_string() })),
            Some(_) => Err(format!("it creates user `{name}` without a uid: give it one (`useradd -u 10001 ...`) and switch to it with `USER <uid>:<gid>`")),
            None => Ok(None),
        }
    };
    // an earlier non-root USER that a later `USER root` undid
    if let Some(&u) = users.iter().rev().find(|&&u| {
        let v = user_value(cx, u);
        !v.is_empty() && !is_root_user(&v)
    }) {
        let v = user_value(cx, u);
        if v.contains('$') {
            return Err(format!("the USER at line {} names its user through a variable", cx.file.instructions[u].start_line));
        }
        let (name, group) = match v.split_once(':') {
            Some((n, g)) => (n.to_string(), Some(g.to_string())),
            None => (v.clone(), None),
        };
        let line = cx.file.instructions[u].start_line;
        return match resolve(&name)? {
            Some(mut a) => {
                if let Some(g) = group {
                    match g.parse::<u32>().ok().or_else(|| created.gid_of(&g)).or_else(|| base.named_user(&g).and_then(|x| x.gid)) {
                        Some(gid) => a.gid = Some(gid),
                        None => return Err(format!("dopt does not know the gid of group `{g}` (USER at line {line}): switch back to it by number after the RUNs that need root")),
                    }
                }
                Ok(Choice::Existing { what: format!("`{v}`, the USER of line {line}"), account: a })
            }
            None => Err(format!("dopt does not know the uid of `{name}` (USER at line {line}): switch back to it by number after the RUNs that need root")),
        };
    }
    // a user the file creates
    if let Some((name, uid, gid)) = created.users.last() {
        return match uid {
            Some(uid) => Ok(Choice::Existing { account: Account { uid: *uid, gid: *gid, name: name.clone() }, what: format!("`{name}`, whom the file creates") }),
            None => Err(format!("it creates user `{name}` without a uid: give it one (`useradd -u 10001 ...`) and switch to it with `USER <uid>:<gid>`")),
        };
    }
    if let Some(a) = &base.own_user {
        return Ok(Choice::Existing { what: format!("`{}`, the user of `{}`", a.name, base.name), account: a.clone() });
    }
    match writes {
        None => Ok(Choice::Existing { account: Account { uid: 65534, gid: Some(65534), name: "nobody".into() }, what: "`nobody`".into() }),
        Some(w) => match base.distro {
            Distro::Debian | Distro::Alpine => Ok(Choice::Create { account: Account { uid: CREATED_ID, gid: Some(CREATED_ID), name: "app".into() }, distro: base.distro }),
            Distro::NoShell | Distro::Other => Err(format!("the app writes to {}, and dopt does not know how to create a user on `{}`", w.why.join(", "), base.name)),
        },
    }
}

/// The edits of the fix and what they do, for the message.
fn plan(cx: &Context, fi: &FinalImage, choice: &Choice, writes: &Option<Writes>) -> (Vec<Edit>, String) {
    let account = match choice {
        Choice::Existing { account, .. } | Choice::Create { account, .. } => account,
    };
    let spec = account.spec();
    let eol = cx.style.eol();
    let mut edits = Vec::new();
    let mut how = Vec::new();
    let (at, indent, lead, place) = insertion_point(cx, fi);
    let mut block = String::new();
    if let Choice::Create { account, .. } = choice {
        how.push(format!("create user `{}` ({})", account.name, account.spec()));
    }
    if let Some(w) = writes {
        // COPY/ADD into the directories get --chown
        let mut chowned = 0;
        for i in fi.instructions.iter().copied() {
            let ins = &cx.file.instructions[i];
            let n = &ins.node;
            if !matches!(n.kind, Kind::Copy | Kind::Add) || n.flag("chown").is_some() || n.values.len() < 2 {
                continue;
            }
            let Some(dest) = copy_dest(cx, i) else { continue };
            if w.dirs.iter().any(|d| inside(&dest, d)) {
                let kw_end = ins.line.to_source_end(n.keyword_range.end);
                edits.push(Edit::insert(kw_end, format!(" --chown={spec}")));
                chowned += 1;
            }
        }
        how.push(match choice {
            Choice::Create { .. } => format!("give it {}", quote_list(&w.dirs)),
            Choice::Existing { what, .. } => format!("give {} to {what}", quote_list(&w.dirs)),
        });
        if chowned > 0 {
            how.push(format!("copy the files there with `--chown={spec}`"));
        }
        // one RUN: create the user, give it the directories
        let mut cmds = Vec::new();
        if let Choice::Create { account, distro } = choice {
            let (u, g, n) = (account.uid, account.gid.unwrap_or(account.uid), &account.name);
            let home = w.workdir.clone().unwrap_or_else(|| "/nonexistent".into());
            match distro {
                Distro::Alpine => {
                    cmds.push(format!("addgroup -S -g {g} {n}"));
                    cmds.push(format!("adduser -S -D -H -u {u} -G {n} -h {home} -s /sbin/nologin {n}"));
                }
                _ => {
                    cmds.push(format!("groupadd --gid {g} {n}"));
                    cmds.push(format!("useradd --no-log-init --uid {u} --gid {g} --no-create-home --home-dir {home} --shell /usr/sbin/nologin {n}"));
                }
            }
        }
        let dirs = w.dirs.join(" ");
        cmds.push(format!("mkdir -p {dirs}"));
        cmds.push(format!("chown {spec} {dirs}"));
        let esc = cx.style.escape;
        let body = cmds.join(&format!(" && {esc}{eol}{indent}{}", cx.style.indent));
        block.push_str(&format!("{indent}{} {body}{eol}", cx.style.keyword("RUN")));
    }
    block.push_str(&format!("{indent}{} {spec}{eol}", cx.style.keyword("USER")));
    if lead {
        // the file ends without a line ending: the new lines go after one, and end as it did
        block = format!("{eol}{}", &block[..block.len() - eol.len()]);
    }
    edits.push(Edit::insert(at, block));
    let user = match (choice, writes) {
        (Choice::Existing { what, .. }, None) => format!("add `USER {spec}` ({what}) {place}"),
        _ => format!("add `USER {spec}` {place}"),
    };
    how.push(user);
    let msg = match how.len() {
        1 => how.pop().unwrap_or_default(),
        n => format!("{}, and {}", how[..n - 1].join(", "), how[n - 1]),
    };
    (edits, msg)
}

/// `/a`, `/b` and `/c`.
fn quote_list(v: &[String]) -> String {
    v.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
}

/// Where the USER (and the RUN before it) goes: before the comments above the first CMD or
/// ENTRYPOINT of the final stage that follows its last RUN and its last USER, or after the
/// stage's last instruction. Returns the offset, the indentation of that line, whether the text
/// must start on a new line (the file ends without a line ending), and where that is in words.
fn insertion_point(cx: &Context, fi: &FinalImage) -> (usize, String, bool, String) {
    let own = fi.own.clone();
    let ins = &cx.file.instructions;
    let after = own.clone().rev().find(|&i| matches!(ins[i].node.kind, Kind::Run | Kind::User));
    let target = own.clone().find(|&i| matches!(ins[i].node.kind, Kind::Cmd | Kind::Entrypoint) && after.is_none_or(|r| i > r));
    match target {
        Some(t) => {
            let start = crate::model::leading_comments_start(cx.file, t);
            let line_start = cx.file.line_start(cx.file.line_col(start).0);
            let indent = cx.file.indent_at(ins[t].range.start).to_string();
            let kw = if ins[t].node.kind == Kind::Cmd { "CMD" } else { "ENTRYPOINT" };
            (line_start, indent, false, format!("before the {kw}"))
        }
        None => {
            let last = own.end - 1;
            let end = ins[last].range.end;
            let lead = !cx.file.text[..end].ends_with('\n');
            (end, String::new(), lead, "at the end of the final stage".to_string())
        }
    }
}

#[cfg(test)]
mod tests;
