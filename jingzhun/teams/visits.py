"""Visit notes compared across households: one normalised digest per note, computed when it is written.

Copied notes (the same text pasted into many households' visits, with a space or a comma changed) are
found by grouping on this digest, an indexed column, instead of comparing texts in Python. Near-duplicates
beyond punctuation, spacing, case and full/half-width forms (a word changed) are not caught: that needs
shingling or MinHash over millions of notes, which an exact digest avoids; see docs/teams.md.
"""

from __future__ import annotations

import hashlib
import unicodedata

# Shorter normalised notes ("已走访", "正常") are too common to mean anything when repeated.
MIN_NOTE_CHARS = 10


def normalise_notes(text: str) -> str:
    """NFKC (full-width → half-width), case folded, only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def notes_key(text: str) -> str:
    """32 hex digits of SHA-256 of the normalised notes, or "" when they are too short to compare."""
    norm = normalise_notes(text or "")
    if len(norm) < MIN_NOTE_CHARS:
        return ""
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]
