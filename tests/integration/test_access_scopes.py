"""Role and institution scoping, proved on the in-memory fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from tests.conftest import FrozenClock
from tests.world import World, build_world, id_card
from yiyangkang.domain.kernel.errors import NotFound, PermissionDenied
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import auth, elders, family, institutions, staff
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.staff import StaffForm

ALL = PageRequest(1, 100)


@pytest.fixture
def world(backend) -> World:
    return build_world(backend)


def _elder_names(world: World, login: str) -> set[str]:
    return {e.name for e in elders.list_elders(world.rt, world.principal(login), ALL).items}


def test_institution_admin_sees_own_subtree_only(world: World) -> None:
    names = lambda login: {  # noqa: E731
        i.name for i in institutions.list_institutions(world.rt, world.principal(login), ALL).items
    }
    assert len(names("operator")) == 4
    assert names("admin_A") == {"越秀区颐康居家养老服务中心", "颐康北京街长者站", "颐康农林街长者站"}
    assert names("admin_A1") == {"颐康北京街长者站"}
    assert names("admin_B") == {"天河区五山社区卫生服务中心"}


def test_elder_lists_follow_the_scope(world: World) -> None:
    assert _elder_names(world, "operator") == {"老人A", "老人A1", "老人A2", "老人B"}
    assert _elder_names(world, "admin_A") == {"老人A", "老人A1", "老人A2"}
    assert _elder_names(world, "admin_A1") == {"老人A1"}
    assert _elder_names(world, "staff_A1") == {"老人A1"}
    assert _elder_names(world, "family_F") == {"老人A"}
    assert _elder_names(world, "elder_A") == {"老人A"}


@pytest.mark.parametrize(("login", "other"), [("admin_A1", "A2"), ("admin_A1", "A"), ("admin_A1", "B"),
                                              ("admin_B", "A"), ("staff_A1", "A2")])
def test_admin_cannot_read_or_change_other_institutions_people(world: World, login: str, other: str) -> None:
    """Sibling, parent and unrelated institutions' staff and elders answer 'not found'."""
    who = world.principal(login)
    with pytest.raises(NotFound):
        elders.get_elder(world.rt, who, world.elders[other])
    with pytest.raises(NotFound):
        elders.update_elder(world.rt, who, world.elders[other], ElderForm(name="改名"))
    with pytest.raises((NotFound, PermissionDenied)):
        staff.update_staff(world.rt, who, world.staff[other], StaffForm(name="改名"))
    if login.startswith("admin"):
        with pytest.raises(NotFound):
            staff.get_staff(world.rt, who, world.staff[other])
    assert elders.get_elder(world.rt, world.principal("operator"), world.elders[other]).name == f"老人{other}"


def test_parent_admin_reaches_subordinates(world: World) -> None:
    admin = world.principal("admin_A")
    for key in ("A", "A1", "A2"):
        assert elders.get_elder(world.rt, admin, world.elders[key]).id == world.elders[key]
        assert staff.get_staff(world.rt, admin, world.staff[key]).id == world.staff[key]
    updated = elders.update_elder(world.rt, admin, world.elders["A2"], ElderForm(name="黄秀英"))
    assert updated.name == "黄秀英"


def test_family_sees_only_linked_elders_and_unlinking_takes_effect(world: World) -> None:
    fam = world.principal("family_F")
    assert elders.get_elder(world.rt, fam, world.elders["A"]).masked is False
    for other in ("A1", "A2", "B"):
        with pytest.raises(NotFound):
            elders.get_elder(world.rt, fam, world.elders[other])
    link = family.list_family(world.rt, world.principal("admin_A"), world.elders["A"])[0]
    family.unlink_family(world.rt, world.principal("admin_A"), world.elders["A"], link.id)
    fam = world.principal("family_F")
    assert fam.elder_ids == frozenset()
    with pytest.raises(NotFound):
        elders.get_elder(world.rt, fam, world.elders["A"])


def test_elder_and_family_cannot_create_files(world: World) -> None:
    for login in ("family_F", "elder_A", "auditor"):
        with pytest.raises(PermissionDenied):
            elders.register_elder(world.rt, world.principal(login), ElderForm(
                institution_id=world.inst["A"], name="某某", id_card_no=id_card(900), region_code="440104"))


def test_lists_mask_identity_and_details_reveal_it_only_to_those_who_need_it(world: World) -> None:
    listed = elders.list_elders(world.rt, world.principal("admin_A"), ALL).items[0]
    assert listed.masked and "*" in (listed.id_card_no or "") and "*" in (listed.phone or "")
    assert elders.get_elder(world.rt, world.principal("admin_A"), world.elders["A1"]).masked is False
    # Staff may see the file (S-05) but not the full identity number.
    assert elders.get_elder(world.rt, world.principal("staff_A1"), world.elders["A1"]).masked is True


def test_token_version_and_disabled_accounts_end_sessions(world: World, clock: FrozenClock) -> None:
    """P-11: after a password change the old token's version no longer resolves."""
    account_id = world.accounts["admin_A1"]
    assert auth.resolve_principal(world.rt, account_id, 1) is not None
    auth.change_password(world.rt, world.principal("admin_A1"), "Passw0rd-test", "N3w-secret-pw")
    assert auth.resolve_principal(world.rt, account_id, 1) is None
    assert auth.resolve_principal(world.rt, account_id, 2) is not None
    assert auth.login(world.rt, "admin_A1", "N3w-secret-pw").token_version == 2
