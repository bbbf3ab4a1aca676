//! `pfocr-etl maintain`: keeps the Delta tables of `load` healthy over years of loads.
//!
//! For each table (the five data tables and `_pfocr_sources`), in [`Table::ALL`] order:
//!
//! 1. with `compact`, rewrites each shard's small files into files of about
//!    [`COMPACT_TARGET_BYTES`] (Delta `optimize`; delta-rs' own needs DataFusion, which this
//!    build does not carry, so the files are merged here with the same Parquet writer as
//!    `load`). A merged file keeps its shard's tag in its name, so the shard that owns the
//!    rows still owns them, and `load` rewrites it like any of its files;
//! 2. vacuums the files that a commit removed more than `retain_hours` ago (delta-rs' *lite*
//!    vacuum: only files the log removed are deleted, never a file no commit mentions, so the
//!    files a running load has uploaded but not yet committed are safe at any retention);
//! 3. writes a checkpoint of the table's latest version.
//!
//! Concurrency: a compaction commit removes its inputs with `dataChange: true`; delta-rs'
//! conflict checker fails whichever of a load and a compaction commits second when both
//! removed a same file (see [`DeltaTarget::commit_compaction`]). A load that only adds
//! files is retried past. So a maintenance racing a load never loses or doubles a row; at
//! worst one of them stops with exit status 5 and is run again.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use deltalake::kernel::{Action, Add, Remove};
use serde::Serialize;

use super::store::{delta_error, now_millis, DeltaTarget, TableFile};
use super::{now_nanos, register_object_stores, root_url, sources, Scratch, SOURCES_TABLE};
use crate::error::{Error, Result};
use crate::schema::Table;
use crate::write::{writer_properties, TableWriter, WriteOptions};

/// Files smaller than this are compacted, into files of about this size.
pub const COMPACT_TARGET_BYTES: u64 = 128 << 20;
/// Delta's default `delta.deletedFileRetentionDuration`: one week. A shorter retention
/// needs [`MaintainOptions::allow_short_retention`].
pub const DEFAULT_RETAIN_HOURS: u64 = 168;

/// What a maintenance does.
#[derive(Debug, Clone)]
pub struct MaintainOptions {
    /// The `--table` of the loads: a local path or an object store URI.
    pub table: String,
    /// Files removed from the tables longer ago than this are deleted.
    pub retain_hours: u64,
    /// Accept a retention under [`DEFAULT_RETAIN_HOURS`]: readers of a table version older
    /// than the retention (time travel, or a query that started before the maintenance)
    /// then fail on the deleted files.
    pub allow_short_retention: bool,
    /// Merge small files.
    pub compact: bool,
    /// Object store options (`--storage-option`).
    pub storage: crate::options::StorageOptions,
}

/// What a maintenance did to one table.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TableMaintenance {
    pub version_before: u64,
    pub version_after: u64,
    /// Live files and their bytes before and after.
    pub files_before: u64,
    pub bytes_before: u64,
    pub files_after: u64,
    pub bytes_after: u64,
    /// Small files merged, and the files they were merged into.
    pub compacted: u64,
    pub compacted_into: u64,
    /// Removed files deleted by the vacuum.
    pub vacuumed: u64,
    /// The version the checkpoint was written at.
    pub checkpoint: u64,
}

/// What a maintenance did (`--summary-json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MaintainSummary {
    pub table: String,
    pub retain_hours: u64,
    pub compact: bool,
    pub tables: BTreeMap<String, TableMaintenance>,
    pub seconds: f64,
}

impl MaintainSummary {
    /// The human summary printed at the end.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (name, t) in &self.tables {
            s.push_str(&format!(
                "{name}: {} files ({} bytes) -> {} files ({} bytes); {} compacted into {}, \
                 {} vacuumed; checkpoint at version {}\n",
                t.files_before,
                t.bytes_before,
                t.files_after,
                t.bytes_after,
                t.compacted,
                t.compacted_into,
                t.vacuumed,
                t.checkpoint
            ));
        }
        s.push_str(&format!("maintenance done in {:.2} s\n", self.seconds));
        s
    }
}

/// Compacts (optionally), vacuums and checkpoints every table under `opts.table`.
pub fn maintain(opts: &MaintainOptions) -> Result<MaintainSummary> {
    let started = Instant::now();
    if opts.retain_hours < DEFAULT_RETAIN_HOURS && !opts.allow_short_retention {
        return Err(Error::Options(format!(
            "--retain-hours {} is under Delta's safety threshold of {DEFAULT_RETAIN_HOURS} \
             hours: readers of a table version older than that would fail on deleted files; \
             pass --allow-short-retention to do it anyway",
            opts.retain_hours
        )));
    }
    // Whole microseconds of an hour count fit an i64 for any sane retention.
    if opts.retain_hours > 24 * 365 * 1000 {
        return Err(Error::Options(format!(
            "--retain-hours {}: more than a thousand years",
            opts.retain_hours
        )));
    }
    register_object_stores();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
    let mut summary = runtime.block_on(run(opts))?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

async fn run(opts: &MaintainOptions) -> Result<MaintainSummary> {
    let root = root_url(&opts.table, false)?;
    let mut summary = MaintainSummary {
        table: opts.table.clone(),
        retain_hours: opts.retain_hours,
        compact: opts.compact,
        ..MaintainSummary::default()
    };
    let all = Table::ALL
        .iter()
        .map(|t| (t.name(), t.schema(), Some(*t)))
        .chain([(SOURCES_TABLE, sources::schema(), None)]);
    let work = Scratch::new()?;
    for (name, schema, data) in all {
        // Maintenance creates nothing: a table that is not there is skipped.
        if root
            .to_file_path()
            .is_ok_and(|dir| !dir.join(name).is_dir())
        {
            continue;
        }
        let mut target = DeltaTarget::open(&root, name, schema, &opts.storage).await?;
        let Some(version_before) = target.version() else {
            continue;
        };
        let before = target.files()?;
        let mut t = TableMaintenance {
            version_before,
            files_before: before.len() as u64,
            bytes_before: before.iter().map(|f| f.size).sum(),
            ..TableMaintenance::default()
        };
        if opts.compact {
            if let Some(table) = data {
                compact(&mut target, table, &work.dir, &mut t).await?;
            }
        }
        t.vacuumed = vacuum(&mut target, opts.retain_hours).await?;
        target.checkpoint().await?;
        let after = target.files()?;
        t.version_after = target.version().unwrap_or(version_before);
        t.checkpoint = t.version_after;
        t.files_after = after.len() as u64;
        t.bytes_after = after.iter().map(|f| f.size).sum();
        summary.tables.insert(name.to_owned(), t);
    }
    if summary.tables.is_empty() {
        return Err(Error::Options(format!(
            "--table {}: no pfocr-etl Delta table there (run `pfocr-etl load` first)",
            opts.table
        )));
    }
    Ok(summary)
}

/// The shard tag of a file `load` wrote (`s0of4` in `part-s0of4-l000003-….parquet`).
fn shard_tag(path: &str) -> Option<&str> {
    let file = path.rsplit('/').next()?;
    let tag = file.strip_prefix("part-")?.split('-').next()?;
    (tag.starts_with('s') && tag.contains("of")).then_some(tag)
}

/// Groups of small files to merge: per shard tag, in path order, each group filled up to
/// [`COMPACT_TARGET_BYTES`]; only groups of two or more files are worth a rewrite.
fn plan_compaction(files: &[TableFile], target: u64) -> Vec<(String, Vec<TableFile>)> {
    let mut by_tag: BTreeMap<&str, Vec<&TableFile>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.size < target) {
        if let Some(tag) = shard_tag(&f.path) {
            by_tag.entry(tag).or_default().push(f);
        }
    }
    let mut groups = Vec::new();
    for (tag, mut small) in by_tag {
        small.sort_by(|a, b| a.path.cmp(&b.path));
        let mut group: Vec<TableFile> = Vec::new();
        let mut bytes = 0;
        for f in small {
            if !group.is_empty() && bytes + f.size > target {
                groups.push((tag.to_owned(), std::mem::take(&mut group)));
                bytes = 0;
            }
            bytes += f.size;
            group.push(f.clone());
        }
        groups.push((tag.to_owned(), group));
    }
    groups.retain(|(_, g)| g.len() > 1);
    groups
}

/// Merges the small files of `target` and commits the merge as one version.
async fn compact(
    target: &mut DeltaTarget,
    table: Table,
    work: &Path,
    t: &mut TableMaintenance,
) -> Result<()> {
    let groups = plan_compaction(&target.files()?, COMPACT_TARGET_BYTES);
    if groups.is_empty() {
        return Ok(());
    }
    let stamp = format!("{}-{}", std::process::id(), now_nanos());
    let mut actions = Vec::new();
    for (n, (tag, group)) in groups.iter().enumerate() {
        let rows: u64 = group.iter().map(|f| f.rows).sum();
        let dir = work.join(format!("{}-{n}", table.name()));
        let props = writer_properties(table, rows, &WriteOptions::default())?;
        let mut w = TableWriter::create(&dir, table, props)?;
        let mut written = 0u64;
        for f in group {
            for b in target.read(&f.path).await? {
                written += b.num_rows() as u64;
                w.write(&b)?;
            }
            actions.push(Action::Remove(Remove {
                path: f.path.clone(),
                // True on purpose: a load that removed the same file conflicts with us.
                data_change: true,
                deletion_timestamp: Some(now_millis()),
                extended_file_metadata: Some(true),
                size: Some(f.size as i64),
                ..Remove::default()
            }));
        }
        w.close()?;
        let local = dir.join(table.name()).join("part-00000.parquet");
        // The tag first, as `load` names its files: the owning shard stays the owner.
        let name = format!("part-{tag}-compact-{stamp}-{n:05}.parquet");
        let add: Add = target.upload(&local, &name, written).await?;
        actions.push(Action::Add(Add {
            data_change: false,
            ..add
        }));
        t.compacted += group.len() as u64;
        t.compacted_into += 1;
    }
    target
        .commit_compaction(actions, COMPACT_TARGET_BYTES)
        .await?;
    Ok(())
}

/// Deletes the files removed from `target` more than `retain_hours` ago; how many.
async fn vacuum(target: &mut DeltaTarget, retain_hours: u64) -> Result<u64> {
    let retention = crate::arrow::temporal_conversions::duration_us_to_duration(
        retain_hours as i64 * 3_600_000_000,
    );
    let (table, metrics) = target
        .table()
        .clone()
        .vacuum()
        .with_retention_period(retention)
        // Our own threshold was checked (and waived only on request) before.
        .with_enforce_retention_duration(false)
        .await
        .map_err(|source| delta_error(target.name, source))?;
    target.set_table(table);
    Ok(metrics.files_deleted.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> TableFile {
        TableFile {
            path: path.to_owned(),
            rows: 1,
            size,
        }
    }

    #[test]
    fn small_files_are_grouped_per_shard_and_big_or_lone_ones_are_left() {
        let files = vec![
            file("part-s0of2-l000001-1-1-00000.parquet", 10),
            file("part-s1of2-l000001-1-1-00000.parquet", 10),
            file("part-s0of2-l000002-1-1-00000.parquet", 10),
            file("part-s0of2-l000003-1-1-00000.parquet", 500),
            file("other.parquet", 10),
            file("part-s0of2-l000004-1-1-00000.parquet", 10),
        ];
        let groups = plan_compaction(&files, 100);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].0, "s0of2");
        let paths: Vec<&str> = groups[0].1.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "part-s0of2-l000001-1-1-00000.parquet",
                "part-s0of2-l000002-1-1-00000.parquet",
                "part-s0of2-l000004-1-1-00000.parquet"
            ]
        );
        // Groups stop at the target size.
        let groups = plan_compaction(&files, 25);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1.len(), 2);
    }

    #[test]
    fn a_compacted_file_keeps_its_shard() {
        let name = "part-s1of4-compact-12-34-00000.parquet";
        assert_eq!(shard_tag(name), Some("s1of4"));
        assert!(super::super::Shard::owns_file("1/4".parse().unwrap(), name));
        assert_eq!(super::super::Shard::count_of_file(name), Some(4));
    }
}
