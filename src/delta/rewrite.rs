//! Copy-on-write changes to a table's files: the Remove actions that take a shard's files
//! out, and the rewrite of the files holding rows of changed or removed records without
//! those rows.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::arrow::array::{AsArray, BooleanArray, RecordBatch};
use crate::arrow::compute::filter_record_batch;
use deltalake::kernel::{Action, Remove};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;

use super::load::FileNames;
use super::store::{self, plain_strings, DeltaTarget};
use super::{LoadOptions, Shard};
use crate::error::{Error, Result};
use crate::schema::Table;
use crate::write::{writer_properties, TableWriter, WriteOptions};

/// Remove actions for every file of `target` this shard owns.
pub(super) fn remove_all(target: &DeltaTarget, shard: Shard) -> Result<Vec<Action>> {
    Ok(target
        .files()?
        .into_iter()
        .filter(|f| shard.owns_file(&f.path))
        .map(|f| remove_action(&f.path))
        .collect())
}

/// Copy-on-write, for each data table in `targets` not marked in `skip`: for each owned
/// file holding rows of a figid in the table's set of `remove`, a Remove of it and an Add
/// per row group of it, each a new file with that row group's other rows.
///
/// A file is read twice, streaming: its `figid` column first (most files of an append
/// have no row to drop and are left alone), then, if rows go, each row group, batch by
/// batch through a filter into its new file, so memory stays at a batch and a row group
/// whatever the file's size. A file per row group lets the row groups of one large file
/// be rewritten in parallel (`--threads`), and bounds a later load's rewrite to the row
/// groups whose rows change. The results, and so the file names and bytes, come in a
/// fixed order whatever the thread count.
pub(super) async fn rewrite_without(
    targets: &[DeltaTarget],
    skip: &[bool],
    opts: &LoadOptions,
    remove: &[HashSet<String>],
    names: &FileNames,
    work: &Path,
) -> Result<Vec<Vec<Action>>> {
    let mut actions = vec![Vec::new(); targets.len()];
    let mut files = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        if skip[index] || remove[index].is_empty() {
            continue;
        }
        let table = Table::ALL
            .into_iter()
            .find(|t| t.name() == target.name)
            .expect("a data table");
        let owned = target
            .files()?
            .into_iter()
            .filter(|f| opts.shard.owns_file(&f.path));
        for (n, file) in owned.enumerate() {
            let src = target
                .local_copy(&file.path, &work.join(format!("get-{index}-{n}.parquet")))
                .await?;
            let out = work.join(format!("rewrite-{index}-{n}"));
            files.push(Job {
                index,
                table,
                path: file.path,
                src,
                out,
            });
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.convert.threads)
        .build()?;
    let write = &opts.convert.write;
    let rewritten = tokio::task::block_in_place(|| {
        pool.install(|| -> Result<Vec<Option<Vec<NewFile>>>> {
            // Pass 1, a file a task: the row groups that keep rows, for files that lose some.
            let kept: Vec<Option<Vec<u64>>> = files
                .par_iter()
                .map(|job| Source::open(job.table, &job.src)?.kept(&remove[job.index]))
                .collect::<Result<_>>()?;
            // Pass 2, a row group a task.
            let groups: Vec<(usize, usize, u64)> = kept
                .iter()
                .enumerate()
                .filter_map(|(f, k)| Some((f, k.as_ref()?)))
                .flat_map(|(f, k)| k.iter().enumerate().map(move |(g, &rows)| (f, g, rows)))
                .filter(|&(_, _, rows)| rows > 0)
                .collect();
            let written: Vec<(usize, (u64, PathBuf))> = groups
                .par_iter()
                .map(|&(f, g, rows)| {
                    let job = &files[f];
                    let out = job.out.join(format!("group-{g}"));
                    let source = Source::open(job.table, &job.src)?;
                    let file =
                        source.copy_without(&remove[job.index], Some(g), rows, &out, write)?;
                    Ok((f, (rows, file)))
                })
                .collect::<Result<_>>()?;
            // A file that loses rows is removed even when no row of it stays.
            let mut per_file: Vec<Option<Vec<NewFile>>> = kept
                .iter()
                .map(|k| k.as_ref().map(|_| Vec::new()))
                .collect();
            for (f, file) in written {
                per_file[f].as_mut().expect("a file losing rows").push(file);
            }
            Ok(per_file)
        })
    })?;
    for (job, new_files) in files.iter().zip(rewritten) {
        let Some(new_files) = new_files else {
            continue;
        };
        actions[job.index].push(remove_action(&job.path));
        for (rows, local) in new_files {
            let add = targets[job.index]
                .upload(&local, &names.next(), rows)
                .await?;
            actions[job.index].push(Action::Add(add));
        }
    }
    Ok(actions)
}
/// A file written by a rewrite: its rows and local path.
type NewFile = (u64, PathBuf);

/// One file of a table that may lose rows.
struct Job {
    /// Its table's index in the targets.
    index: usize,
    table: Table,
    /// Its path in the table.
    path: String,
    /// Where its bytes are read from (the file itself for a local table).
    src: PathBuf,
    /// The directory its rewritten copies go to.
    out: PathBuf,
}

/// Writes the rows of the local Parquet file `src` of `table` whose figid is not in
/// `remove` to a new file under `out`: `None` when no row goes (nothing to do), else the
/// rows kept and the new file (not written when no row is kept).
pub(super) fn without_figids(
    table: Table,
    src: &Path,
    out: &Path,
    remove: &HashSet<String>,
    write: &WriteOptions,
) -> Result<Option<(u64, PathBuf)>> {
    let source = Source::open(table, src)?;
    let Some(kept) = source.kept(remove)? else {
        return Ok(None);
    };
    let rows = kept.iter().sum();
    if rows == 0 {
        return Ok(Some((0, out.join(table.name()).join("part-00000.parquet"))));
    }
    Ok(Some((
        rows,
        source.copy_without(remove, None, rows, out, write)?,
    )))
}

/// A local Parquet file of a table, its footer read once.
struct Source<'a> {
    table: Table,
    path: &'a Path,
    file: File,
    metadata: ArrowReaderMetadata,
}

impl<'a> Source<'a> {
    fn open(table: Table, path: &'a Path) -> Result<Self> {
        let file = File::open(path).map_err(|source| Error::Destination {
            path: path.to_path_buf(),
            source,
        })?;
        let metadata = ArrowReaderMetadata::load(&file, Default::default()).map_err(|source| {
            Error::Parquet {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(Source {
            table,
            path,
            file,
            metadata,
        })
    }

    fn perr(&self, source: parquet::errors::ParquetError) -> Error {
        Error::Parquet {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn aerr(&self, source: crate::arrow::error::ArrowError) -> Error {
        Error::Arrow {
            table: self.table.name(),
            source,
        }
    }

    /// Batches of the file's rows (of one row group, or all): the figid column, or all.
    fn batches(
        &self,
        row_group: Option<usize>,
        figid_only: bool,
    ) -> Result<impl Iterator<Item = Result<RecordBatch>> + '_> {
        let file = self.file.try_clone().map_err(|source| Error::Destination {
            path: self.path.to_path_buf(),
            source,
        })?;
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone());
        if figid_only {
            let figid = builder
                .schema()
                .index_of("figid")
                .map_err(|e| self.aerr(e))?;
            let mask = ProjectionMask::roots(builder.parquet_schema(), [figid]);
            builder = builder.with_projection(mask);
        }
        if let Some(g) = row_group {
            builder = builder.with_row_groups(vec![g]);
        }
        let reader = builder.build().map_err(|e| self.perr(e))?;
        Ok(reader.map(|b| plain_strings(b.map_err(|e| self.aerr(e))?).map_err(|e| self.aerr(e))))
    }

    /// Pass 1, the figid column alone: `None` when no row goes, else the rows each row
    /// group keeps.
    fn kept(&self, remove: &HashSet<String>) -> Result<Option<Vec<u64>>> {
        let groups = self.metadata.metadata().row_groups();
        let mut kept = Vec::with_capacity(groups.len());
        let mut loses = false;
        for (g, group) in groups.iter().enumerate() {
            let mut k = 0;
            for batch in self.batches(Some(g), true)? {
                k += keep(&batch?, 0, remove).true_count() as u64;
            }
            loses |= k < group.num_rows() as u64;
            kept.push(k);
        }
        Ok(loses.then_some(kept))
    }

    /// Pass 2: the rows (of one row group, or all) whose figid is not in `remove`, `rows` of
    /// them, filtered batch by batch into a new file under `out`.
    fn copy_without(
        &self,
        remove: &HashSet<String>,
        row_group: Option<usize>,
        rows: u64,
        out: &Path,
        write: &WriteOptions,
    ) -> Result<PathBuf> {
        let table = self.table;
        let mut w = TableWriter::create(out, table, writer_properties(table, rows, write)?)?;
        for batch in self.batches(row_group, false)? {
            let batch = batch?;
            let figid = batch.schema().index_of("figid").map_err(|e| self.aerr(e))?;
            let k = keep(&batch, figid, remove);
            w.write(&filter_record_batch(&batch, &k).map_err(|e| self.aerr(e))?)?;
        }
        w.close()?;
        Ok(out.join(table.name()).join("part-00000.parquet"))
    }
}

/// True for each row of `batch` whose figid (column `figid`) is not in `remove`.
fn keep(batch: &RecordBatch, figid: usize, remove: &HashSet<String>) -> BooleanArray {
    batch
        .column(figid)
        .as_string::<i32>()
        .iter()
        .map(|id| Some(!id.is_some_and(|id| remove.contains(id))))
        .collect()
}

pub(super) fn remove_action(path: &str) -> Action {
    Action::Remove(Remove {
        path: path.to_owned(),
        data_change: true,
        deletion_timestamp: Some(store::now_millis()),
        extended_file_metadata: Some(false),
        ..Remove::default()
    })
}
