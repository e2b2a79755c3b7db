"""Writes of visits and attendance through the one import subsystem: the API's record becomes a one-row file
in the importer's own columns and goes through `import_visits` / `import_attendance` with the user, so the
area rule, the checks, the refusal of a visit recorded twice and the audit row are the import's, not a copy.
The importer's row problems come back as the problem document's field errors."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jingzhun.api.problems import ApiProblem, bilingual, field_error
from jingzhun.tabular.spec import FileProblem, Spec, normalise_header
from jingzhun.teams.visits_import.shared import ImportOutcome

Importer = Callable[..., ImportOutcome]


def _field(spec: Spec, column: str, fields: dict[str, str]) -> str:
    """The API's field for a problem's column (a header, or "header / header" for a pair of columns)."""
    key = spec.lookup.get(normalise_header(column.split(" / ")[0]), column)
    return fields.get(key, key)


def run_one(importer: Importer, spec: Spec, row: dict[str, str], *, user: object, actor: str,
            fields: dict[str, str], recorded: Callable[[int], ApiProblem] | None = None,
            **options: Any) -> ImportOutcome:
    """Import `row` (column key → cell text) as a file of one row; 422 with the importer's reasons when it
    is refused. `fields`: column key → the API's field name, for the errors. `recorded`: the problem to
    raise, given the stored record's id, when the row's one reason is the importer's own rule that the
    record is stored already (a resend: the importer's rule, said as a conflict naming that record)."""
    with tempfile.TemporaryDirectory(prefix="jingzhun-api-") as folder:
        path = Path(folder) / f"api-{spec.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([c.key for c in spec.columns])
            writer.writerow([row.get(c.key, "") for c in spec.columns])
        try:
            outcome = importer(path, actor=actor, user=user, **options)
        except FileProblem as exc:
            zh, en = bilingual(str(exc))
            raise ApiProblem(422, "refused", str(exc), [field_error("", "file", zh, en)]) from exc
    # One row: when it is among the rows refused as stored already, that refusal is one of its errors; when
    # it is the only one, the record is otherwise good and the answer is the record already there.
    if recorded is not None and len(outcome.errors) == 1 and outcome.recorded:
        raise recorded(next(iter(outcome.recorded.values())))
    if outcome.errors:
        errors = []
        for p in outcome.errors:
            zh, en = bilingual(p.rule)
            errors.append(field_error(_field(spec, p.column, fields), "import", zh, en))
        raise ApiProblem(422, "refused", "记录未通过校验，未写入 / the record was refused: nothing was written", errors)
    return outcome
