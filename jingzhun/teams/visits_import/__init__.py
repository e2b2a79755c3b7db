"""Visits (入户走访) and attendance (驻村考勤) from officers' files: two importers on the one import subsystem
(`jingzhun.tabular`: spec → read → check → plan → apply, composed by `steps.run`).

- `shared`: what both share — the cadre a row names, the row cells and their problems, the time and
  duplicate rules, the set-based insert, the outcome the command, the demo and the tests read.
- `visits`: `import_visits`, its spec and its four steps.
- `attendance`: `import_attendance`, likewise.
"""

from jingzhun.teams.visits_import.attendance import import_attendance
from jingzhun.teams.visits_import.shared import ImportOutcome
from jingzhun.teams.visits_import.visits import import_visits

__all__ = ["ImportOutcome", "import_attendance", "import_visits"]
