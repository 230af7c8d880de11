#!/usr/bin/env python3
"""records.py: writers of recognisable CSV records and an exact verifier.

Every record is one CSV row of three fields whose first two fields ("TAG,SEQ,") identify it, and
whose third field is quoted and holds commas, doubled quotes and newlines, so that a torn or
interleaved record cannot parse back as the same bytes.

  big W COUNT PATH            writer W appends COUNT records of ~256 KiB to PATH (O_APPEND);
                              W % 4 picks the write pattern: 0 one write() per record,
                              1 three uneven write()s, 2 4 KiB write()s, 3 Python's 'ab' file
  pieces N                    writes record x,N to fd 1 (an inherited descriptor) in five
                              write() calls, pausing 1 ms between them so siblings interleave
  verify PATH HEADER SPEC...  PATH must be HEADER followed by exactly the records of SPEC, each
                              once, byte for byte, in any order between writers but in
                              sequence within one writer. SPEC: big:W:COUNT or pieces:FIRST:LAST
"""
import os
import sys
import time

BIG = 256 * 1024


def big_record(w, i):
    unit_no = 0
    parts = [b'w%d,%d,"' % (w, i)]
    size = len(parts[0])
    while size < BIG - 2:
        unit = b'%d.%d.%06d, ""q""\n' % (w, i, unit_no)
        parts.append(unit)
        size += len(unit)
        unit_no += 1
    parts.append(b'"\n')
    return b"".join(parts)


def pieces_record(n):
    pad = b"p" * (n * 37 % 9000)
    return b'x%d,"field %d, with ""quotes""\nand a newline",%s\n' % (n, n, pad)


def write_all(fd, buf):
    view = memoryview(buf)
    while view:
        view = view[os.write(fd, view):]


def cmd_big(w, count, path):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    f = open(path, "ab") if w % 4 == 3 else None
    for i in range(count):
        rec = big_record(w, i)
        if w % 4 == 0:
            write_all(fd, rec)
        elif w % 4 == 1:
            for a, b in ((0, 1000), (1000, 200000), (200000, len(rec))):
                write_all(fd, rec[a:b])
        elif w % 4 == 2:
            for a in range(0, len(rec), 4096):
                write_all(fd, rec[a:a + 4096])
        else:
            f.write(rec)
            f.flush()
    if f:
        f.close()
    os.close(fd)


def cmd_pieces(n):
    rec = pieces_record(n)
    # cut after the tag, inside the doubled quote, after the embedded newline, before the
    # final newline
    q = rec.index(b'""') + 1
    cuts = [0, 2, q, rec.index(b"\n") + 1, len(rec) - 1, len(rec)]
    for a, b in zip(cuts, cuts[1:]):
        write_all(1, rec[a:b])
        time.sleep(0.001)


def expected_records(specs):
    """{b'TAG,SEQ,': (writer, seq, bytes)}"""
    out = {}
    for spec in specs:
        kind, a, b = spec.split(":")
        if kind == "big":
            w, count = int(a), int(b)
            for i in range(count):
                out[b"w%d,%d," % (w, i)] = ("w%d" % w, i, big_record(w, i))
        elif kind == "pieces":
            for n in range(int(a), int(b) + 1):
                out[b"x%d," % n] = ("x", n, pieces_record(n))
        else:
            raise SystemExit("bad spec " + spec)
    return out


def record_key(content, p):
    """The identifying prefix of the record starting at p."""
    first = content.index(b",", p)
    if content[p:p + 1] == b"x":
        return content[p:first + 1]
    return content[p:content.index(b",", first + 1) + 1]


def cmd_verify(path, header, specs):
    with open(path, "rb") as f:
        content = f.read()
    header = header.encode() + b"\n"
    if not content.startswith(header):
        raise SystemExit("table does not start with the header %r: %r" % (header, content[:80]))
    want = expected_records(specs)
    seen = set()
    last_seq = {}
    p = len(header)
    while p < len(content):
        try:
            key = record_key(content, p)
        except ValueError:
            raise SystemExit("unparseable bytes at offset %d: %r" % (p, content[p:p + 80]))
        if key not in want:
            raise SystemExit("unexpected record at offset %d: %r" % (p, content[p:p + 80]))
        writer, seq, rec = want[key]
        if content[p:p + len(rec)] != rec:
            got = content[p:p + len(rec)]
            at = next(i for i in range(len(got)) if got[i] != rec[i]) if len(got) == len(rec) \
                else min(len(got), len(rec))
            raise SystemExit("record %r at offset %d is torn: differs at byte %d: got %r want %r"
                             % (key, p, at, got[at:at + 40], rec[at:at + 40]))
        if key in seen:
            raise SystemExit("record %r appears twice (offset %d)" % (key, p))
        if writer != "x" and last_seq.get(writer, -1) > seq:
            raise SystemExit("writer %s's record %d comes after its record %d"
                             % (writer, seq, last_seq[writer]))
        last_seq[writer] = seq
        seen.add(key)
        p += len(rec)
    missing = sorted(set(want) - seen)
    if missing:
        raise SystemExit("%d records missing, e.g. %r" % (len(missing), missing[:5]))
    print("ok: %d records, %d bytes" % (len(seen), len(content)))


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd = argv[1]
    if cmd == "big":
        cmd_big(int(argv[2]), int(argv[3]), argv[4])
    elif cmd == "pieces":
        cmd_pieces(int(argv[2]))
    elif cmd == "verify":
        cmd_verify(argv[2], argv[3], argv[4:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
