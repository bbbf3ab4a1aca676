//! Copy-on-write changes to a table's files: the Remove actions that take a shard's files
//! out, and the rewrite of the files holding rows of changed or removed records without
//! those rows.

use std::collections::HashSet;
use std::path::Path;

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use deltalake::kernel::{Action, Remove};

use super::load::FileNames;
use super::store::{self, DeltaTarget};
use super::{LoadOptions, Shard};
use crate::error::{Error, Result};
use crate::schema::Table;
use crate::write::{writer_properties, TableWriter};

/// Remove actions for every file of `target` this shard owns.
pub(super) fn remove_all(target: &DeltaTarget, shard: Shard) -> Result<Vec<Action>> {
    Ok(target
        .files()?
        .into_iter()
        .filter(|f| shard.owns_file(&f.path))
        .map(|f| remove_action(&f.path))
        .collect())
}

/// Copy-on-write: for each owned file holding rows of a figid in `remove`, a Remove of it
/// and an Add of a new file with its other rows.
pub(super) async fn rewrite_without(
    target: &DeltaTarget,
    opts: &LoadOptions,
    remove: &HashSet<String>,
    names: &FileNames,
    work: &Path,
) -> Result<Vec<Action>> {
    let mut actions = Vec::new();
    if remove.is_empty() {
        return Ok(actions);
    }
    let table = Table::ALL
        .into_iter()
        .find(|t| t.name() == target.name)
        .expect("a data table");
    let figid = table.column("figid");
    for file in target
        .files()?
        .into_iter()
        .filter(|f| opts.shard.owns_file(&f.path))
    {
        let batches = target.read(&file.path).await?;
        let mut kept = Vec::with_capacity(batches.len());
        let mut dropped = 0;
        for b in &batches {
            let ids = b.column(figid).as_string::<i32>();
            let mask: BooleanArray = ids
                .iter()
                .map(|id| Some(!id.is_some_and(|id| remove.contains(id))))
                .collect();
            let k = filter_record_batch(b, &mask).map_err(|source| Error::Arrow {
                table: table.name(),
                source,
            })?;
            dropped += b.num_rows() - k.num_rows();
            kept.push(k);
        }
        if dropped == 0 {
            continue;
        }
        actions.push(remove_action(&file.path));
        let rows: usize = kept.iter().map(RecordBatch::num_rows).sum();
        if rows > 0 {
            let dir = work.join(format!("rewrite-{}", names.peek()));
            let mut w = TableWriter::create(
                &dir,
                table,
                writer_properties(table, rows as u64, &opts.convert.write)?,
            )?;
            for b in &kept {
                w.write(b)?;
            }
            w.close()?;
            let local = dir.join(table.name()).join("part-00000.parquet");
            let add = target.upload(&local, &names.next(), rows as u64).await?;
            actions.push(Action::Add(add));
        }
    }
    Ok(actions)
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
