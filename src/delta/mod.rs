//! Scheduled loads into Delta Lake tables (`pfocr-etl load`): the five tables of the
//! contract as `<URI>/<table>/` Delta tables, plus `<URI>/_pfocr_sources/`, the load state.
//!
//! A load decodes only what changed since the last one ([`sources::plan`]), rewrites the
//! files holding rows of changed or removed records without those rows (copy-on-write),
//! uploads the new rows, and commits each table once. The batches come from the same
//! [`decode_corpus`] engine and Parquet writer as `convert`, so both outputs hold the same
//! rows and types. Tables are committed in a fixed order, `_pfocr_sources` last: a reader
//! sees each table at its previous or its new version, never a mix within a table.

mod load;
mod maintain;
mod rewrite;
mod row_hash;
mod rows;
mod shard;
mod sources;
mod store;
mod stores;
mod summary;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use url::Url;

pub use load::{load, STATE_FILES_MAX};
pub use maintain::{
    maintain, MaintainOptions, MaintainSummary, TableMaintenance, DEFAULT_RETAIN_HOURS,
};
pub use shard::Shard;
pub use sources::SOURCES_TABLE;
use stores::missing_store_feature;
pub(crate) use stores::register_object_stores;
pub use summary::LoadSummary;

use crate::error::{Error, Result};
use crate::options::{RunOptions, StorageOptions};

/// What a load does.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The corpus root (holding `_figures/` and `_data/`).
    pub input: PathBuf,
    /// Threads, limits and Parquet settings, as `convert` takes them.
    pub convert: RunOptions,
    /// Where the tables live: a local path, `file://`, `s3://`, `gs://` or `az://` URI.
    pub table: String,
    pub shard: Shard,
    /// Rebuild every table from the whole corpus instead of loading only the changes.
    pub full_refresh: bool,
    /// Work out and report what the load would change, and write nothing.
    pub dry_run: bool,
    /// Read and hash every corpus file, instead of trusting the size and times of the files
    /// the last load saw (the rule is in `delta/sources.rs`).
    pub verify: bool,
    /// Object store options (credentials, endpoint); the usual environment variables
    /// (`AWS_*`, `GOOGLE_*`, `AZURE_*`) are read as well.
    pub storage: StorageOptions,
}

/// The table root as a URL ending in `/`. A local path (or `file://` URL) is created when
/// `create` is set, and left alone otherwise (a dry run writes nothing).
///
/// Local paths are turned into URLs here rather than by delta-rs, which creates the
/// directory as it parses. A local path holding `%` is refused before anything is created:
/// delta-rs decodes the URL of a local table twice, so `a%20b` would be written as `a%20b`
/// and read back as `a b`.
pub(crate) fn root_url(table: &str, create: bool) -> Result<Url> {
    let bad = |why: String| Error::Options(format!("--table {table}: {why}"));
    let local = match Url::parse(table) {
        Ok(url) if url.scheme() == "file" => Some(
            url.to_file_path()
                .map_err(|()| bad("not a local file URL".into()))?,
        ),
        // A one-letter scheme is a Windows drive letter.
        Ok(url) if url.scheme().len() > 1 => None,
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => Some(PathBuf::from(table)),
        Err(e) => return Err(bad(format!("not a path or URL: {e}"))),
    };
    if let (None, Ok(url)) = (&local, Url::parse(table)) {
        if let Some(feature) = missing_store_feature(url.scheme()) {
            return Err(bad(format!(
                "this pfocr-etl was built without the {}:// object store; build it with \
                 `--features {feature}`",
                url.scheme()
            )));
        }
    }
    let mut url = match local {
        None => deltalake::ensure_table_uri(table).map_err(|source| Error::Delta {
            table: table.to_owned(),
            source: Box::new(source),
        })?,
        Some(path) => {
            if path.to_string_lossy().contains('%') {
                return Err(bad(format!(
                    "the local path {} holds a '%', which the Delta library reads as a URL \
                     escape (a%20b would be read back as 'a b'); use a directory name \
                     without '%'",
                    path.display()
                )));
            }
            if create {
                std::fs::create_dir_all(&path).map_err(|source| Error::Destination {
                    path: path.clone(),
                    source,
                })?;
            }
            let abs = match std::fs::canonicalize(&path) {
                Ok(p) => p,
                Err(_) if !create => {
                    std::path::absolute(&path).map_err(|source| Error::Destination {
                        path: path.clone(),
                        source,
                    })?
                }
                Err(source) => return Err(Error::Destination { path, source }),
            };
            Url::from_directory_path(&abs)
                .map_err(|()| bad(format!("{} cannot be a URL", abs.display())))?
        }
    };
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Nanoseconds since the Unix epoch: with the process id, a name no rival load picks.
fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A local scratch directory for the files of one load, removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Result<Self> {
        let nanos = now_nanos();
        let dir =
            std::env::temp_dir().join(format!("pfocr-etl-load-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Destination {
            path: dir.clone(),
            source,
        })?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
