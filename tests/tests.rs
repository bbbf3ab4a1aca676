//! End-to-end tests: they drive the real `pfocr-etl` binary and read the Parquet back.

// The fuzz replay drives the decoder internals and the Delta tests generate their corpora
// (`pfocr-etl generate`): both need the `dev` feature. Fail loudly rather than skip them.
#[cfg(not(feature = "dev"))]
compile_error!("the end-to-end tests need the `dev` feature: cargo test --features dev (or --features delta,dev; bash tests/run_all.sh does)");

// Workdir, running the binary, reading tables back.
mod util;

// Both generations converted into every table and column as the contract says.
mod convert;
// Bad records land in rejects with file/line/field; inputs = converted + rejected.
mod rejects;
// --threads 1/2/4 give byte-identical Parquet; other batch sizes give the same rows.
mod determinism;
// `pfocr-etl run pipelines/….yaml`, and pipeline files that load (shard, storage options).
mod pipeline;
// What a person sees in `--help`: examples, defaults, 80 columns, every exit status.
mod cli_help;
// Schema version 2: wpid, the _data maps, ignored files, older TSV names, CURIE prefixes.
mod schema_v2;
// Every value of EXPECTED.json, for ../shared/pfocr-sample and data/sample.
mod conformance;
// Parquet properties: zstd, dictionary, statistics, page index, bloom filters, metadata.
mod parquet_props;
// Output replacement: staging, previous output kept on failure, exit codes.
mod publish;
// Hostile input (malformed, binary, huge, alias bombs, deep nesting, symlinks): one reject each.
mod hostile;
// The edges of issue 14: linear time, bounded memory, TSV claims, short true messages.
mod edges;
// Output faults: unwritable, read-only, disk full (tmpfs), SIGKILL at random moments.
mod crash;
// `pfocr-etl load`: Delta tables, incremental = full rebuild, shards, concurrency, SIGKILL.
#[cfg(feature = "delta")]
mod delta;
// Delta checkpoints every 10 commits; `pfocr-etl maintain`: compact, vacuum, checkpoint, races.
#[cfg(feature = "delta")]
mod maintain;
// Inputs the fuzz target was seeded with or found, replayed through its check on stable.
mod fuzz_regressions;
// Property test: any generated valid corpus converts, values read back from Parquet unchanged.
mod roundtrip;
// `pfocr-etl export gmt|jsonl`: GMT lines and JSON objects read back, Parquet and Delta.
mod export;
// `pfocr-etl check`: rejects in text, GitHub and JSON formats, exit statuses.
mod check;
