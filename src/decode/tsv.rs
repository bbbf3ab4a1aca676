//! Sibling TSV tables (the newer generation): `_data/<figid>-{genes,chemicals,diseases}.tsv`,
//! tab-separated with a header row, columns matched by name in any order.
//!
//! Some real TSVs carry the inline generation's column names instead (genes `symbol`,
//! `hgnc_symbol`, `entrez`; chemicals and diseases `source` + `identifier`): they map as the
//! inline keys of the same names do. When a file has both a newer column and the older one
//! it replaces, the newer wins and the older goes to `extra` (schema version 2).

use std::sync::OnceLock;

use std::borrow::Cow;

use super::budget::{RowBudget, ROW_OVERHEAD_BYTES};
use super::keys::KeySet;
use super::value::{curie, source_curie};
use super::yaml::json_string;
use crate::batch::TableBuilder;
use crate::column::is_na_text;
use crate::error::{quoted, Problem, RejectKind};
use crate::schema::{EntityKind, ORDINAL};

/// What a TSV column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A child column decoded by its type.
    Column(usize),
    /// A text column of identifiers normalised to CURIEs with this default prefix.
    Curie(usize, &'static str),
    /// Older header `source`: the CURIE prefix of `identifier`.
    CurieSource,
    /// Older header `identifier`: a CURIE with the prefix in `source`, into this column.
    CurieIdentifier(usize),
    /// Not a contract column: kept in `extra`.
    Extra,
}

/// A known column: its header name, what it feeds, and for an older name the newer column
/// that wins over it when a file has both.
type Known = (&'static str, Target, Option<&'static str>);

fn known_columns(kind: EntityKind) -> &'static [Known] {
    static PLANS: OnceLock<[Vec<Known>; 3]> = OnceLock::new();
    &PLANS.get_or_init(|| {
        EntityKind::ALL.map(|kind| {
            let t = kind.table();
            let col = |name: &str| Target::Column(t.column(name));
            match kind {
                EntityKind::Genes => vec![
                    ("organism_id", col("organism_id"), None),
                    ("organism_name", col("organism_name"), None),
                    ("organism_group", col("organism_group"), None),
                    ("word", col("word"), None),
                    ("match", col("symbol"), None),
                    ("ncbigene_symbol", col("gene_symbol"), None),
                    ("ncbigene_id", col("ncbigene_id"), None),
                    ("source", col("source"), None),
                    ("count_direct", col("count_direct"), None),
                    ("count_synonym", col("count_synonym"), None),
                    ("count_match", col("count_match"), None),
                    // The inline generation's names.
                    ("symbol", col("symbol"), Some("match")),
                    ("hgnc_symbol", col("gene_symbol"), Some("ncbigene_symbol")),
                    ("entrez", col("ncbigene_id"), Some("ncbigene_id")),
                ],
                EntityKind::Chemicals => vec![
                    ("word", col("word"), None),
                    ("mesh", Target::Curie(t.column("mesh_id"), "mesh"), None),
                    ("match", col("match"), None),
                    ("name", col("name"), None),
                    ("chebi", Target::Curie(t.column("chebi_id"), "chebi"), None),
                    ("source", Target::CurieSource, Some("mesh")),
                    (
                        "identifier",
                        Target::CurieIdentifier(t.column("mesh_id")),
                        Some("mesh"),
                    ),
                ],
                EntityKind::Diseases => vec![
                    ("word", col("word"), None),
                    ("mesh", Target::Curie(t.column("mesh_id"), "mesh"), None),
                    ("match", col("match"), None),
                    ("name", col("name"), None),
                    ("doid", Target::Curie(t.column("doid"), "doid"), None),
                    ("source", Target::CurieSource, Some("mesh")),
                    (
                        "identifier",
                        Target::CurieIdentifier(t.column("mesh_id")),
                        Some("mesh"),
                    ),
                ],
            }
        })
    })[kind.index()]
}

/// Decodes the TSV `text` (the file `rel_path`) into child rows of `kind`.
///
/// Problems name the TSV file and line in their message; their `line` stays unset because
/// the reject row is the figure's (the TSV is part of that record).
pub fn decode_tsv(
    text: &str,
    rel_path: &str,
    kind: EntityKind,
    out: &mut TableBuilder,
    budget: &mut RowBudget,
) -> Result<(), Problem> {
    let in_file = |line: usize, p: Problem| Problem {
        detail: format!("in {rel_path}, line {line}: {}", p.detail),
        ..p
    };
    let mut lines = lines_of(text)
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    // Blank lines are skipped wherever they are, before the header too.
    let Some((header_line, header)) = lines.find(|(_, l)| !l.is_empty()) else {
        let what = if text.is_empty() {
            "the file is empty"
        } else {
            "the file holds only blank lines"
        };
        return Err(in_file(
            1,
            Problem::new(
                RejectKind::BadTsv,
                format!("{what}: expected a header row of column names"),
            ),
        ));
    };
    let names: Vec<&str> = header.split('\t').collect();
    let known = known_columns(kind);
    let targets = header_targets(known, &names);
    if targets.iter().all(|t| *t == Target::Extra) {
        let expected: Vec<_> = known.iter().map(|(k, ..)| *k).collect();
        return Err(in_file(
            header_line,
            Problem::new(
                RejectKind::BadTsv,
                format!(
                    "no header row: the first line that is not blank names none of the expected columns ({})",
                    expected.join(", ")
                ),
            ),
        ));
    }
    let mut seen = KeySet::default();
    for n in &names {
        if !seen.insert(Cow::Borrowed(n)) {
            return Err(in_file(
                header_line,
                Problem::new(
                    RejectKind::BadTsv,
                    format!("column {} appears twice in the header", quoted(n)),
                ),
            ));
        }
    }
    drop(seen);
    let width = kind.table().schema().fields().len();
    let extra_col = kind.table().column("extra");
    let mut ordinal = 0i32;
    let mut fields: Vec<&str> = Vec::with_capacity(names.len());
    // The older `source` + `identifier` pair, when the header has `identifier`.
    let pair_into = targets.iter().find_map(|t| match t {
        Target::CurieIdentifier(i) => Some(*i),
        _ => None,
    });
    for (line_no, line) in lines {
        if line.is_empty() {
            continue;
        }
        split_tabs(line, &mut fields);
        let count = fields.len();
        if count != names.len() {
            return Err(in_file(
                line_no,
                Problem::new(
                    RejectKind::BadTsv,
                    format!(
                        "expected {} tab-separated fields as in the header, found {count}",
                        names.len()
                    ),
                ),
            ));
        }
        out.col(ORDINAL).i32().push(ordinal);
        ordinal += 1;
        let row_len = out.len_of(ORDINAL);
        let mut extra = String::new();
        let (mut source, mut identifier) = (None, None);
        for ((name, target), &value) in names.iter().zip(&targets).zip(&fields) {
            match *target {
                Target::Column(i) => out
                    .col(i)
                    .push_scalar(value)
                    .map_err(|p| in_file(line_no, p.in_field(name)))?,
                Target::Curie(i, prefix) => out
                    .col(i)
                    .text()
                    .push_opt(curie(value, Some(prefix)).as_deref()),
                Target::CurieSource => source = Some(value),
                Target::CurieIdentifier(_) => identifier = Some(value),
                Target::Extra => {
                    extra.push(if extra.is_empty() { '{' } else { ',' });
                    json_string(name, &mut extra);
                    extra.push(':');
                    if is_na_text(value) {
                        extra.push_str("null");
                    } else {
                        json_string(value, &mut extra);
                    }
                }
            }
        }
        if let Some(i) = pair_into {
            let id = source_curie(source, identifier);
            out.col(i).text().push_opt(id.as_deref());
        }
        budget
            .spend(ROW_OVERHEAD_BYTES + line.len() + extra.len())
            .map_err(|p| in_file(line_no, p))?;
        if extra.is_empty() {
            out.col(extra_col).text().push_null();
        } else {
            extra.push('}');
            out.col(extra_col).text().push(&extra);
        }
        for i in ORDINAL + 1..width {
            if out.len_of(i) < row_len {
                out.col(i).push_null();
            }
        }
    }
    Ok(())
}

/// What each header column feeds: its known target, or `extra` for an unknown name and for
/// an older name whose newer column is in the header too (the newer wins).
/// An older `source` without `identifier` has nothing to prefix: it goes to `extra` too.
fn header_targets(known: &[Known], names: &[&str]) -> Vec<Target> {
    let mut targets: Vec<Target> = names
        .iter()
        .map(|n| match known.iter().find(|(k, ..)| k == n) {
            Some((_, _, Some(newer))) if names.contains(newer) => Target::Extra,
            Some((_, t, _)) => *t,
            None => Target::Extra,
        })
        .collect();
    if !targets
        .iter()
        .any(|t| matches!(t, Target::CurieIdentifier(_)))
    {
        for t in &mut targets {
            if *t == Target::CurieSource {
                *t = Target::Extra;
            }
        }
    }
    targets
}

/// The `\n`-separated pieces of `text` (as `str::split('\n')`, found with `memchr`).
fn lines_of(text: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let line = &text[start..end];
        start = end + 1;
        line
    })
}

/// Replaces `fields` with the tab-separated fields of `line` (as `str::split('\t')`).
fn split_tabs<'a>(line: &'a str, fields: &mut Vec<&'a str>) {
    fields.clear();
    let mut start = 0;
    for tab in memchr::memchr_iter(b'\t', line.as_bytes()) {
        fields.push(&line[start..tab]);
        start = tab + 1;
    }
    fields.push(&line[start..]);
}
