//! Measuring an image from its saved archive (`docker save`, `podman save`, `buildah push
//! docker-archive:`): size, the layers with the instruction that made each, and wasted bytes.
//!
//! Wasted bytes follow dive: every path a layer writes is an occurrence of its size, every path
//! a later layer deletes (a whiteout) an occurrence of 0 bytes, and a path with two or more
//! occurrences wastes the sum of its sizes. A 10 MB file written and then deleted wastes 10 MB;
//! written twice, 20 MB (both copies are in the image's layers). Unlike dive, a deleted
//! directory's files and the files an opaque directory hides count too (dive counts neither).
//! Directories themselves weigh nothing.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Cursor, Read};

use serde::Serialize;

use super::tar::{self, Counting, Kind};

/// One layer of an image.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Layer {
    /// Bytes of the layer's uncompressed tar.
    pub bytes: u64,
    /// Files, links and other non-directory entries.
    pub files: u64,
    /// The instruction that made the layer (from the image's history), shortened; empty when
    /// the history does not say.
    pub instruction: String,
    /// Bytes of this layer's files that another layer overwrites or deletes.
    pub wasted: u64,
}

/// A path that wastes bytes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WastedPath {
    pub path: String,
    pub bytes: u64,
    /// How many layers write or delete it.
    pub occurrences: usize,
}

/// What the image says about how it runs.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RunConfig {
    pub user: String,
    /// `8000/tcp`, ...
    pub exposed: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

/// An image's measurements.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Measure {
    /// Sum of the uncompressed layer tars (what `podman images` shows, give or take the config).
    pub size: u64,
    pub layers: Vec<Layer>,
    pub wasted: u64,
    pub wasted_files: usize,
    /// The largest wasted paths (at most 5).
    pub top_wasted: Vec<WastedPath>,
    pub config: RunConfig,
    /// `/etc/passwd` of the image's file system, when it has one (to name the USER's uid).
    #[serde(skip)]
    pub passwd: Option<String>,
}

impl Measure {
    /// The largest layers, biggest first, with their index.
    pub fn largest_layers(&self, n: usize) -> Vec<(usize, &Layer)> {
        let mut v: Vec<_> = self.layers.iter().enumerate().collect();
        v.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }

    /// The uid a user spec (`name`, `uid`, `name:group`, `uid:gid`) stands for in this image.
    pub fn uid_of(&self, user: &str) -> Option<u32> {
        let u = user.split(':').next().unwrap_or("");
        if u.is_empty() {
            return Some(0);
        }
        if let Ok(n) = u.parse() {
            return Some(n);
        }
        self.passwd.as_deref()?.lines().find_map(|l| {
            let mut f = l.split(':');
            (f.next()? == u).then_some(())?;
            f.next()?;
            f.next()?.parse().ok()
        })
    }
}

/// One entry of a layer, as the waste computation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file, link or device, with its size.
    File(String, u64),
    Dir(String),
    /// `.wh.NAME`: NAME (a file or a directory) is deleted.
    Whiteout(String),
    /// `.wh..wh..opq` in DIR: what lower layers had in DIR is hidden.
    Opaque(String),
}

/// A layer read from its tar.
#[derive(Debug, Default)]
pub struct LayerData {
    pub bytes: u64,
    pub entries: Vec<Entry>,
    pub passwd: Option<String>,
}

fn clean_path(p: &str) -> String {
    let p = p.trim_start_matches("./").trim_start_matches('/');
    let p = p.trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

/// Reads one layer's (uncompressed) tar.
pub fn read_layer<R: Read>(r: R) -> io::Result<LayerData> {
    let mut t = tar::Reader::new(Counting { inner: r, count: 0 });
    let mut out = LayerData::default();
    while let Some(h) = t.next_header()? {
        let path = clean_path(&h.path);
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (d.to_string(), n),
            None => (String::new(), path.as_str()),
        };
        if name == ".wh..wh..opq" {
            out.entries.push(Entry::Opaque(dir));
        } else if let Some(gone) = name.strip_prefix(".wh.") {
            out.entries.push(Entry::Whiteout(if dir.is_empty() { gone.to_string() } else { format!("{dir}/{gone}") }));
        } else if h.kind == Kind::Dir {
            out.entries.push(Entry::Dir(path));
        } else {
            if path == "etc/passwd" && h.kind == Kind::File && h.size < 1 << 20 {
                let mut s = String::new();
                if t.data().read_to_string(&mut s).is_ok() {
                    out.passwd = Some(s);
                }
            }
            out.entries.push(Entry::File(path, h.size));
        }
    }
    t.drain()?;
    let Counting { count, .. } = t.into_inner();
    out.bytes = count;
    Ok(out)
}

type Occurrences = HashMap<String, Vec<(usize, u64)>>;

/// Layer `i` deletes every live file under `dir`.
fn delete_under(live: &mut BTreeMap<String, u64>, occ: &mut Occurrences, dir: &str, i: usize) {
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let gone: Vec<String> = live.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
    for k in gone {
        live.remove(&k);
        occ.entry(k).or_default().push((i, 0));
    }
}

/// Wasted bytes: the total, per layer, and per path (biggest first).
pub fn waste(layers: &[Vec<Entry>]) -> (u64, Vec<u64>, Vec<WastedPath>) {
    // live files and the occurrences of each path: (layer, bytes)
    let mut live: BTreeMap<String, u64> = BTreeMap::new();
    let mut occ: Occurrences = HashMap::new();
    for (i, entries) in layers.iter().enumerate() {
        // whiteouts and opaque markers hide what the layers below have, whatever their place
        // in this layer's tar
        for e in entries {
            match e {
                Entry::Whiteout(p) => {
                    if live.remove(p).is_some() {
                        occ.entry(p.clone()).or_default().push((i, 0));
                    }
                    delete_under(&mut live, &mut occ, p, i);
                }
                Entry::Opaque(d) => delete_under(&mut live, &mut occ, d, i),
                _ => {}
            }
        }
        for e in entries {
            match e {
                Entry::File(p, size) => {
                    occ.entry(p.clone()).or_default().push((i, *size));
                    live.insert(p.clone(), *size);
                }
                // a directory where a file was: the file is gone
                Entry::Dir(p) if live.remove(p).is_some() => occ.entry(p.clone()).or_default().push((i, 0)),
                _ => {}
            }
        }
    }
    let mut total = 0;
    let mut per_layer = vec![0; layers.len()];
    let mut paths = Vec::new();
    for (p, o) in occ {
        if o.len() < 2 {
            continue;
        }
        let sum: u64 = o.iter().map(|x| x.1).sum();
        for (i, b) in &o {
            per_layer[*i] += b;
        }
        total += sum;
        paths.push(WastedPath { path: format!("/{p}"), bytes: sum, occurrences: o.len() });
    }
    paths.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    (total, per_layer, paths)
}

/// Shortens a history `created_by` to the instruction a person would recognise.
pub fn instruction(created_by: &str) -> String {
    let mut s = created_by.trim();
    if let Some(x) = s.strip_suffix("# buildkit") {
        s = x.trim_end();
    }
    let s = if let Some(x) = s.strip_prefix("/bin/sh -c #(nop) ") {
        x.trim().to_string()
    } else if let Some(x) = s.strip_prefix("/bin/sh -c ") {
        format!("RUN {}", x.trim())
    } else if let Some(x) = s.strip_prefix("RUN /bin/sh -c ") {
        format!("RUN {}", x.trim())
    } else {
        s.to_string()
    };
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // `COPY dir:<64 hex digits> in /app`: the digest's first 12 digits are enough to read
    static DIGEST: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = DIGEST.get_or_init(|| regex::Regex::new(r"\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b").expect("valid regex"));
    re.replace_all(&s, "$1:$2…").into_owned()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// What a blob in the archive turned out to be.
enum Blob {
    Layer(LayerData),
    Json(Vec<u8>),
    /// A layer dopt cannot read (zstd), with the reason.
    Unreadable(String),
}

/// Reads an image archive (docker-archive, or an OCI layout with or without `manifest.json`)
/// from a stream and measures the image in it.
pub fn read_archive<R: Read>(r: R) -> Result<Measure, String> {
    let mut outer = tar::Reader::new(r);
    let mut blobs: HashMap<String, Blob> = HashMap::new();
    let mut links: HashMap<String, String> = HashMap::new();
    let err = |e: io::Error| format!("reading the image archive: {e}");
    while let Some(h) = outer.next_header().map_err(err)? {
        let path = clean_path(&h.path);
        match h.kind {
            Kind::Symlink | Kind::Hardlink => {
                let target = if h.kind == Kind::Symlink {
                    let base = path.rsplit_once('/').map(|x| x.0).unwrap_or("");
                    normalize(&format!("{base}/{}", h.link))
                } else {
                    clean_path(&h.link)
                };
                links.insert(path, target);
                continue;
            }
            Kind::File => {}
            _ => continue,
        }
        let mut head = Vec::with_capacity(512);
        outer.data().take(512).read_to_end(&mut head).map_err(err)?;
        let blob = if head.starts_with(&[0x1f, 0x8b]) {
            let gz = flate2::read::MultiGzDecoder::new(Cursor::new(head).chain(outer.data()));
            Blob::Layer(read_layer(gz).map_err(|e| format!("reading layer {path} (gzip): {e}"))?)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Blob::Unreadable(format!("layer {path} is compressed with zstd, which dopt cannot read"))
        } else if head.len() == 512 && (tar::is_header(&head) || head.iter().all(|&c| c == 0)) {
            Blob::Layer(read_layer(Cursor::new(head).chain(outer.data())).map_err(|e| format!("reading layer {path}: {e}"))?)
        } else if h.size <= 16 << 20 {
            let mut all = head;
            outer.data().read_to_end(&mut all).map_err(err)?;
            Blob::Json(all)
        } else {
            continue;
        };
        blobs.insert(path, blob);
    }
    let get = |name: &str| -> Option<&Blob> {
        let n = clean_path(name);
        blobs.get(&n).or_else(|| links.get(&n).and_then(|t| blobs.get(t)))
    };
    let json = |name: &str| -> Result<serde_json::Value, String> {
        match get(name) {
            Some(Blob::Json(b)) => serde_json::from_slice(b).map_err(|e| format!("{name} in the image archive: {e}")),
            _ => Err(format!("the image archive has no {name}")),
        }
    };
    let oci_blob = |digest: &str| format!("blobs/{}", digest.replacen(':', "/", 1));
    // the config and the layers, in order
    let (config_name, layer_names): (String, Vec<String>) = if get("manifest.json").is_some() {
        let m = json("manifest.json")?;
        let first = m.get(0).ok_or("manifest.json lists no image")?;
        let config = first.get("Config").and_then(|c| c.as_str()).ok_or("manifest.json: no Config")?.to_string();
        (config, strings(first.get("Layers").unwrap_or(&serde_json::Value::Null)))
    } else if get("index.json").is_some() {
        let mut m = json("index.json")?;
        // follow nested indexes to the first image manifest
        for _ in 0..4 {
            match m.get("manifests").and_then(|x| x.get(0)).and_then(|x| x.get("digest")).and_then(|d| d.as_str()) {
                Some(d) => m = json(&oci_blob(d))?,
                None => break,
            }
        }
        let config = m.get("config").and_then(|c| c.get("digest")).and_then(|d| d.as_str()).ok_or("OCI manifest: no config")?;
        let layers = m.get("layers").and_then(|l| l.as_array()).map(|a| a.iter().filter_map(|l| l.get("digest").and_then(|d| d.as_str()).map(oci_blob)).collect()).unwrap_or_default();
        (oci_blob(config), layers)
    } else {
        return Err("the image archive has neither manifest.json nor index.json".into());
    };
    let config = json(&config_name)?;
    let mut layers = Vec::new();
    let mut entries = Vec::new();
    let mut passwd = None;
    for name in &layer_names {
        match get(name) {
            Some(Blob::Layer(l)) => {
                layers.push(Layer { bytes: l.bytes, files: l.entries.iter().filter(|e| matches!(e, Entry::File(..))).count() as u64, instruction: String::new(), wasted: 0 });
                entries.push(l.entries.clone());
                if l.passwd.is_some() {
                    passwd = l.passwd.clone();
                }
            }
            Some(Blob::Unreadable(why)) => return Err(why.clone()),
            _ => return Err(format!("the image archive lacks layer {name}")),
        }
    }
    // the history entries that made a layer, aligned from the end if they do not all say
    let history: Vec<String> = config
        .get("history")
        .and_then(|h| h.as_array())
        .map(|a| a.iter().filter(|h| !h.get("empty_layer").and_then(|e| e.as_bool()).unwrap_or(false)).map(|h| instruction(h.get("created_by").and_then(|c| c.as_str()).unwrap_or(""))).collect())
        .unwrap_or_default();
    let skip = layers.len().saturating_sub(history.len());
    let hskip = history.len().saturating_sub(layers.len());
    for (l, h) in layers.iter_mut().skip(skip).zip(history.iter().skip(hskip)) {
        l.instruction = h.clone();
    }
    let (wasted, per_layer, paths) = waste(&entries);
    for (l, w) in layers.iter_mut().zip(per_layer) {
        l.wasted = w;
    }
    let c = config.get("config").cloned().unwrap_or_default();
    let mut exposed: Vec<String> = c.get("ExposedPorts").and_then(|e| e.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default();
    exposed.sort_by_key(|p| (p.split('/').next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(u32::MAX), p.clone()));
    let run = RunConfig {
        user: c.get("User").and_then(|u| u.as_str()).unwrap_or("").to_string(),
        exposed,
        entrypoint: strings(c.get("Entrypoint").unwrap_or(&serde_json::Value::Null)),
        cmd: strings(c.get("Cmd").unwrap_or(&serde_json::Value::Null)),
    };
    Ok(Measure {
        size: layers.iter().map(|l| l.bytes).sum(),
        wasted_files: paths.len(),
        top_wasted: paths.into_iter().take(5).collect(),
        layers,
        wasted,
        config: run,
        passwd,
    })
}

/// Resolves `.` and `..` in a relative path.
fn normalize(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::super::tar::write::{archive, dir, file, symlink};
    use super::*;

    const MB10: usize = 10 * 1024 * 1024;

    fn entries(t: &[u8]) -> Vec<Entry> {
        read_layer(t).unwrap().entries
    }

    #[test]
    fn a_file_written_then_deleted_wastes_its_size() {
        let big = vec![1u8; MB10];
        let l1 = archive(&[dir("data/"), file("data/big", &big), file("data/keep", b"abc")]);
        let l2 = archive(&[dir("data/"), file("data/.wh.big", b"")]);
        let (total, per, paths) = waste(&[entries(&l1), entries(&l2)]);
        assert_eq!(total, MB10 as u64);
        assert_eq!(per, vec![MB10 as u64, 0]);
        assert_eq!(paths, vec![WastedPath { path: "/data/big".into(), bytes: MB10 as u64, occurrences: 2 }]);
    }

    #[test]
    fn overwrites_count_every_copy_as_dive_does() {
        let l1 = archive(&[file("etc/conf", &[0u8; 1000])]);
        let l2 = archive(&[file("etc/conf", &[0u8; 400])]);
        let l3 = archive(&[file("other", &[0u8; 50])]);
        let (total, per, _) = waste(&[entries(&l1), entries(&l2), entries(&l3)]);
        assert_eq!(total, 1400);
        assert_eq!(per, vec![1000, 400, 0]);
    }

    #[test]
    fn deleted_directories_and_opaque_directories() {
        let l1 = archive(&[dir("tmp/build/"), file("tmp/build/a.o", &[0u8; 300]), file("tmp/build/b.o", &[0u8; 200]), file("tmp/buildx", &[0u8; 7])]);
        // `rm -rf /tmp/build`: one whiteout for the directory; /tmp/buildx is not under it
        let l2 = archive(&[dir("tmp/"), file("tmp/.wh.build", b"")]);
        let (total, _, paths) = waste(&[entries(&l1), entries(&l2)]);
        assert_eq!(total, 500);
        assert_eq!(paths.len(), 2);
        // an opaque directory hides what lower layers had there, not what its own layer adds
        let l2 = archive(&[dir("tmp/build/"), file("tmp/build/new", &[0u8; 11]), file("tmp/build/.wh..wh..opq", b"")]);
        let (total, per, _) = waste(&[entries(&l1), entries(&l2)]);
        assert_eq!(total, 500);
        assert_eq!(per, vec![500, 0]);
        // deleting a file that no lower layer has wastes nothing
        let l3 = archive(&[file(".wh.nothing", b"")]);
        assert_eq!(waste(&[entries(&l1), entries(&l3)]).0, 0);
    }

    #[test]
    fn a_directory_replacing_a_file_deletes_it() {
        let l1 = archive(&[file("opt/app", &[0u8; 64])]);
        let l2 = archive(&[dir("opt/app/")]);
        assert_eq!(waste(&[entries(&l1), entries(&l2)]).0, 64);
    }

    #[test]
    fn layer_bytes_are_the_tar_length_and_passwd_is_read() {
        let t = archive(&[dir("etc/"), file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n")]);
        let l = read_layer(&t[..]).unwrap();
        assert_eq!(l.bytes, t.len() as u64);
        assert!(l.passwd.unwrap().contains("node:x:1000"));
    }

    #[test]
    fn instructions_read_like_the_dockerfile() {
        assert_eq!(instruction("/bin/sh -c #(nop) COPY dir:41a1 in /app "), "COPY dir:41a1 in /app");
        assert_eq!(instruction("/bin/sh -c apt-get update  && apt-get install -y curl"), "RUN apt-get update && apt-get install -y curl");
        assert_eq!(instruction("RUN /bin/sh -c pip install -r requirements.txt # buildkit"), "RUN pip install -r requirements.txt");
        assert_eq!(instruction("COPY . . # buildkit"), "COPY . .");
        assert_eq!(instruction("WORKDIR /app"), "WORKDIR /app");
        let d = "196895c3f0fd1e0ddaf5763e76278ab1bea309b4548156170799bfb8ebba5ead";
        assert_eq!(instruction(&format!("/bin/sh -c #(nop) ADD file:{d} in / ")), "ADD file:196895c3f0fd… in /");
    }

    /// A docker-archive as `podman save` writes it: layer tars at the top, `<id>/layer.tar`
    /// symbolic links to them, the config, and manifest.json last.
    fn docker_archive(layers: &[Vec<u8>], config: &str) -> Vec<u8> {
        let names: Vec<String> = (0..layers.len()).map(|i| format!("{i:064}.tar")).collect();
        let links: Vec<String> = (0..layers.len()).map(|i| format!("id{i}/layer.tar")).collect();
        let targets: Vec<String> = names.iter().map(|n| format!("../{n}")).collect();
        let manifest = format!("[{{\"Config\":\"cfg.json\",\"RepoTags\":[\"x:latest\"],\"Layers\":[{}]}}]", links.iter().map(|l| format!("\"{l}\"")).collect::<Vec<_>>().join(","));
        let mut entries = Vec::new();
        for (n, l) in names.iter().zip(layers) {
            entries.push(file(n, l));
        }
        for (l, t) in links.iter().zip(&targets) {
            entries.push(symlink(l, t));
        }
        entries.push(file("cfg.json", config.as_bytes()));
        entries.push(file("manifest.json", manifest.as_bytes()));
        archive(&entries)
    }

    const CONFIG: &str = r#"{"config":{"User":"node","ExposedPorts":{"8080/tcp":{},"443/tcp":{}},"Cmd":["node","server.js"]},
        "history":[{"created_by":"/bin/sh -c #(nop) ADD file:abc in / "},{"created_by":"/bin/sh -c #(nop) WORKDIR /app","empty_layer":true},
                   {"created_by":"/bin/sh -c dd if=/dev/zero of=/big bs=1M count=10"},{"created_by":"/bin/sh -c rm /big"}]}"#;

    fn three_layers() -> Vec<Vec<u8>> {
        let big = vec![0u8; MB10];
        vec![
            archive(&[dir("etc/"), file("etc/passwd", b"root:x:0:0::/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n"), file("bin/sh", &[1u8; 5000])]),
            archive(&[file("big", &big)]),
            archive(&[file(".wh.big", b"")]),
        ]
    }

    #[test]
    fn reads_a_docker_archive() {
        let layers = three_layers();
        let m = read_archive(&docker_archive(&layers, CONFIG)[..]).unwrap();
        assert_eq!(m.layers.len(), 3);
        assert_eq!(m.size, layers.iter().map(|l| l.len() as u64).sum::<u64>());
        assert_eq!(m.wasted, MB10 as u64);
        assert_eq!(m.wasted_files, 1);
        assert_eq!(m.layers[1].instruction, "RUN dd if=/dev/zero of=/big bs=1M count=10");
        assert_eq!(m.layers[2].instruction, "RUN rm /big");
        assert_eq!(m.layers[0].instruction, "ADD file:abc in /");
        assert_eq!(m.layers[1].wasted, MB10 as u64);
        assert_eq!(m.config.user, "node");
        assert_eq!(m.config.exposed, vec!["443/tcp", "8080/tcp"]);
        assert_eq!(m.config.cmd, vec!["node", "server.js"]);
        assert_eq!(m.uid_of("node"), Some(1000));
        assert_eq!(m.uid_of("1234:55"), Some(1234));
        assert_eq!(m.uid_of(""), Some(0));
        assert_eq!(m.uid_of("nobody"), None);
        assert_eq!(m.largest_layers(1)[0].0, 1);
    }

    #[test]
    fn reads_an_oci_layout_with_gzip_layers() {
        use std::io::Write;
        let layers = three_layers();
        let gz: Vec<Vec<u8>> = layers
            .iter()
            .map(|l| {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(l).unwrap();
                e.finish().unwrap()
            })
            .collect();
        let digests: Vec<String> = (0..3).map(|i| format!("{:064x}", i + 1)).collect();
        let cfg = format!("{:064x}", 100);
        let man = format!("{:064x}", 200);
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"digest":"sha256:{cfg}"}},"layers":[{}]}}"#,
            digests.iter().map(|d| format!(r#"{{"digest":"sha256:{d}"}}"#)).collect::<Vec<_>>().join(",")
        );
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"sha256:{man}"}}]}}"#);
        let paths: Vec<String> = digests.iter().map(|d| format!("blobs/sha256/{d}")).collect();
        let (cp, mp) = (format!("blobs/sha256/{cfg}"), format!("blobs/sha256/{man}"));
        let mut es = vec![file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#), file("index.json", index.as_bytes()), file(&mp, manifest.as_bytes()), file(&cp, CONFIG.as_bytes())];
        for (p, g) in paths.iter().zip(&gz) {
            es.push(file(p, g));
        }
        let m = read_archive(&archive(&es)[..]).unwrap();
        assert_eq!(m.wasted, MB10 as u64);
        // sizes are of the uncompressed tars
        assert_eq!(m.size, layers.iter().map(|l| l.len() as u64).sum::<u64>());
        assert_eq!(m.layers[1].instruction, "RUN dd if=/dev/zero of=/big bs=1M count=10");
    }

    #[test]
    fn archive_errors_are_messages() {
        let e = read_archive(&archive(&[file("x", b"{}")])[..]).unwrap_err();
        assert!(e.contains("neither manifest.json nor index.json"), "{e}");
        let e = read_archive(&b"garbage that is no tar at all"[..]).unwrap_err();
        assert!(e.contains("reading the image archive"), "{e}");
        let bad = archive(&[file("manifest.json", br#"[{"Config":"c.json","Layers":["missing.tar"]}]"#), file("c.json", b"{}")]);
        let e = read_archive(&bad[..]).unwrap_err();
        assert!(e.contains("lacks layer missing.tar"), "{e}");
    }
}
