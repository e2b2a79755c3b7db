"""One way in for every file an officer sends: spec → read → check → plan → apply.

- `spec`: one column specification (Chinese and English names, type, required, choices, range, the rule's
  words) and a file `Spec` made of them; the header of a file is mapped through it.
- `read`: one reader for CSV (UTF-8 or GB18030, detected from a sample) and XLSX (fastexcel / calamine,
  behind `preflight`), parameterised by the spec, within `Limits`.
- `parse`: the cell parsers every importer shares (one `parse_date`).
- `problems`: one row-problem type, the place and the rule of each refusal, ID-shaped values masked; the
  XLSX report.
- `rules`: the rules written once — the area rule, "empty means unchanged" with its explicit clear marker,
  "a masked ID means unchanged", all-or-nothing / valid-only / check.
- `steps`: every importer as `check(rows) → problems`, `plan(checked, stored) → Plan` (a pure diff),
  `apply(plan)` (one transaction, the audit rows), and `run`, their composition.

docs/architecture.md ("Importing") says where a new importer goes.
"""
