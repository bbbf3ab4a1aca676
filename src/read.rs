//! Reading the corpus from disk: the only stage of a conversion that opens input files.
//!
//! [`read_text`] reads one file with the size limit and the UTF-8 check (a BOM is dropped);
//! [`DiskTables`] reads a figure's sibling TSVs and serves the `_data` map values to the
//! decoder through [`Tables`], counting every byte read; [`decode_file`] reads one figure file
//! and hands its text to [`decode_text`]. Flow: [`crate::discover`] finds the files, this
//! module reads them, [`crate::decode`] turns text into rows (and never touches the disk).
//! Problems come back as [`Problem`]s (with the file line where there is one).

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::batch::Builders;
use crate::decode::{decode_text, Outcome, Tables};
use crate::discover::{FigureFile, TableIndex};
use crate::error::{Problem, RejectKind};
use crate::maps::{FigureMaps, MapKind};
use crate::schema::EntityKind;

/// Reads a whole file as UTF-8 text, refusing files larger than `max_bytes`.
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String, Problem> {
    let unreadable = |e: std::io::Error| {
        Problem::new(RejectKind::Unreadable, format!("cannot read the file: {e}"))
    };
    let file = File::open(path).map_err(unreadable)?;
    // Sized from the open file's length (one fstat), so reading does not regrow and copy
    // the buffer; the length is only a hint, the read below decides.
    let hint = file.metadata().map_or(0, |m| m.len()).min(max_bytes);
    // Read at most one byte past the limit, so a file that grows while we read is caught too.
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(Problem::new(
            RejectKind::TooLarge,
            format!("the file is larger than the limit of {max_bytes} bytes (--max-record-bytes)"),
        ));
    }
    decode_utf8(bytes)
}

/// Checks that `bytes` are UTF-8 and drops a leading byte-order mark.
pub fn decode_utf8(mut bytes: Vec<u8>) -> Result<String, Problem> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let col = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        let what = if e.as_bytes().contains(&0) {
            "the file is binary, not UTF-8 text"
        } else {
            "the file is not valid UTF-8 text"
        };
        Problem::new(
            RejectKind::NotUtf8,
            format!("{what} (invalid byte 0x{:02X})", e.as_bytes()[valid.len()]),
        )
        .at(line as u32, col as u32)
    })
}

/// The `_data` TSVs of a corpus on disk, and the reading of its figure files: every file is
/// read through [`DiskTables::read`], which counts the bytes.
pub struct DiskTables<'c> {
    /// The corpus root, which the index's paths are relative to.
    root: &'c Path,
    index: &'c TableIndex,
    max_bytes: u64,
    /// Bytes of the files read so far (all threads).
    read: AtomicU64,
    /// The `_data` map values (see [`DiskTables::with_maps`]).
    maps: Option<&'c FigureMaps>,
}

impl<'c> DiskTables<'c> {
    /// The corpus at `root` with its TSV index; files over `max_bytes` are refused.
    pub fn new(root: &'c Path, index: &'c TableIndex, max_bytes: u64) -> Self {
        DiskTables {
            root,
            index,
            max_bytes,
            read: AtomicU64::new(0),
            maps: None,
        }
    }

    /// The same, filling `wpid` and `ndex` from `maps` for records whose front matter
    /// gives no value. The bytes read so far stay counted.
    pub fn with_maps(self, maps: &'c FigureMaps) -> Self {
        DiskTables {
            maps: Some(maps),
            ..self
        }
    }

    /// Reads the file at `path` as text, counting its bytes.
    pub fn read(&self, path: &Path) -> Result<String, Problem> {
        let text = read_text(path, self.max_bytes)?;
        self.read.fetch_add(text.len() as u64, Ordering::Relaxed);
        Ok(text)
    }

    /// Bytes of the figure files and TSVs read so far (of the text each decoded into).
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

impl Tables for DiskTables<'_> {
    fn rel(&self, figid: &str, kind: EntityKind) -> Option<Cow<'_, str>> {
        let file = self.index.get(figid)?.file(figid, kind)?;
        Some(Cow::Owned(file.rel))
    }

    fn load(&self, figid: &str, kind: EntityKind) -> Result<Cow<'_, str>, Problem> {
        let file = self
            .index
            .get(figid)
            .and_then(|set| set.file(figid, kind))
            .expect("rel() found it");
        self.read(&file.path(self.root)).map(Cow::Owned)
    }

    fn mapped(&self, kind: MapKind, figid: &str) -> Option<&str> {
        self.maps?.get(kind, figid)
    }
}

/// Reads and decodes the figure file `file` of the corpus on `disk` into `out`.
pub fn decode_file(file: FigureFile<'_>, disk: &DiskTables<'_>, out: &mut Builders) -> Outcome {
    match disk.read(&file.path(disk.root)) {
        Ok(text) => decode_text(&text, file.rel, file.stem(), disk, out),
        Err(p) => Outcome::Rejected {
            reject: p.into_reject(file.rel),
            claim: file.stem().to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_checks() {
        assert_eq!(decode_utf8(b"\xEF\xBB\xBF---\n".to_vec()).unwrap(), "---\n");
        let e = decode_utf8(b"---\nab\xFFc\n".to_vec()).unwrap_err();
        assert_eq!(
            (e.kind, e.line, e.column),
            (RejectKind::NotUtf8, Some(2), Some(3))
        );
        let e = decode_utf8(b"\x00\x01\x02\xFE".to_vec()).unwrap_err();
        assert!(e.detail.contains("binary"), "{}", e.detail);
    }

    #[test]
    fn disk_tables_count_the_bytes_read() {
        // A figure file with a BOM and its genes TSV are read; an orphan TSV is not.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("_figures")).unwrap();
        std::fs::create_dir_all(root.join("_data")).unwrap();
        let figure = "\u{FEFF}---\nfigid: a\n---\n";
        let genes = "word\tncbigene_id\nRANKL\t8600\n";
        std::fs::write(root.join("_figures/a.md"), figure).unwrap();
        std::fs::write(root.join("_data/a-genes.tsv"), genes).unwrap();
        std::fs::write(root.join("_data/zz-genes.tsv"), "word\nX\n").unwrap();
        let corpus = crate::discover::discover(root).unwrap();
        let disk = DiskTables::new(&corpus.root, &corpus.tables, 1 << 20);
        let mut b = Builders::default();
        let o = decode_file(corpus.figures.at(0), &disk, &mut b);
        assert!(matches!(o, Outcome::Converted(_)), "{o:?}");
        assert_eq!(b.finish().unwrap().0[1].num_rows(), 1);
        // The BOM (3 bytes) is not part of the text.
        assert_eq!(disk.bytes_read(), (figure.len() - 3 + genes.len()) as u64);
    }
}
