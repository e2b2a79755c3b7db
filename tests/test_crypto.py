"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256), checked against an independent
derivation with the `cryptography` and `hmac` libraries, as the module docstring documents it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jingzhun import crypto
from jingzhun.crypto import KEY_ENV, FieldCipher, MissingKey

MASTER = base64.b64encode(bytes(range(32))).decode()  # a fixed key, so the test is reproducible
RID = "11010519491231002X"


def derive(info: bytes, master_b64: str = MASTER) -> bytes:
    """HKDF-SHA256, no salt, 32 bytes, the documented info strings — computed here independently."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(base64.b64decode(master_b64))


# --------------------------------------------------------------------------- encryption


def test_round_trip():
    cipher = FieldCipher("resident_id", MASTER)
    assert cipher.decrypt(cipher.encrypt(RID)) == RID


def test_round_trip_of_chinese_text_and_empty_string():
    cipher = FieldCipher("health", MASTER)
    for value in ["残疾:2", "", "王𠮷"]:
        assert cipher.decrypt(cipher.encrypt(value)) == value


def test_two_encryptions_of_the_same_value_differ():
    cipher = FieldCipher("resident_id", MASTER)
    assert cipher.encrypt(RID) != cipher.encrypt(RID)


def test_ciphertext_layout_is_version_nonce_then_aes_gcm_with_column_as_associated_data():
    # Decrypt with an AES-GCM key derived independently: proves the layout and the key schedule.
    blob = FieldCipher("resident_id", MASTER).encrypt(RID)
    assert blob[:1] == b"\x01"
    nonce, body = blob[1:13], blob[13:]
    assert len(body) == len(RID) + 16  # ciphertext + 16-byte tag
    aes = AESGCM(derive(b"jingzhun field encryption v1"))
    assert aes.decrypt(nonce, body, b"resident_id").decode() == RID


def test_ciphertext_does_not_contain_the_plain_value():
    assert RID.encode() not in FieldCipher("resident_id", MASTER).encrypt(RID)


def test_ciphertext_of_one_column_does_not_decrypt_as_another():
    blob = FieldCipher("resident_id", MASTER).encrypt(RID)
    with pytest.raises(InvalidTag):
        FieldCipher("health", MASTER).decrypt(blob)


def test_ciphertext_under_another_key_is_rejected():
    other = base64.b64encode(bytes(range(1, 33))).decode()
    blob = FieldCipher("resident_id", MASTER).encrypt(RID)
    with pytest.raises(InvalidTag):
        FieldCipher("resident_id", other).decrypt(blob)


@pytest.mark.parametrize("position", [1, 5, 13, -1])  # nonce, nonce, ciphertext, tag
def test_tampered_ciphertext_is_rejected(position):
    blob = bytearray(FieldCipher("resident_id", MASTER).encrypt(RID))
    blob[position] ^= 0x01
    with pytest.raises(InvalidTag):
        FieldCipher("resident_id", MASTER).decrypt(bytes(blob))


def test_unknown_version_byte_is_rejected():
    blob = bytearray(FieldCipher("resident_id", MASTER).encrypt(RID))
    blob[0] = 2
    with pytest.raises(ValueError, match="version"):
        FieldCipher("resident_id", MASTER).decrypt(bytes(blob))


def test_decrypt_accepts_memoryview_from_the_database():
    cipher = FieldCipher("resident_id", MASTER)
    assert cipher.decrypt(memoryview(cipher.encrypt(RID))) == RID


# --------------------------------------------------------------------------- blind index


def test_blind_index_is_equal_for_equal_values():
    cipher = FieldCipher("resident_id", MASTER)
    assert cipher.index(RID) == cipher.index(RID)
    assert cipher.index(RID) != cipher.index("440524188001010014")


def test_blind_index_is_truncated_hmac_sha256_with_the_hkdf_index_key():
    key = derive(b"jingzhun blind index v1")
    expected = hmac.new(key, RID.encode("utf-8"), hashlib.sha256).digest()[:16]
    assert FieldCipher("resident_id", MASTER).index(RID) == expected


def test_blind_index_of_chinese_and_empty_text_matches_hmac():
    key = derive(b"jingzhun blind index v1")
    cipher = FieldCipher("x", MASTER)
    for value in ["", "张德明", "a" * 200]:  # 200 bytes: longer than one SHA-256 block
        assert cipher.index(value) == hmac.new(key, value.encode(), hashlib.sha256).digest()[:16]


def test_index_key_is_not_the_encryption_key():
    assert derive(b"jingzhun blind index v1") != derive(b"jingzhun field encryption v1")
    plain_hmac_with_aes_key = hmac.new(derive(b"jingzhun field encryption v1"), RID.encode(), hashlib.sha256)
    assert FieldCipher("resident_id", MASTER).index(RID) != plain_hmac_with_aes_key.digest()[:16]


def test_blind_index_depends_on_the_master_key():
    other = base64.b64encode(bytes(range(1, 33))).decode()
    assert FieldCipher("resident_id", MASTER).index(RID) != FieldCipher("resident_id", other).index(RID)


# --------------------------------------------------------------------------- batch versions


def test_encrypt_many_agrees_with_encrypt():
    cipher = FieldCipher("resident_id", MASTER)
    values = [RID, "440524188001010014", "", "张德明"]
    blobs = cipher.encrypt_many(values)
    assert [cipher.decrypt(b) for b in blobs] == values
    assert len({b[1:13] for b in blobs}) == len(values)  # a fresh nonce for each value
    assert [len(b) for b in blobs] == [len(cipher.encrypt(v)) for v in values]


def test_encrypt_many_binds_the_column():
    blobs = FieldCipher("resident_id", MASTER).encrypt_many([RID])
    with pytest.raises(InvalidTag):
        FieldCipher("health", MASTER).decrypt(blobs[0])


def test_index_many_agrees_with_index():
    cipher = FieldCipher("resident_id", MASTER)
    values = [RID, "440524188001010014", "", "张德明", RID]
    assert cipher.index_many(values) == [cipher.index(v) for v in values]


def test_batch_versions_of_nothing_are_empty():
    cipher = FieldCipher("resident_id", MASTER)
    assert cipher.encrypt_many([]) == [] and cipher.index_many([]) == []


# --------------------------------------------------------------------------- the key


def test_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(KEY_ENV, MASTER)
    assert crypto.resident_id_cipher().index(RID) == FieldCipher("resident_id", MASTER).index(RID)
    assert FieldCipher("health", MASTER).decrypt(crypto.health_cipher().encrypt("健康:")) == "健康:"


def test_missing_key_is_refused_with_instructions(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(MissingKey, match=f"{KEY_ENV} is not set") as info:
        crypto.resident_id_cipher()
    assert "jingzhun newkey" in str(info.value)


def test_empty_key_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "")
    with pytest.raises(MissingKey, match="not set"):
        crypto.health_cipher()


def test_short_key_is_refused_naming_its_length(monkeypatch):
    monkeypatch.setenv(KEY_ENV, base64.b64encode(os.urandom(16)).decode())
    with pytest.raises(MissingKey, match="must decode to 32 bytes, got 16"):
        crypto.resident_id_cipher()


def test_key_that_is_not_base64_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "not base64 at all!")
    with pytest.raises(MissingKey, match="not valid base64"):
        crypto.resident_id_cipher()


def test_new_master_key_is_32_random_bytes():
    a, b = crypto.new_master_key(), crypto.new_master_key()
    assert len(base64.b64decode(a, validate=True)) == 32
    assert a != b
    FieldCipher("x", a).index("ok")  # accepted as a key


def test_index_many_fixed_in_worker_processes_agrees_with_one_process(monkeypatch):
    """The department lists' blind indexes go through a `Batch` (the one worker mechanism)."""
    from jingzhun import crypto

    monkeypatch.setattr(crypto, "PARALLEL_FROM", 10)
    values = [f"4301021990010{i:05d}" for i in range(1001)]
    cipher = crypto.FieldCipher("resident_id")
    assert crypto.index_many_fixed("resident_id", values, 18) == cipher.index_many(values)
    assert [cipher.index(v) for v in values[:3]] == cipher.index_many(values[:3])
    with pytest.raises(ValueError, match="18 ASCII"):
        crypto.index_many_fixed("resident_id", ["short"], 18)


@pytest.mark.parametrize("workers", [1, 3])
def test_batch_of_fixed_width_values_agrees_with_index_and_encrypt(monkeypatch, workers):
    import numpy as np

    monkeypatch.setenv(crypto.KEY_ENV, MASTER)
    monkeypatch.setattr(crypto, "PARALLEL_FROM", 2)
    cipher = FieldCipher("resident_id", MASTER)
    values = [f"1101051949123{k:04d}X" for k in range(7)]
    fixed = np.array(values, dtype="S18").view(np.uint8).reshape(-1, 18)
    batch = crypto.Batch("resident_id", fixed, index=True, encrypt=True, workers=workers)
    assert batch.index().to_pylist() == [cipher.index(v) for v in values]
    blobs = batch.ciphers().to_pylist()
    assert [cipher.decrypt(b) for b in blobs] == values
    assert len({b[1:13] for b in blobs}) == len(values)  # a fresh nonce each


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_of_codes_encrypts_each_value_with_its_own_nonce(monkeypatch, workers):
    import numpy as np

    monkeypatch.setenv(crypto.KEY_ENV, MASTER)
    monkeypatch.setattr(crypto, "PARALLEL_FROM", 2)
    cipher = FieldCipher("health", MASTER)
    texts = ["healthy:", "disabled:2", "慢性病:"]
    codes = np.array([1, 0, 2, 2, 1], dtype=np.int32)
    blobs = crypto.Batch("health", codes=codes, texts=texts, encrypt=True, workers=workers).ciphers().to_pylist()
    assert [cipher.decrypt(b) for b in blobs] == [texts[c] for c in codes]
    assert len({b[1:13] for b in blobs}) == len(codes)
    with pytest.raises(ValueError):
        crypto.Batch("health", codes=codes, texts=texts, encrypt=True).index()
