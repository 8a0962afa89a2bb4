#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the NumPy-written fixture files NpzTest.cpp reads.

    /usr/bin/python3 unittests/Support/make_npz_fixtures.py

writes them into unittests/Support/Inputs/ (each well under 10 KB). The
outputs are committed: the unit tests must not need Python or NumPy. The
values are simple formulas that NpzTest.cpp recomputes; keep the two in sync.
"""

import io
import os
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Inputs")

# name -> array; NpzTest.cpp checks these exact values.
ALL_DTYPES = {
    "f4": (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5),
    "f8": (np.arange(6, dtype=np.float64).reshape(3, 2) * 0.25),
    "f2": (np.arange(4, dtype=np.float16) - 1.5),
    "u1": np.arange(250, 256, dtype=np.uint8),
    "i1": np.arange(-3, 3, dtype=np.int8),
    "u2": np.array([0, 1, 65535], dtype=np.uint16),
    "i2": np.array([-32768, 0, 32767], dtype=np.int16),
    "u4": np.array([0, 4294967295], dtype=np.uint32),
    "i4": np.array([[-2147483648], [2147483647]], dtype=np.int32),
    "u8": np.array([0, 18446744073709551615], dtype=np.uint64),
    "i8": np.array([-9223372036854775808, 9223372036854775807],
                   dtype=np.int64),
    "b1": np.array([[True, False], [False, True]]),
    "scalar": np.array(7.5, dtype=np.float32),  # 0-d
    "empty": np.zeros((0, 3), dtype=np.float32),
}


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 10 * 1024, name


def npy_bytes(array, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)

    # np.savez (stored, with zip64 extras in the local headers) and
    # np.savez_compressed (deflate).
    for name, fn in (("all_dtypes.npz", np.savez),
                     ("all_dtypes_compressed.npz", np.savez_compressed)):
        buf = io.BytesIO()
        fn(buf, **ALL_DTYPES)
        write(name, buf.getvalue())

    # Written to a stream that cannot seek: sizes and CRCs follow the data
    # in data descriptors, and the local headers hold zeros.
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    stream = Unseekable()
    np.savez_compressed(stream, a=ALL_DTYPES["i4"], b=ALL_DTYPES["f2"])
    write("streamed.npz", bytes(stream.data))

    # An archive comment after the central directory.
    buf = io.BytesIO()
    np.savez(buf, a=ALL_DTYPES["i4"])
    with zipfile.ZipFile(buf, "a") as z:
        z.comment = b"made by make_npz_fixtures.py"
    write("comment.npz", buf.getvalue())

    # Positional arrays are named arr_0, arr_1, ...
    buf = io.BytesIO()
    np.savez(buf, np.array([1, 2, 3], dtype=np.int32), np.float64(2.0))
    write("positional.npz", buf.getvalue())

    # .npy format versions.
    a = ALL_DTYPES["f4"]
    write("v1.npy", npy_bytes(a, (1, 0)))
    write("v2.npy", npy_bytes(a, (2, 0)))
    write("v3.npy", npy_bytes(a, (3, 0)))

    # Things the reader must reject.
    write("fortran.npy", npy_bytes(np.asfortranarray(a)))
    write("big_endian.npy", npy_bytes(a.astype(">f4")))
    write("unicode.npy", npy_bytes(np.array(["ab", "c"])))
    write("structured.npy",
          npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])))
    write("complex.npy", npy_bytes(np.zeros(2, dtype=np.complex64)))

    def zip_bytes(entries, compression=zipfile.ZIP_STORED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=compression) as z:
            for entry_name, data in entries:
                z.writestr(entry_name, data)
        return buf.getvalue()

    one = npy_bytes(np.array([1, 2], dtype=np.int8))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate
        write("duplicate.npz", zip_bytes([("x.npy", one), ("x.npy", one)]))
    write("not_npy_entry.npz",
          zip_bytes([("x.npy", one), ("notes.txt", b"hello\n")]))
    write("bzip2.npz", zip_bytes([("x.npy", one)], zipfile.ZIP_BZIP2))
    bad_bool = bytearray(npy_bytes(np.array([True, False, True])))
    bad_bool[-2] = 2
    write("bad_bool.npy", bytes(bad_bool))


if __name__ == "__main__":
    main()
