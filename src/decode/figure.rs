//! The front matter decoder: one YAML mapping → one `figures` row (and, for the inline
//! generation, the entity rows), pushed straight into the builders as events arrive.
//!
//! Which key goes where is a [`Plan`] built once from the `figures` schema. Keys not in the
//! plan go to the `extra` JSON column, except the derived ones dropped on purpose.

use std::sync::OnceLock;

use saphyr_parser::Event;

use super::budget::RowBudget;
use super::entities;
use super::event::{describe, is_yaml_null, Ev};
use super::keys::KeySet;
use super::node::{decode_value, not_scalar, ListRule};
use super::value::{key_index, KeyIndex};
use super::yaml::{json_string, node_to_json, Events};
use crate::batch::Builders;
use crate::column::parse_float;
use crate::error::{quoted, Problem, RejectKind};
use crate::schema::{EntityKind, Table};

/// Keys dropped on purpose: derived from the others, documented in the contract.
pub const DROPPED_KEYS: [&str; 3] = ["seo", "schema-jsonld", "redirect_from"];

/// Figures columns filled from the record's context rather than a front matter key.
const DERIVED: [&str; 6] = [
    "figid",
    "pathway_score",
    "entity_source",
    "extra",
    "body",
    "source_path",
];

/// What the front matter yields besides the pushed columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub figid: String,
    /// File line of the `figid` value, for duplicate messages.
    pub figid_line: u32,
    /// True when any of `genes`, `chemicals`, `diseases` is present (not null) inline.
    pub inline: bool,
}

/// What a front matter key feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A figures column, decoded by its type.
    Column(usize),
    /// The `keywords` column: text split on `|`.
    Keywords(usize),
    /// The `annotations` column: mapping items as JSON.
    Annotations(usize),
    Figid,
    /// `pathway_score` (0) or its fallback `automl_pathway` (1).
    Score(usize),
    Entities(EntityKind),
    Drop,
}

/// The key → target map, plus a small id per key to catch duplicate keys with a bitmask.
struct Plan {
    keys: Vec<(&'static str, Target)>,
    index: KeyIndex,
    pathway_score: usize,
    extra: usize,
    /// Columns fed by front matter keys, padded with NULL when their key is absent.
    keyed: Vec<usize>,
}

fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let schema = Table::Figures.schema();
        let mut keys: Vec<(&'static str, Target)> = Vec::new();
        let mut keyed = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            // Leaked once per process: the plan lives as long as the program.
            let name: &'static str = Box::leak(f.name().clone().into_boxed_str());
            if DERIVED.contains(&name) {
                continue;
            }
            keyed.push(i);
            keys.push((
                name,
                match name {
                    "keywords" => Target::Keywords(i),
                    "annotations" => Target::Annotations(i),
                    _ => Target::Column(i),
                },
            ));
        }
        keys.push(("figid", Target::Figid));
        keys.push(("pathway_score", Target::Score(0)));
        keys.push(("automl_pathway", Target::Score(1)));
        for kind in EntityKind::ALL {
            keys.push((kind.key(), Target::Entities(kind)));
        }
        for k in DROPPED_KEYS {
            keys.push((k, Target::Drop));
        }
        assert!(keys.len() <= 64, "key ids must fit the duplicate bitmask");
        Plan {
            index: key_index(&keys),
            keys,
            pathway_score: Table::Figures.column("pathway_score"),
            extra: Table::Figures.column("extra"),
            keyed,
        }
    })
}

/// Decodes the front matter `yaml` (starting on file line `first_line`) into `out`.
///
/// On success the figures row is complete except `figid`, `entity_source`, `body` and
/// `source_path`, which the record decoder adds; on error the caller rolls `out` back.
pub fn decode_front_matter(
    yaml: &str,
    first_line: u32,
    out: &mut Builders,
    budget: &mut RowBudget,
) -> Result<Header, Problem> {
    let mut ev = Events::new(yaml, first_line);
    decode_mapping(&mut ev, first_line, out, budget).map_err(|problem| {
        // Values are checked as they stream in, so a bad value can be seen before a syntax
        // error further down. Malformed YAML is the more basic fault: report it instead.
        if problem.kind == RejectKind::Yaml {
            return problem;
        }
        loop {
            match ev.next_event() {
                Ok(e) if matches!(e.event, Event::StreamEnd) => return problem,
                Ok(_) => continue,
                Err(syntax) if syntax.kind == RejectKind::Yaml => return syntax,
                Err(_) => return problem,
            }
        }
    })
}

fn decode_mapping(
    ev: &mut Events<'_>,
    first_line: u32,
    out: &mut Builders,
    budget: &mut RowBudget,
) -> Result<Header, Problem> {
    let plan = plan();
    let start = open_mapping(ev, first_line)?;
    let row = out.figures.rows();
    let mut seen: u64 = 0;
    let mut extra_keys = KeySet::default();
    let mut extra = String::new();
    // pathway_score, automl_pathway: each checked as a number when it appears.
    let mut scores: [Option<f64>; 2] = [None, None];
    let mut figid: Option<(String, u32)> = None;
    let mut figid_missing_at: Option<(u32, u32)> = None;
    let mut inline = false;

    loop {
        let Ev {
            event,
            line: key_line,
            col: key_col,
        } = ev.next_event()?;
        let key = match event {
            Event::MappingEnd => break,
            Event::Scalar(k, ..) => k,
            other => {
                return Err(Problem::new(
                    RejectKind::Yaml,
                    format!(
                        "expected a text key in the front matter, found {}",
                        describe(&other)
                    ),
                )
                .at(key_line, key_col))
            }
        };
        let dup = || {
            Problem::new(
                RejectKind::Yaml,
                format!("duplicate key {} in the front matter", quoted(&key)),
            )
            .at(key_line, key_col)
            .in_field(&key)
        };
        let value = ev.next_event()?;
        let Some(&id) = plan.index.get(key.as_ref()) else {
            if extra_keys.contains(&key) {
                return Err(dup());
            }
            extra.push(if extra.is_empty() { '{' } else { ',' });
            json_string(&key, &mut extra);
            extra.push(':');
            node_to_json(ev, value, &mut extra).map_err(|p| p.in_field(&key))?;
            extra_keys.insert(key);
            continue;
        };
        if seen & (1 << id) != 0 {
            return Err(dup());
        }
        seen |= 1 << id;
        let (line, col) = (value.line, value.col);
        let at = |p: Problem| p.at(line, col).in_field(&key);
        match plan.keys[id].1 {
            Target::Column(i) => {
                decode_value(ev, value, out.figures.col(i), ListRule::Plain).map_err(at)?
            }
            Target::Keywords(i) => {
                decode_value(ev, value, out.figures.col(i), ListRule::Keywords).map_err(at)?
            }
            Target::Annotations(i) => {
                decode_value(ev, value, out.figures.col(i), ListRule::Annotations).map_err(at)?
            }
            Target::Figid => match &value.event {
                Event::Scalar(t, style, ..)
                    if is_yaml_null(t, *style) || crate::column::is_na_text(t) =>
                {
                    figid_missing_at = Some((value.line, value.col));
                }
                Event::Scalar(t, ..) => {
                    validate_figid(t).map_err(at)?;
                    figid = Some((t.to_string(), value.line));
                }
                other => {
                    return Err(at(Problem::new(
                        RejectKind::BadValue,
                        format!("expected a single text value, found {}", describe(other)),
                    )))
                }
            },
            Target::Score(n) => {
                scores[n] = match &value.event {
                    Event::Scalar(t, style, ..) if is_yaml_null(t, *style) => None,
                    Event::Scalar(t, ..) => parse_float(t).map_err(at)?,
                    other => return Err(at(not_scalar(other))),
                };
            }
            Target::Entities(kind) => {
                if let Event::Scalar(t, style, ..) = &value.event {
                    // `genes: ~` or `genes: NA`: no inline list.
                    if is_yaml_null(t, *style) || crate::column::is_na_text(t) {
                        continue;
                    }
                }
                inline = true;
                entities::decode_inline(ev, value, kind, out.entity_builder(kind), budget)
                    .map_err(|p| p.in_field(&key))?;
            }
            Target::Drop => ev.skip_node(&value)?,
        }
    }
    close_document(ev)?;

    // pathway_score wins over automl_pathway whatever their order; a missing one falls back.
    out.figures
        .col(plan.pathway_score)
        .f64()
        .push_opt(scores[0].or(scores[1]));
    let extra_col = out.figures.col(plan.extra).text();
    if extra.is_empty() {
        extra_col.push_null();
    } else {
        extra.push('}');
        extra_col.push(&extra);
    }
    for &i in &plan.keyed {
        if out.figures.len_of(i) == row {
            out.figures.col(i).push_null();
        }
    }
    let Some((figid, figid_line)) = figid else {
        let p = Problem::new(
            RejectKind::MissingFigid,
            "the record has no figid (it is required and may not be empty)",
        )
        .in_field("figid");
        return Err(match figid_missing_at {
            Some((l, c)) => p.at(l, c),
            None => p.at(start.0, start.1),
        });
    };
    Ok(Header {
        figid,
        figid_line,
        inline,
    })
}

/// The figid of a front matter that failed to decode, when it can still be read: the first
/// top-level `figid` key with a usable value, found before any syntax error.
///
/// A rejected record claims the TSVs named after its figid (they are part of it, not
/// orphans), so the figid is looked for even when another value failed first. Rejects only:
/// a second pass over the text, with the same limits as the first.
pub fn figid_of(yaml: &str, first_line: u32) -> Option<String> {
    let mut ev = Events::new(yaml, first_line);
    open_mapping(&mut ev, first_line).ok()?;
    loop {
        let key = ev.next_event().ok()?;
        let Event::Scalar(k, ..) = &key.event else {
            return None; // the end of the mapping, or a key figid cannot be
        };
        let value = ev.next_event().ok()?;
        if k == "figid" {
            return match &value.event {
                Event::Scalar(t, style, ..)
                    if !is_yaml_null(t, *style)
                        && !crate::column::is_na_text(t)
                        && validate_figid(t).is_ok() =>
                {
                    Some(t.to_string())
                }
                _ => None,
            };
        }
        ev.skip_node(&value).ok()?;
    }
}

/// Reads the stream and document start and the mapping start; returns its position.
fn open_mapping(ev: &mut Events<'_>, first_line: u32) -> Result<(u32, u32), Problem> {
    loop {
        let e = ev.next_event()?;
        match e.event {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
            Event::MappingStart(..) => return Ok((e.line, e.col)),
            Event::StreamEnd => {
                return Err(Problem::new(
                    RejectKind::Yaml,
                    "the front matter is empty: expected a mapping of keys such as figid, caption, year",
                )
                .at(first_line, 1))
            }
            other => {
                return Err(Problem::new(
                    RejectKind::Yaml,
                    format!("the front matter must be a mapping of keys (figid: ..., year: ...), found {}", describe(&other)),
                )
                .at(e.line, e.col))
            }
        }
    }
}

/// After the top mapping: the document must end, with no second document.
fn close_document(ev: &mut Events<'_>) -> Result<(), Problem> {
    loop {
        let e = ev.next_event()?;
        match e.event {
            Event::DocumentEnd | Event::Nothing => continue,
            Event::StreamEnd => return Ok(()),
            _ => {
                return Err(Problem::new(
                    RejectKind::Yaml,
                    "the front matter holds more than one YAML document (a '---' or '...' line inside it)",
                )
                .at(e.line, e.col))
            }
        }
    }
}

fn validate_figid(figid: &str) -> Result<(), Problem> {
    let bad = if figid.trim().is_empty() {
        Some("it is blank")
    } else if figid == "." || figid == ".." {
        Some("it is '.' or '..'")
    } else if figid.contains(['/', '\\', '\0']) {
        Some("it contains '/', '\\' or a NUL character")
    } else {
        None
    };
    match bad {
        Some(why) => Err(Problem::new(
            RejectKind::BadValue,
            format!(
                "figid {} cannot name the record's _data files: {why}",
                quoted(figid)
            ),
        )),
        None => Ok(()),
    }
}
