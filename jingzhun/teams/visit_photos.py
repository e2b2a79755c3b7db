"""A visit's photos as bytes (the phone app's): checked against the SHA-256 the phone computed, kept on the
`VisitPhoto` row the visit's import made for that digest, and read back only through a scoped query.

The phone resizes each photo to at most 1600 px as a JPEG before sending, so a photo is small; one larger
than `MAX_BYTES`, not a JPEG, or whose bytes do not hash to the declared digest is refused — a swapped or
damaged file must never stand as the visit's evidence."""

from __future__ import annotations

import base64
import binascii
import hashlib

from django.db.models import QuerySet

from jingzhun import access
from jingzhun.teams.models import VisitPhoto

MAX_BYTES = 2 * 1024 * 1024  # a 1600 px JPEG is a few hundred kilobytes
JPEG_START, JPEG_END = b"\xff\xd8\xff", b"\xff\xd9"


class PhotoRefused(ValueError):
    """The photo's bytes are not what was declared; nothing is kept."""


def decoded(text: str, sha256: str) -> bytes:
    """The bytes of a base64 JPEG whose SHA-256 is `sha256` (hex); PhotoRefused otherwise."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PhotoRefused("照片数据不是有效的 base64 / the photo is not valid base64") from None
    return checked(data, sha256)


def checked(data: bytes, sha256: str) -> bytes:
    if not data:
        raise PhotoRefused("照片为空 / the photo is empty")
    if len(data) > MAX_BYTES:
        raise PhotoRefused(f"照片超过 {MAX_BYTES // 1024 // 1024} MB，请在手机上压缩后再传 / the photo is over "
                           f"{MAX_BYTES // 1024 // 1024} MB")
    if not (data.startswith(JPEG_START) and data.rstrip(b"\x00").endswith(JPEG_END)):
        raise PhotoRefused("照片应为 JPEG 图像 / the photo must be a JPEG image")
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise PhotoRefused("照片内容与其 SHA-256 不符（文件被替换或损坏）/ the photo's bytes do not match its "
                           "SHA-256 (swapped or damaged)")
    return data


def store(visit_id: int, photos: dict[str, bytes]) -> int:
    """Keep the bytes on the visit's photo rows, by digest (the import made the rows); the count kept."""
    kept = 0
    for digest, data in photos.items():
        kept += VisitPhoto.objects.filter(visit_id=visit_id, sha256=digest.lower()).update(data=data, size=len(data))
    return kept


def visible(user: object) -> QuerySet[VisitPhoto]:
    """Photos of the visits to households the user may see (the access layer's household rule, in SQL)."""
    return access.households(VisitPhoto.objects.all(), user, "visit__household__")
