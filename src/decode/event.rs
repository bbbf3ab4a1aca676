//! The YAML event vocabulary both front matter readers speak: the fast reader
//! ([`super::fast`]) produces [`Ev`]s, the saphyr-backed stream ([`super::yaml`]) produces the
//! same type, and the decoders ([`super::figure`], [`super::entities`]) consume them.
//!
//! An event is `saphyr-parser`'s [`Event`] with its file position. Keeping the type here, below
//! both readers, means neither reader imports the other's types: `yaml` picks `fast` when it
//! can, and `fast` knows nothing of `yaml`.

use saphyr_parser::{Event, ScalarStyle};

use crate::error::quoted;

/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;

/// One event with the file position (1-based line and column) where it starts.
#[derive(Debug, Clone)]
pub struct Ev<'a> {
    pub event: Event<'a>,
    pub line: u32,
    pub col: u32,
}

/// True for a scalar the YAML 1.2 core schema reads as null: plain `null`, `~` or empty.
pub fn is_yaml_null(text: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Describes a node's first event for messages ("a list", "a mapping", "text 'x'").
pub fn describe(e: &Event<'_>) -> String {
    match e {
        Event::Scalar(t, ..) => format!("text {}", quoted(t)),
        Event::SequenceStart(..) => "a list".to_owned(),
        Event::MappingStart(..) => "a mapping".to_owned(),
        Event::StreamEnd | Event::DocumentEnd => "the end of the front matter".to_owned(),
        other => format!("{other:?}"),
    }
}
