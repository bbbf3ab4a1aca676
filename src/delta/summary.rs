//! What a load did: the summary printed at the end of a load, written by
//! `--summary-json`, and carried in every commit's info.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// What a load did: the machine-readable summary (`--summary-json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LoadSummary {
    pub table: String,
    pub shard: String,
    /// This shard's load number (the Delta `txn` version its commits carry).
    pub load: i64,
    /// Figure files in this shard of the corpus; `inputs = converted + rejected`.
    pub inputs: u64,
    pub converted: u64,
    pub rejected: u64,
    pub rejects_by_kind: BTreeMap<String, u64>,
    /// Figure files decoded by this load (new, changed, or rejected last time).
    pub decoded: u64,
    /// Figure files new, changed and removed since the last load.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// True when every table was rebuilt (first load, `--full-refresh`, schema upgrade).
    pub full: bool,
    /// True when this load brought tables written at an older schema version to the
    /// current one ([`crate::SCHEMA_VERSION`]): new columns added, this shard's rows rebuilt.
    pub schema_upgraded: bool,
    /// False for a dry run and when nothing changed (no table got a new version).
    pub committed: bool,
    pub dry_run: bool,
    /// Rows of each table after the load.
    pub rows: BTreeMap<String, u64>,
    /// Version of each table after the load (`null`: the table does not exist).
    pub versions: BTreeMap<String, Option<u64>>,
    pub input_bytes: u64,
    /// Corpus files read and hashed by this load; the others kept the last load's hash by
    /// their size and times (`--verify` reads them all).
    pub hashed: u64,
    pub seconds: f64,
}

impl LoadSummary {
    /// The human summary printed at the end of a load.
    pub fn to_text(&self) -> String {
        let mut s = if self.dry_run {
            "dry run: nothing was written\n".to_owned()
        } else if !self.committed {
            "nothing changed since the last load: no new table version\n".to_owned()
        } else {
            format!(
                "load {} ({}) committed{}\n",
                self.load,
                self.shard,
                if self.full { ", full rebuild" } else { "" }
            )
        };
        if self.schema_upgraded {
            s.push_str(&format!(
                "tables {} brought to schema version {}: every row rebuilt\n",
                if self.dry_run { "would be" } else { "were" },
                crate::SCHEMA_VERSION
            ));
        }
        s.push_str(&format!(
            "{} inputs: {} added, {} changed, {} deleted; {} decoded in {:.2} s\n",
            self.inputs,
            self.added.len(),
            self.changed.len(),
            self.deleted.len(),
            self.decoded,
            self.seconds
        ));
        if self.committed {
            s.push_str(&format!(
                "{} converted, {} rejected\n",
                self.converted, self.rejected
            ));
            let rows: Vec<String> = self.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
            s.push_str(&format!("rows: {}\n", rows.join(", ")));
            let versions: Vec<String> = self
                .versions
                .iter()
                .map(|(t, v)| format!("{t} {}", v.map_or("-".into(), |v| v.to_string())))
                .collect();
            s.push_str(&format!("versions: {}\n", versions.join(", ")));
        }
        s
    }
}

/// The run's summary in every commit's info, under `pfocr_etl`.
pub(super) fn commit_info(s: &LoadSummary) -> HashMap<String, serde_json::Value> {
    let info = serde_json::json!({
        "tool_version": env!("CARGO_PKG_VERSION"),
        "schema_version": crate::SCHEMA_VERSION,
        "load": s.load,
        "shard": s.shard,
        "full": s.full,
        "schema_upgraded": s.schema_upgraded,
        "inputs": s.inputs,
        "converted": s.converted,
        "rejected": s.rejected,
        "decoded": s.decoded,
        "added": s.added.len(),
        "changed": s.changed.len(),
        "deleted": s.deleted.len(),
    });
    HashMap::from([("pfocr_etl".to_owned(), info)])
}
