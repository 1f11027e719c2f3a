//! What `dopt verify` and `dopt measure` found, and how it is shown: text for people, JSON for
//! tools, markdown for a pull request's body (and the README's table).

use serde::Serialize;

use super::measure::Measure;
use super::smoke::{Probe, RunState, Smoke};

/// A build.
#[derive(Debug, Clone, Serialize)]
pub struct Build {
    pub ok: bool,
    pub seconds: f64,
    /// The tail of the build log, or the engine's error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The build log, when it was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// One image: the original's or the rewrite's.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The image's name while dopt had it (removed at the end); its container is `IMAGE-run`.
    pub image: String,
    pub build: Build,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure: Option<Measure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke: Option<Smoke>,
    /// The image's USER and the uid it stands for, when the rewrite changed the USER.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserNote {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// `observed` (the running process) or `declared` (USER and the image's /etc/passwd).
    pub source: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rewrite builds and passes every check the original passes.
    Pass,
    /// The rewrite fails a check the original passes, or is over the budget.
    Fail,
    /// Nothing to compare: the original does not build.
    NotVerified,
    /// The Dockerfile could not be read or rewritten.
    Error,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotVerified => "NOT VERIFIED",
            Verdict::Error => "ERROR",
        }
    }
}

/// One Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// The fixes applied: `DP101` ..., in order, without repeats.
    pub fixes: Vec<String>,
    /// The rewrite is the original (nothing to fix): built once.
    pub unchanged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Side>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Side>,
    pub verdict: Verdict,
    /// Why it failed, was not verified, or was an error.
    pub reasons: Vec<String>,
    pub notes: Vec<String>,
}

impl FileReport {
    /// The rewrite's side (the original's when nothing changed).
    pub fn after_side(&self) -> Option<&Side> {
        if self.unchanged {
            self.before.as_ref()
        } else {
            self.after.as_ref()
        }
    }
}

/// A whole `dopt verify` run.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub engine: String,
    /// What the builds cache.
    pub cache: String,
    /// How containers run.
    pub network: String,
    /// The dopt options the rewrites were made with.
    pub rewrite_options: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<u64>,
    pub files: Vec<FileReport>,
    /// Where build logs were kept, if anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<String>,
}

/// Sizes as engines show them (decimal units).
pub fn size(b: u64) -> String {
    let f = b as f64;
    if f >= 1e9 {
        format!("{:.2} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} kB", f / 1e3)
    } else {
        format!("{b} B")
    }
}

/// `-77.6%`: the change from `before` to `after`.
pub fn change(before: u64, after: u64) -> String {
    if before == 0 {
        return "-".into();
    }
    let pct = (after as f64 - before as f64) / before as f64 * 100.0;
    if pct.abs() < 0.05 {
        "0%".into()
    } else {
        format!("{pct:+.1}%")
    }
}

/// Parses a size for `--budget`: `150MB`, `1.5GB`, `300MiB`, `2G`, or bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("--budget {s}: expected a size such as 150MB, 1.5GB or 300MiB"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        u => return Err(format!("--budget {s}: unknown unit `{u}` (B, kB, MB, GB, KiB, MiB, GiB)")),
    };
    Ok((n * mult).round() as u64)
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn indent(s: &str, by: &str) -> String {
    s.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

fn build_label(s: Option<&Side>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s.build.ok => format!("ok {:.0} s", s.build.seconds),
        Some(_) => "FAILED".into(),
    }
}

fn run_label(s: Option<&Side>) -> String {
    match s.and_then(|s| s.smoke.as_ref()) {
        Some(sm) => sm.run.label(),
        None => "-".into(),
    }
}

fn probe_label(s: Option<&Side>) -> String {
    match s.and_then(|s| s.smoke.as_ref()).and_then(|sm| sm.probe.as_ref()) {
        Some(p) => p.label(),
        None => "-".into(),
    }
}

/// How an image's container runs: `uid 1000 (USER node)`, `uid 0 (no USER)`; the uid seen on
/// the running process, else the one USER stands for in the image's /etc/passwd.
pub fn runs_as(s: Option<&Side>) -> String {
    let Some(s) = s else { return "-".into() };
    let m = s.measure.as_ref();
    let user = m.map(|m| m.config.user.as_str()).unwrap_or("");
    let uid = s.smoke.as_ref().and_then(|sm| sm.uid).or_else(|| m.and_then(|m| m.uid_of(user)));
    match (uid, user.is_empty()) {
        (_, true) if m.is_none() => "-".into(),
        (Some(u), true) => format!("uid {u} (no USER)"),
        (Some(u), false) => format!("uid {u} (USER {user})"),
        (None, true) => "-".into(),
        (None, false) => format!("USER {user}"),
    }
}

fn measure(s: Option<&Side>) -> Option<&Measure> {
    s.and_then(|s| s.measure.as_ref())
}

fn largest(m: &Measure, n: usize, width: usize) -> Vec<String> {
    m.largest_layers(n)
        .into_iter()
        .map(|(i, l)| {
            let what = if l.instruction.is_empty() { "(no history)".to_string() } else { shorten(&l.instruction, width) };
            format!("{:>9}  layer {:<2} {what}", size(l.bytes), i + 1)
        })
        .collect()
}

/// The text report.
pub fn text(r: &VerifyReport) -> String {
    let mut o = String::new();
    o.push_str(&format!("dopt verify: {}; {}; {}; rewrites with {}\n", r.engine, r.cache, r.network, r.rewrite_options));
    for f in &r.files {
        o.push('\n');
        let fixes = if f.unchanged { "nothing to rewrite".to_string() } else { format!("fixes {}", f.fixes.join(" ")) };
        o.push_str(&format!("{}: {} ({fixes})\n", f.path, f.verdict.label()));
        for reason in &f.reasons {
            o.push_str(&format!("  - {reason}\n"));
        }
        let (b, a) = (f.before.as_ref(), f.after_side());
        if b.is_none() {
            continue;
        }
        let after_name = if f.unchanged { "rewrite (same)" } else { "rewrite" };
        o.push_str(&format!("  build    original {} | {after_name} {}\n", build_label(b), build_label(a)));
        if let (Some(mb), Some(ma)) = (measure(b), measure(a)) {
            o.push_str(&format!("  size     {} -> {}, saved {} ({})\n", size(mb.size), size(ma.size), size(mb.size.saturating_sub(ma.size)), change(mb.size, ma.size)));
            o.push_str(&format!("  layers   {} -> {}\n", mb.layers.len(), ma.layers.len()));
            o.push_str(&format!("  wasted   {} ({} files) -> {} ({} files)\n", size(mb.wasted), mb.wasted_files, size(ma.wasted), ma.wasted_files));
        } else if let Some(m) = measure(b) {
            o.push_str(&format!("  size     {} ({} layers, {} wasted)\n", size(m.size), m.layers.len(), size(m.wasted)));
        }
        for (name, s) in [("original", b), ("rewrite", if f.unchanged { None } else { a })] {
            if let Some(m) = measure(s) {
                for (i, l) in largest(m, 3, 70).into_iter().enumerate() {
                    let head = if i == 0 { format!("  largest  {name}:") } else { String::new() };
                    o.push_str(&format!("{head:<21}{l}\n"));
                }
                if let Some(w) = m.top_wasted.first() {
                    o.push_str(&format!("  waste    {name}: {} {} ({} layers)\n", size(w.bytes), w.path, w.occurrences));
                }
            }
            if let Some(e) = s.and_then(|s| s.measure_error.as_ref()) {
                o.push_str(&format!("  measure  {name}: {e}\n"));
            }
        }
        if b.and_then(|s| s.smoke.as_ref()).is_some() {
            o.push_str(&format!("  run      original {} | rewrite {}\n", run_label(b), run_label(a)));
        }
        let probe_port = b.and_then(|s| s.smoke.as_ref()).and_then(|s| s.port);
        if b.and_then(|s| s.smoke.as_ref()).and_then(|s| s.probe.as_ref()).is_some() || a.and_then(|s| s.smoke.as_ref()).and_then(|s| s.probe.as_ref()).is_some() {
            let port = probe_port.map(|p| format!(" :{p}")).unwrap_or_default();
            o.push_str(&format!("  probe   {port} original {} | rewrite {}\n", probe_label(b), probe_label(a)));
        }
        for (name, s) in [("original", b), ("rewrite", a)] {
            let Some(sm) = s.and_then(|s| s.smoke.as_ref()) else { continue };
            for why in [detail_run(&sm.run), sm.probe.as_ref().and_then(detail_probe)].into_iter().flatten() {
                o.push_str(&format!("  note     {name}: {why}\n"));
            }
            if !sm.logs.is_empty() && !sm.run.passes() || matches!(sm.probe, Some(Probe::NoAnswer(_))) && !sm.logs.is_empty() {
                o.push_str(&format!("  logs     {name}:\n{}\n", indent(&sm.logs, "    | ")));
            }
            if let Some(e) = &sm.cleanup_error {
                o.push_str(&format!("  cleanup  {name}: {e}\n"));
            }
        }
        if measure(b).is_some() {
            o.push_str(&format!("  runs as  original {} | rewrite {}\n", runs_as(b), runs_as(a)));
        }
        for (name, s) in [("original", b), ("rewrite", a)] {
            if let Some(s) = s {
                if let Some(e) = &s.build.error {
                    let log = s.build.log.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
                    o.push_str(&format!("  build log, {name}{log}:\n{}\n", indent(e, "    | ")));
                }
            }
        }
        for n in &f.notes {
            o.push_str(&format!("  note     {n}\n"));
        }
    }
    o.push('\n');
    o.push_str(&summary(r));
    o.push('\n');
    if let Some(l) = &r.logs {
        o.push_str(&format!("build logs: {l}\n"));
    }
    o
}

fn detail_run(s: &RunState) -> Option<String> {
    match s {
        RunState::Failed(e) => Some(format!("the container did not start: {e}")),
        RunState::NotRun(why) if !why.is_empty() => Some(format!("not run: {why}")),
        _ => None,
    }
}

fn detail_probe(p: &Probe) -> Option<String> {
    match p {
        Probe::NoAnswer(e) => Some(format!("probe: {e}")),
        Probe::NotRun(e) => Some(format!("probe not run: {e}")),
        Probe::Status(_) => None,
    }
}

fn user_text(u: &UserNote) -> String {
    match u.uid {
        Some(uid) => format!("The rewrite runs as uid {uid} (USER {}, {})", u.user, u.source),
        None => format!("The rewrite runs as USER {} (uid unknown: not in the image's /etc/passwd)", u.user),
    }
}

/// `3 verified, 1 failed, ...`.
pub fn summary(r: &VerifyReport) -> String {
    let count = |v: Verdict| r.files.iter().filter(|f| f.verdict == v).count();
    let mut parts = vec![format!("{} passed", count(Verdict::Pass))];
    for (v, w) in [(Verdict::Fail, "failed"), (Verdict::NotVerified, "not verified (the original does not build)"), (Verdict::Error, "could not be read")] {
        if count(v) > 0 {
            parts.push(format!("{} {w}", count(v)));
        }
    }
    format!("{} of {} Dockerfile{}: {}.", count(Verdict::Pass), r.files.len(), if r.files.len() == 1 { "" } else { "s" }, parts.join(", "))
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn yes_no(s: Option<&Side>) -> &'static str {
    match s {
        Some(s) if s.build.ok => "yes",
        Some(_) => "**no**",
        None => "-",
    }
}

/// The markdown report: a table, the failures, and the layers in collapsed sections.
pub fn markdown(r: &VerifyReport) -> String {
    let mut o = String::new();
    o.push_str("| Dockerfile | before | after | saved | layers | wasted | builds | runs | probe | after runs as | result |\n");
    o.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for f in &r.files {
        let (b, a) = (f.before.as_ref(), f.after_side());
        let (before, after, saved, layers, wasted) = match (measure(b), measure(a)) {
            (Some(mb), Some(ma)) => (size(mb.size), size(ma.size), change(mb.size, ma.size), format!("{} → {}", mb.layers.len(), ma.layers.len()), format!("{} → {}", size(mb.wasted), size(ma.wasted))),
            (Some(mb), None) => (size(mb.size), "-".into(), "-".into(), format!("{} → -", mb.layers.len()), format!("{} → -", size(mb.wasted))),
            _ => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
        };
        let runs = if b.and_then(|s| s.smoke.as_ref()).is_some() { format!("{} → {}", run_label(b), run_label(a)) } else { "-".into() };
        let probe = if probe_label(b) == "-" && probe_label(a) == "-" { "-".into() } else { format!("{} → {}", probe_label(b), probe_label(a)) };
        let result = match f.verdict {
            Verdict::Pass => "pass".to_string(),
            v => format!("**{}**", v.label().to_lowercase()),
        };
        o.push_str(&format!(
            "| {} | {before} | {after} | {saved} | {layers} | {wasted} | {} → {} | {runs} | {probe} | {} | {result} |\n",
            md_escape(&f.path),
            yes_no(b),
            if f.unchanged { yes_no(b) } else { yes_no(a) },
            md_escape(&runs_as(a))
        ));
    }
    o.push('\n');
    o.push_str(&format!("{}\n", summary(r)));
    let failing: Vec<&FileReport> = r.files.iter().filter(|f| !f.reasons.is_empty()).collect();
    if !failing.is_empty() {
        o.push('\n');
        for f in failing {
            for reason in &f.reasons {
                o.push_str(&format!("- `{}`: {}\n", f.path, md_escape(reason)));
            }
            for (name, s) in [("original", f.before.as_ref()), ("rewrite", f.after.as_ref())] {
                if let Some(e) = s.and_then(|s| s.build.error.as_ref()) {
                    o.push_str(&format!("\n<details><summary>{} build log ({name}, last lines)</summary>\n\n```\n{}\n```\n</details>\n", f.path, e.replace("```", "'''")));
                }
            }
        }
    }
    for f in &r.files {
        let (b, a) = (f.before.as_ref(), f.after_side());
        let mut rows = String::new();
        for (name, s) in [("before", b), ("after", if f.unchanged { None } else { a })] {
            let Some(m) = measure(s) else { continue };
            for (i, l) in m.largest_layers(3) {
                let w = if l.wasted > 0 { format!(" ({} of it wasted)", size(l.wasted)) } else { String::new() };
                rows.push_str(&format!("| {name} | {} | {}{w} | `{}` |\n", i + 1, size(l.bytes), md_escape(&shorten(&l.instruction, 90)).replace('`', "'")));
            }
        }
        if rows.is_empty() {
            continue;
        }
        o.push_str(&format!("\n<details><summary>{}: largest layers</summary>\n\n| image | layer | size | instruction |\n| --- | --- | --- | --- |\n{rows}", f.path));
        if let Some(u) = a.and_then(|s| s.user.as_ref()) {
            o.push_str(&format!("\n{}.\n", user_text(u)));
        }
        o.push_str("</details>\n");
    }
    o.push_str(&format!(
        "\n<sub>`dopt verify` with {}: each image built from the same context, run with {}; {}. Rewrites made with {}.</sub>\n",
        md_escape(&r.engine),
        r.network,
        r.cache,
        r.rewrite_options
    ));
    o
}

/// `dopt measure` results.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureReport {
    pub engine: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<u64>,
    pub images: Vec<MeasuredImage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeasuredImage {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure: Option<Measure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub over_budget: bool,
}

pub fn measure_text(r: &MeasureReport) -> String {
    let mut o = String::new();
    for i in &r.images {
        match (&i.measure, &i.error) {
            (Some(m), _) => {
                let over = if i.over_budget { format!("  OVER BUDGET ({})", size(r.budget.unwrap_or(0))) } else { String::new() };
                o.push_str(&format!("{}: {}, {} layers, {} wasted ({} files){over}\n", i.image, size(m.size), m.layers.len(), size(m.wasted), m.wasted_files));
                for l in largest(m, 3, 90) {
                    o.push_str(&format!("  {l}\n"));
                }
                for w in &m.top_wasted {
                    o.push_str(&format!("  wasted {} {} ({} layers)\n", size(w.bytes), w.path, w.occurrences));
                }
            }
            (None, Some(e)) => o.push_str(&format!("{}: {e}\n", i.image)),
            _ => {}
        }
    }
    o
}

pub fn measure_markdown(r: &MeasureReport) -> String {
    let mut o = String::from("| image | size | layers | wasted | largest layer |\n| --- | --- | --- | --- | --- |\n");
    for i in &r.images {
        match &i.measure {
            Some(m) => {
                let big = m.largest_layers(1).first().map(|(_, l)| format!("{} `{}`", size(l.bytes), md_escape(&shorten(&l.instruction, 60)).replace('`', "'"))).unwrap_or_default();
                let over = if i.over_budget { " **over budget**" } else { "" };
                o.push_str(&format!("| {} | {}{over} | {} | {} | {big} |\n", md_escape(&i.image), size(m.size), m.layers.len(), size(m.wasted)));
            }
            None => o.push_str(&format!("| {} | **error** | | | {} |\n", md_escape(&i.image), md_escape(i.error.as_deref().unwrap_or("")))),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_changes() {
        assert_eq!(size(727_123_456), "727.1 MB");
        assert_eq!(size(1_068_000_000), "1.07 GB");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(10_485_760), "10.5 MB");
        assert_eq!(change(727_000_000, 163_000_000), "-77.6%");
        assert_eq!(change(100, 103), "+3.0%");
        assert_eq!(change(100, 100), "0%");
        assert_eq!(change(0, 5), "-");
    }

    #[test]
    fn budgets() {
        assert_eq!(parse_size("150MB"), Ok(150_000_000));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("300MiB"), Ok(300 * 1024 * 1024));
        assert_eq!(parse_size("2g"), Ok(2_000_000_000));
        assert_eq!(parse_size("12345"), Ok(12345));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").unwrap_err().contains("unknown unit"));
    }
}
