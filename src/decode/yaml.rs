//! A YAML event stream over one front matter, with the limits that keep hostile input cheap.
//!
//! [`Events`] hands out the events of the fast reader ([`super::fast`]) when the document is
//! in its subset, else those of `saphyr-parser` (a YAML 1.2 event parser: no value tree is
//! built); both speak the event types of [`super::event`]. For saphyr's events it expands aliases
//! by replaying the events recorded for their anchor, refuses nesting deeper than
//! [`MAX_DEPTH`] and alias expansion beyond [`MAX_ALIAS_NODES`] nodes, and reports positions
//! as lines of the whole file (the front matter starts on line 2, after `---`).

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, Span, StrInput};

use super::event::{describe, is_yaml_null, Ev, MAX_DEPTH};
use super::keys::KeySet;
use crate::error::{quoted, Problem, RejectKind};

/// Most nodes that alias expansion may produce in one record (a "billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 10_000;

/// Most bytes of text that alias expansion may produce in one record: with the node limit
/// alone, 10,000 aliases of one 1 MB scalar would expand into 10 GB.
pub const MAX_ALIAS_BYTES: usize = 1 << 20;

/// Most events (and [`MAX_ANCHOR_BYTES`] of scalar text) kept per record to replay anchored
/// nodes. Anchors are recorded before anyone knows whether an alias will use them, and a
/// nested anchor is recorded by each enclosing one, so without a bound the recordings of one
/// 16 MiB record could take gigabytes. An alias to a node recorded past the bound is refused.
pub const MAX_ANCHOR_EVENTS: usize = 100_000;

/// See [`MAX_ANCHOR_EVENTS`].
pub const MAX_ANCHOR_BYTES: usize = 4 << 20;

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
    /// Completed anchored nodes, by anchor id (`None`: recorded past the anchor bound).
    anchors: HashMap<usize, Option<Rc<[Ev<'a>]>>>,
    /// Anchored nodes still being read: (anchor id, depth at which the node closes, events;
    /// `None` once past the anchor bound).
    recording: Vec<(usize, usize, Option<Vec<Ev<'a>>>)>,
    /// Events and scalar bytes kept by the recordings so far.
    anchor_events: usize,
    anchor_bytes: usize,
    /// Alias replays in progress: (events, next index).
    replay: Vec<(Rc<[Ev<'a>]>, usize)>,
    alias_nodes: usize,
    alias_bytes: usize,
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

    fn with_source(source: Source<'a>, first_line: u32) -> Self {
        Events {
            source,
            line_base: first_line.saturating_sub(1),
            depth: 0,
            anchors: HashMap::new(),
            recording: Vec::new(),
            anchor_events: 0,
            anchor_bytes: 0,
            replay: Vec::new(),
            alias_nodes: 0,
            alias_bytes: 0,
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
                if let Event::Scalar(t, ..) = &ev.event {
                    self.alias_bytes += t.len();
                    if self.alias_bytes > MAX_ALIAS_BYTES {
                        return Err(Problem::new(
                            RejectKind::Yaml,
                            format!(
                                "alias expansion produces more than {MAX_ALIAS_BYTES} bytes of \
                                 text (refused as a possible alias bomb)"
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
                let events = match self.anchors.get(&id) {
                    Some(Some(events)) => events.clone(),
                    Some(None) => {
                        return Err(Problem::new(
                            RejectKind::Yaml,
                            format!(
                                "alias to a node too large to expand (anchored nodes may hold \
                                 {MAX_ANCHOR_EVENTS} events and {MAX_ANCHOR_BYTES} bytes of \
                                 text per record; refused as a possible alias bomb)"
                            ),
                        )
                        .at(ev.line, ev.col))
                    }
                    None => {
                        return Err(Problem::new(
                            RejectKind::Yaml,
                            "alias refers to a node that contains it (recursive alias)",
                        )
                        .at(ev.line, ev.col))
                    }
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
            self.recording.push((anchor, self.depth, Some(Vec::new())));
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
        let bytes = match &ev.event {
            Event::Scalar(t, ..) => t.len(),
            _ => 0,
        };
        for (_, _, events) in &mut self.recording {
            let Some(kept) = events else { continue };
            self.anchor_events += 1;
            self.anchor_bytes += bytes;
            if self.anchor_events > MAX_ANCHOR_EVENTS || self.anchor_bytes > MAX_ANCHOR_BYTES {
                *events = None; // past the bound: an alias to it is refused
            } else {
                kept.push(ev.clone());
            }
        }
        while let Some((_, closes_at, _)) = self.recording.last() {
            if depth_after != *closes_at {
                break;
            }
            let (id, _, events) = self.recording.pop().expect("checked");
            self.anchors.insert(id, events.map(Into::into));
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

/// Writes the node starting with `first` as compact JSON: scalars as strings exactly as
/// written, YAML null as `null`, sequences as arrays, mappings as objects in source order.
pub fn node_to_json<'a>(
    events: &mut Events<'a>,
    first: Ev<'a>,
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
            let mut keys = KeySet::default();
            let mut first_key = true;
            loop {
                let key = events.next_event()?;
                if matches!(key.event, Event::MappingEnd) {
                    break;
                }
                if !first_key {
                    out.push(',');
                }
                first_key = false;
                let (line, col) = (key.line, key.col);
                let k = match key.event {
                    Event::Scalar(k, ..) => k,
                    _ => {
                        // JSON keys are strings: a complex key is written as its JSON text.
                        let mut k = String::new();
                        node_to_json(events, key, &mut k)?;
                        std::borrow::Cow::Owned(k)
                    }
                };
                // Keys must be unique, as at the top level: JSON with a repeated key means
                // different things to different readers.
                if keys.contains(&k) {
                    return Err(Problem::new(
                        RejectKind::Yaml,
                        format!("duplicate key {} in a mapping", quoted(&k)),
                    )
                    .at(line, col));
                }
                json_string(&k, out);
                keys.insert(k);
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
    fn aliases_of_a_long_scalar_are_refused_by_bytes() {
        // 100 aliases of a 20 kB scalar: far below the node limit, 2 MB of text.
        let big = "x".repeat(20_000);
        let y = format!("a: &a {big}\nb: [{}]\n", vec!["*a"; 100].join(", "));
        let e = json_of(&y).unwrap_err();
        assert!(e.detail.contains("bytes of text"), "{}", e.detail);
        let y = format!("a: &a {big}\nb: [{}]\n", vec!["*a"; 50].join(", "));
        assert!(json_of(&y).is_ok());
    }

    #[test]
    fn anchor_recordings_are_bounded() {
        // 60 nested anchors over 200,000 items would record 12 million events; past the
        // bound they are dropped, and only an alias to one is refused.
        let mut y = String::from("a: ");
        for i in 0..60 {
            y.push_str(&format!("&n{i} ["));
        }
        y.push_str(&vec!["x"; 200_000].join(", "));
        y.push_str(&"]".repeat(60));
        y.push('\n');
        let mut ev = Events::new(&y, 2);
        let mut n = 0;
        loop {
            let e = ev.next_event().unwrap();
            if matches!(e.event, Event::StreamEnd) {
                break;
            }
            n += 1;
        }
        assert!(n > 200_000, "{n}");
        let kept: usize = ev.anchors.values().flatten().map(|e| e.len()).sum();
        assert!(kept <= MAX_ANCHOR_EVENTS, "{kept}");
        let e = json_of(&format!("{y}d: *n3\n")).unwrap_err();
        assert!(e.detail.contains("too large to expand"), "{}", e.detail);
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
