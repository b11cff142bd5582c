"""The access policy table, one test per (role × operation) cell.

Every cell is checked against a fixed world of targets around the principal: which targets the
cell's scope admits must follow the scope semantics documented in policy.py, and the in-memory
`within` check must agree with the `Visibility` filter the repositories turn into SQL.
"""

from __future__ import annotations

import itertools

import pytest

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import (
    POLICY,
    Operation,
    Scope,
    Target,
    Visibility,
    scope_for,
    within,
)
from yiyangkang.domain.identity.principal import Principal

OWN_ACCOUNT = "acc-me"

# The world as seen by a principal of institution X (path /r/x/) who acts for elder E.
WORLD: dict[str, Target] = {
    "institution X": Target(institution_id="x", institution_path="/r/x/"),
    "subordinate X1": Target(institution_id="x1", institution_path="/r/x/x1/"),
    "sibling Y": Target(institution_id="y", institution_path="/r/y/"),
    "parent R": Target(institution_id="r", institution_path="/r/"),
    "unrelated Z": Target(institution_id="z", institution_path="/z/"),
    # A sibling whose id starts like X's: the path prefix must not leak into it.
    "look-alike XX": Target(institution_id="xx", institution_path="/r/xx/"),
    "linked elder E": Target(institution_id="x", institution_path="/r/x/", elder_id="e"),
    "unlinked elder E2": Target(institution_id="x", institution_path="/r/x/", elder_id="e2"),
    "elder in X1": Target(institution_id="x1", institution_path="/r/x/x1/", elder_id="e3"),
    "elder in Y": Target(institution_id="y", institution_path="/r/y/", elder_id="e4"),
    "own account": Target(account_id=OWN_ACCOUNT),
    "other account": Target(account_id="acc-other"),
}

IN_X = {"institution X", "linked elder E", "unlinked elder E2"}
IN_SUBTREE = IN_X | {"subordinate X1", "elder in X1"}

# The documented meaning of each scope, spelled out over the world above.
EXPECTED: dict[Scope, set[str]] = {
    Scope.ALL: set(WORLD),
    Scope.SUBTREE: IN_SUBTREE,
    Scope.INSTITUTION: IN_X,
    Scope.LINKED: {"linked elder E"},
    Scope.SELF: {"own account"},
}


def principal_for(role: Role) -> Principal:
    return Principal(
        account_id=OWN_ACCOUNT, role=role, username="me", institution_id="x", institution_path="/r/x/",
        elder_ids=frozenset({"e"}),
    )


CELLS = list(itertools.product(Role, Operation))


@pytest.mark.parametrize(("role", "op"), CELLS, ids=[f"{r.value}-{o.value}" for r, o in CELLS])
def test_policy_cell(role: Role, op: Operation) -> None:
    scope = scope_for(role, op)
    assert scope == POLICY.get((role, op))
    if scope is None:
        assert (role, op) not in POLICY
        return
    principal = principal_for(role)
    admitted = {name for name, target in WORLD.items() if within(principal, scope, target)}
    assert admitted == EXPECTED[scope]
    visibility = Visibility.of(principal, scope)
    for name, target in WORLD.items():
        assert visibility.admits(target) == within(principal, scope, target), name


def test_every_cell_is_covered_by_the_parametrisation() -> None:
    assert set(POLICY) <= set(CELLS)
    assert len(CELLS) == len(Role) * len(Operation)


# --- principals without an institution or links see nothing through those scopes --------------


@pytest.mark.parametrize("scope", list(Scope))
def test_bare_principal(scope: Scope) -> None:
    bare = Principal(account_id=OWN_ACCOUNT, role=Role.PARTNER, username="bare")
    visibility = Visibility.of(bare, scope)
    for name, target in WORLD.items():
        expected = scope is Scope.ALL or (scope is Scope.SELF and name == "own account")
        assert within(bare, scope, target) is expected, name
        assert visibility.admits(target) is expected, name


@pytest.mark.parametrize("scope", list(Scope))
def test_empty_target_is_only_in_everything(scope: Scope) -> None:
    principal = principal_for(Role.INSTITUTION_ADMIN)
    empty = Target()
    assert within(principal, scope, empty) is (scope is Scope.ALL)
    assert Visibility.of(principal, scope).admits(empty) is (scope is Scope.ALL)


# --- business rules of the table ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ELDER, Role.FAMILY])
def test_elders_and_families_have_no_staff_account_or_institution_create_cells(role: Role) -> None:
    for op in Operation:
        if op.value.startswith(("staff.", "account.")) or op is Operation.INSTITUTION_CREATE:
            assert scope_for(role, op) is None, op


@pytest.mark.parametrize("role", [Role.ELDER, Role.FAMILY])
def test_elders_and_families_see_only_linked_elders(role: Role) -> None:
    for op in Operation:
        if op.value.startswith(("elder.", "address.", "family.")):
            assert scope_for(role, op) in (None, Scope.LINKED), op


def test_gov_auditor_writes_nothing() -> None:
    write_suffixes = (".create", ".update", ".write", ".manage", ".import")
    cells = {op for (role, op) in POLICY if role is Role.GOV_AUDITOR}
    assert not [op for op in cells if op.value.endswith(write_suffixes)]
    assert scope_for(Role.GOV_AUDITOR, Operation.AUDIT_READ) is Scope.ALL
    assert scope_for(Role.GOV_AUDITOR, Operation.ELDER_READ) is None


def test_only_platform_operator_reads_all_elders() -> None:
    everything = [role for role in Role if scope_for(role, Operation.ELDER_READ) is Scope.ALL]
    assert everything == [Role.PLATFORM_OPERATOR]


def test_staff_see_identity_numbers_masked() -> None:
    assert scope_for(Role.STAFF, Operation.ELDER_READ) is Scope.INSTITUTION
    assert scope_for(Role.STAFF, Operation.ELDER_READ_IDENTITY) is None


def test_everyone_reads_self_and_changes_own_password() -> None:
    for role in Role:
        assert scope_for(role, Operation.ME_READ) is Scope.SELF
        assert scope_for(role, Operation.PASSWORD_CHANGE) is Scope.SELF
        assert scope_for(role, Operation.REGION_READ) is Scope.ALL


def test_partner_has_only_reference_self_and_device_push_cells() -> None:
    """Partner systems sign in to push device data (the standard device-alarm interface, I-04) and nothing else."""
    cells = {op for (role, op) in POLICY if role is Role.PARTNER}
    assert cells == {Operation.ME_READ, Operation.PASSWORD_CHANGE, Operation.REGION_READ, Operation.DEVICE_INGEST}
    assert scope_for(Role.PARTNER, Operation.DEVICE_INGEST) is Scope.SUBTREE
