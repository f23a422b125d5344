#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: corpus/idx/ and corpus/checkpoint/.

Valid small files of each kind (raw and gzipped IDX of every element type; .npz archives as
tapegrad's nn::save writes them, as numpy.savez and numpy.savez_compressed write them, with
zip64 records, big-endian and version 2.0/3.0 .npy headers; single .npy files) and a few
broken ones. Everything is built with the standard library only and is deterministic: running
this again gives the same bytes. Files that regression tests add by hand (regress-*) are kept.

    python3 tests/fuzz/make_corpus.py
"""
import gzip
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data, name=None):
    # mtime 0 and no file name unless asked: reproducible bytes.
    if name is None:
        return gzip.compress(data, compresslevel=6, mtime=0)
    header = b"\x1f\x8b\x08\x08" + struct.pack("<I", 0) + b"\x00\x03" + name + b"\x00"
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


# ---------------------------------------------------------------------------------------- IDX

IDX_FORMATS = {0x08: "B", 0x09: "b", 0x0B: ">h", 0x0C: ">i", 0x0D: ">f", 0x0E: ">d"}


def idx(type_code, dims, values, raw_payload=None):
    b = bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    if raw_payload is not None:
        return b + raw_payload
    fmt = IDX_FORMATS[type_code]
    return b + b"".join(struct.pack(fmt if len(fmt) > 1 else ">" + fmt, v) for v in values)


def idx_corpus():
    images = [(i * 37 + r * 11 + c * 3) % 256 for i in range(3) for r in range(4) for c in range(4)]
    cases = {
        "images-u8-3x4x4.idx": idx(0x08, [3, 4, 4], images),
        "labels-u8-3.idx": idx(0x08, [3], [7, 2, 1]),
        "i8-5.idx": idx(0x09, [5], [-128, -1, 0, 1, 127]),
        "i16-2x2.idx": idx(0x0B, [2, 2], [-2, 258, -32768, 32767]),
        "i32-1x2x3.idx": idx(0x0C, [1, 2, 3], [-1, 0, 1, 2**31 - 1, -(2**31), 65536]),
        "f32-2x2.idx": idx(0x0D, [2, 2], [1.5, -2.5, float("inf"), float("nan")]),
        "f64-1x2x1x2.idx": idx(0x0E, [1, 2, 1, 2], [3.141592653589793, -0.0, 1e-300, -1e300]),
    }
    # Two 28x28 "digits": a ring and a bar, as MNIST files hold them.
    digits = []
    for k in range(2):
        for r in range(28):
            for c in range(28):
                ring = abs(((r - 14) ** 2 + (c - 14) ** 2) ** 0.5 - 8) < 2
                bar = 6 <= r < 22 and 12 <= c < 16
                digits.append(255 if (ring if k == 0 else bar) else 0)
    mnist = idx(0x08, [2, 28, 28], digits)
    for name, data in cases.items():
        write("idx", name, data)
        write("idx", name + ".gz", gz(data))
    write("idx", "mnist-2x28x28.idx.gz", gz(mnist))
    write("idx", "labels-with-name.idx.gz", gz(cases["labels-u8-3.idx"], name=b"labels-u8-3.idx"))
    # Two gzip members, as `cat a.gz b.gz` makes: zlib reads them as one stream.
    a = cases["images-u8-3x4x4.idx"]
    write("idx", "two-members.idx.gz", gz(a[:20]) + gz(a[20:]))

    # Broken files.
    good_gz = gz(mnist)
    broken = {
        "broken-empty.idx": b"",
        "broken-bad-magic.idx": b"\x01\x00\x08\x01\x00\x00\x00\x01\x05",
        "broken-unknown-type.idx": idx(0x07, [2], None, raw_payload=b"\x01\x02"),
        "broken-rank0.idx": b"\x00\x00\x08\x00",
        "broken-truncated-header.idx": b"\x00\x00\x08\x03\x00\x00\x00\x02",
        "broken-truncated-data.idx": idx(0x08, [2, 4], None, raw_payload=bytes(6)),
        "broken-trailing-data.idx": idx(0x08, [5], None, raw_payload=bytes(6)),
        "broken-zero-dim.idx": idx(0x08, [3, 0], []),
        "broken-huge-dims.idx": idx(0x0E, [0xFFFFFFFF, 0xFFFFFFFF], None, raw_payload=bytes(8)),
        "broken-cut.idx.gz": good_gz[: len(good_gz) // 2],
        "broken-corrupt.idx.gz": good_gz[:40] + bytes(b ^ 0x5A for b in good_gz[40:56]) + good_gz[56:],
        "broken-bad-crc.idx.gz": good_gz[:-8] + bytes([good_gz[-8] ^ 1]) + good_gz[-7:],
        "broken-gzip-header-only.idx.gz": good_gz[:10],
        # A header announcing one byte, then 2 MB of zeros: refused without inflating them all.
        "broken-gzip-bomb.idx.gz": gz(idx(0x08, [1], [5]) + bytes(2 << 20)),
        # A header announcing 3.5 GB in a file of a few dozen bytes: more than deflate can give
        # (1032:1), refused before any data is inflated.
        "broken-gzip-announces-3.5gb.idx.gz": gz(idx(0x08, [3500, 1000, 1000], None, raw_payload=bytes(64))),
        # A valid gzipped IDX file followed by bytes that are not a gzip member.
        "broken-gzip-trailing-garbage.idx.gz": gz(idx(0x08, [3], [7, 2, 1])) + b"junk",
    }
    for name, data in broken.items():
        write("idx", name, data)


# ------------------------------------------------------------------------------- checkpoints


def npy(values, shape, descr="<f4", version=(1, 0), fortran=False, header=None):
    if header is None:
        if len(shape) == 1:
            shape_text = "(%d,)" % shape[0]
        else:
            shape_text = "(" + ", ".join(str(d) for d in shape) + ")"
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", shape_text)
    prefix = 8 + (2 if version[0] == 1 else 4)
    total = prefix + len(header) + 1
    header = header + " " * ((64 - total % 64) % 64) + "\n"
    h = header.encode("utf8" if version[0] == 3 else "latin1")
    out = b"\x93NUMPY" + bytes(version)
    out += struct.pack("<H" if version[0] == 1 else "<I", len(h)) + h
    if descr in ("<f4", "<f8", ">f4", ">f8", "<i8"):
        fmt = descr[0] + {"f4": "f", "f8": "d", "i8": "q"}[descr[1:]]
        out += b"".join(struct.pack(fmt, v) for v in values)
    return out


def zip_archive(entries, deflate=False, zip64_local=False, zip64_central=False, zip64_end=False,
                comment=b"", entry_comment=b"", unknown_extra=False, date=(0, 0x21)):
    """entries: [(name, bytes)]. The ZIP layout tapegrad writes by default (stored, fixed
    date); the flags give the variants numpy (Python's zipfile) writes."""
    out = b""
    central = b""
    for name, data in entries:
        name = name.encode()
        crc = zlib.crc32(data)
        if deflate:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed = c.compress(data) + c.flush()
        else:
            packed = data
        method = 8 if deflate else 0
        version = 45 if (zip64_local or zip64_central) else 20
        offset = len(out)
        extra = b""
        if zip64_local:
            extra = struct.pack("<HHQQ", 1, 16, len(data), len(packed))
        if unknown_extra:
            extra += struct.pack("<HH", 0x5455, 5) + b"\x01\x00\x00\x00\x00"
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if zip64_local else (len(packed), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, method, date[0], date[1], crc,
                           sizes[0], sizes[1], len(name), len(extra)) + name + extra + packed
        cextra = b""
        csizes = (len(packed), len(data))
        coffset = offset
        if zip64_central:
            cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(packed), offset)
            csizes = (0xFFFFFFFF, 0xFFFFFFFF)
            coffset = 0xFFFFFFFF
        if unknown_extra:
            cextra += struct.pack("<HH", 0x5455, 5) + b"\x01\x00\x00\x00\x00"
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, method,
                               date[0], date[1], crc, csizes[0], csizes[1], len(name),
                               len(cextra), len(entry_comment), 0, 0, 0,
                               coffset) + name + cextra + entry_comment
    cd_offset = len(out)
    out += central
    n = len(entries)
    if zip64_end:
        z64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central),
                           cd_offset)
        out += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                           0xFFFFFFFF, len(comment)) + comment
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), cd_offset,
                           len(comment)) + comment
    return out


# The fuzz target's module: Sequential(Linear(3, 2), BatchNorm1d(2)).
MODULE = [
    ("0.weight", (2, 3), [0.5, -0.25, 1.0, -1.5, 2.0, 0.125]),
    ("0.bias", (2,), [0.1, -0.2]),
    ("1.weight", (2,), [1.0, 0.75]),
    ("1.bias", (2,), [0.0, -0.5]),
    ("1.running_mean", (2,), [0.3, -0.3]),
    ("1.running_var", (2,), [1.25, 0.8]),
]


def module_entries(descr="<f4", version=(1, 0), changes=None):
    entries = []
    for name, shape, values in MODULE:
        if changes and name in changes:
            change = changes[name]
            if change is None:
                continue
            shape, values = change
        entries.append((name + ".npy", npy(values, shape, descr=descr, version=version)))
    return entries


CONTROL_NAME = "bad\x00\n\x1b[31m.npy"


def flip(data, at):
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def set_method(archive, method):
    """The archive with every entry's compression method (local and central) set."""
    out = bytearray(archive)
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = out.find(signature)
        while i >= 0:
            out[i + at:i + at + 2] = struct.pack("<H", method)
            i = out.find(signature, i + 4)
    return bytes(out)


def claim_size(archive, size):
    """The archive whose first entry claims `size` uncompressed bytes (local and central)."""
    out = bytearray(archive)
    local = out.find(b"PK\x03\x04")
    name_len, extra_len = struct.unpack("<HH", out[local + 26:local + 30])
    # numpy's local headers keep the sizes in the zip64 extra field.
    out[local + 30 + name_len + 4:local + 30 + name_len + 12] = struct.pack("<Q", size)
    central = out.find(b"PK\x01\x02")
    out[central + 24:central + 28] = struct.pack("<I", size)
    return bytes(out)


def checkpoint_corpus():
    f4 = module_entries()
    f8 = module_entries(descr="<f8")
    cases = {
        # As tg::nn::save writes it.
        "model.npz": zip_archive(f4),
        # As numpy.savez writes it (zip64 extra fields in the local headers).
        "model-savez-f8.npz": zip_archive(f8, zip64_local=True, date=(0x6000, 0x5821)),
        # As numpy.savez_compressed writes it.
        "model-savez-compressed-f8.npz": zip_archive(f8, deflate=True, zip64_local=True,
                                                     date=(0x6000, 0x5821)),
        # zip64 everywhere: central directory extras and the zip64 end records.
        "model-zip64.npz": zip_archive(f4, deflate=True, zip64_local=True, zip64_central=True,
                                       zip64_end=True),
        "model-bigendian-v2.npz": zip_archive(module_entries(descr=">f4", version=(2, 0))),
        "model-v3.npz": zip_archive(module_entries(descr=">f8", version=(3, 0))),
        "model-comments-extras.npz": zip_archive(f4, comment=b"archive comment",
                                                 entry_comment=b"entry", unknown_extra=True),
        "shapes.npz": zip_archive([
            ("scalar.npy", npy([2.5], (), descr="<f8")),
            ("empty.npy", npy([], (0,))),
            ("empty3.npy", npy([], (2, 0, 3), descr="<f8")),
            ("nested.name.npy", npy([1.0, 2.0, 3.0, 4.0], (1, 2, 1, 2))),
        ]),
        "empty-archive.npz": zip_archive([]),
        "weight.npy": npy([0.5, -0.25, 1.0, -1.5, 2.0, 0.125], (2, 3)),
        "weight-bigendian-f8.npy": npy([0.5, -0.25, 1.0, -1.5, 2.0, 0.125], (2, 3), descr=">f8"),
        "weight-v3.npy": npy([1.0, 2.0], (2,), descr="<f8", version=(3, 0)),
        # Mismatched checkpoints: they load with load_npz but not into the module.
        "mismatch-shape.npz": zip_archive(module_entries(changes={
            "0.weight": ((3, 2), [0.5, -0.25, 1.0, -1.5, 2.0, 0.125])})),
        "mismatch-missing.npz": zip_archive(module_entries(changes={"1.running_var": None})),
        "mismatch-extra.npz": zip_archive(f4 + [("2.weight.npy", npy([1.0], (1,)))]),
        "mismatch-duplicate.npz": zip_archive(f4 + [f4[1]]),
    }
    good = cases["model.npz"]
    first_data = 30 + len("0.weight.npy") + 128  # the first entry's elements
    broken = {
        "broken-empty.npz": b"",
        "broken-truncated.npz": good[: len(good) // 2],
        "broken-no-end-record.npz": good[:-22],
        "broken-bad-crc.npz": good[:first_data] + bytes([good[first_data] ^ 1]) +
                              good[first_data + 1:],
        "broken-method-12.npz": set_method(good, 12),
        "broken-local-header-differs.npz": good[:8] + b"\x08\x00" + good[10:],
        "broken-deflate-claims-4gb.npz": claim_size(cases["model-savez-compressed-f8.npz"],
                                                    0xF0000000),
        # A name with control characters, on an entry whose CRC-32 fails: the message must
        # show the name escaped.
        "broken-name-controls.npz": flip(zip_archive([(CONTROL_NAME, npy([1.0], (1,)))]),
                                         30 + len(CONTROL_NAME) + 128),
        "broken-fortran.npz": zip_archive([("w.npy", npy([1.0, 2.0], (2,), fortran=True))]),
        "broken-int64.npz": zip_archive([("w.npy", npy([1, 2], (2,), descr="<i8"))]),
        "broken-no-shape.npz": zip_archive([("w.npy", npy([1.0], (1,),
                                  header="{'descr': '<f4', 'fortran_order': False, }"))]),
        "broken-short-data.npz": zip_archive([("w.npy", npy([1.0], (2,)))]),
        "broken-version-9.npy": b"\x93NUMPY\x09\x00" + npy([1.0], (1,))[8:],
    }
    for name, data in {**cases, **broken}.items():
        write("checkpoint", name, data)


if __name__ == "__main__":
    idx_corpus()
    checkpoint_corpus()
