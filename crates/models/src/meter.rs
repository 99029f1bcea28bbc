//! Progress and integrity while streaming big files: counts bytes, hashes them, reports every quarter.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Files at least this big get progress lines while they stream.
const REPORT_ABOVE: u64 = 16 << 20;

/// Formats a byte count for progress lines, e.g. `145.2 MB`.
pub(crate) fn megabytes(bytes: u64) -> String {
    if bytes < 100_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// Lowercase hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader that hashes and counts what passes through it and reports progress.
pub(crate) struct MeteredReader<'p, R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    total: u64,
    label: String,
    next_quarter: u64,
    progress: &'p mut dyn FnMut(&str),
}

impl<'p, R: Read> MeteredReader<'p, R> {
    /// `total` is the expected size (for percentages); `label` starts each progress line.
    pub(crate) fn new(
        inner: R,
        total: u64,
        label: String,
        progress: &'p mut dyn FnMut(&str),
    ) -> Self {
        MeteredReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            total,
            label,
            next_quarter: 1,
            progress,
        }
    }

    /// Reads to the end, then returns the byte count and SHA-256 (hex) of everything read.
    pub(crate) fn finish(mut self) -> io::Result<(u64, String)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.bytes, hex(&self.hasher.finalize())))
    }
}

impl<R: Read> Read for MeteredReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        if self.total >= REPORT_ABOVE
            && self.next_quarter < 4
            && self.bytes * 4 >= self.total * self.next_quarter
        {
            let line = format!(
                "{}: {}% ({} of {})",
                self.label,
                self.next_quarter * 25,
                megabytes(self.bytes),
                megabytes(self.total)
            );
            (self.progress)(&line);
            self.next_quarter += 1;
        }
        Ok(n)
    }
}

/// Several readers read one after another, e.g. the parts of a split model.
pub(crate) struct Concat<R> {
    parts: std::collections::VecDeque<R>,
}

impl<R> Concat<R> {
    pub(crate) fn new(parts: Vec<R>) -> Self {
        Concat {
            parts: parts.into(),
        }
    }
}

impl<R: Read> Read for Concat<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(part) = self.parts.front_mut() {
            let n = part.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.parts.pop_front();
        }
        Ok(0)
    }
}

/// SHA-256 (hex) and size of a file, with progress lines for big files.
pub(crate) fn hash_file(
    path: &std::path::Path,
    label: String,
    progress: &mut dyn FnMut(&str),
) -> io::Result<(u64, String)> {
    let file = std::fs::File::open(path)?;
    let total = file.metadata()?.len();
    MeteredReader::new(
        io::BufReader::with_capacity(1 << 20, file),
        total,
        label,
        progress,
    )
    .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_reads_parts_in_order_and_hash_matches_whole() {
        let whole = b"hello, split world".to_vec();
        let parts: Vec<&[u8]> = vec![&whole[..5], &[], &whole[5..]];
        let mut lines = Vec::new();
        let mut sink = |l: &str| lines.push(l.to_string());
        let reader = MeteredReader::new(Concat::new(parts), 18, "x".into(), &mut sink);
        let (n, sum) = reader.finish().unwrap();
        assert_eq!(n, whole.len() as u64);
        assert_eq!(sum, hex(&Sha256::digest(&whole)));
        assert!(lines.is_empty(), "small files report no progress");
    }

    #[test]
    fn big_streams_report_each_quarter_once() {
        let data = vec![7u8; 20 << 20];
        let mut lines = Vec::new();
        let mut sink = |l: &str| lines.push(l.to_string());
        let reader = MeteredReader::new(&data[..], data.len() as u64, "big".into(), &mut sink);
        reader.finish().unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("big: 25%"));
        assert!(lines[2].starts_with("big: 75%"));
    }

    #[test]
    fn sizes_format_readably() {
        assert_eq!(megabytes(145_217_532), "145.2 MB");
        assert_eq!(megabytes(4_794), "4.8 kB");
        assert_eq!(hex(&[0, 171, 255]), "00abff");
    }
}
