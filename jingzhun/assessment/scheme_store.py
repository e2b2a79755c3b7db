"""Schemes as the application uses them: checked against the indicator catalogue (its codes per unit type and
its directions), the shipped files and the ones officers upload (stored, audited, listed, used for scoring).

A scheme is named by a reference: ``file:helper.toml`` for a shipped file, ``upload:12`` for an uploaded one.
An uploaded scheme belongs to its uploader's area: it is offered to users whose areas lie in that area or
contain it (a province's scheme to its counties, a county's to the province's officers), never elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jingzhun import access
from jingzhun.areas.models import LEVEL_DIGITS
from jingzhun.assessment import catalogue, schemes
from jingzhun.assessment.models import SchemeFile
from jingzhun.audit.log import record
from jingzhun.identity import mask_id_like

MAX_BYTES = 200_000  # a scheme is a page of TOML; anything larger is not one


def known_codes() -> dict[str, set[str]]:
    """The catalogue's indicator codes by the scheme unit types (county … cadre)."""
    return {unit: {i.code for i in catalogue.for_unit(unit)} for unit in schemes.UNIT_TYPES}


def directions() -> dict[str, str]:
    return {i.code: i.direction for i in catalogue.CATALOGUE}


def parse(text: str, name: str) -> schemes.Scheme:
    """`text` checked as a scheme and against the catalogue; SchemeError naming every problem."""
    return schemes.parse_scheme(text, name, known_codes=known_codes(), directions=directions())


def load(path: str | Path) -> schemes.Scheme:
    return schemes.load_scheme(path, known_codes=known_codes(), directions=directions())


@dataclass(frozen=True)
class Stored:
    """A scheme ready to score with: its reference, text and parsed form."""

    ref: str
    text: str
    scheme: schemes.Scheme

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def shipped() -> list[Stored]:
    out = []
    for path in schemes.shipped():
        text = path.read_text(encoding="utf-8")
        out.append(Stored(f"file:{path.name}", text, parse(text, path.name)))
    return out


def _ancestors(code: str) -> list[str]:
    return [code[:digits].ljust(12, "0") for digits in LEVEL_DIGITS.values()]


def visible(user: object | None) -> QuerySet[SchemeFile]:
    """The uploaded schemes `user` may use (None: the system, all), in SQL."""
    qs = SchemeFile.objects.all()
    if user is None:
        return qs
    found = access.grants(user)
    if found is None:
        return qs
    mine = [g for g in found if "assess" in access.ABILITIES.get(g.role, frozenset())]
    q = Q(area_code="") | (access.area_q(user, "area_code", "assess") or Q())
    above = {code for g in mine for code in _ancestors(g.area_code)}
    return qs.filter(q | Q(area_code__in=above)) if mine else qs.none()


def available(user: object | None) -> list[Stored]:
    """The shipped schemes, then the uploaded ones `user` may use (newest first)."""
    out = shipped()
    for row in visible(user)[:200]:
        out.append(Stored(f"upload:{row.pk}", row.text, parse(row.text, row.file_name)))
    return out


def get(ref: str, user: object | None) -> Stored:
    """The scheme named `ref`; LookupError when there is none the user may use (the same answer for both)."""
    kind, _, name = ref.partition(":")
    if kind == "file":
        for item in shipped():
            if item.ref == ref:
                return item
    elif kind == "upload" and name.isdigit():
        row = visible(user).filter(pk=int(name)).first()
        if row is not None:
            return Stored(ref, row.text, parse(row.text, row.file_name))
    raise LookupError(f"没有考核方案 {ref} / no scheme {ref}")


def upload(user: object, file_name: str, data: bytes, *, actor: str) -> SchemeFile:
    """Check and store an officer's scheme file, audited. SchemeError (every problem named) when it is not a
    usable scheme; nothing is stored then."""
    # Kept, shown and audited: an ID typed into the file's name is masked, as for the register's uploads.
    name = mask_id_like(Path(file_name or "scheme.toml").name)[:200]
    if len(data) > MAX_BYTES:
        raise schemes.SchemeError(name, [schemes.Problem("", f"文件超过 {MAX_BYTES} 字节 / the file is larger than "
                                                             f"{MAX_BYTES} bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise schemes.SchemeError(name, [schemes.Problem("", "文件须为 UTF-8 编码的 TOML / the file must be TOML in "
                                                             "UTF-8")]) from None
    scheme = parse(text, name)
    home = access.home_area(user, ability="assess")
    if home == "":
        raise PermissionError("没有考核权限 / no assessment role")
    with transaction.atomic():
        row = SchemeFile.objects.create(
            name_zh=scheme.name_zh[:200], name_en=scheme.name_en[:200], unit_type=scheme.unit, year=scheme.year,
            file_name=name, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), area_code=home or "",
            uploaded_by=actor, uploaded_at=timezone.now())
        record(actor, "assessment.scheme.upload", object_type="assessment_scheme", object_id=str(row.pk),
               area=row.area_code, file=name, sha256=row.sha256, unit_type=scheme.unit, year=scheme.year)
    return row
