//! DP402 java-jre-runtime
use regex::Regex;

use crate::config::JavaRuntime;
use crate::engine::{Context, Diagnostic, Fix, FixKind, Rule, RuleMeta};
use crate::model::shell;
use crate::model::ImageRef;
use crate::syntax::Kind;
use crate::transforms::common::run_commands;
use crate::transforms::programs::{context_source, join_abs, normalize, programs_of, workdir_at, ProgramRun};
use crate::transforms::stages::split::{command_words, copy_from, entry_instructions, json_array, kw, mapped, root_image, tag_release, unsplittable, Anchor, Place, Split};

pub struct JavaJreRuntime;

static META: RuleMeta = RuleMeta {
    code: "DP402",
    name: "java-jre-runtime",
    summary: "The final image builds a jar and runs it with the whole JDK (and Maven or Gradle): build in a builder stage, run the jar on a JRE",
    fix: FixKind::Unsafe,
    hadolint: &[],
    docs: r#"## What it does
When the final stage builds with `mvn`/`./mvnw`, `gradle`/`./gradlew` or `javac`/`jar` (also
inside a script from the build context that a RUN runs) and its `CMD`/`ENTRYPOINT` runs the
result with `java -jar` (or `java -cp DIR`), splits it in two: the original stage becomes the
`builder` (`builder-2`, ... when taken) and a new final stage gets only the jar, at the same
path, on a Java runtime:

- the JRE the preset's base-image mappings give a JDK that only runs a jar:
  `eclipse-temurin:N-jre-alpine` (default preset; musl libc), `eclipse-temurin:N-jre` (glibc),
  `gcr.io/distroless/javaN-debian12:nonroot` (distroless, when the command needs no shell; the
  command becomes the `ENTRYPOINT`, as distroless Java images run `java -jar` by default);
- with `[java] runtime = "jlink"` in `dopt.toml` (or the `minimal` preset): a runtime made in
  the builder by `jlink` with the modules `jdeps --print-module-deps` finds in the jar, copied
  to `/opt/java/openjdk` of `debian:<release>-slim`, with `JAVA_HOME` and `PATH` set.

The jar is the one the `CMD` runs. Where it names it with a glob or a variable, the name comes
from `pom.xml` (`<finalName>`, else `artifactId-version`, with `${...}` properties resolved) or
`build.gradle(.kts)` (`archiveFileName`, else the project's name and version), or the `jar`
command's file. `N`, the Java version, comes from the image tag (`maven:3.9-eclipse-temurin-17`,
`gradle:8-jdk21`, `openjdk:11`, `eclipse-temurin:17-jdk`), else from the pom's `java.version`,
`maven.compiler.release` or `maven.compiler.source`. `EXPOSE`, `ENV`, `LABEL`, `WORKDIR`,
`VOLUME`, `STOPSIGNAL` and `USER` carry over with their comments.

## Why
A JDK image with Maven is 500-800 MB; a JRE is about 60% of the JDK, a jlink runtime with the
modules an app uses a fraction of it.

## Example
```dockerfile
FROM maven:3.9-eclipse-temurin-17
WORKDIR /app
COPY . .
RUN mvn -q package
CMD ["java", "-jar", "target/app.jar"]
```
becomes (glibc preset)
```dockerfile
FROM maven:3.9-eclipse-temurin-17 AS builder
WORKDIR /app
COPY . .
RUN mvn -q package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=builder /app/target/app.jar /app/target/app.jar
CMD ["java", "-jar", "target/app.jar"]
```

## Not flagged
A final stage on a JRE, distroless or slim image (a file that already copies its jar into a
runtime); a stage that compiles nothing. Reported with no fix, saying why: a jar dopt cannot
name, a `CMD` that runs Maven or Gradle (`mvn spring-boot:run`) or a script, an unknown Java
version.

## Fix safety
Always unsafe: the runtime has no `javac`, `jar`, `jcmd` or other JDK tools, no Maven or
Gradle; Alpine uses musl libc; a jlink runtime has only the modules `jdeps` found (modules an
app loads by reflection, such as `jdk.crypto.ec` for TLS or JDBC drivers' `java.sql`, may be
missing).
"#,
};

/// Images that carry a JDK.
const JDK_IMAGES: &[&str] = &["maven", "gradle", "openjdk", "eclipse-temurin", "amazoncorretto", "sapmachine", "ibmjava", "ibm-semeru-runtimes", "azul/zulu-openjdk", "bellsoft/liberica-openjdk-debian"];

const BUILD_TOOLS: &[&str] = &["mvn", "mvnw", "gradle", "gradlew", "javac", "jar"];

impl Rule for JavaJreRuntime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(stage) = cx.model.final_stage() else { return };
        let si = stage.index;
        let Some((root, image)) = root_image(cx, si) else { return };
        let tag = image.tag.clone().unwrap_or_default();
        if !JDK_IMAGES.contains(&image.short_name()) || tag.contains("jre") {
            return;
        }
        let progs = programs_of(cx, &[si]);
        let Some(tool) = progs.runs.iter().find(|r| BUILD_TOOLS.contains(&r.program.as_str())) else { return };
        let (ep, cmd) = entry_instructions(cx, si);
        let Some(entry) = ep.or(cmd) else { return };
        let Some(words) = java_words(cx, entry) else { return };
        if words.first().is_none_or(|w| shell::base(w) != "java") {
            return;
        }
        let from = &cx.file.instructions[stage.from];
        let range = from.range.start..from.header_end;
        let base = cx.model.stages[root].base_resolved.clone();
        let head = format!("the final image builds with `{}` on `{base}` and runs it with the whole JDK", tool.program);
        let report = |out: &mut Vec<Diagnostic>, why: String| out.push(cx.diag(&META, range.clone(), format!("{head}; no fix: {why}"), None));
        if let Some(why) = unsplittable(cx, si) {
            return report(out, why);
        }
        let line = cx.file.instructions[entry].start_line;
        // what it runs
        let artifact = match run_target(&words) {
            Some(a) => a,
            None => return report(out, format!("the command at line {line} runs no `-jar` file or single `-cp` path dopt can name")),
        };
        let wd = workdir_at(cx, entry);
        let path = if artifact.contains(['*', '?', '$']) {
            match built_jar(cx, si, &progs.runs) {
                Ok(p) => p,
                Err(why) => return report(out, format!("the command at line {line} runs `{artifact}`, and {why}")),
            }
        } else if artifact.starts_with('/') {
            normalize(&artifact)
        } else {
            match &wd {
                Some(w) => normalize(&join_abs(w, &artifact)),
                None => return report(out, "the WORKDIR is named by a variable".into()),
            }
        };
        let Some(version) = java_version(&image, cx) else { return report(out, "dopt cannot tell the Java version from the image tag or pom.xml".into()) };
        let exec_ok = command_words(cx, entry).is_some() && cmd.is_none_or(|c| command_words(cx, c).is_some());
        let mut split = Split::new(si, String::new());
        let builder = split.builder_name(cx);
        let mut lacks = vec!["the JDK's tools (javac, jar, jcmd, ...)".to_string(), "Maven or Gradle".to_string()];
        let mut notes = Vec::new();
        let jlink = cx.config.java_runtime == JavaRuntime::Jlink;
        if jlink {
            let release = tag_release(&tag).unwrap_or("bookworm");
            split.runtime_image = format!("debian:{release}-slim");
            let compress = if version >= 21 { "zip-6" } else { "2" };
            split.builder_append.push(format!(
                "{} jlink --add-modules \"$(jdeps --ignore-missing-deps -q --multi-release {version} --print-module-deps {path})\" --strip-debug --no-man-pages --no-header-files --compress={compress} --output /opt/jre",
                kw(cx, "RUN")
            ));
            split.runtime_head.push(format!("{} JAVA_HOME=/opt/java/openjdk PATH=\"/opt/java/openjdk/bin:$PATH\"", kw(cx, "ENV")));
            split.runtime_head.push(copy_from(cx, &builder, &["/opt/jre"], "/opt/java/openjdk"));
            lacks.push("the Java modules jdeps does not see (loaded by reflection: JDBC drivers, jdk.crypto.ec for TLS)".into());
            notes.push("jlink makes a runtime with the modules jdeps finds in the jar".to_string());
        } else {
            let temurin = ImageRef { registry: None, repository: "eclipse-temurin".into(), tag: Some(format!("{version}-jdk")), digest: None };
            let holds = |c: &str| match c {
                "runs-jar-only" => true,
                "no-shell-needed" => exec_ok,
                "context-unknown" => !cx.build.is_known(),
                _ => false,
            };
            let (repo, new_tag, note) = match mapped(cx, &temurin, &format!("{version}-jdk"), &holds) {
                Some((r, t, m)) => (r, t, m.note.clone()),
                None => (None, format!("{version}-jre"), None),
            };
            split.runtime_image = match &repo {
                Some(r) => format!("{r}:{new_tag}"),
                None => format!("eclipse-temurin:{new_tag}"),
            };
            if let Some(n) = note {
                lacks.push(n);
            }
        }
        let distroless = split.runtime_image.contains("distroless");
        split.runtime_lines.push((Anchor::BeforeFiles, copy_from(cx, &builder, &[&path], &path)));
        // a named USER: the user must exist in the runtime
        let r = stage.instructions.clone();
        let named_user = r.clone().any(|i| {
            let n = cx.file.instructions[i].effective();
            n.kind == Kind::User && n.values.first().is_some_and(|u| !u.split(':').next().unwrap_or("").chars().all(|c| c.is_ascii_digit()))
        });
        if named_user {
            if distroless {
                split.runtime_head.push(copy_from(cx, &builder, &["/etc/passwd", "/etc/group"], "/etc/"));
            } else {
                let cmds = run_commands(cx);
                for i in r.clone() {
                    if cx.file.instructions[i].kind() == Kind::Run
                        && cmds.iter().any(|rc| rc.ins == i && matches!(rc.cmd.program(), Some("useradd" | "adduser" | "groupadd" | "addgroup")))
                    {
                        split.set(i, Place::Both);
                        notes.push(format!("the RUN at line {} that adds the user runs in the runtime too", cx.file.instructions[i].start_line));
                    }
                }
            }
        }
        if distroless {
            for i in r.clone() {
                if cx.file.instructions[i].kind() == Kind::Shell {
                    split.set(i, Place::Builder);
                }
            }
            // distroless Java images run `java -jar` as their ENTRYPOINT: the command takes its place
            if ep.is_none() {
                let w = command_words(cx, entry).unwrap_or_default();
                split.runtime_replace.push((entry, format!("{} {}", kw(cx, "ENTRYPOINT"), json_array(&w))));
            } else {
                for i in [ep, cmd].into_iter().flatten() {
                    let w = command_words(cx, i).unwrap_or_default();
                    let k = if Some(i) == ep { "ENTRYPOINT" } else { "CMD" };
                    split.runtime_replace.push((i, format!("{} {}", kw(cx, k), json_array(&w))));
                }
            }
            lacks.push("a shell".into());
        }
        let mut msg = format!("{head}: build in a `{builder}` stage and run `{path}` on `{}`", split.runtime_image);
        for n in &notes {
            msg.push_str(&format!("; {n}"));
        }
        msg.push_str(&format!("; unsafe: the runtime image lacks {}", lacks.join("; ")));
        let fix = Fix::unsafe_(split.edits(cx)).foundation();
        out.push(cx.diag(&META, range, msg, Some(fix)));
    }
}

/// The words of a CMD/ENTRYPOINT, variables included (for reading what it runs).
fn java_words(cx: &Context, i: usize) -> Option<Vec<String>> {
    if let Some(w) = command_words(cx, i) {
        return Some(w);
    }
    let s = shell::shell_form(cx.file, &cx.file.instructions[i])?;
    let c = s.commands.iter().find(|c| c.program() == Some("java"))?;
    Some(c.argv().iter().map(|w| if w.dynamic { "$".to_string() } else { w.text.clone() }).collect())
}

/// The file `java` runs: the `-jar` file, or a single `-cp`/`-classpath` path.
fn run_target(words: &[String]) -> Option<String> {
    let mut k = 1;
    while k < words.len() {
        let w = words[k].as_str();
        if w == "-jar" {
            return words.get(k + 1).filter(|a| !a.starts_with('-')).cloned();
        }
        if w == "-cp" || w == "-classpath" || w == "--class-path" {
            let p = words.get(k + 1)?;
            return (!p.contains(':') && p != "$").then(|| p.clone());
        }
        k += 1;
    }
    None
}

/// The jar the build makes, as an absolute path, from pom.xml, build.gradle or the `jar` command.
fn built_jar(cx: &Context, si: usize, runs: &[ProgramRun]) -> Result<String, String> {
    for r in runs {
        let dir = workdir_at(cx, r.ins).ok_or("the WORKDIR is named by a variable")?;
        match r.program.as_str() {
            "mvn" | "mvnw" => {
                let src = context_source(cx, r.ins, &join_abs(&dir, "pom.xml")).ok_or("dopt cannot find the pom.xml the build reads")?;
                let pom = cx.build.read(&src).ok_or("dopt cannot read pom.xml")?;
                let name = maven_jar_name(&pom)?;
                return Ok(normalize(&join_abs(&dir, &format!("target/{name}"))));
            }
            "gradle" | "gradlew" => {
                let read = |n: &str| context_source(cx, r.ins, &join_abs(&dir, n)).and_then(|s| cx.build.read(&s));
                let build = read("build.gradle").or_else(|| read("build.gradle.kts")).ok_or("dopt cannot read build.gradle")?;
                let settings = read("settings.gradle").or_else(|| read("settings.gradle.kts")).unwrap_or_default();
                let dir_name = dir.rsplit('/').next().unwrap_or("").to_string();
                let name = gradle_jar_name(&build, &settings, &dir_name)?;
                return Ok(normalize(&join_abs(&dir, &format!("build/libs/{name}"))));
            }
            "jar" => {
                if let Some(f) = jar_file_arg(&r.args) {
                    return Ok(normalize(&join_abs(&dir, &f)));
                }
            }
            _ => {}
        }
    }
    let _ = si;
    Err("dopt cannot name the jar the build makes".into())
}

/// The file a `jar` command creates: `jar cf FILE`, `jar cfe FILE Main`, `jar --create --file FILE`.
fn jar_file_arg(args: &[String]) -> Option<String> {
    let first = args.first()?;
    if !first.starts_with('-') && first.contains('c') && first.contains('f') {
        return args.get(1).filter(|a| !a.contains('$')).cloned();
    }
    let k = args.iter().position(|a| a == "--file" || a == "-f")?;
    args.get(k + 1).cloned().or_else(|| args.iter().find_map(|a| a.strip_prefix("--file=").map(str::to_string)))
}

/// The direct children of the element that starts at `from` (just after its opening tag), as
/// (name, inner text), up to its closing tag.
fn xml_children(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    let b = xml.as_bytes();
    while let Some(k) = xml[i..].find('<') {
        let s = i + k;
        if xml[s..].starts_with("</") {
            break;
        }
        if xml[s..].starts_with("<?") || xml[s..].starts_with("<!") {
            i = s + xml[s..].find('>').map(|e| e + 1).unwrap_or(xml.len() - s);
            continue;
        }
        let Some(e) = xml[s..].find('>') else { break };
        let tag = &xml[s + 1..s + e];
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("").to_string();
        if tag.ends_with('/') {
            out.push((name, String::new()));
            i = s + e + 1;
            continue;
        }
        // find the matching close, counting nested elements of the same name
        let open = format!("<{name}");
        let close = format!("</{name}>");
        let mut depth = 1;
        let mut j = s + e + 1;
        let inner_start = j;
        let mut end = None;
        while j < b.len() {
            let nc = xml[j..].find(&close).map(|x| j + x);
            let no = xml[j..].find(&open).map(|x| j + x).filter(|&x| xml[x + open.len()..].starts_with(['>', ' ', '\t', '\n', '\r', '/']));
            match (no, nc) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    j = o + open.len();
                }
                (_, Some(c)) => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(c);
                        break;
                    }
                    j = c + close.len();
                }
                _ => break,
            }
        }
        let Some(c) = end else { break };
        out.push((name, xml[inner_start..c].to_string()));
        i = c + close.len();
    }
    out
}

/// pom.xml without comments.
fn strip_xml_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(k) = rest.find("<!--") {
        out.push_str(&rest[..k]);
        match rest[k..].find("-->") {
            Some(e) => rest = &rest[k + e + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The project element's children.
fn pom_project(pom: &str) -> Vec<(String, String)> {
    let pom = strip_xml_comments(pom);
    let Some(s) = pom.find("<project") else { return Vec::new() };
    let Some(e) = pom[s..].find('>') else { return Vec::new() };
    xml_children(&pom[s + e + 1..])
}

/// The jar name Maven gives the project: `<finalName>.jar`, else `artifactId-version.jar`, with
/// properties resolved.
pub fn maven_jar_name(pom: &str) -> Result<String, String> {
    let proj = pom_project(pom);
    let get = |n: &str| proj.iter().find(|(k, _)| k == n).map(|(_, v)| v.trim().to_string());
    let parent = get("parent").map(|p| xml_children(&p)).unwrap_or_default();
    let props = get("properties").map(|p| xml_children(&p)).unwrap_or_default();
    let build = get("build").map(|p| xml_children(&p)).unwrap_or_default();
    let packaging = get("packaging").unwrap_or_else(|| "jar".into());
    if packaging != "jar" {
        return Err(format!("pom.xml packages a `{packaging}`, not a jar"));
    }
    let artifact = get("artifactId").ok_or("pom.xml has no artifactId")?;
    let version = get("version").or_else(|| parent.iter().find(|(k, _)| k == "version").map(|(_, v)| v.trim().to_string()));
    let lookup = |name: &str| -> Option<String> {
        match name {
            "project.artifactId" | "artifactId" | "pom.artifactId" => Some(artifact.clone()),
            "project.version" | "version" | "pom.version" => version.clone(),
            "project.parent.version" | "parent.version" => parent.iter().find(|(k, _)| k == "version").map(|(_, v)| v.trim().to_string()),
            "project.groupId" | "groupId" => get("groupId"),
            n => props.iter().find(|(k, _)| k == n).map(|(_, v)| v.trim().to_string()),
        }
    };
    let resolve = |s: &str| -> Result<String, String> {
        let mut cur = s.to_string();
        for _ in 0..8 {
            let Some(a) = cur.find("${") else { return Ok(cur) };
            let Some(b) = cur[a..].find('}') else { break };
            let name = &cur[a + 2..a + b];
            let v = lookup(name).ok_or(format!("pom.xml uses `${{{name}}}`, which dopt cannot resolve"))?;
            cur = format!("{}{}{}", &cur[..a], v, &cur[a + b + 1..]);
        }
        if cur.contains("${") { Err("pom.xml's properties nest too deep".into()) } else { Ok(cur) }
    };
    let name = match build.iter().find(|(k, _)| k == "finalName") {
        Some((_, f)) => resolve(f.trim())?,
        None => format!("{}-{}", resolve(&artifact)?, resolve(version.as_deref().ok_or("pom.xml has no version")?)?),
    };
    Ok(format!("{name}.jar"))
}

/// The jar name Gradle gives the project: `archiveFileName`, else `name-version.jar` (`name`
/// from settings' `rootProject.name`, else the project directory).
pub fn gradle_jar_name(build: &str, settings: &str, dir_name: &str) -> Result<String, String> {
    let re = |p: &str| Regex::new(p).unwrap();
    if let Some(c) = re(r#"archiveFileName\s*(?:=|\.set\()\s*["']([^"'$]+)["']"#).captures(build) {
        return Ok(c[1].to_string());
    }
    if build.contains("archiveFileName") || build.contains("archiveBaseName") || build.contains("archiveVersion") || build.contains("archiveClassifier") {
        return Err("build.gradle sets the jar's name in a way dopt does not read".into());
    }
    let name = re(r#"rootProject\.name\s*=\s*["']([^"'$]+)["']"#).captures(settings).map(|c| c[1].to_string()).unwrap_or_else(|| dir_name.to_string());
    if name.is_empty() {
        return Err("dopt cannot tell the Gradle project's name".into());
    }
    match re(r#"(?m)^\s*version\s*=\s*["']([^"'$]+)["']"#).captures(build) {
        Some(c) => Ok(format!("{name}-{}.jar", &c[1])),
        None if re(r"(?m)^\s*version\s*=").is_match(build) => Err("build.gradle computes the version".into()),
        None => Ok(format!("{name}.jar")),
    }
}

/// The Java version: from the image tag, else from pom.xml.
fn java_version(image: &ImageRef, cx: &Context) -> Option<u32> {
    let tag = image.tag.as_deref().unwrap_or("");
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?:jdk|temurin|openjdk|java|corretto|zulu|semeru|liberica|sapmachine)-?(\d+)").expect("a valid regex"));
    if let Some(c) = re.captures(tag) {
        return c[1].parse().ok();
    }
    if matches!(image.short_name(), "openjdk" | "eclipse-temurin" | "amazoncorretto" | "sapmachine" | "ibmjava" | "ibm-semeru-runtimes") {
        let lead: String = tag.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(v) = lead.parse::<u32>() {
            return Some(if v == 1 { 8 } else { v });
        }
    }
    let pom = cx.build.read("pom.xml")?;
    let proj = pom_project(&pom);
    let props = proj.iter().find(|(k, _)| k == "properties").map(|(_, p)| xml_children(p)).unwrap_or_default();
    for k in ["java.version", "maven.compiler.release", "maven.compiler.source", "maven.compiler.target"] {
        if let Some((_, v)) = props.iter().find(|(n, _)| n == k) {
            let v = v.trim().trim_start_matches("1.");
            if let Ok(n) = v.parse() {
                return Some(n);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{context, fix_with};

    const POM: &str = "<project><modelVersion>4.0.0</modelVersion><parent><version>3.2.0</version></parent>\n<artifactId>demo</artifactId><version>${revision}</version>\n<properties><revision>1.4</revision><java.version>21</java.version></properties>\n<dependencies><dependency><artifactId>x</artifactId><version>9</version></dependency></dependencies></project>\n";

    #[test]
    fn names_maven_and_gradle_jars() {
        assert_eq!(maven_jar_name(POM).unwrap(), "demo-1.4.jar");
        let p = "<project><!-- <artifactId>no</artifactId> --><artifactId>app</artifactId><version>1</version><build><finalName>${project.artifactId}</finalName></build></project>";
        assert_eq!(maven_jar_name(p).unwrap(), "app.jar");
        assert!(maven_jar_name("<project><artifactId>a</artifactId><version>${x}</version></project>").unwrap_err().contains("${x}"));
        assert!(maven_jar_name("<project><artifactId>a</artifactId><packaging>war</packaging></project>").is_err());
        assert_eq!(gradle_jar_name("version = '0.1.0'\n", "rootProject.name = 'svc'\n", "app").unwrap(), "svc-0.1.0.jar");
        assert_eq!(gradle_jar_name("bootJar { archiveFileName = 'app.jar' }\n", "", "x").unwrap(), "app.jar");
        assert_eq!(gradle_jar_name("tasks.bootJar { archiveFileName.set(\"a.jar\") }\n", "", "x").unwrap(), "a.jar");
        assert_eq!(gradle_jar_name("plugins {}\n", "", "app").unwrap(), "app.jar");
        assert_eq!(jar_file_arg(&["cfe".into(), "app.jar".into(), "Main".into()]).as_deref(), Some("app.jar"));
        assert_eq!(jar_file_arg(&["--create".into(), "--file".into(), "x.jar".into()]).as_deref(), Some("x.jar"));
    }

    fn fixed(text: &str, files: &[(&str, &str)], preset: &str) -> String {
        crate::transforms::testing::fix_in_preset(&JavaJreRuntime, text, files, preset)
    }

    #[test]
    fn maven_onto_a_jre() {
        let t = "FROM maven:3.9-eclipse-temurin-17\nWORKDIR /app\nCOPY . .\nRUN mvn -q package\nEXPOSE 8080\nCMD java -jar target/*.jar\n";
        let out = fixed(t, &[("pom.xml", POM)], "glibc");
        assert_eq!(
            out,
            "FROM maven:3.9-eclipse-temurin-17 AS builder\nWORKDIR /app\nCOPY . .\nRUN mvn -q package\n\nFROM eclipse-temurin:17-jre\nWORKDIR /app\nCOPY --from=builder /app/target/demo-1.4.jar /app/target/demo-1.4.jar\nEXPOSE 8080\nCMD java -jar target/*.jar\n"
        );
        let out = fixed(t, &[("pom.xml", POM)], "default");
        assert!(out.contains("\nFROM eclipse-temurin:17-jre-alpine\n"), "{out}");
        // safe fixes: nothing
        let (_d, b) = context(&[("pom.xml", POM)]);
        assert_eq!(fix_with(&JavaJreRuntime, t, false, &b), t);
    }

    #[test]
    fn javac_through_a_script_onto_distroless_and_jlink() {
        let build = "#!/bin/sh\nset -e\njavac -d out src/Main.java\njar cfe app.jar Main -C out .\n";
        let files = [("build.sh", build), ("src/Main.java", "class Main {}")];
        let t = "FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY . .\nRUN ./build.sh\nCMD [\"java\", \"-jar\", \"app.jar\"]\n";
        let out = fixed(t, &files, "distroless");
        assert!(out.ends_with("\nFROM gcr.io/distroless/java17-debian12:nonroot\nWORKDIR /app\nCOPY --from=builder /app/app.jar /app/app.jar\nENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n"), "{out}");
        let out = fixed(t, &files, "minimal");
        assert!(out.contains("RUN ./build.sh\nRUN jlink --add-modules \"$(jdeps --ignore-missing-deps -q --multi-release 17 --print-module-deps /app/app.jar)\""), "{out}");
        assert!(out.contains("\nFROM debian:bookworm-slim\nENV JAVA_HOME=/opt/java/openjdk PATH=\"/opt/java/openjdk/bin:$PATH\"\nCOPY --from=builder /opt/jre /opt/java/openjdk\n"), "{out}");
    }

    #[test]
    fn not_flagged_or_no_fix() {
        // already on a JRE runtime
        let t = "FROM maven:3.9-eclipse-temurin-17 AS b\nRUN mvn package\nFROM eclipse-temurin:17-jre\nCOPY --from=b /app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n";
        assert_eq!(crate::transforms::testing::count(&JavaJreRuntime, t), 0);
        // compiles nothing
        assert_eq!(crate::transforms::testing::count(&JavaJreRuntime, "FROM eclipse-temurin:17-jdk\nCOPY app.jar /\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n"), 0);
        // runs Maven
        assert_eq!(crate::transforms::testing::count(&JavaJreRuntime, "FROM maven:3\nRUN mvn package\nCMD [\"mvn\", \"spring-boot:run\"]\n"), 0);
        // a glob and no pom
        let (_d, b) = context(&[]);
        let f = crate::syntax::parse("FROM maven:3.9-eclipse-temurin-17\nWORKDIR /app\nCOPY . .\nRUN mvn package\nCMD java -jar target/*.jar\n").unwrap();
        let d = crate::engine::check(&f, &[&JavaJreRuntime], &b);
        assert!(d[0].fix.is_none() && d[0].message.contains("pom.xml"), "{:?}", d);
    }
}
