//! A small streaming tar reader: enough to list an image archive and its layers.
//!
//! It reads ustar headers (with the `prefix` field), pax extended headers (`path`, `linkpath`,
//! `size`) and GNU long names and link names (`L`, `K`), checks each header's checksum, and
//! skips entry data by reading it, so it works on a pipe. Global pax headers are read and
//! ignored. It never writes anything.

use std::io::{self, Read};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Devices, FIFOs and anything else with no data of its own.
    Other,
}

/// One entry's header, with pax and GNU long names applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub path: String,
    pub kind: Kind,
    /// Bytes of data that follow the header (0 for links and directories).
    pub size: u64,
    pub link: String,
}

const BLOCK: usize = 512;

/// A tar stream read one entry at a time.
pub struct Reader<R: Read> {
    inner: R,
    /// Data bytes of the current entry not read yet.
    remaining: u64,
    /// Padding after the current entry's data.
    padding: u64,
    done: bool,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads exactly one block; `Ok(false)` at a clean end of input.
fn read_block<R: Read>(r: &mut R, buf: &mut [u8; BLOCK]) -> io::Result<bool> {
    let mut got = 0;
    while got < BLOCK {
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(bad("tar: truncated header")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn skip<R: Read>(r: &mut R, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.by_ref().take(n), &mut io::sink())?;
    if copied < n {
        return Err(bad("tar: truncated entry data"));
    }
    Ok(())
}

/// A NUL-terminated header field as text.
fn field(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A numeric field: octal text, or GNU base-256 when the high bit of the first byte is set.
fn number(b: &[u8]) -> io::Result<u64> {
    if b.first().is_some_and(|c| c & 0x80 != 0) {
        let mut v: u64 = (b[0] & 0x7f) as u64;
        for &c in &b[1..] {
            v = v.checked_shl(8).ok_or_else(|| bad("tar: number too large"))? | c as u64;
        }
        return Ok(v);
    }
    let s = field(b);
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(s, 8).map_err(|_| bad(format!("tar: bad number field {s:?}")))
}

/// Whether a 512-byte block is a tar header with a valid checksum.
pub fn is_header(b: &[u8]) -> bool {
    if b.len() < BLOCK {
        return false;
    }
    let Ok(want) = number(&b[148..156]) else { return false };
    let unsigned: u64 = b[..BLOCK].iter().enumerate().map(|(i, &c)| if (148..156).contains(&i) { 32 } else { c as u64 }).sum();
    let signed: i64 = b[..BLOCK].iter().enumerate().map(|(i, &c)| if (148..156).contains(&i) { 32 } else { c as i8 as i64 }).sum();
    want == unsigned || want as i64 == signed
}

/// Parses pax extended header records (`LEN key=value\n`).
fn pax_records(data: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(sp) = rest.iter().position(|&c| c == b' ') else { break };
        let Ok(len) = std::str::from_utf8(&rest[..sp]).unwrap_or("").parse::<usize>() else { break };
        if len <= sp || len > rest.len() {
            break;
        }
        let rec = &rest[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|&c| c == b'=') {
            out.push((String::from_utf8_lossy(&rec[..eq]).into_owned(), String::from_utf8_lossy(&rec[eq + 1..]).into_owned()));
        }
        rest = &rest[len..];
    }
    out
}

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader { inner, remaining: 0, padding: 0, done: false }
    }

    /// Reads the data of a special entry (pax, long name) whole; they are small.
    fn read_special(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > 16 << 20 {
            return Err(bad("tar: extended header over 16 MiB"));
        }
        let mut data = vec![0; size as usize];
        self.inner.read_exact(&mut data)?;
        skip(&mut self.inner, pad(size))?;
        Ok(data)
    }

    /// The next entry's header, skipping whatever is left of the current entry's data.
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        if self.done {
            return Ok(None);
        }
        skip(&mut self.inner, self.remaining + self.padding)?;
        self.remaining = 0;
        self.padding = 0;
        let mut long_name: Option<String> = None;
        let mut long_link: Option<String> = None;
        let mut pax: Vec<(String, String)> = Vec::new();
        let mut buf = [0u8; BLOCK];
        loop {
            if !read_block(&mut self.inner, &mut buf)? {
                // no end-of-archive blocks: accept a stream that simply stops between entries
                self.done = true;
                return Ok(None);
            }
            if buf.iter().all(|&c| c == 0) {
                self.done = true;
                return Ok(None);
            }
            if !is_header(&buf) {
                return Err(bad("tar: bad header checksum (not a tar stream, or a damaged one)"));
            }
            let size = number(&buf[124..136])?;
            let flag = buf[156];
            match flag {
                b'x' => {
                    let data = self.read_special(size)?;
                    pax.extend(pax_records(&data));
                    continue;
                }
                b'g' => {
                    self.read_special(size)?;
                    continue;
                }
                b'L' | b'K' => {
                    let data = self.read_special(size)?;
                    let s = field(&data);
                    if flag == b'L' {
                        long_name = Some(s);
                    } else {
                        long_link = Some(s);
                    }
                    continue;
                }
                _ => {}
            }
            let ustar = &buf[257..263] == b"ustar\0";
            let mut path = field(&buf[0..100]);
            if ustar {
                let prefix = field(&buf[345..500]);
                if !prefix.is_empty() {
                    path = format!("{prefix}/{path}");
                }
            }
            let mut link = field(&buf[157..257]);
            let mut size = size;
            if let Some(n) = long_name {
                path = n;
            }
            if let Some(l) = long_link {
                link = l;
            }
            for (k, v) in pax {
                match k.as_str() {
                    "path" => path = v,
                    "linkpath" => link = v,
                    "size" => size = v.parse().map_err(|_| bad("tar: bad pax size"))?,
                    _ => {}
                }
            }
            let kind = match flag {
                b'0' | 0 | b'7' | b'S' => Kind::File,
                b'1' => Kind::Hardlink,
                b'2' => Kind::Symlink,
                b'5' => Kind::Dir,
                _ => Kind::Other,
            };
            // as Go's archive/tar (which wrote most image layers): links, devices, directories
            // and FIFOs carry no data, whatever their size field says
            let data = if matches!(flag, b'1'..=b'6') { 0 } else { size };
            self.remaining = data;
            self.padding = pad(data);
            let size = if kind == Kind::File { size } else { 0 };
            return Ok(Some(Header { path, kind, size, link }));
        }
    }

    /// A reader over the current entry's data.
    pub fn data(&mut self) -> Data<'_, R> {
        Data { tar: self }
    }

    /// The stream underneath.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads the rest of the stream (trailing blocks, record padding), returning how many bytes.
    pub fn drain(&mut self) -> io::Result<u64> {
        io::copy(&mut self.inner, &mut io::sink())
    }
}

fn pad(n: u64) -> u64 {
    (BLOCK as u64 - n % BLOCK as u64) % BLOCK as u64
}

/// The data of the current entry.
pub struct Data<'a, R: Read> {
    tar: &'a mut Reader<R>,
}

impl<R: Read> Read for Data<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tar.remaining == 0 {
            return Ok(0);
        }
        let max = buf.len().min(self.tar.remaining.min(usize::MAX as u64) as usize);
        let n = self.tar.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(bad("tar: truncated entry data"));
        }
        self.tar.remaining -= n as u64;
        Ok(n)
    }
}

/// Counts the bytes read through it.
pub struct Counting<R> {
    pub inner: R,
    pub count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Writes tar archives: for tests (hand-made layers and image archives).
#[cfg(test)]
pub mod write {
    /// One entry: path, type flag, data (and link target for links).
    pub struct Entry<'a> {
        pub path: &'a str,
        pub flag: u8,
        pub data: &'a [u8],
        pub link: &'a str,
    }

    pub fn file<'a>(path: &'a str, data: &'a [u8]) -> Entry<'a> {
        Entry { path, flag: b'0', data, link: "" }
    }

    pub fn dir(path: &str) -> Entry<'_> {
        Entry { path, flag: b'5', data: b"", link: "" }
    }

    pub fn symlink<'a>(path: &'a str, link: &'a str) -> Entry<'a> {
        Entry { path, flag: b'2', data: b"", link }
    }

    fn header(path: &str, flag: u8, size: usize, link: &str) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..path.len().min(100)].copy_from_slice(&path.as_bytes()[..path.len().min(100)]);
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = flag;
        h[157..157 + link.len().min(100)].copy_from_slice(&link.as_bytes()[..link.len().min(100)]);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&c| c as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn push(out: &mut Vec<u8>, path: &str, flag: u8, data: &[u8], link: &str) {
        out.extend_from_slice(&header(path, flag, data.len(), link));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    /// A tar archive of the entries; names over 100 bytes get a pax `path` record.
    pub fn archive(entries: &[Entry]) -> Vec<u8> {
        let mut out = Vec::new();
        for e in entries {
            if e.path.len() > 100 {
                let rec_body = format!("path={}\n", e.path);
                let mut len = rec_body.len() + 2;
                while format!("{len} {rec_body}").len() != len {
                    len += 1;
                }
                push(&mut out, "PaxHeader", b'x', format!("{len} {rec_body}").as_bytes(), "");
            }
            push(&mut out, e.path, e.flag, e.data, e.link);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::write::*;
    use super::*;

    fn list(bytes: &[u8]) -> Vec<Header> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(h) = r.next_header().unwrap() {
            out.push(h);
        }
        out
    }

    #[test]
    fn lists_files_dirs_links_and_reads_data() {
        let t = archive(&[dir("etc/"), file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"), symlink("bin/sh", "dash"), file("big", &[7u8; 1500])]);
        let hs = list(&t);
        assert_eq!(hs.iter().map(|h| (h.path.as_str(), h.kind, h.size)).collect::<Vec<_>>(), vec![("etc/", Kind::Dir, 0), ("etc/passwd", Kind::File, 26), ("bin/sh", Kind::Symlink, 0), ("big", Kind::File, 1500)]);
        assert_eq!(hs[2].link, "dash");
        let mut r = Reader::new(&t[..]);
        r.next_header().unwrap();
        r.next_header().unwrap();
        let mut s = String::new();
        r.data().read_to_string(&mut s).unwrap();
        assert_eq!(s, "root:x:0:0::/root:/bin/sh\n");
        // the rest of the data of an entry is skipped when only part of it was read
        let mut r = Reader::new(&t[..]);
        for _ in 0..4 {
            r.next_header().unwrap();
        }
        let mut b = [0u8; 10];
        r.data().read_exact(&mut b).unwrap();
        assert_eq!(r.next_header().unwrap(), None);
    }

    #[test]
    fn long_names_through_pax_and_gnu_and_the_ustar_prefix() {
        let long = format!("{}/file.txt", "d".repeat(120));
        let t = archive(&[file(&long, b"x")]);
        assert_eq!(list(&t)[0].path, long);
        // GNU long name: an `L` entry whose data is the name
        let mut t = Vec::new();
        let name = format!("{}/gnu", "g".repeat(150));
        let mut name_z = name.clone().into_bytes();
        name_z.push(0);
        let mut l = archive(&[Entry { path: "././@LongLink", flag: b'L', data: &name_z, link: "" }]);
        l.truncate(l.len() - 1024);
        t.extend_from_slice(&l);
        t.extend_from_slice(&archive(&[file("short", b"abc")]));
        let hs = list(&t);
        assert_eq!(hs.len(), 1);
        assert_eq!(hs[0].path, name);
        assert_eq!(hs[0].size, 3);
        // ustar prefix field
        let mut t = archive(&[file("name", b"")]);
        t[345..351].copy_from_slice(b"prefix");
        t[148..156].copy_from_slice(b"        ");
        let sum: u32 = t[..512].iter().map(|&c| c as u32).sum();
        t[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert_eq!(list(&t)[0].path, "prefix/name");
    }

    #[test]
    fn base256_sizes_and_bad_input() {
        let mut b = [0u8; 12];
        b[0] = 0x80;
        b[10] = 0x01;
        b[11] = 0x00;
        assert_eq!(number(&b).unwrap(), 256);
        assert_eq!(number(b"0000012\0").unwrap(), 10);
        // not a tar stream: a clear error, not a panic
        let mut r = Reader::new(&b"{\"not\": \"a tar\"}"[..]);
        assert!(r.next_header().is_err());
        let junk = [b'a'; 512];
        assert!(Reader::new(&junk[..]).next_header().is_err());
        // truncated data
        let t = archive(&[file("f", &[1u8; 2000])]);
        let mut r = Reader::new(&t[..900]);
        r.next_header().unwrap();
        assert!(r.next_header().is_err());
        // an empty archive (two zero blocks) has no entries
        assert!(list(&[0u8; 1024]).is_empty());
    }

    #[test]
    fn pax_records_parse() {
        let recs = pax_records(b"30 mtime=1432668921.098285006\n12 path=a b\n");
        assert_eq!(recs, vec![("mtime".into(), "1432668921.098285006".into()), ("path".into(), "a b".into())]);
    }
}
