//! Inline entity lists (the older generation): `genes`, `chemicals`, `diseases` as lists of
//! mappings in the front matter, each mapping one child row.

use std::borrow::Cow;
use std::sync::OnceLock;

use saphyr_parser::Event;

use super::budget::{RowBudget, ROW_OVERHEAD_BYTES};
use super::event::{describe, is_yaml_null, Ev};
use super::keys::KeySet;
use super::node::{decode_value, ListRule};
use super::value::{key_index, source_curie, KeyIndex};
use super::yaml::{json_string, node_to_json, Events};
use crate::batch::TableBuilder;
use crate::column::is_na_text;
use crate::error::{quoted, Problem, RejectKind};
use crate::schema::{EntityKind, FIGID, ORDINAL};

/// What a key of an inline entity mapping feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Column(usize),
    /// `source` of chemicals/diseases: the CURIE prefix of `identifier`.
    CurieSource,
    /// `identifier` of chemicals/diseases: becomes `mesh_id`.
    CurieIdentifier,
}

struct Plan {
    keys: Vec<(&'static str, Target)>,
    index: KeyIndex,
    mesh_id: Option<usize>,
    extra: usize,
    width: usize,
}

fn plan(kind: EntityKind) -> &'static Plan {
    static PLANS: OnceLock<[Plan; 3]> = OnceLock::new();
    &PLANS.get_or_init(|| EntityKind::ALL.map(build_plan))[kind.index()]
}

fn build_plan(kind: EntityKind) -> Plan {
    let t = kind.table();
    let keys = match kind {
        EntityKind::Genes => vec![
            ("word", Target::Column(t.column("word"))),
            ("symbol", Target::Column(t.column("symbol"))),
            ("source", Target::Column(t.column("source"))),
            ("hgnc_symbol", Target::Column(t.column("gene_symbol"))),
            ("entrez", Target::Column(t.column("ncbigene_id"))),
        ],
        EntityKind::Chemicals | EntityKind::Diseases => vec![
            ("word", Target::Column(t.column("word"))),
            ("source", Target::CurieSource),
            ("identifier", Target::CurieIdentifier),
        ],
    };
    Plan {
        index: key_index(&keys),
        keys,
        mesh_id: (kind != EntityKind::Genes).then(|| t.column("mesh_id")),
        extra: t.column("extra"),
        width: t.schema().fields().len(),
    }
}

/// Decodes the value of an inline `genes`/`chemicals`/`diseases` key into child rows.
///
/// A single mapping counts as a one-element list; NULL items are dropped; the `figid`
/// column of the new rows is left for the record decoder.
pub fn decode_inline(
    ev: &mut Events<'_>,
    first: Ev<'_>,
    kind: EntityKind,
    out: &mut TableBuilder,
    budget: &mut RowBudget,
) -> Result<(), Problem> {
    match &first.event {
        Event::SequenceStart(..) => {
            let mut position = 0i32;
            loop {
                let item = ev.next_event()?;
                match &item.event {
                    Event::SequenceEnd => return Ok(()),
                    Event::Scalar(t, style, ..) if is_yaml_null(t, *style) || is_na_text(t) => {}
                    Event::MappingStart(..) => decode_row(ev, kind, position, out, budget)?,
                    other => return Err(not_a_mapping(kind, other).at(item.line, item.col)),
                }
                position += 1;
            }
        }
        Event::MappingStart(..) => decode_row(ev, kind, 0, out, budget),
        other => Err(not_a_mapping(kind, other).at(first.line, first.col)),
    }
}

fn not_a_mapping(kind: EntityKind, found: &Event<'_>) -> Problem {
    let keys: Vec<_> = plan(kind).keys.iter().map(|(k, _)| *k).collect();
    Problem::new(
        RejectKind::BadValue,
        format!(
            "expected a list of mappings with keys like {}, found {}",
            keys.join(", "),
            describe(found)
        ),
    )
}

/// Decodes one entity mapping (its start event already read) into a row.
fn decode_row(
    ev: &mut Events<'_>,
    kind: EntityKind,
    ordinal: i32,
    out: &mut TableBuilder,
    budget: &mut RowBudget,
) -> Result<(), Problem> {
    let plan = plan(kind);
    budget.spend(ROW_OVERHEAD_BYTES)?;
    out.col(ORDINAL).i32().push(ordinal);
    let row_len = out.len_of(ORDINAL);
    let mut seen = 0u32;
    let mut source: Option<Cow<'_, str>> = None;
    let mut identifier: Option<Cow<'_, str>> = None;
    let mut extra = String::new();
    let mut extra_keys = KeySet::default();
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
                    format!("expected a text key, found {}", describe(&other)),
                )
                .at(key_line, key_col))
            }
        };
        let dup = || {
            Problem::new(
                RejectKind::Yaml,
                format!("duplicate key {} in a {} item", quoted(&key), kind.key()),
            )
            .at(key_line, key_col)
        };
        let value = ev.next_event()?;
        let (line, col) = (value.line, value.col);
        let at = |p: Problem| p.at(line, col).in_field(&key);
        let Some(&id) = plan.index.get(key.as_ref()) else {
            if extra_keys.contains(&key) {
                return Err(dup());
            }
            extra.push(if extra.is_empty() { '{' } else { ',' });
            json_string(&key, &mut extra);
            extra.push(':');
            node_to_json(ev, value, &mut extra).map_err(at)?;
            extra_keys.insert(key);
            continue;
        };
        if seen & (1 << id) != 0 {
            return Err(dup());
        }
        seen |= 1 << id;
        match plan.keys[id].1 {
            Target::Column(i) => {
                decode_value(ev, value, out.col(i), ListRule::Plain).map_err(at)?
            }
            Target::CurieSource => source = scalar_text(value).map_err(at)?,
            Target::CurieIdentifier => identifier = scalar_text(value).map_err(at)?,
        }
    }
    if let Some(mesh) = plan.mesh_id {
        let id = source_curie(source.as_deref(), identifier.as_deref());
        out.col(mesh).text().push_opt(id.as_deref());
    }
    budget.spend(extra.len())?;
    let extra_col = out.col(plan.extra).text();
    if extra.is_empty() {
        extra_col.push_null();
    } else {
        extra.push('}');
        extra_col.push(&extra);
    }
    for i in ORDINAL + 1..plan.width {
        if out.len_of(i) < row_len {
            out.col(i).push_null();
        }
    }
    Ok(())
}

/// The text of a scalar value, `None` for YAML null; a list or mapping is a bad value.
fn scalar_text(value: Ev<'_>) -> Result<Option<Cow<'_, str>>, Problem> {
    match value.event {
        Event::Scalar(t, style, ..) if is_yaml_null(&t, style) => Ok(None),
        Event::Scalar(t, ..) => Ok(Some(t)),
        other => Err(Problem::new(
            RejectKind::BadValue,
            format!("expected a single value, found {}", describe(&other)),
        )),
    }
}

/// Pushes `figid` into the key column of every row added since the table had `rows` rows.
/// Each copy counts against `budget`.
pub fn fill_figid(
    out: &mut TableBuilder,
    figid: &str,
    budget: &mut RowBudget,
) -> Result<(), Problem> {
    let target = out.len_of(ORDINAL);
    let col = out.col(FIGID).text();
    budget.spend((target - col.len()).saturating_mul(figid.len()))?;
    while col.len() < target {
        col.push(figid);
    }
    Ok(())
}
