# dumpread.py: reads cwc-backup dumps and the embedded store with Debian's
# python3-bson, independently of the C code (t/backup-*.t).
#   dump DIR             a dump folder (DIR/<db>/…): a JSON summary
#   store FILE           the embedded store's SQLite file: the same summary
#   mkdump DIR           writes a dump as another tool would: every BSON type
#   strip-ttl SRC DST    copies dump SRC to DST without its TTL indexes
#   dupdoc FILE          appends a copy of the first document of a .bson.gz
#   rewrite FILE KIND    replaces a .bson.gz: badlen, badbson, dollar
import datetime, gzip, hashlib, json, os, shutil, sqlite3, struct, sys, urllib.parse
import bson
from bson.binary import Binary
from bson.code import Code
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.son import SON
from bson.timestamp import Timestamp


def sha(b):
    return hashlib.sha256(b).hexdigest()


def split_docs(data, what):
    docs, off = [], 0
    while off < len(data):
        if len(data) - off < 5:
            sys.exit(f'{what}: {len(data) - off} trailing bytes')
        n = struct.unpack_from('<i', data, off)[0]
        if n < 5 or off + n > len(data):
            sys.exit(f'{what}: bad document length {n} at offset {off}')
        raw = data[off:off + n]
        bson.decode(raw)   # raises on anything that is not BSON
        docs.append(raw)
        off += n
    return docs


def ext(v):
    """The numbers of canonical Extended JSON as numbers."""
    if isinstance(v, dict):
        if len(v) == 1:
            k, x = next(iter(v.items()))
            if k in ('$numberInt', '$numberLong'):
                return int(x)
            if k == '$numberDouble':
                return float(x)
        return {k: ext(x) for k, x in v.items()}
    if isinstance(v, list):
        return [ext(x) for x in v]
    return v


def norm_index(spec):
    return {
        'name': spec['name'],
        'key': [[k, (1 if v > 0 else -1) if isinstance(v, (int, float)) else v]
                for k, v in spec['key'].items()],
        'unique': bool(spec.get('unique', False)),
        'ttl': spec.get('expireAfterSeconds'),
        'extra': sorted(k for k in spec
                        if k not in ('v', 'ns', 'name', 'key', 'unique', 'expireAfterSeconds')),
    }


def summary(docs):
    return {'count': len(docs), 'sha': sha(b''.join(docs)),
            'docs': sorted(sha(d) for d in docs), 'order': [sha(d) for d in docs]}


def read_file(path):
    with open(path, 'rb') as f:
        data = f.read()
    return gzip.decompress(data) if path.endswith('.gz') else data


def write_gz(path, data):
    with gzip.open(path, 'wb') as f:
        f.write(data)


def cmd_dump(top):
    subs = sorted(d for d in os.listdir(top) if os.path.isdir(os.path.join(top, d)))
    if len(subs) != 1:
        sys.exit(f'{top}: {len(subs)} database folders')
    db = subs[0]
    dbdir = os.path.join(top, db)
    colls, modes, files = {}, {}, {}
    for f in sorted(os.listdir(dbdir)):
        p = os.path.join(dbdir, f)
        modes[f] = oct(os.stat(p).st_mode & 0o777)
        files[f] = 1
        for suffix in ('.bson.gz', '.bson', '.metadata.json.gz', '.metadata.json'):
            if f.endswith(suffix):
                stem = f[:-len(suffix)]
                break
        else:
            sys.exit(f'{p}: not a dump file')
        c = colls.setdefault(urllib.parse.unquote(stem, errors='strict'), {})
        data = read_file(p)
        if suffix.startswith('.bson'):
            c.update(summary(split_docs(data, p)))
            c['bson_text'] = sha(data)
        else:
            meta = json.loads(data)
            c['meta_text'] = sha(data)
            c['meta_keys'] = list(meta.keys())
            c['collectionName'] = meta.get('collectionName')
            c['type'] = meta.get('type')
            # the keys of the index on one known field (email_1 for users;
            # else the last), as written: canonical Extended JSON
            named = [i for i in meta['indexes'] if i.get('name') == 'email_1']
            pick = named[0] if named else (meta['indexes'][-1] if meta['indexes'] else None)
            c['key_json'] = json.dumps(pick['key'], separators=(',', ':')) if pick else None
            idx = [ext(i) for i in meta['indexes']]
            c['first_index'] = idx[0]['name'] if idx else None
            c['indexes'] = sorted((norm_index(i) for i in idx if i['name'] != '_id_'),
                                  key=lambda i: i['name'])
    print(json.dumps({'db': db, 'colls': colls, 'modes': modes, 'files': files,
                      'top_mode': oct(os.stat(top).st_mode & 0o777)}))


def cmd_store(path):
    db = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    colls = {}
    for name, tid in db.execute('SELECT name, tid FROM store_collections ORDER BY name').fetchall():
        docs = [bytes(r[0]) for r in db.execute(f'SELECT doc FROM c{int(tid)} ORDER BY rid')]
        for d in docs:
            bson.decode(d)
        c = summary(docs)
        specs = db.execute('SELECT spec FROM store_indexes WHERE coll = ?', (name,)).fetchall()
        c['indexes'] = sorted((norm_index(bson.decode(bytes(r[0]), bson.CodecOptions(document_class=SON)))
                               for r in specs), key=lambda i: i['name'])
        colls[name] = c
    print(json.dumps({'colls': colls}))


def with_raw(doc, elements):
    """`doc` (BSON bytes) with raw `elements` appended."""
    body = doc[4:-1] + elements
    return struct.pack('<i', len(body) + 5) + body + b'\x00'


def cmd_mkdump(top):
    dbdir = os.path.join(top, 'otherdb')
    os.makedirs(dbdir)
    with open(os.path.join(top, 'prelude.json'), 'w') as f:
        f.write('{"ServerVersion":"7.0.14","ToolVersion":"100.10.0"}')
    with open(os.path.join(top, 'oplog.bson'), 'wb') as f:   # mongodump --oplog
        f.write(b'')
    every = SON([
        ('_id', ObjectId('5f1d7f0a9b1e8a3d4c2b1a00')), ('serial', 1),
        ('double', 3.25), ('negzero', -0.0), ('nan', float('nan')),
        ('inf', float('inf')), ('ninf', float('-inf')),
        ('string', 'Café ☕ 𝄞'), ('nul', 'a\x00b'),
        ('doc', SON([('a', 1), ('empty', SON())])),
        ('array', [1, 'two', [3], SON([('x', None)]), []]),
        ('bin', Binary(b'\x00\xffabc', 0)),
        ('uuid', Binary(bytes(range(16)), 4)),
        ('oid', ObjectId('6b0735c0ff8d3c4c8700f714')),
        ('t', True), ('f', False),
        ('date', datetime.datetime(2026, 11, 25, 2, 0, 0, 123000)),
        ('old', datetime.datetime(1901, 12, 14)),
        ('null', None),
        ('regex', Regex('^caf[eé]', 'i')),
        ('code', Code('function () { return 1; }')),
        ('scope', Code('x + y', {'x': 1})),
        ('i32', 2147483647), ('i64', Int64(9007199254740993)),
        ('ts', Timestamp(1764036000, 7)),
        ('dec', Decimal128('1234.5600')), ('decnan', Decimal128('NaN')),
        ('min', MinKey()), ('max', MaxKey()),
    ])
    raw = (b'\x06undef\x00'                                               # undefined
           + b'\x0esym\x00' + struct.pack('<i', 4) + b'abc\x00'            # symbol
           + b'\x0cdbp\x00' + struct.pack('<i', 5) + b'coll\x00' + bytes(range(12)))  # DBPointer
    docs = [with_raw(bson.encode(every), raw),
            bson.encode(SON([('_id', 'a string id'), ('serial', 2), ('n', Int64(1))])),
            bson.encode(SON([('_id', 42), ('serial', 3), ('nested', SON([('deep', [SON([('x', 1.5)])])]))])),
            bson.encode(SON([('_id', SON([('compound', 1), ('k', 'v')])), ('serial', 4.0), ('i32', 7)]))]
    with open(os.path.join(dbdir, 'kitchen.bson'), 'wb') as f:
        f.write(b''.join(docs))
    meta = ('{"options":{},"indexes":['
            '{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_","ns":"otherdb.kitchen"},'
            '{"v":{"$numberInt":"2"},"key":{"i32":{"$numberInt":"1"},"date":{"$numberInt":"-1"}},'
            '"name":"i32_1_date_-1","background":true},'
            '{"v":{"$numberInt":"2"},"unique":true,"key":{"serial":{"$numberDouble":"1.0"}},"name":"by_serial"},'
            '{"v":{"$numberInt":"2"},"key":{"expiresAt":{"$numberLong":"1"}},"name":"expiresAt_1",'
            '"expireAfterSeconds":3600},'
            '{"v":{"$numberInt":"2"},"key":{"t":{"$numberInt":"1"}},"name":"t_1","sparse":true},'
            '{"v":{"$numberInt":"2"},"key":{"stripe":{"$numberInt":"1"}},"name":"stripe_1",'
            '"unique":true,"sparse":true},'
            '{"v":{"$numberInt":"2"},"key":{"_fts":"text","_ftsx":{"$numberInt":"1"}},"name":"string_text",'
            '"weights":{"string":{"$numberInt":"1"}},"default_language":"french"}'
            '],"uuid":"0679db720f4944de90ae27472664e94a","collectionName":"kitchen","type":"collection"}')
    with open(os.path.join(dbdir, 'kitchen.metadata.json'), 'w') as f:
        f.write(meta)
    cafe = [bson.encode(SON([('_id', 1), ('nom', 'Café de la gare')]))]
    with open(os.path.join(dbdir, 'caf%C3%A9s.bson'), 'wb') as f:
        f.write(b''.join(cafe))
    with open(os.path.join(dbdir, 'caf%C3%A9s.metadata.json'), 'w') as f:
        f.write('{"options":{},"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},'
                '"name":"_id_","ns":"otherdb.cafés"}],"uuid":"47d0f1f9ed46407fbada3cab9bb84644"}')
    print(json.dumps({'kitchen': [sha(d) for d in docs], 'cafés': [sha(d) for d in cafe]}))


def cmd_strip_ttl(src, dst):
    shutil.copytree(src, dst)
    for root, _, names in os.walk(dst):
        for n in names:
            if '.metadata.json' not in n:
                continue
            p = os.path.join(root, n)
            meta = json.loads(read_file(p))
            meta['indexes'] = [i for i in meta['indexes'] if 'expireAfterSeconds' not in i]
            data = json.dumps(meta).encode()
            if p.endswith('.gz'):
                write_gz(p, data)
            else:
                with open(p, 'wb') as f:
                    f.write(data)
    print('{}')


def cmd_dupdoc(path):
    data = read_file(path)
    write_gz(path, data + split_docs(data, path)[0])
    print('{}')


def cmd_rewrite(path, kind):
    first = split_docs(read_file(path), path)[0]
    if kind == 'badlen':
        data = first + b'\xff\xff\xff\x7f' + bytes(16)
    elif kind == 'badbson':
        data = first + b'\x0c\x00\x00\x00\x10a\x00\x01\x00\x00\x00\x01'   # no terminating NUL
    elif kind == 'dollar':
        data = first + bson.encode(SON([('_id', 2), ('$ref', 'users'), ('$id', 1)]))
    else:
        sys.exit(f'unknown kind {kind}')
    write_gz(path, data)
    print('{}')


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    {'dump': cmd_dump, 'store': cmd_store, 'mkdump': cmd_mkdump, 'strip-ttl': cmd_strip_ttl,
     'dupdoc': cmd_dupdoc, 'rewrite': cmd_rewrite}[cmd](*args)
