//! Copy-on-write changes to a table's files: the Remove actions that take a shard's files
//! out, and the rewrite of the files holding rows of changed or removed records without
//! those rows.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::arrow::array::{AsArray, BooleanArray, RecordBatch};
use crate::arrow::compute::filter_record_batch;
use deltalake::kernel::{Action, Remove};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
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
/// file holding rows of a figid in `remove`, a Remove of it and an Add of a new file with
/// its other rows. The actions are returned per table, in `targets` order.
///
/// A file is read twice, streaming: its `figid` column first (most files of an append
/// have no row to drop and are left alone), then, if rows go, every column, batch by
/// batch through a filter into the new file, so memory stays at a batch and a row group
/// whatever the file's size. Files are filtered in parallel (`--threads`); the results,
/// and so the file names and bytes, come in a fixed order whatever the thread count.
pub(super) async fn rewrite_without(
    targets: &[DeltaTarget],
    skip: &[bool],
    opts: &LoadOptions,
    remove: &HashSet<String>,
    names: &FileNames,
    work: &Path,
) -> Result<Vec<Vec<Action>>> {
    let mut actions = vec![Vec::new(); targets.len()];
    if remove.is_empty() {
        return Ok(actions);
    }
    let mut jobs = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        if skip[index] {
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
            jobs.push(Job {
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
    let filtered: Vec<Result<Option<(u64, PathBuf)>>> = tokio::task::block_in_place(|| {
        pool.install(|| {
            jobs.par_iter()
                .map(|job| filter_file(job, remove, write))
                .collect()
        })
    });
    for (job, result) in jobs.iter().zip(filtered) {
        let Some((rows, local)) = result? else {
            continue;
        };
        actions[job.index].push(remove_action(&job.path));
        if rows > 0 {
            let add = targets[job.index]
                .upload(&local, &names.next(), rows)
                .await?;
            actions[job.index].push(Action::Add(add));
        }
    }
    Ok(actions)
}

/// One file of a table that may lose rows.
struct Job {
    /// Its table's index in the targets.
    index: usize,
    table: Table,
    /// Its path in the table.
    path: String,
    /// Where its bytes are read from (the file itself for a local table).
    src: PathBuf,
    /// The directory its rewritten copy goes to.
    out: PathBuf,
}

/// Writes the rows of `job`'s file whose figid is not in `remove` to a new local file:
/// `None` when no row goes (nothing to do), else the rows kept and the new file (not
/// written when no row is kept).
fn filter_file(
    job: &Job,
    remove: &HashSet<String>,
    write: &WriteOptions,
) -> Result<Option<(u64, PathBuf)>> {
    let table = job.table;
    let perr = |source| Error::Parquet {
        path: job.src.clone(),
        source,
    };
    let aerr = |source| Error::Arrow {
        table: table.name(),
        source,
    };
    let open = || -> Result<ParquetRecordBatchReaderBuilder<File>> {
        let file = File::open(&job.src).map_err(|source| Error::Destination {
            path: job.src.clone(),
            source,
        })?;
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(perr)
    };
    let keep = |batch: &RecordBatch, figid: usize| -> BooleanArray {
        batch
            .column(figid)
            .as_string::<i32>()
            .iter()
            .map(|id| Some(!id.is_some_and(|id| remove.contains(id))))
            .collect()
    };
    // Pass 1: the figid column alone says whether any row goes, and how many stay.
    let builder = open()?;
    let figid_root = builder.schema().index_of("figid").map_err(aerr)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), [figid_root]);
    let (mut total, mut kept) = (0u64, 0u64);
    for batch in builder.with_projection(mask).build().map_err(perr)? {
        let batch = plain_strings(batch.map_err(aerr)?).map_err(aerr)?;
        let k = keep(&batch, 0);
        total += batch.num_rows() as u64;
        kept += k.true_count() as u64;
    }
    if kept == total {
        return Ok(None);
    }
    let local = job.out.join(table.name()).join("part-00000.parquet");
    if kept == 0 {
        return Ok(Some((0, local)));
    }
    // Pass 2: every column, filtered batch by batch into the new file.
    let mut w = TableWriter::create(&job.out, table, writer_properties(table, kept, write)?)?;
    for batch in open()?.build().map_err(perr)? {
        let batch = plain_strings(batch.map_err(aerr)?).map_err(aerr)?;
        let figid = batch.schema().index_of("figid").map_err(aerr)?;
        let k = keep(&batch, figid);
        w.write(&filter_record_batch(&batch, &k).map_err(aerr)?)?;
    }
    w.close()?;
    Ok(Some((kept, local)))
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
