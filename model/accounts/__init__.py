"""Accounts and organizations as input: snapshots (``snapshot.py``), the readers of AWS's own
outputs, and the access graph decided by the model (docs/accounts.md)."""

from .snapshot import (
    FORMAT,
    SESSION_NAME,
    Account,
    Group,
    ManagedPolicy,
    OidcProvider,
    Organization,
    OrgPolicy,
    OrgUnit,
    Role,
    SamlProvider,
    Snapshot,
    User,
    dump_snapshot,
    load_snapshot,
)

__all__ = [
    "FORMAT",
    "SESSION_NAME",
    "Account",
    "Group",
    "ManagedPolicy",
    "OidcProvider",
    "OrgPolicy",
    "OrgUnit",
    "Organization",
    "Role",
    "SamlProvider",
    "Snapshot",
    "User",
    "dump_snapshot",
    "load_snapshot",
]
