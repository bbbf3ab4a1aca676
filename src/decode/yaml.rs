//! A YAML event stream over one front matter, with the limits that keep hostile input cheap.
//!
//! Wraps `saphyr-parser` (a YAML 1.2 event parser: no value tree is built). It expands aliases
//! by replaying the events recorded for their anchor, refuses nesting deeper than
//! [`MAX_DEPTH`] and alias expansion beyond [`MAX_ALIAS_NODES`] nodes, and reports positions
//! as lines of the whole file (the front matter starts on line 2, after `---`).

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput};

use crate::error::{Problem, RejectKind};

/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;

/// Most nodes that alias expansion may produce in one record (a "billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 10_000;

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

/// Where events come from: the fast reader's buffer, or saphyr-parser.
enum Source<'a> {
    Fast(std::vec::IntoIter<Ev<'a>>),
    Saphyr(Box<Parser<'a, StrInput<'a>>>),
}

/// Pull-based events of one YAML document, aliases expanded.
pub struct Events<'a> {
    source: Source<'a>,
    line_base: u32,
    depth: usize,
    /// Completed anchored nodes, by anchor id.
    anchors: HashMap<usize, Rc<[Ev<'a>]>>,
    /// Anchored nodes still being read: (anchor id, depth at which the node closes, events).
    recording: Vec<(usize, usize, Vec<Ev<'a>>)>,
    /// Alias replays in progress: (events, next index).
    replay: Vec<(Rc<[Ev<'a>]>, usize)>,
    alias_nodes: usize,
}

impl<'a> Events<'a> {
    /// Events of `yaml`, whose first line is line `first_line` of the file: from the fast
    /// reader when the document is in its subset, else from saphyr-parser.
    pub fn new(yaml: &'a str, first_line: u32) -> Self {
        match super::fast::parse(yaml, first_line) {
            Some(events) => Self::with_source(Source::Fast(events.into_iter()), first_line),
            None => Self::saphyr(yaml, first_line),
        }
    }

    /// Events of `yaml` from saphyr-parser only (the general parser; the fast reader's
    /// reference).
    pub fn saphyr(yaml: &'a str, first_line: u32) -> Self {
        Self::with_source(
            Source::Saphyr(Box::new(Parser::new_from_str(yaml))),
            first_line,
        )
    }

    /// True when the fast reader produced the events.
    pub fn is_fast(&self) -> bool {
        matches!(self.source, Source::Fast(_))
    }

    fn with_source(source: Source<'a>, first_line: u32) -> Self {
        Events {
            source,
            line_base: first_line.saturating_sub(1),
            depth: 0,
            anchors: HashMap::new(),
            recording: Vec::new(),
            replay: Vec::new(),
            alias_nodes: 0,
        }
    }

    /// Consumes the next event.
    #[inline]
    pub fn next_event(&mut self) -> Result<Ev<'a>, Problem> {
        if let Source::Fast(events) = &mut self.source {
            // The fast subset has no anchors or aliases and stays below MAX_DEPTH (the reader
            // gives up deeper), so there is nothing to replay or check: hand the event over.
            return Ok(events.next().unwrap_or(Ev {
                event: Event::StreamEnd,
                line: 0,
                col: 0,
            }));
        }
        self.pull()
    }

    /// Skips a whole node (scalar, sequence or mapping) whose first event was `first`.
    pub fn skip_node(&mut self, first: &Ev<'a>) -> Result<(), Problem> {
        if !opens_collection(&first.event) {
            return Ok(());
        }
        let mut open = 1usize;
        while open > 0 {
            let ev = self.next_event()?;
            if opens_collection(&ev.event) {
                open += 1;
            } else if closes_collection(&ev.event) {
                open -= 1;
            }
        }
        Ok(())
    }

    /// Reads the next event from a replay or the parser, and applies the limits.
    fn pull(&mut self) -> Result<Ev<'a>, Problem> {
        loop {
            let ev = if let Some((events, pos)) = self.replay.last_mut() {
                if *pos == events.len() {
                    self.replay.pop();
                    continue;
                }
                *pos += 1;
                let ev = events[*pos - 1].clone();
                if is_node_start(&ev.event) {
                    self.alias_nodes += 1;
                    if self.alias_nodes > MAX_ALIAS_NODES {
                        return Err(Problem::new(
                            RejectKind::Yaml,
                            format!(
                                "alias expansion produces more than {MAX_ALIAS_NODES} nodes \
                                 (refused as a possible alias bomb)"
                            ),
                        )
                        .at(ev.line, ev.col));
                    }
                }
                ev
            } else {
                self.parse_one()?
            };
            if let Event::Alias(id) = ev.event {
                let Some(events) = self.anchors.get(&id).cloned() else {
                    return Err(Problem::new(
                        RejectKind::Yaml,
                        "alias refers to a node that contains it (recursive alias)",
                    )
                    .at(ev.line, ev.col));
                };
                // Enclosing anchors recorded the alias event itself (in `parse_one`), not
                // its expansion, so a replay of them expands it again, counted anew.
                if self.replay.len() >= MAX_DEPTH {
                    return Err(Problem::new(
                        RejectKind::Yaml,
                        format!("aliases nested more than {MAX_DEPTH} levels deep"),
                    )
                    .at(ev.line, ev.col));
                }
                self.replay.push((events, 0));
                continue;
            }
            self.track_depth(&ev)?;
            return Ok(ev);
        }
    }

    /// Takes one event from the source, recording it for open anchors.
    fn parse_one(&mut self) -> Result<Ev<'a>, Problem> {
        let parser = match &mut self.source {
            Source::Fast(_) => unreachable!("next_event serves the fast reader's events"),
            Source::Saphyr(parser) => parser,
        };
        let (event, span) = match parser.next_event() {
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                let m = e.marker();
                // saphyr's scanner has its own nesting limit (256), hit while it looks ahead
                // through deep flow collections before our 64-level check sees level 65:
                // name the documented limit, not the parser's internal one.
                let message = if e.info().contains("recursion limit") {
                    format!("nesting deeper than {MAX_DEPTH} levels")
                } else {
                    format!("malformed YAML: {}", e.info())
                };
                return Err(Problem::new(RejectKind::Yaml, message)
                    .at(self.line(m.line()), m.col() as u32 + 1));
            }
            // After the end of the stream, the end again (callers may drain past it).
            None => (Event::StreamEnd, Span::default()),
        };
        let ev = self.located(event, span);
        let anchor = match ev.event {
            Event::Scalar(_, _, a, _) | Event::SequenceStart(a, _) | Event::MappingStart(a, _) => a,
            _ => 0,
        };
        if anchor != 0 {
            // The node closes when the depth comes back to the current one.
            self.recording.push((anchor, self.depth, Vec::new()));
        }
        self.record(&ev);
        Ok(ev)
    }

    /// Appends a parser event to every open anchor recording and completes finished ones.
    fn record(&mut self, ev: &Ev<'a>) {
        if self.recording.is_empty() || !self.replay.is_empty() {
            return;
        }
        let depth_after = match ev.event {
            Event::SequenceStart(..) | Event::MappingStart(..) => self.depth + 1,
            Event::SequenceEnd | Event::MappingEnd => self.depth.saturating_sub(1),
            _ => self.depth,
        };
        for (_, _, events) in &mut self.recording {
            events.push(ev.clone());
        }
        while let Some((_, closes_at, _)) = self.recording.last() {
            if depth_after != *closes_at {
                break;
            }
            let (id, _, events) = self.recording.pop().expect("checked");
            self.anchors.insert(id, events.into());
        }
    }

    fn track_depth(&mut self, ev: &Ev<'a>) -> Result<(), Problem> {
        if opens_collection(&ev.event) {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Problem::new(
                    RejectKind::Yaml,
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                )
                .at(ev.line, ev.col));
            }
        } else if closes_collection(&ev.event) {
            self.depth = self.depth.saturating_sub(1);
        }
        Ok(())
    }

    fn located(&self, event: Event<'a>, span: Span) -> Ev<'a> {
        Ev {
            event,
            line: self.line(span.start.line()),
            col: span.start.col() as u32 + 1,
        }
    }

    fn line(&self, parser_line: usize) -> u32 {
        (parser_line as u32).saturating_add(self.line_base)
    }
}

fn opens_collection(e: &Event<'_>) -> bool {
    matches!(e, Event::SequenceStart(..) | Event::MappingStart(..))
}

fn closes_collection(e: &Event<'_>) -> bool {
    matches!(e, Event::SequenceEnd | Event::MappingEnd)
}

fn is_node_start(e: &Event<'_>) -> bool {
    matches!(
        e,
        Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..)
    )
}

/// Describes a node's first event for messages ("a list", "a mapping", "text 'x'").
pub fn describe(e: &Event<'_>) -> String {
    match e {
        Event::Scalar(t, ..) => {
            let t: &str = t;
            if t.chars().count() > 40 {
                let short: String = t.chars().take(40).collect();
                format!("text '{short}…'")
            } else {
                format!("text '{t}'")
            }
        }
        Event::SequenceStart(..) => "a list".to_owned(),
        Event::MappingStart(..) => "a mapping".to_owned(),
        Event::StreamEnd | Event::DocumentEnd => "the end of the front matter".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Writes the node starting with `first` as compact JSON: scalars as strings exactly as
/// written, YAML null as `null`, sequences as arrays, mappings as objects in source order.
pub fn node_to_json(
    events: &mut Events<'_>,
    first: Ev<'_>,
    out: &mut String,
) -> Result<(), Problem> {
    match first.event {
        Event::Scalar(text, style, ..) => {
            if is_yaml_null(&text, style) {
                out.push_str("null");
            } else {
                json_string(&text, out);
            }
        }
        Event::SequenceStart(..) => {
            out.push('[');
            let mut n = 0;
            loop {
                let ev = events.next_event()?;
                if matches!(ev.event, Event::SequenceEnd) {
                    break;
                }
                if n > 0 {
                    out.push(',');
                }
                n += 1;
                node_to_json(events, ev, out)?;
            }
            out.push(']');
        }
        Event::MappingStart(..) => {
            out.push('{');
            let mut keys: Vec<String> = Vec::new();
            loop {
                let key = events.next_event()?;
                if matches!(key.event, Event::MappingEnd) {
                    break;
                }
                if !keys.is_empty() {
                    out.push(',');
                }
                match &key.event {
                    Event::Scalar(k, ..) => {
                        if keys.iter().any(|seen| seen == k) {
                            return Err(Problem::new(
                                RejectKind::Yaml,
                                format!("duplicate key '{k}' in a mapping"),
                            )
                            .at(key.line, key.col));
                        }
                        keys.push(k.to_string());
                        json_string(k, out)
                    }
                    _ => {
                        // JSON keys are strings: a complex key is written as its JSON text.
                        let mut k = String::new();
                        node_to_json(events, key, &mut k)?;
                        json_string(&k, out);
                        keys.push(k);
                    }
                }
                out.push(':');
                let value = events.next_event()?;
                node_to_json(events, value, out)?;
            }
            out.push('}');
        }
        other => {
            return Err(Problem::new(
                RejectKind::Yaml,
                format!("expected a value, found {}", describe(&other)),
            )
            .at(first.line, first.col))
        }
    }
    Ok(())
}

/// Appends `s` as a JSON string literal.
pub fn json_string(s: &str, out: &mut String) {
    // serde_json escapes exactly `"`, `\\` and control characters; text without them (most
    // of it) is copied as it is, without the temporary String serde_json would allocate.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).expect("strings serialize"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_of(yaml: &str) -> Result<String, Problem> {
        let mut ev = Events::new(yaml, 2);
        let first = loop {
            let e = ev.next_event()?;
            if is_node_start(&e.event) {
                break e;
            }
        };
        let mut out = String::new();
        node_to_json(&mut ev, first, &mut out)?;
        Ok(out)
    }

    #[test]
    fn json_keeps_text_as_written() {
        assert_eq!(
            json_of("a: 1.10\nb: [x, ~, 'NO']\nc: {d: null, e: ''}\n").unwrap(),
            r#"{"a":"1.10","b":["x",null,"NO"],"c":{"d":null,"e":""}}"#
        );
    }

    #[test]
    fn json_strings_match_serde_json() {
        for s in [
            "",
            "plain",
            "Ca²⁺ → κB",
            "q\"uote",
            "back\\slash",
            "tab\tnl\n",
            "\u{1}\u{7f}",
        ] {
            let mut out = String::new();
            json_string(s, &mut out);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn aliases_expand() {
        assert_eq!(
            json_of("a: &x [1, {k: v}]\nb: *x\nc: &s txt\nd: *s\n").unwrap(),
            r#"{"a":["1",{"k":"v"}],"b":["1",{"k":"v"}],"c":"txt","d":"txt"}"#
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut y = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            y.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = n;
        }
        let e = json_of(&y).unwrap_err();
        assert_eq!(e.kind, RejectKind::Yaml);
        assert!(e.detail.contains("alias"), "{}", e.detail);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let y = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        let e = json_of(&y).unwrap_err();
        assert!(e.detail.contains("deeper than 64"), "{}", e.detail);
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn syntax_error_has_file_line() {
        let e = json_of("a: 1\nb: [unclosed\nc: 2\n").unwrap_err();
        assert_eq!(e.kind, RejectKind::Yaml);
        assert!(e.line.unwrap() >= 3, "{e:?}");
    }
}
