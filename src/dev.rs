//! Development tools and internals for the benches (feature `dev`): not part of the shipped
//! library, and not a stable API.
//!
//! The criterion benches decode and write records held in memory, below [`crate::convert()`]:
//! they need the column builders, the record decoder and the Parquet writer properties. The
//! synthetic corpus generator and the parse floor back the `generate` and `parse-floor`
//! subcommands that the end-to-end benches and the Delta tests run.

pub use crate::batch::{Batches, Builders};
pub use crate::decode::{decode_text, split_front_matter, Events, MemoryTables, Outcome};
pub use crate::floor::{parse_floor, Floor, FloorParser};
pub use crate::generate::{
    generate, render_record, render_record_with_generation, GenerateOptions, GenerateSummary,
};
pub use crate::options::DEFAULT_BATCH_RECORDS;
pub use crate::read::decode_utf8;
pub use crate::schema::EntityKind;
pub use crate::write::writer_properties;
