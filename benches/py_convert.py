#!/usr/bin/env python3
"""Plain-Python baseline: convert a PFOCR corpus into the five pfocr-etl Parquet tables.

This is what the Rust tool is benchmarked against: an honest, reasonably efficient
implementation of the same job with the usual Python stack -- PyYAML with the libyaml C
loader (``yaml.CSafeLoader``) and pyarrow. A ``multiprocessing.Pool`` of ``--workers``
processes (default 2) turns chunks of figure files into Arrow record batches (each worker
reads the figure files and their ``_data`` TSVs); the parent checks figids for duplicates
across chunks and writes ``<out>/<table>/part-00000.parquet`` (zstd) with
``pyarrow.parquet.ParquetWriter``, then ``<out>/_manifest.json``.

It applies the main rules of the output contract (docs: SCHEMA.md): YAML read with
core-schema-like typing (only plain ``null``/``~``/empty are null; every other scalar stays
text exactly as written and is typed per column), NA markers -> null (dropped inside lists),
scalar -> one-element list, ``keywords`` split on ``|``, lower-case CURIE prefixes, quoted
numbers -> numbers (an invalid number rejects the record, naming the field), ``pathway_score``
else ``automl_pathway``, inline entity lists vs ``_data`` TSVs (matched by header name; unknown
keys/columns -> ``extra`` JSON), unknown top-level keys -> ``extra`` JSON, and rejects
(yaml, no_front_matter, not_utf8, missing_figid, duplicate_figid, bad_value, bad_tsv,
orphan_table, conflicting_table, too_large, unreadable).
Not covered (edge cases a throughput baseline does not need): the nesting-depth and
alias-expansion limits and symlink-loop detection.

Usage: python3 benches/py_convert.py CORPUS --out OUT [--workers 2] [--chunk 256]
Needs: pyyaml (built with libyaml) and pyarrow -- see benches/requirements.txt.
"""
import argparse
import json
import os
import re
import sys
import time
from multiprocessing import Pool

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

SCHEMA_VERSION = 1
DEFAULT_MAX_RECORD_BYTES = 16 << 20
NA_TEXT = frozenset(('', 'NA', '.na', '.na.character', '.na.integer', '.na.real'))
NAN_TEXT = frozenset(('NaN', 'nan', 'NAN', '.nan', '.NaN', '.NAN'))
INF_TEXT = {'.inf': 1e999, '.Inf': 1e999, '.INF': 1e999, '+.inf': 1e999, '+.Inf': 1e999,
            '+.INF': 1e999, '-.inf': -1e999, '-.Inf': -1e999, '-.INF': -1e999}
FLOAT_CHARS = frozenset('0123456789+-.eE')
I16, I32, I64 = (-(1 << 15), (1 << 15) - 1), (-(1 << 31), (1 << 31) - 1), (-(1 << 63), (1 << 63) - 1)

S, LS = pa.utf8(), pa.list_(pa.utf8())


def _schema(cols):
    fields = [pa.field(n, t, nullable=not n.endswith('!')) for n, t in cols]
    fields = [f.with_name(f.name.rstrip('!')) for f in fields]
    return pa.schema(fields, metadata={'pfocr_etl.schema_version': str(SCHEMA_VERSION)})


SCHEMAS = {
    'figures': _schema([('figid!', S), ('pmcid', S), ('number', S), ('figtype', S), ('figtitle', S),
                        ('caption', S), ('papertitle', S), ('reftext', S), ('year', pa.int16()), ('doi', S),
                        ('journal_title', S), ('journal_nlm_ta', S), ('publisher_name', S), ('keywords', LS),
                        ('organisms', LS), ('organisms_ner', LS), ('pathway_score', pa.float64()),
                        ('pmc_ranked_result_index', pa.int32()), ('filename', S), ('figlink', S),
                        ('figid_alias', S), ('ndex', S), ('annotations', LS), ('entity_source!', S),
                        ('extra', S), ('body', S), ('source_path!', S)]),
    'figure_genes': _schema([('figid!', S), ('ordinal!', pa.int32()), ('word', S), ('symbol', S), ('source', S),
                             ('gene_symbol', S), ('ncbigene_id', pa.int64()), ('organism_id', pa.int32()),
                             ('organism_name', S), ('organism_group', S), ('count_direct', pa.int32()),
                             ('count_synonym', pa.int32()), ('count_match', pa.int32()), ('extra', S)]),
    'figure_chemicals': _schema([('figid!', S), ('ordinal!', pa.int32()), ('word', S), ('mesh_id', S),
                                 ('match', S), ('name', S), ('chebi_id', S), ('extra', S)]),
    'figure_diseases': _schema([('figid!', S), ('ordinal!', pa.int32()), ('word', S), ('mesh_id', S),
                                ('match', S), ('name', S), ('doid', S), ('extra', S)]),
    'rejects': _schema([('source_path!', S), ('line', pa.int32()), ('field', S), ('kind!', S), ('message!', S)]),
}
ENTITY_TABLES = ('figure_genes', 'figure_chemicals', 'figure_diseases')
DATA_TABLES = ('figures',) + ENTITY_TABLES
KINDS = ('genes', 'chemicals', 'diseases')  # inline key / TSV suffix, in ENTITY_TABLES order
KNOWN_KEYS = frozenset((
    'figid', 'pmcid', 'number', 'figtype', 'figtitle', 'caption', 'papertitle', 'reftext', 'year', 'doi',
    'journal_title', 'journal_nlm_ta', 'publisher_name', 'keywords', 'organisms', 'organisms_ner',
    'pathway_score', 'automl_pathway', 'pmc_ranked_result_index', 'filename', 'figlink', 'figid_alias',
    'ndex', 'annotations', 'genes', 'chemicals', 'diseases', 'seo', 'schema-jsonld', 'redirect_from'))


class CoreLoader(yaml.CSafeLoader):
    """libyaml parser; only plain ``~``/``null``/empty resolve to null, every other scalar is text.

    Typing happens per column afterwards, so ``NO``/``yes``/``2020-01-01`` stay text and a text
    column keeps ``1.10`` as written (YAML 1.2 core behaviour for what the contract needs)."""
    yaml_implicit_resolvers = {}


CoreLoader.add_implicit_resolver('tag:yaml.org,2002:null', re.compile(r'^(?:~|null|Null|NULL|)$'),
                                 ['~', 'n', 'N', ''])


class Reject(Exception):
    def __init__(self, kind, message, field=None, line=None, path=None, claim=None):
        super().__init__(message)
        self.kind, self.message, self.field, self.line, self.path, self.claim = kind, message, field, line, path, claim


def bad(field, message, line=None):
    return Reject('bad_value', f'{field}: {message}', field=field, line=line)


# ---- value rules -------------------------------------------------------------------------------
def txt(v, field):
    if v is None:
        return None
    if type(v) is str:
        return None if v in NA_TEXT else v
    if isinstance(v, (list, dict)):
        raise bad(field, f"expected a single value, found a {'list' if isinstance(v, list) else 'mapping'}")
    return str(v)


def to_int(v, field, rng, line=None):
    s = txt(v, field)
    if s is None:
        return None
    t = s.strip()
    if t in NA_TEXT or t in NAN_TEXT:
        return None
    d = t[1:] if t[0] in '+-' else t
    if not (d.isascii() and d.isdigit()):
        raise bad(field, f"expected a whole number, found '{s}'", line)
    n = int(t)
    if not rng[0] <= n <= rng[1]:
        raise bad(field, f'{n} is out of range {rng[0]}..{rng[1]}', line)
    return n


def to_float(v, field):
    s = txt(v, field)
    if s is None:
        return None
    t = s.strip()
    if t in NA_TEXT or t in NAN_TEXT:
        return None
    if t in INF_TEXT:
        return INF_TEXT[t]
    if not FLOAT_CHARS.issuperset(t) or not any(c.isdigit() for c in t):
        raise bad(field, f"expected a number, found '{s}'")
    try:
        return float(t)
    except ValueError:
        raise bad(field, f"expected a number, found '{s}'") from None


def to_list(v, field):
    if v is None:
        return None
    if isinstance(v, dict):
        raise bad(field, 'expected a list, found a mapping')
    if not isinstance(v, list):
        t = txt(v, field)
        return None if t is None else [t]
    out = []
    for x in v:
        if isinstance(x, (list, dict)):
            raise bad(field, 'expected a list of single values, found a nested list or mapping')
        t = txt(x, field)
        if t is not None:
            out.append(t)
    return out


def to_keywords(v):
    items = to_list(v, 'keywords')
    if items is None:
        return None
    return [k.strip() for t in items for k in t.split('|') if k.strip()]


def as_json(v):
    """Scalars as text exactly as written, YAML null as null, lists/mappings recursively."""
    if v is None or type(v) is str:
        return v
    if isinstance(v, list):
        return [as_json(x) for x in v]
    if isinstance(v, dict):
        return {('null' if k is None else str(k)): as_json(x) for k, x in v.items()}
    return str(v)


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(',', ':'))


def to_annotations(v):
    if v is None:
        return None
    out = []
    for x in (v if isinstance(v, list) else [v]):
        if isinstance(x, (list, dict)):
            out.append(dumps(as_json(x)))
        else:
            t = txt(x, 'annotations')
            if t is not None:
                out.append(t)
    return out


def curie(value, prefix):
    if value is None:
        return None
    head, sep, local = value.partition(':')
    if sep and head and all(c.isascii() and (c.isalnum() or c in '_.') for c in head):
        return f'{head.lower()}:{local}'
    return f'{prefix.lower()}:{value}' if prefix else value


# ---- entities --------------------------------------------------------------------------------------
def inline_entities(fid, kind, items):
    if items is None:
        return []
    if not isinstance(items, list):
        items = [items]
    rows = []
    for i, m in enumerate(items):
        if not isinstance(m, dict):
            raise bad(kind, f'item {i} is not a mapping of keys to values')
        g = m.get
        if kind == 'genes':
            known = ('word', 'symbol', 'source', 'hgnc_symbol', 'entrez')
            head = (fid, i, txt(g('word'), 'word'), txt(g('symbol'), 'symbol'), txt(g('source'), 'source'),
                    txt(g('hgnc_symbol'), 'hgnc_symbol'), to_int(g('entrez'), 'entrez', I64),
                    None, None, None, None, None, None)
        else:
            known = ('word', 'source', 'identifier')
            src = txt(g('source'), 'source')
            head = (fid, i, txt(g('word'), 'word'), curie(txt(g('identifier'), 'identifier'), src), None, None, None)
        extra = {str(k): as_json(x) for k, x in m.items() if k not in known}
        rows.append(head + (dumps(extra) if extra else None,))
    return rows


# TSV column -> (output position, parser); positions index the table row after (figid, ordinal).
TSV_COLUMNS = {
    'genes': {'word': (0, None), 'match': (1, None), 'source': (2, None), 'ncbigene_symbol': (3, None),
              'ncbigene_id': (4, I64), 'organism_id': (5, I32), 'organism_name': (6, None),
              'organism_group': (7, None), 'count_direct': (8, I32), 'count_synonym': (9, I32),
              'count_match': (10, I32)},
    'chemicals': {'word': (0, None), 'mesh': (1, 'mesh'), 'match': (2, None), 'name': (3, None), 'chebi': (4, 'chebi')},
    'diseases': {'word': (0, None), 'mesh': (1, 'mesh'), 'match': (2, None), 'name': (3, None), 'doid': (4, 'doid')},
}


def tsv_entities(fid, kind, rel, path):
    def fail(message, line=None, field=None, k='bad_tsv'):
        return Reject(k, f'{rel}: {message}', field=field, line=line, path=rel)
    try:
        with open(path, 'rb') as fh:
            data = fh.read()
    except OSError as e:
        raise fail(f'could not read the file: {e.strerror}', k='unreadable') from None
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise fail('not valid UTF-8', data.count(b'\n', 0, e.start) + 1, k='not_utf8') from None
    lines = text.split('\n')
    header = lines[0].rstrip('\r').split('\t')
    spec = TSV_COLUMNS[kind]
    if not any(h in spec for h in header):
        raise fail(f"no header row: the first line names none of the expected columns ({', '.join(spec)})", 1)
    if len(set(header)) != len(header):
        raise fail('a column name appears twice in the header', 1)
    plan = [spec.get(h) for h in header]
    width = len(header)
    nout = 11 if kind == 'genes' else 5
    rows = []
    for ln, line in enumerate(lines[1:], 2):
        if line.endswith('\r'):
            line = line[:-1]
        if not line:
            continue
        vals = line.split('\t')
        if len(vals) != width:
            raise fail(f'expected {width} tab-separated fields as in the header, found {len(vals)}', ln)
        out = [None] * nout
        extra = None
        for h, p, v in zip(header, plan, vals):
            if v in NA_TEXT:
                v = None
            if p is None:
                extra = extra or {}
                extra[h] = v
                continue
            pos, conv = p
            if v is None:
                continue
            if conv is None:
                out[pos] = v
            elif type(conv) is str:
                out[pos] = curie(v, conv)
            else:
                try:
                    out[pos] = to_int(v, h, conv, ln)
                except Reject as r:
                    r.path, r.message = rel, f'{rel}: {r.message}'
                    raise
        rows.append((fid, len(rows), *out, dumps(extra) if extra else None))
    return rows


# ---- one figure file -----------------------------------------------------------------------------
def split_front_matter(text):
    if not (text.startswith('---\n') or text.startswith('---\r\n')):
        raise Reject('no_front_matter', 'the file does not start with a --- line opening the YAML front matter', line=1)
    start = text.index('\n') + 1
    i = start - 1
    while True:
        j = text.find('\n---', i)
        if j < 0:
            raise Reject('no_front_matter', 'no closing --- line ends the YAML front matter')
        e = text.find('\n', j + 4)
        e = len(text) if e < 0 else e
        if not text[j + 4:e].strip():
            return text[start:j + 1], text[e + 1:]
        i = j + 4


def convert_figure(name):
    rel = '_figures/' + name
    try:
        with open(os.path.join(_ROOT, '_figures', name), 'rb') as fh:
            data = fh.read(_MAX_BYTES + 1)
    except OSError as e:
        raise Reject('unreadable', f'could not read the file: {e.strerror}') from None
    if len(data) > _MAX_BYTES:
        raise Reject('too_large', f'the file is larger than --max-record-bytes ({_MAX_BYTES} bytes)')
    if not data:
        raise Reject('no_front_matter', 'the file is empty')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise Reject('not_utf8', 'the file is not valid UTF-8', line=data.count(b'\n', 0, e.start) + 1) from None
    front, body = split_front_matter(text)
    try:
        d = yaml.load(front, Loader=CoreLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        raise Reject('yaml', f'malformed YAML front matter: {getattr(e, "problem", None) or e}',
                     line=mark.line + 2 if mark else None) from None
    except RecursionError:
        raise Reject('yaml', 'the YAML front matter nests too deeply') from None
    if not isinstance(d, dict):
        raise Reject('yaml', 'the front matter is not a mapping of keys to values', line=2)
    fid = d.get('figid')
    if isinstance(fid, (list, dict)):
        raise bad('figid', 'expected a single value')
    if fid is None or (type(fid) is str and fid in NA_TEXT):
        raise Reject('missing_figid', 'the front matter has no figid', field='figid')
    fid = str(fid)
    if not fid.strip() or fid in ('.', '..') or any(c in fid for c in '/\\\0'):
        raise bad('figid', f"figid '{fid}' cannot name the record's _data files")
    try:
        g = d.get
        inline = any(g(k) is not None for k in KINDS)
        tsv_rels = [f'_data/{fid}-{k}.tsv' for k in KINDS]
        conflicts = []
        if inline:
            ents = [inline_entities(fid, k, g(k)) for k in KINDS]
            conflicts = [r for r in tsv_rels if r[6:] in _TSVS]
        else:
            ents = [tsv_entities(fid, k, r, os.path.join(_ROOT, r)) if r[6:] in _TSVS else []
                    for k, r in zip(KINDS, tsv_rels)]
        score = to_float(g('pathway_score'), 'pathway_score')
        if score is None:
            score = to_float(g('automl_pathway'), 'automl_pathway')
        extra = {str(k): as_json(v) for k, v in d.items() if k not in KNOWN_KEYS}
        row = (fid, txt(g('pmcid'), 'pmcid'), txt(g('number'), 'number'), txt(g('figtype'), 'figtype'),
               txt(g('figtitle'), 'figtitle'), txt(g('caption'), 'caption'), txt(g('papertitle'), 'papertitle'),
               txt(g('reftext'), 'reftext'), to_int(g('year'), 'year', I16), txt(g('doi'), 'doi'),
               txt(g('journal_title'), 'journal_title'), txt(g('journal_nlm_ta'), 'journal_nlm_ta'),
               txt(g('publisher_name'), 'publisher_name'), to_keywords(g('keywords')),
               to_list(g('organisms'), 'organisms'), to_list(g('organisms_ner'), 'organisms_ner'), score,
               to_int(g('pmc_ranked_result_index'), 'pmc_ranked_result_index', I32),
               txt(g('filename'), 'filename'), txt(g('figlink'), 'figlink'), txt(g('figid_alias'), 'figid_alias'),
               txt(g('ndex'), 'ndex'), to_annotations(g('annotations')), 'inline' if inline else 'tables',
               dumps(extra) if extra else None, body if body.strip() else None, rel)
    except Reject as r:
        r.claim = fid
        raise
    return fid, row, ents, conflicts


# ---- worker ----------------------------------------------------------------------------------------
_ROOT, _TSVS, _MAX_BYTES = None, frozenset(), DEFAULT_MAX_RECORD_BYTES


def _init(root, tsvs, max_bytes):
    global _ROOT, _TSVS, _MAX_BYTES
    _ROOT, _TSVS, _MAX_BYTES = root, tsvs, max_bytes


def to_batch(table, rows):
    schema = SCHEMAS[table]
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, schema)], schema=schema)


def convert_chunk(names):
    """Converts a chunk of figure files. Returns (batches per data table, figids in order,
    reject rows, claimed figids, number of figure files rejected)."""
    rows = {t: [] for t in DATA_TABLES}
    rejects, claimed, figids, seen, failed = [], [], [], {}, 0
    for name in names:
        try:
            fid, row, ents, conflicts = convert_figure(name)
        except Reject as r:
            failed += 1
            rejects.append((r.path or '_figures/' + name, r.line, r.field, r.kind, r.message))
            if r.claim is not None:
                claimed.append(r.claim)
            continue
        claimed.append(fid)
        if fid in seen:
            failed += 1
            rejects.append(('_figures/' + name, None, 'figid', 'duplicate_figid',
                            f"figid '{fid}' was already used by {seen[fid]}"))
            continue
        seen[fid] = '_figures/' + name
        figids.append((fid, '_figures/' + name))
        rows['figures'].append(row)
        for t, e in zip(ENTITY_TABLES, ents):
            rows[t].extend(e)
        for c in conflicts:
            rejects.append((c, None, None, 'conflicting_table',
                            f'{c}: not used, because _figures/{name} lists its genes, chemicals and diseases inline'))
    return {t: to_batch(t, r) for t, r in rows.items()}, figids, rejects, claimed, failed


# ---- parent ----------------------------------------------------------------------------------------
class TableWriter:
    """Buffers batches and writes row groups of ~`rows` rows with zstd."""

    def __init__(self, out, table, rows=1 << 17):
        os.makedirs(os.path.join(out, table), exist_ok=True)
        self.path = os.path.join(out, table, 'part-00000.parquet')
        self.schema, self.limit, self.buf, self.n, self.total = SCHEMAS[table], rows, [], 0, 0
        self.writer = pq.ParquetWriter(self.path, self.schema, compression='zstd')

    def add(self, batch):
        if batch.num_rows:
            self.buf.append(batch)
            self.n += batch.num_rows
            if self.n >= self.limit:
                self.flush()

    def flush(self):
        if self.buf:
            self.writer.write_table(pa.Table.from_batches(self.buf, schema=self.schema), row_group_size=self.limit)
            self.total += self.n
            self.buf, self.n = [], 0

    def close(self):
        self.flush()
        self.writer.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('corpus')
    ap.add_argument('--out', required=True)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--chunk', type=int, default=256, help='figure files per worker task')
    ap.add_argument('--max-record-bytes', type=int, default=DEFAULT_MAX_RECORD_BYTES)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    root = os.path.abspath(a.corpus)
    fig_dir, data_dir = os.path.join(root, '_figures'), os.path.join(root, '_data')
    names = sorted(e.name for e in os.scandir(fig_dir) if e.name.endswith('.md')) if os.path.isdir(fig_dir) else []
    tsvs = frozenset(e.name for e in os.scandir(data_dir) if e.name.endswith('.tsv')) if os.path.isdir(data_dir) else frozenset()
    os.makedirs(a.out, exist_ok=True)
    writers = {t: TableWriter(a.out, t) for t in DATA_TABLES}
    rejects, claimed, seen = [], set(), {}
    converted = rejected = 0
    chunks = [names[i:i + a.chunk] for i in range(0, len(names), a.chunk)]
    with Pool(a.workers, initializer=_init, initargs=(root, tsvs, a.max_record_bytes)) as pool:
        for batches, figids, rej, cl, failed in pool.imap(convert_chunk, chunks):
            rejects.extend(rej)
            claimed.update(cl)
            rejected += failed
            dups = []
            for fid, rel in figids:
                if fid in seen:
                    dups.append(fid)
                    rejects.append((rel, None, 'figid', 'duplicate_figid', f"figid '{fid}' was already used by {seen[fid]}"))
                else:
                    seen[fid] = rel
            if dups:  # rare: drop the duplicate records' rows (figids are unique within a chunk)
                keep = pa.array(dups, pa.utf8())
                batches = {t: b.filter(pc.invert(pc.is_in(b.column(0), value_set=keep))) for t, b in batches.items()}
            converted += len(figids) - len(dups)
            rejected += len(dups)
            for t in DATA_TABLES:
                writers[t].add(batches[t])
    suffixes = tuple(f'-{k}.tsv' for k in KINDS)
    for name in sorted(tsvs):
        fid = next((name[:-len(s)] for s in suffixes if name.endswith(s)), None)
        if fid is None or fid not in claimed:
            rel = '_data/' + name
            rejects.append((rel, None, None, 'orphan_table', f'{rel}: no figure has the figid its file name names, '
                            'so its rows were not loaded' if fid is not None else
                            f'{rel}: the file name does not end in -genes.tsv, -chemicals.tsv or -diseases.tsv'))
    rejects.sort(key=lambda r: (r[0], r[1] or 0))
    writers['rejects'] = TableWriter(a.out, 'rejects')
    writers['rejects'].add(to_batch('rejects', rejects))
    for w in writers.values():
        w.close()
    secs = time.perf_counter() - t0
    manifest = {
        'tool': 'py_convert.py (baseline)', 'schema_version': SCHEMA_VERSION, 'input_root': root,
        'options': {'workers': a.workers, 'chunk': a.chunk, 'max_record_bytes': a.max_record_bytes},
        'tables': {t: {'rows': w.total, 'files': [os.path.relpath(w.path, a.out)]} for t, w in writers.items()},
        'inputs': len(names), 'converted': converted, 'rejected': rejected, 'duration_seconds': round(secs, 3),
    }
    with open(os.path.join(a.out, '_manifest.json'), 'w', encoding='utf-8') as fh:
        json.dump(manifest, fh, indent=2)
    print(f'py_convert: {len(names)} records ({converted} converted, {rejected} rejected, '
          f'{len(rejects)} reject rows) in {secs:.2f} s = {len(names) / secs if secs else 0:.0f} records/s '
          f'with {a.workers} workers', file=sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main())
