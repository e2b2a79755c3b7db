"""Field encryption and blind indexes for sensitive personal information (PIPL).

One master key from the environment (JINGZHUN_MASTER_KEY, 32 bytes, base64) is stretched with HKDF
into an AES-256-GCM key for the values and an HMAC-SHA256 key for the blind index, so the two can
never be the same key by mistake. The key is never stored with the data or in the repository.

Ciphertext layout: version byte (1) | 12-byte random nonce | AES-GCM ciphertext and tag. The column
name is bound as associated data, so a resident ID cannot be pasted into the health column.

The blind index is HMAC-SHA256 over the normalised value, truncated to 16 bytes: equal numbers give
equal indexes (exact search, duplicate detection, cross-department matching) while the index alone
reveals nothing without the key. HMAC is computed from precomputed pads because `hmac.digest`
re-derives them every call, which dominates a 3.5 M-row import.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pickle
import secrets
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ENV = "JINGZHUN_MASTER_KEY"
VERSION = b"\x01"
NONCE_BYTES = 12
INDEX_BYTES = 16


class MissingKey(RuntimeError):
    pass


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@lru_cache(maxsize=4)
def _keys(master_b64: str) -> tuple[AESGCM, bytes]:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise MissingKey(f"{KEY_ENV} is not valid base64") from None
    if len(master) != 32:
        raise MissingKey(f"{KEY_ENV} must decode to 32 bytes, got {len(master)}")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return AESGCM(derive(b"jingzhun field encryption v1")), derive(b"jingzhun blind index v1")


def master_key() -> str:
    """The deployment's master key (base64), from the environment; every key the product uses is derived from it."""
    value = os.environ.get(KEY_ENV, "")
    if not value:
        raise MissingKey(
            f"{KEY_ENV} is not set: sensitive fields cannot be encrypted. Generate one with "
            "`jingzhun newkey` and keep it outside the repository."
        )
    return value


class FieldCipher:
    """Encrypts, decrypts and indexes values of one column."""

    def __init__(self, column: str, master_b64: str | None = None):
        self.aad = column.encode("utf-8")
        self.aes, index_key = _keys(master_b64 or master_key())
        block = index_key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def encrypt(self, value: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self.aes.encrypt(nonce, value.encode("utf-8"), self.aad)

    def decrypt(self, blob: bytes) -> str:
        blob = bytes(blob)
        if blob[:1] != VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        return self.aes.decrypt(nonce, body, self.aad).decode("utf-8")

    def index(self, value: str) -> bytes:
        return _indexes(self, [value.encode("utf-8")])[0]

    def encrypt_many(self, values: Iterable[str]) -> list[bytes]:
        return _ciphertexts(self, [v.encode("utf-8") for v in values])

    def index_many(self, values: Iterable[str]) -> list[bytes]:
        return _indexes(self, [v.encode("utf-8") for v in values])


# The one HMAC loop and the one AES-GCM loop: every blind index and every ciphertext of the product is made
# by these two, in this process or in a `Batch`'s workers.


def _indexes(cipher: FieldCipher, values: Sequence[bytes]) -> list[bytes]:
    """HMAC-SHA-256 from the precomputed pads (`hmac.digest` would redo them for every value)."""
    inner0, outer0 = cipher._inner, cipher._outer
    out = []
    for v in values:
        inner = inner0.copy()
        inner.update(v)
        outer = outer0.copy()
        outer.update(inner.digest())
        out.append(outer.digest()[:INDEX_BYTES])
    return out


def _ciphertexts(cipher: FieldCipher, values: Sequence[bytes]) -> list[bytes]:
    """AES-GCM with a fresh random nonce for every value (the nonces drawn in one call)."""
    nonces = os.urandom(NONCE_BYTES * len(values))
    enc, aad = cipher.aes.encrypt, cipher.aad
    out = []
    for k, v in enumerate(values):
        nonce = nonces[k * NONCE_BYTES : (k + 1) * NONCE_BYTES]
        out.append(VERSION + nonce + enc(nonce, v, aad))
    return out


PARALLEL_FROM = 200_000  # below this, starting a worker process costs more than it saves


def _worker() -> None:
    """`python -m jingzhun.crypto COLUMN batch`: one share of a `Batch`, bytes in, bytes out."""
    column, operation = sys.argv[1:3]
    if operation != "batch":
        raise SystemExit(f"unknown operation {operation!r}")
    header = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(_batch_share(FieldCipher(column), header, sys.stdin.buffer.read()))


def index_many_fixed(column: str, values: Sequence[str], width: int) -> list[bytes]:
    """The blind indexes of many values of one width (resident IDs: 18), computed by a `Batch` — across
    worker processes when there are many."""
    if not values:
        return []
    data = b"".join(v.encode("ascii") for v in values)
    if len(data) != width * len(values):
        raise ValueError(f"every value must be {width} ASCII characters")
    batch = Batch(column, np.frombuffer(data, dtype=np.uint8).reshape(len(values), width), index=True)
    try:
        return batch.index().to_pylist()
    finally:
        batch.close()


# --- batches in the background, as raw bytes ----------------------------------------------------

TAG_BYTES = 16
OVERHEAD = len(VERSION) + NONCE_BYTES + TAG_BYTES  # ciphertext length = plaintext length + this


def _batch_share(cipher: FieldCipher, header: dict[str, Any], data: bytes) -> bytes:
    """One share of a `Batch`: blind indexes (16 bytes each) then ciphertexts, concatenated."""
    out = []
    if header["codes"] is not None:
        plain = [t.encode("utf-8") for t in header["codes"]]
        values: Any = [plain[c] for c in np.frombuffer(data, dtype=np.int32).tolist()]
    else:
        width = header["width"]
        values = [data[i : i + width] for i in range(0, len(data), width)]
    if header["index"]:
        out.append(b"".join(_indexes(cipher, values)))
    if header["encrypt"]:
        out.append(b"".join(_ciphertexts(cipher, values)))
    return b"".join(out)


class Batch:
    """Blind indexes and/or ciphertexts of many values, computed by worker processes while the
    caller goes on with other work; `index()` and `ciphers()` wait for them.

    Values travel as raw bytes both ways, never as Python objects in this process: either
    fixed-width text (an (n, width) uint8 array, e.g. resident IDs as 18 bytes each) or codes into a
    short list of texts (`codes`, `texts`: a column with few distinct values such as health status;
    every value still gets its own random nonce). Results are Arrow arrays: indexes as 16-byte
    fixed-size binary, ciphertexts as binary, in the order of the values. Small batches are computed
    here and now; large ones are split among `workers` processes (fresh interpreters running this
    module: a forked child would inherit Arrow's and DuckDB's thread pools mid-flight, and
    multiprocessing's spawn would re-run the caller's main script in each worker).
    """

    def __init__(self, column: str, values: np.ndarray | None = None, *, codes: np.ndarray | None = None,
                 texts: Sequence[str] | None = None, index: bool = False, encrypt: bool = False,
                 workers: int | None = None):
        if (values is None) == (codes is None):
            raise ValueError("give either fixed-width values or codes and texts")
        self.n = len(values) if values is not None else len(codes)  # type: ignore[arg-type]
        self.width = 0 if values is None else int(values.shape[1])
        self.texts = None if texts is None else list(texts)
        self.want_index, self.want_cipher = index, encrypt
        header = {"width": self.width, "codes": self.texts, "index": index, "encrypt": encrypt}
        self._plain: np.ndarray | None = None
        if values is not None:
            rows = np.ascontiguousarray(values, dtype=np.uint8)
        else:
            rows = np.ascontiguousarray(codes, dtype=np.int32)
            self._plain = np.array([len(t.encode("utf-8")) for t in self.texts or []], dtype=np.int64)[rows]
        self._sizes: list[int] = []
        self._replies: list[Any] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        self._pool: ThreadPoolExecutor | None = None
        workers = workers or os.cpu_count() or 1
        if workers < 2 or self.n < PARALLEL_FROM:
            self._sizes = [self.n]
            self._done: list[bytes] | None = [_batch_share(FieldCipher(column), header, rows.tobytes())]
            return
        self._done = None
        step = -(-self.n // workers)
        env = _worker_env()
        self._pool = ThreadPoolExecutor(workers)
        for start in range(0, self.n, step):
            share = rows[start : start + step]
            proc = subprocess.Popen([sys.executable, "-m", "jingzhun.crypto", column, "batch"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            self._procs.append(proc)
            self._sizes.append(len(share))
            # A thread per worker moves the bytes (a full pipe would block this thread otherwise).
            self._replies.append(self._pool.submit(
                proc.communicate, pickle.dumps(header, pickle.HIGHEST_PROTOCOL) + share.tobytes()))

    def _outputs(self) -> list[bytes]:
        if self._done is None:
            done = []
            try:
                for proc, reply in zip(self._procs, self._replies):
                    stdout, _ = reply.result()
                    if proc.returncode:
                        raise RuntimeError(f"encryption worker failed (exit {proc.returncode})")
                    done.append(stdout)
            finally:
                self.close()
            self._done = done
        return self._done

    def index(self) -> pa.Array:
        if not self.want_index:
            raise ValueError("this batch computes no blind index")
        import pyarrow as pa

        parts = [out[: size * INDEX_BYTES] for out, size in zip(self._outputs(), self._sizes)]
        return pa.FixedSizeBinaryArray.from_buffers(pa.binary(INDEX_BYTES), self.n, [None, pa.py_buffer(b"".join(parts))])

    def ciphers(self) -> pa.Array:
        """Ciphertexts as binary."""
        if not self.want_cipher:
            raise ValueError("this batch encrypts nothing")
        import pyarrow as pa

        skip = INDEX_BYTES if self.want_index else 0
        data = b"".join(out[size * skip :] for out, size in zip(self._outputs(), self._sizes))
        if self.texts is None:
            fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(self.width + OVERHEAD), self.n,
                                                         [None, pa.py_buffer(data)])
            return fixed.cast(pa.binary())
        assert self._plain is not None
        lengths = self._plain
        offsets = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(lengths + OVERHEAD, out=offsets[1:])
        if offsets[-1] != len(data):
            raise RuntimeError("encryption workers returned the wrong number of bytes")
        kind, width = (pa.binary(), np.int32) if offsets[-1] < 2**31 else (pa.large_binary(), np.int64)
        return pa.Array.from_buffers(kind, self.n, [None, pa.py_buffer(offsets.astype(width)), pa.py_buffer(data)])

    def close(self) -> None:
        """Stop whatever is still running and let go of the results (the caller has what it needs)."""
        self._done = [b""] * len(self._sizes)
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._procs = []


def _worker_env() -> dict[str, str]:
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {**os.environ, KEY_ENV: master_key(),
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}


def resident_id_cipher() -> FieldCipher:
    return FieldCipher("resident_id")


def health_cipher() -> FieldCipher:
    return FieldCipher("health")


if __name__ == "__main__":
    _worker()
