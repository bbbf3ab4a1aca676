//! Safe replacement of a previous output: tables are written into a staging directory inside
//! the output and moved into place only when complete, manifest last.
//!
//! Layout: `<out>/.pfocr-staging/run-<id>/new/<table>/…` while writing. When everything is
//! on disk, a `COMMITTED` marker is written; from then on the run *will* be published, by
//! this process or, if it dies, by the next run into the same output ("roll forward").
//! A run dir without the marker is abandoned work and is deleted by the next run. Readers
//! never see a half-written file: each table directory is swapped in with `rename`.
//!
//! The output lock is an exclusive `flock` on the output directory itself. A lock file
//! would have to be deleted some time to leave no debris, and a deleted lock file is no
//! lock: a run that opened it before the unlink and a run that creates a new one both
//! "hold" it, and one's recovery deletes the other's run directory. The directory is never
//! deleted by a run, so every run locks the same inode.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::schema::Table;

/// The hidden directory inside the output that holds runs in progress.
pub const STAGING_DIR: &str = ".pfocr-staging";
/// The manifest file name; its presence marks a complete output.
pub const MANIFEST: &str = "_manifest.json";
const COMMITTED: &str = "COMMITTED";

/// A run's staging area, holding the output lock until dropped.
///
/// Dropped before it is committed (the run failed: disk full, a write error), it deletes
/// its partial tables at once, so a full disk gets its space back and no debris is left.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    run: PathBuf,
    /// Set once the `COMMITTED` marker is on disk: from then on the run's files must stay
    /// until they are rolled forward, by this process or the next run.
    committed: bool,
    /// The output directory, open and `flock`ed until the run ends.
    _lock: File,
}

fn dest(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Destination {
        path: path.to_path_buf(),
        source,
    }
}

impl Staging {
    /// Locks `out` for this run, finishes or cleans up earlier interrupted runs, and creates
    /// a fresh staging directory.
    pub fn begin(out: &Path) -> Result<Self> {
        let lock = File::open(out).map_err(dest(out))?;
        lock_exclusive(&lock).map_err(|source| Error::Destination {
            path: out.to_path_buf(),
            source: std::io::Error::new(
                source.kind(),
                format!("another pfocr-etl run is writing to this output ({source})"),
            ),
        })?;
        recover(out)?;
        let staging = out.join(STAGING_DIR);
        fs::create_dir_all(&staging).map_err(dest(&staging))?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let run = staging.join(format!("run-{}-{nanos}", std::process::id()));
        fs::create_dir_all(run.join("new")).map_err(dest(&run))?;
        Ok(Staging {
            out: out.to_path_buf(),
            run,
            committed: false,
            _lock: lock,
        })
    }

    /// Where the run writes its tables.
    pub fn dir(&self) -> PathBuf {
        self.run.join("new")
    }

    /// Commits the run and moves its tables and `manifest` into place.
    ///
    /// Before the marker, every directory the commit depends on is synced: each
    /// `new/<table>/` (its part files' entries), `new/`, the run directory and the staging
    /// directory. The files themselves were synced by their writers.
    pub fn publish(mut self, manifest: &str) -> Result<()> {
        let new = self.dir();
        let manifest_path = new.join(MANIFEST);
        write_synced(&manifest_path, manifest.as_bytes())?;
        for table in Table::ALL {
            let dir = new.join(table.name());
            if dir.is_dir() {
                sync_dir(&dir)?;
            }
        }
        sync_dir(&new)?;
        sync_dir(&self.run)?;
        sync_dir(&self.out.join(STAGING_DIR))?;
        write_synced(&self.run.join(COMMITTED), b"")?;
        sync_dir(&self.run)?;
        self.committed = true;
        roll_forward(&self.out, &self.run)?;
        remove_staging_dir(&self.out);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: what is left is removed by the next run anyway.
            let _ = fs::remove_dir_all(&self.run);
            remove_staging_dir(&self.out);
        }
    }
}

/// Best effort: removes the staging directory once no run is left in it (called with the
/// lock held; `remove_dir` fails on a non-empty directory).
fn remove_staging_dir(out: &Path) {
    let _ = fs::remove_dir(out.join(STAGING_DIR));
}

/// Finishes committed runs and deletes abandoned ones under `<out>/.pfocr-staging`.
pub fn recover(out: &Path) -> Result<()> {
    let staging = out.join(STAGING_DIR);
    let Ok(entries) = fs::read_dir(&staging) else {
        return Ok(());
    };
    let mut runs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    runs.sort();
    for run in runs {
        if run.join(COMMITTED).exists() {
            roll_forward(out, &run)?;
        } else {
            fs::remove_dir_all(&run).map_err(dest(&run))?;
        }
    }
    Ok(())
}

/// Moves a committed run's tables into `out` (idempotent: safe to repeat after a crash).
fn roll_forward(out: &Path, run: &Path) -> Result<()> {
    let new = run.join("new");
    let old = run.join("old");
    // The manifest goes first so that, while tables are swapped, no manifest claims them.
    let manifest = out.join(MANIFEST);
    if new.join(MANIFEST).exists() {
        match fs::remove_file(&manifest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(dest(&manifest)(e)),
        }
    }
    for table in Table::ALL {
        let staged = new.join(table.name());
        if !staged.exists() {
            continue; // moved already by an earlier attempt
        }
        let live = out.join(table.name());
        if live.exists() && !old.join(table.name()).exists() {
            fs::create_dir_all(&old).map_err(dest(&old))?;
            fs::rename(&live, old.join(table.name())).map_err(dest(&live))?;
        }
        fs::rename(&staged, &live).map_err(dest(&live))?;
    }
    if new.join(MANIFEST).exists() {
        fs::rename(new.join(MANIFEST), &manifest).map_err(dest(&manifest))?;
    }
    sync_dir(out)?;
    fs::remove_dir_all(run).map_err(dest(run))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(dest(path))?;
    f.write_all(bytes).map_err(dest(path))?;
    f.sync_all().map_err(dest(path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(dest(dir))
}

#[cfg(unix)]
fn lock_exclusive(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a valid, open file descriptor has no memory-safety preconditions.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_file(dir: &Path, table: Table, content: &str) {
        fs::create_dir_all(dir.join(table.name())).unwrap();
        fs::write(dir.join(table.name()).join("part-00000.parquet"), content).unwrap();
    }

    fn read(out: &Path, table: Table) -> String {
        fs::read_to_string(out.join(table.name()).join("part-00000.parquet")).unwrap()
    }

    #[test]
    fn publish_replaces_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        for gen in ["one", "two"] {
            let s = Staging::begin(out).unwrap();
            for t in Table::ALL {
                table_file(&s.dir(), t, gen);
            }
            s.publish(gen).unwrap();
            assert_eq!(read(out, Table::Figures), gen);
            assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), gen);
        }
        assert!(!out.join(STAGING_DIR).exists(), "no staging debris");
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let first = Staging::begin(out).unwrap();
        let second = Staging::begin(out).unwrap_err();
        let why = std::error::Error::source(&second).map(ToString::to_string);
        assert!(
            why.as_deref()
                .is_some_and(|w| w.contains("another pfocr-etl run")),
            "{second}: {why:?}"
        );
        // The refused run touched nothing: the first run's staging is still there.
        assert!(first.dir().is_dir());
        first.publish("m").unwrap();
        // Released at the end of the run, and no lock file was left behind to unlink.
        let third = Staging::begin(out).unwrap();
        drop(third);
        let left: Vec<_> = fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, [std::ffi::OsString::from(MANIFEST)]);
    }

    #[test]
    fn a_failed_run_removes_its_staging_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let s = Staging::begin(out).unwrap();
        table_file(&s.dir(), Table::Figures, "old");
        s.publish("old").unwrap();
        let s = Staging::begin(out).unwrap();
        table_file(&s.dir(), Table::Figures, "partial");
        drop(s); // the run failed before publishing (disk full, a write error)
        assert!(!out.join(STAGING_DIR).exists(), "no staging debris");
        assert_eq!(read(out, Table::Figures), "old");
        assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), "old");
    }

    #[test]
    fn abandoned_run_is_discarded_and_committed_run_rolls_forward() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let s = Staging::begin(out).unwrap();
        for t in Table::ALL {
            table_file(&s.dir(), t, "old");
        }
        s.publish("old").unwrap();

        // A run that died before committing: the old output stays.
        let dead = out.join(STAGING_DIR).join("run-1-1");
        table_file(&dead.join("new"), Table::Figures, "partial");
        recover(out).unwrap();
        assert!(!dead.exists());
        assert_eq!(read(out, Table::Figures), "old");

        // A run that died after committing, halfway through the swap: finished by recovery.
        let run = out.join(STAGING_DIR).join("run-2-2");
        for t in Table::ALL {
            table_file(&run.join("new"), t, "new");
        }
        fs::write(run.join("new").join(MANIFEST), "new").unwrap();
        fs::write(run.join(COMMITTED), "").unwrap();
        fs::create_dir_all(run.join("old")).unwrap();
        fs::rename(out.join("figures"), run.join("old").join("figures")).unwrap();
        fs::rename(run.join("new").join("figures"), out.join("figures")).unwrap();
        fs::remove_file(out.join(MANIFEST)).unwrap();
        recover(out).unwrap();
        for t in Table::ALL {
            assert_eq!(read(out, t), "new", "{}", t.name());
        }
        assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        assert!(!run.exists());
    }
}
