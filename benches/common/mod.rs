//! Shared by the criterion benches: generated records held in memory, split by generation,
//! so the benches time decoding and writing, not the file system.

use pfocr_etl::dev::{render_record_with_generation, EntityKind, MemoryTables};

/// Seed of the generated bench corpus (the same as the end-to-end bench's).
pub const SEED: u64 = 1;

/// One figure file in memory.
pub struct Record {
    pub rel: String,
    pub stem: String,
    pub text: String,
}

/// Records of one generation with their TSVs.
pub struct Records {
    pub records: Vec<Record>,
    pub tables: MemoryTables,
    /// Bytes of the figure files and their TSVs.
    pub bytes: u64,
}

impl Records {
    fn new() -> Self {
        Records {
            records: Vec::new(),
            tables: MemoryTables::new(),
            bytes: 0,
        }
    }

    fn add(&mut self, files: Vec<(String, String)>) {
        let mut files = files.into_iter();
        let (rel, text) = files.next().expect("a figure file comes first");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        let stem = name.strip_suffix(".md").unwrap_or(name).to_owned();
        self.bytes += text.len() as u64;
        for (tsv_rel, tsv) in files {
            self.bytes += tsv.len() as u64;
            let kind = EntityKind::ALL
                .into_iter()
                .find(|k| tsv_rel.ends_with(k.tsv_suffix()))
                .expect("generated TSVs are named by kind");
            self.tables.entry(stem.clone()).or_default()[kind.index()] = Some((tsv_rel, tsv));
        }
        self.records.push(Record { rel, stem, text });
    }

    /// Number of records.
    pub fn len(&self) -> u64 {
        self.records.len() as u64
    }
}

/// Records `0..count` of the generated corpus, as (inline generation, tables generation).
pub fn generated(count: usize) -> (Records, Records) {
    let (mut inline, mut tables) = (Records::new(), Records::new());
    for i in 0..count {
        let (files, is_inline) = render_record_with_generation(SEED, i);
        if is_inline { &mut inline } else { &mut tables }.add(files);
    }
    (inline, tables)
}

/// Records per bench corpus: `PFOCR_BENCH_RECORDS`, else `default`.
pub fn bench_records(default: usize) -> usize {
    std::env::var("PFOCR_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
