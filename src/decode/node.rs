//! Decoding one YAML value node into a column, by the column's type: the step shared by the
//! figures decoder and the inline entity decoder.

use saphyr_parser::Event;

use super::event::{describe, is_yaml_null, Ev};
use super::value;
use super::yaml::{node_to_json, Events};
use crate::column::{Column, TextListColumn};
use crate::error::{Problem, RejectKind};

/// How a list column treats its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRule {
    Plain,
    Keywords,
    Annotations,
}

/// Decodes the value node starting at `first` into `col`, by the column's type.
pub fn decode_value<'a>(
    ev: &mut Events<'a>,
    first: Ev<'a>,
    col: &mut Column,
    rule: ListRule,
) -> Result<(), Problem> {
    match (&first.event, col) {
        (Event::Scalar(t, style, ..), col) if is_yaml_null(t, *style) => {
            col.push_null();
            Ok(())
        }
        (Event::Scalar(t, ..), Column::TextList(list)) => {
            push_item(list, t, rule);
            list.end_row();
            Ok(())
        }
        (Event::Scalar(t, ..), col) => col.push_scalar(t),
        (Event::SequenceStart(..), Column::TextList(list)) => {
            loop {
                let item = ev.next_event()?;
                match &item.event {
                    Event::SequenceEnd => break,
                    Event::Scalar(t, style, ..) => {
                        if !is_yaml_null(t, *style) {
                            push_item(list, t, rule);
                        }
                    }
                    Event::MappingStart(..) if rule == ListRule::Annotations => {
                        let mut json = String::new();
                        node_to_json(ev, item, &mut json)?;
                        list.push_item(&json);
                    }
                    other => {
                        return Err(Problem::new(
                            RejectKind::BadValue,
                            format!(
                                "expected a list of text items, found {} as an item",
                                describe(other)
                            ),
                        )
                        .at(item.line, item.col))
                    }
                }
            }
            list.end_row();
            Ok(())
        }
        (Event::MappingStart(..), Column::TextList(list)) if rule == ListRule::Annotations => {
            let mut json = String::new();
            node_to_json(ev, first, &mut json)?;
            list.push_item(&json);
            list.end_row();
            Ok(())
        }
        (other, Column::TextList(_)) => Err(Problem::new(
            RejectKind::BadValue,
            format!("expected a list of text items, found {}", describe(other)),
        )),
        (other, _) => Err(not_scalar(other)),
    }
}

fn push_item(list: &mut TextListColumn, text: &str, rule: ListRule) {
    match rule {
        ListRule::Keywords => value::keywords(text).for_each(|k| list.push_item(k)),
        _ => list.push_item(text),
    }
}

/// A bad-value problem for a list or mapping where one value was expected.
pub fn not_scalar(e: &Event<'_>) -> Problem {
    Problem::new(
        RejectKind::BadValue,
        format!("expected a single value, found {}", describe(e)),
    )
}
