"""Import of the cadre roster (帮扶干部名册) and work teams (驻村工作队) from the organisation department's file,
on the one import subsystem (`jingzhun.tabular`).

One row per cadre and posting: the cadre's own columns (personnel number, name, sending unit, rank, skills,
where they are stationed, status) and, when the cadre serves on a village work team, that membership's
columns (village, role, dates, how it ended, the reason of a recall, who took over). A cadre with
memberships in two teams, or two terms in one, has two rows; their cadre columns must agree.

Cadres are matched by personnel number (人员编号), memberships by (cadre, village's open team, start date):
a matched row that differs is an update, an unmatched one an insert; rows in the database that the file does
not mention are left as they are (a roster file need not list a whole province). The database constraints
(one serving first secretary per team, one open membership per cadre and team, a recall gives its reason,
end after start) are checked on the state the import would leave — the file laid over what is stored — and
reported as row problems before the database sees a single write.

- `spec.py`: the columns (the template and the demo's generator write from them); `template.py`: the blank
  template and its guide;
- `lines.py`: the file as lines and the problem report; `stored.py`: what the register holds, read once
  (four queries whatever the size);
- `check.py`: the rules of one row (clear markers, the area rule, empty = unchanged, cells, the row);
  `rows.py`: the rules across rows and the units valid-only keeps; `state.py`: the memberships as the
  import would leave them and the constraints on them;
- `plan.py`: the pure diff; `apply.py`: the set-based writes; `importer.py`: the four steps.

The public entry is `jingzhun.teams.roster_import.import_roster`.
"""
