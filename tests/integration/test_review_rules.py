"""Rules that close the holes a security review found: who may manage which accounts, existence
oracles, departed staff, and what a masked view may still give away."""

from __future__ import annotations

import pytest

from tests.conftest import operator
from tests.world import PASSWORD, World, build_world, id_card, phone
from yiyangkang.domain.kernel.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import accounts, audit, auth, elders, family, staff
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.family import FamilyLinkForm
from yiyangkang.services.staff import StaffForm


@pytest.fixture
def world(backend) -> World:
    return build_world(backend)


def test_admins_cannot_manage_platform_roles_placed_in_their_tree(world: World) -> None:
    auditor = accounts.create_account(world.rt, operator(), AccountForm(
        username="gov_yuexiu", password=PASSWORD, role="gov_auditor", institution_id=world.inst["A"]))
    admin = world.principal("admin_A")
    with pytest.raises(NotFound):
        accounts.reset_password(world.rt, admin, auditor.id, "Taken0ver-pw")
    with pytest.raises(NotFound):
        accounts.get_account(world.rt, admin, auditor.id)
    listed = {a.username for a in accounts.list_accounts(world.rt, admin, PageRequest(1, 100)).items}
    assert "gov_yuexiu" not in listed
    assert "admin_A1" in listed


def test_a_family_account_spanning_two_trees_belongs_to_neither_admin(world: World) -> None:
    family.link_family(world.rt, operator(), world.elders["B"], FamilyLinkForm(name="陈志强", phone=phone(300),
                                                                               relation="儿子"))
    fam_account = world.accounts["family_F"]
    for admin in ("admin_A", "admin_B"):
        with pytest.raises(NotFound):
            accounts.reset_password(world.rt, world.principal(admin), fam_account, "Taken0ver-pw")
    accounts.reset_password(world.rt, operator(), fam_account, "Fresh-pass-1")
    assert auth.login(world.rt, "family_F", "Fresh-pass-1").account_id == fam_account


def test_one_login_per_person(world: World) -> None:
    with pytest.raises(Conflict) as err:
        accounts.create_account(world.rt, operator(), AccountForm(
            username="staff_A1_again", password=PASSWORD, role="staff", staff_id=world.staff["A1"]))
    assert err.value.code == "ACCOUNT_EXISTS_FOR_PERSON"


def test_out_of_scope_reads_like_missing_when_opening_accounts(world: World) -> None:
    answers = []
    for staff_id in (world.staff["B"], "no-such-staff"):
        with pytest.raises(ValidationFailed) as err:
            accounts.create_account(world.rt, world.principal("admin_A"), AccountForm(
                username="x_by_a", password=PASSWORD, role="staff", staff_id=staff_id))
        answers.append(err.value.details)
    assert answers[0] == answers[1]


def test_departed_staff_lose_access_at_once(world: World) -> None:
    staff.update_staff(world.rt, operator(), world.staff["A1"], StaffForm(active=False))
    assert auth.resolve_principal(world.rt, world.accounts["staff_A1"], 1) is None
    with pytest.raises(AuthenticationFailed) as err:
        auth.login(world.rt, "staff_A1", PASSWORD)
    assert err.value.code == "AUTH_ACCOUNT_DISABLED"


def test_a_primary_doctor_must_be_within_reach(world: World) -> None:
    doctor_b = staff.hire_staff(world.rt, operator(), StaffForm(
        institution_id=world.inst["B"], name="林医生", phone=phone(900), profession="doctor", license_no="110440000001"))
    answers = []
    for doctor_id in (doctor_b.id, "no-such-doctor"):
        with pytest.raises(ValidationFailed) as err:
            elders.register_elder(world.rt, world.principal("admin_A"), ElderForm(
                institution_id=world.inst["A"], name="冯素梅", id_card_no=id_card(901), region_code="440104",
                primary_doctor_id=doctor_id))
        answers.append(err.value.details)
    assert answers[0] == answers[1]
    assert answers[0][0]["field"] == "primary_doctor_id"
    # The platform operator may pair elders with any institution's doctor (医养结合).
    made = elders.register_elder(world.rt, operator(), ElderForm(
        institution_id=world.inst["A"], name="冯素梅", id_card_no=id_card(901), region_code="440104",
        primary_doctor_id=doctor_b.id))
    assert made.primary_doctor_id == doctor_b.id


def test_masked_views_do_not_complete_the_id_number(world: World) -> None:
    listed = elders.list_elders(world.rt, world.principal("admin_A"), PageRequest(1, 100)).items
    assert all(e.birth_date is None and e.age > 0 for e in listed)
    events = audit.list_audit_events(world.rt, world.principal("auditor"), PageRequest(1, 5), aggregate="elder",
                                     aggregate_id=world.elders["A"]).items
    assert events[0].after is not None
    assert events[0].after["birth_date"] == "1945"


def test_linking_a_known_phone_does_not_reveal_the_registered_name(world: World) -> None:
    view = family.link_family(world.rt, world.principal("admin_B"), world.elders["B"],
                              FamilyLinkForm(name="张三", phone=phone(300), relation="邻居"))
    assert view.name == "陈**"
    assert view.has_account is False


def test_region_filters_take_cities_and_provinces(world: World) -> None:
    """A city or province code finds everything inside it (its codes share the city's prefix)."""
    op = operator()
    for code, expected in (("440000", 4), ("440100", 4), ("440104", 4), ("442000", 0)):
        assert elders.list_elders(world.rt, op, PageRequest(1, 100), region_code=code).total == expected


def test_keyword_search_ignores_case_on_every_backend(world: World) -> None:
    staff.hire_staff(world.rt, operator(), StaffForm(institution_id=world.inst["A"], name="Maria Lopez",
                                                     phone=phone(950), profession="service_worker"))
    found = staff.list_staff(world.rt, operator(), PageRequest(1, 10), keyword="maria")
    assert [s.name for s in found.items] == ["Maria Lopez"]


def test_operators_must_name_the_institution(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        staff.hire_staff(world.rt, operator(), StaffForm(name="无机构", phone=phone(951), profession="nurse",
                                                         license_no="202440000001"))
    assert err.value.errors[0].field == "institution_id"
