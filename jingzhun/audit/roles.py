"""PostgreSQL roles for an audit log the application cannot rewrite (docs/security.md, "Audit log").

The application's role owns the application's tables — the import drops and rebuilds indexes and keys,
identification attaches partitions, and only an owner may — so the audit tables are given to a role of
their own. The application keeps SELECT and INSERT on the rows (and the chain head's UPDATE, which every
append needs) and loses everything else: no UPDATE, DELETE or TRUNCATE, and not being the owner it cannot
disable or drop the triggers either. Pruning, and migrations that change the audit tables, run as the audit
owner (a login kept for that job only); the triggers still hold for it, and the keyed chain shows anything
even a superuser does.
"""

from __future__ import annotations

import re

TABLES = ("audit_auditentry", "audit_auditarea", "audit_chainhead")
FUNCTIONS = ("audit_refuse()", "audit_delete_old()", "audit_area_delete_old()", "audit_delete_prefix()")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(role: str) -> str:
    if not ROLE_NAME.match(role):
        raise ValueError(f"角色名 {role!r} 无效（小写字母、数字、下划线）/ invalid role name {role!r} "
                         f"(lower-case letters, digits and _)")
    return role


def grants(app_role: str, owner_role: str = "jingzhun_audit") -> list[str]:
    """The statements (run once after `migrate`, by a superuser or the tables' owner) that hand the audit
    tables to `owner_role` and leave `app_role` only what appending and reading need."""
    app, owner = _checked(app_role), _checked(owner_role)
    if app == owner:
        raise ValueError("应用角色与审计所有者必须不同 / the app role and the audit owner must differ")
    tables = ", ".join(TABLES)
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{owner}') THEN "
        f"CREATE ROLE {owner} NOLOGIN; END IF; END $$",
        *(f"ALTER TABLE {t} OWNER TO {owner}" for t in TABLES),
        *(f"ALTER FUNCTION {f} OWNER TO {owner}" for f in FUNCTIONS),
        f"REVOKE ALL ON {tables} FROM PUBLIC, {app}",
        f"GRANT SELECT, INSERT ON audit_auditentry, audit_auditarea TO {app}",
        f"GRANT SELECT, INSERT, UPDATE ON audit_chainhead TO {app}",
        *(f"GRANT USAGE ON SEQUENCE {seq} TO {app}" for seq in (
            "audit_auditentry_id_seq", "audit_auditarea_id_seq", "audit_chainhead_id_seq")),
    ]
