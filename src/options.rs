//! Run configuration, the one place every front end (the command line, pipeline files)
//! turns what a user typed into what a run uses:
//!
//! - [`Settings`] (CLI flags or a pipeline file's `options:`) → [`RunOptions`], how a corpus
//!   is decoded and written whatever the destination; [`ConvertOptions`] adds the input and
//!   the output directory of `convert`.
//! - [`LoadSettings`] (`load`'s flags or a pipeline file's `load:` and `storage:`) →
//!   `LoadOptions` with [`LoadOptions::from_settings`](crate::delta::LoadOptions).
//! - [`StorageOptions`]: object store options (`--storage-option KEY=VALUE`), whose values
//!   are never printed.
//!
//! `cli` and `pipeline` both build from here; neither imports the other.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::write::WriteOptions;

/// Largest figure or TSV file read (bigger ones are `too_large` rejects).
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 << 20;
/// Records decoded together into one batch by one worker.
pub const DEFAULT_BATCH_RECORDS: usize = 256;
/// Most decoding threads a run starts. More buys nothing (decoding is CPU-bound and the
/// writer is one thread per table) and each thread holds chunks in flight, so `--threads
/// 99999` would spawn 99,999 threads and buffer 400,000 chunks: it is lowered to this,
/// with a note on stderr.
pub const MAX_THREADS: usize = 256;

/// Convert options as given by a user; every field optional.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Worker threads that decode records [default: all cores]. The output is
    /// byte-identical whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Exit with status 1 when more than N figure files were rejected (the output is still
    /// written).
    #[arg(long, value_name = "N")]
    pub max_rejects: Option<u64>,
    /// Files larger than this are rejected as `too_large` [default: 16 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_record_bytes: Option<u64>,
    /// Records per decoded batch [default: 256].
    #[arg(long, value_name = "N", hide = true)]
    pub batch_records: Option<usize>,
    /// Most rows per Parquet row group [default: 122880].
    #[arg(long, value_name = "N", hide = true)]
    pub row_group_rows: Option<usize>,
    /// Encoded bytes buffered per row group before it is flushed [default: 4 MiB].
    #[arg(long, value_name = "BYTES", hide = true)]
    pub row_group_bytes: Option<usize>,
    /// zstd compression level, 1-22 [default: 3].
    #[arg(long, value_name = "LEVEL", hide = true)]
    pub zstd_level: Option<i32>,
}

/// Validated options of a run over a corpus, whatever it writes to (Parquet files, Delta
/// tables, nothing for `check`): how it is decoded, how the Parquet is encoded, and when
/// the run counts as failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunOptions {
    pub threads: usize,
    pub max_rejects: Option<u64>,
    pub max_record_bytes: u64,
    pub batch_records: usize,
    pub write: WriteOptions,
    /// Show a progress bar (only ever drawn on a terminal).
    #[serde(skip)]
    pub progress: bool,
    /// What was changed from the user's settings and why (e.g. `--threads` lowered to
    /// [`MAX_THREADS`]): the front end prints these on stderr.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self::from_settings(&Settings::default()).expect("defaults are valid")
    }
}

impl RunOptions {
    /// Applies and checks user settings.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        let mut notes = Vec::new();
        let threads = match s.threads {
            Some(0) => return Err(Error::Options("--threads must be at least 1".into())),
            Some(n) if n > MAX_THREADS => {
                notes.push(format!(
                    "--threads {n} lowered to {MAX_THREADS}, the most a run uses"
                ));
                MAX_THREADS
            }
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS),
        };
        let positive = |v: Option<usize>, name: &str, default: usize| match v {
            Some(0) => Err(Error::Options(format!("{name} must be at least 1"))),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let defaults = WriteOptions::default();
        let zstd_level = s.zstd_level.unwrap_or(defaults.zstd_level);
        if !(1..=22).contains(&zstd_level) {
            return Err(Error::Options(format!(
                "zstd level must be 1 to 22, not {zstd_level}"
            )));
        }
        Ok(RunOptions {
            threads,
            max_rejects: s.max_rejects,
            max_record_bytes: match s.max_record_bytes {
                Some(0) => {
                    return Err(Error::Options(
                        "--max-record-bytes must be at least 1".into(),
                    ))
                }
                Some(n) => n,
                None => DEFAULT_MAX_RECORD_BYTES,
            },
            batch_records: positive(s.batch_records, "batch_records", DEFAULT_BATCH_RECORDS)?,
            write: WriteOptions {
                row_group_rows: positive(
                    s.row_group_rows,
                    "row_group_rows",
                    defaults.row_group_rows,
                )?,
                row_group_bytes: positive(
                    s.row_group_bytes,
                    "row_group_bytes",
                    defaults.row_group_bytes,
                )?,
                zstd_level,
            },
            progress: false,
            notes,
        })
    }
}

/// Validated options of one conversion (`convert`, or a pipeline file with `output:`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvertOptions {
    /// The corpus root (holding `_figures/` and `_data/`).
    pub input: PathBuf,
    /// The output directory.
    pub output: PathBuf,
    /// Decoding, encoding and limits (flattened into the manifest's `options`).
    #[serde(flatten)]
    pub run: RunOptions,
}

impl ConvertOptions {
    /// Defaults for converting `input` into `output`.
    pub fn new(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Self {
        Self::from_settings(input, output, &Settings::default()).expect("defaults are valid")
    }

    /// Applies and checks user settings.
    pub fn from_settings(
        input: impl Into<PathBuf>,
        output: impl Into<PathBuf>,
        s: &Settings,
    ) -> Result<Self> {
        Ok(ConvertOptions {
            input: input.into(),
            output: output.into(),
            run: RunOptions::from_settings(s)?,
        })
    }
}

/// Object store options for Delta tables (credentials, region, endpoint, ...) by key, as
/// delta-rs and `object_store` name them (`AWS_REGION`, `AWS_ENDPOINT_URL`,
/// `GOOGLE_SERVICE_ACCOUNT`, ...): `--storage-option KEY=VALUE` or a pipeline file's
/// `storage:` map. They come on top of the same variables in the environment. The values
/// are often secrets, so `Debug` shows the keys only and no message of this tool prints a
/// value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StorageOptions(HashMap<String, String>);

impl std::fmt::Debug for StorageOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.keys()).finish()
    }
}

impl std::ops::Deref for StorageOptions {
    type Target = HashMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for StorageOptions {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        StorageOptions(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl StorageOptions {
    /// The keys, sorted (for messages and summaries: never the values).
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.0.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }
}

/// A pipeline file's `storage:` map: values may be written as YAML strings, numbers or
/// booleans (`AWS_ALLOW_HTTP: true`) and are passed on as text. A value of another shape
/// is refused without showing it.
impl<'de> Deserialize<'de> for StorageOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            Text(String),
            Bool(bool),
            Int(i64),
            Float(f64),
        }
        let map = HashMap::<String, Option<Scalar>>::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "`storage:` takes a map of option names to text values, \
                 e.g. `AWS_REGION: eu-west-1`",
            )
        })?;
        let mut out = HashMap::with_capacity(map.len());
        for (key, value) in map {
            let text = match value {
                Some(Scalar::Text(s)) => s,
                Some(Scalar::Bool(b)) => b.to_string(),
                Some(Scalar::Int(n)) => n.to_string(),
                Some(Scalar::Float(x)) => x.to_string(),
                None => {
                    return Err(serde::de::Error::custom(format!(
                        "storage option {key} has no value"
                    )))
                }
            };
            out.insert(key, text);
        }
        Ok(StorageOptions(out))
    }
}

/// One `--storage-option KEY=VALUE`. `Debug` shows the key only.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageOption {
    pub key: String,
    pub value: String,
}

impl std::fmt::Debug for StorageOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}=<hidden>", self.key)
    }
}

/// Parses `--storage-option KEY=VALUE`. Its own error, because clap's value parser errors
/// repeat the value, and a value without `=` may be a secret with a typo.
#[derive(Clone, Copy, Debug)]
pub struct StorageOptionParser;

impl clap::builder::TypedValueParser for StorageOptionParser {
    type Value = StorageOption;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<StorageOption, clap::Error> {
        let bad = |why: &str| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "--storage-option takes KEY=VALUE (e.g. AWS_REGION=eu-west-1); {why} (the \
                     text is not shown: it may hold a secret)\n"
                ),
            )
            .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| bad("one is not UTF-8"))?;
        let (key, value) = text.split_once('=').ok_or_else(|| bad("one has no '='"))?;
        if key.trim().is_empty() {
            return Err(bad("one has an empty KEY"));
        }
        Ok(StorageOption {
            key: key.trim().to_owned(),
            value: value.to_owned(),
        })
    }
}

impl From<&StorageOptions> for StorageArgs {
    /// The options of a pipeline file's `storage:` map, sorted by key.
    fn from(options: &StorageOptions) -> Self {
        StorageArgs {
            storage_options: options
                .keys()
                .into_iter()
                .map(|k| StorageOption {
                    key: k.to_owned(),
                    value: options.0[k].clone(),
                })
                .collect(),
        }
    }
}

/// `--storage-option KEY=VALUE`, repeatable (`load`, `maintain`, the exports).
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct StorageArgs {
    /// An object store option for Delta tables on S3, GCS or Azure, e.g.
    /// AWS_REGION=eu-west-1 (repeatable; on top of the AWS_*, GOOGLE_*, AZURE_* environment
    /// variables). Values are never printed.
    #[arg(long = "storage-option", value_name = "KEY=VALUE", value_parser = StorageOptionParser)]
    pub storage_options: Vec<StorageOption>,
}

impl StorageArgs {
    /// The options by key (a key given twice takes its last value).
    pub fn options(&self) -> StorageOptions {
        StorageOptions(
            self.storage_options
                .iter()
                .map(|o| (o.key.clone(), o.value.clone()))
                .collect(),
        )
    }
}

/// The options of `load` beyond the convert [`Settings`]: its flags, or a pipeline file's
/// `load:` map (`table` and `storage` are top-level keys of the pipeline file).
#[cfg(feature = "delta")]
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSettings {
    /// Where the tables live: a local path, or a file://, s3://, gs:// or az:// URI.
    #[arg(long, value_name = "URI")]
    #[serde(skip)]
    pub table: String,
    /// Load only shard K of N (by a hash of each figure's figid); the N shard loads, run
    /// anywhere at once, commit side by side into the same tables.
    #[arg(long, value_name = "K/N", default_value = "0/1")]
    #[serde(default, deserialize_with = "shard_from_str")]
    pub shard: crate::delta::Shard,
    /// Rebuild every table from the whole corpus instead of loading the changes.
    #[arg(long)]
    #[serde(default)]
    pub full_refresh: bool,
    /// Print what the load would add, change and delete, and write nothing.
    #[arg(long)]
    #[serde(default)]
    pub dry_run: bool,
    /// Read and hash every corpus file instead of trusting the size and times of files the
    /// last load saw (catches a change that kept a file's size and set its mtime back).
    #[arg(long)]
    #[serde(default)]
    pub verify: bool,
    /// Write the machine-readable summary (JSON) to FILE, or to stdout with `-`.
    #[arg(long, value_name = "FILE")]
    #[serde(default)]
    pub summary_json: Option<PathBuf>,
    /// Object store options (`--storage-option`; a pipeline file's top-level `storage:`).
    #[command(flatten)]
    #[serde(skip)]
    pub storage: StorageArgs,
}

/// A pipeline file's `shard: K/N`, parsed as `--shard` is.
#[cfg(feature = "delta")]
fn shard_from_str<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<crate::delta::Shard, D::Error> {
    let text = String::deserialize(d)?;
    text.parse()
        .map_err(|e: String| serde::de::Error::custom(format!("shard '{text}': {e}")))
}

#[cfg(feature = "delta")]
impl crate::delta::LoadOptions {
    /// The one way a load is configured, from the command line (`load`) and from pipeline
    /// files (`run`): the corpus at `input`, the convert `settings` and the `load` ones.
    pub fn from_settings(
        input: impl Into<PathBuf>,
        settings: &Settings,
        load: &LoadSettings,
    ) -> Result<Self> {
        if load.table.trim().is_empty() {
            return Err(Error::Options(
                "a load needs a table location (--table, or `table:` in a pipeline file)".into(),
            ));
        }
        Ok(crate::delta::LoadOptions {
            input: input.into(),
            convert: RunOptions::from_settings(settings)?,
            table: load.table.clone(),
            shard: load.shard,
            full_refresh: load.full_refresh,
            dry_run: load.dry_run,
            verify: load.verify,
            storage: load.storage.options(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_threads_is_refused() {
        let s = Settings {
            threads: Some(0),
            ..Settings::default()
        };
        assert!(ConvertOptions::from_settings("a", "b", &s).is_err());
        let o = ConvertOptions::new("a", "b").run;
        assert!(o.threads >= 1);
        assert_eq!(o.max_record_bytes, DEFAULT_MAX_RECORD_BYTES);
        assert!(o.notes.is_empty());
    }

    #[test]
    fn threads_above_the_cap_are_lowered_with_a_note() {
        let with = |n| Settings {
            threads: Some(n),
            ..Settings::default()
        };
        let o = RunOptions::from_settings(&with(99_999)).unwrap();
        assert_eq!(o.threads, MAX_THREADS);
        assert_eq!(o.notes.len(), 1);
        assert!(
            o.notes[0].contains("--threads 99999 lowered to 256"),
            "{:?}",
            o.notes
        );
        let o = RunOptions::from_settings(&with(MAX_THREADS)).unwrap();
        assert_eq!((o.threads, o.notes.len()), (MAX_THREADS, 0));
    }

    #[derive(Debug, clap::Parser)]
    struct Storage {
        #[command(flatten)]
        storage: StorageArgs,
    }

    #[test]
    fn storage_options_parse_and_never_show_their_values() {
        use clap::Parser;
        let p = Storage::try_parse_from([
            "x",
            "--storage-option",
            "AWS_REGION=eu-west-1",
            "--storage-option",
            "AWS_SECRET_ACCESS_KEY=s3cr3t=with=equals",
            "--storage-option",
            "AWS_REGION=us-east-1",
        ])
        .unwrap();
        let o = p.storage.options();
        assert_eq!(o.keys(), ["AWS_REGION", "AWS_SECRET_ACCESS_KEY"]);
        assert_eq!(o["AWS_REGION"], "us-east-1", "the last value wins");
        assert_eq!(o["AWS_SECRET_ACCESS_KEY"], "s3cr3t=with=equals");
        for debug in [format!("{o:?}"), format!("{p:?}")] {
            assert!(!debug.contains("s3cr3t"), "{debug}");
            assert!(debug.contains("AWS_SECRET_ACCESS_KEY"), "{debug}");
        }
        for bad in ["AWS_SECRET_ACCESS_KEYs3cr3t", "=s3cr3t"] {
            let e = Storage::try_parse_from(["x", "--storage-option", bad]).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation);
            let text = e.to_string();
            assert!(text.contains("KEY=VALUE"), "{text}");
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }

    #[test]
    fn a_pipeline_storage_map_takes_scalars_as_text() {
        let o: StorageOptions =
            serde_saphyr::from_str("AWS_REGION: eu-west-1\nAWS_ALLOW_HTTP: true\nTIMEOUT: 30\n")
                .unwrap();
        assert_eq!(o["AWS_REGION"], "eu-west-1");
        assert_eq!(o["AWS_ALLOW_HTTP"], "true");
        assert_eq!(o["TIMEOUT"], "30");
        let args = StorageArgs::from(&o);
        assert_eq!(args.options(), o);
        let e = serde_saphyr::from_str::<StorageOptions>("KEY: [s3cr3t]\n")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cr3t") && e.contains("storage"), "{e}");
    }

    #[cfg(feature = "delta")]
    #[test]
    fn load_options_are_built_from_the_load_settings() {
        use clap::Parser;
        #[derive(Debug, clap::Parser)]
        struct Load {
            #[command(flatten)]
            load: LoadSettings,
            #[command(flatten)]
            settings: Settings,
        }
        let p = Load::try_parse_from([
            "x",
            "--table",
            "s3://b/t",
            "--shard",
            "2/4",
            "--dry-run",
            "--max-record-bytes",
            "100",
            "--storage-option",
            "AWS_ENDPOINT_URL=http://127.0.0.1:9000",
        ])
        .unwrap();
        let o = crate::delta::LoadOptions::from_settings("corpus", &p.settings, &p.load).unwrap();
        assert_eq!(o.input, PathBuf::from("corpus"));
        assert_eq!(o.table, "s3://b/t");
        assert_eq!((o.shard.index, o.shard.count), (2, 4));
        assert!(o.dry_run && !o.full_refresh);
        assert_eq!(o.convert.max_record_bytes, 100);
        assert_eq!(o.storage["AWS_ENDPOINT_URL"], "http://127.0.0.1:9000");
        let whole = Load::try_parse_from(["x", "--table", "t"]).unwrap();
        assert!(whole.load.shard.is_whole());
        for (bad, says) in [
            ("0/0", "at least 1"),
            ("3/2", "numbered 0 to 1"),
            ("a/b", "whole numbers"),
        ] {
            let e = Load::try_parse_from(["x", "--table", "t", "--shard", bad])
                .unwrap_err()
                .to_string();
            assert!(e.contains("--shard") && e.contains(says), "{bad}: {e}");
        }
        let empty = LoadSettings::default();
        let e = crate::delta::LoadOptions::from_settings("c", &Settings::default(), &empty)
            .unwrap_err()
            .to_string();
        assert!(e.contains("table"), "{e}");
    }
}
