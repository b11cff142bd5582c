"""The repository and unit-of-work contract, on every backend: atomic commands, optimistic locking,
uniqueness, the audit trail, and personal data sealed at rest."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import FrozenClock, operator
from tests.world import PASSWORD, World, build_world, id_card, phone
from yiyangkang.domain.identity.accounts import AccountStatus
from yiyangkang.domain.kernel.errors import AuthenticationFailed, ConcurrentUpdate, Conflict, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import addresses, audit, auth, elders, family
from yiyangkang.services.addresses import AddressForm
from yiyangkang.services.elders import ElderForm, EmergencyContactForm
from yiyangkang.services.family import FamilyLinkForm


@pytest.fixture
def world(backend) -> World:
    return build_world(backend)


def _count_elders(world: World) -> int:
    with world.rt.uow() as uow:
        return uow.elders.count()


def test_a_rejected_command_writes_nothing(world: World) -> None:
    before = _count_elders(world)
    with pytest.raises(ValidationFailed) as err:
        elders.register_elder(world.rt, operator(), ElderForm(
            institution_id=world.inst["A"], name="李桂芳", id_card_no="440104194503120000", region_code="999999",
            phone="12345"))
    assert {e.field for e in err.value.errors} == {"id_card_no", "region_code", "phone"}
    assert _count_elders(world) == before


def test_conflict_midway_rolls_back_what_came_before(world: World) -> None:
    """link_family registers a new family member, then finds the link exists: the member must vanish too."""
    elder_id = world.elders["A"]
    with world.rt.uow() as uow:
        members_before = {m.family_member_id for m in uow.family_links.for_elder(elder_id)}
    family.link_family(world.rt, operator(), elder_id, FamilyLinkForm(name="林晓燕", phone=phone(400), relation="女儿"))
    with pytest.raises(Conflict):
        family.link_family(world.rt, operator(), elder_id, FamilyLinkForm(name="林晓燕", phone=phone(400),
                                                                          relation="女儿"))
    with world.rt.uow() as uow:
        assert len(uow.family_links.for_elder(elder_id)) == len(members_before) + 1


def test_duplicate_identity_numbers_are_refused(world: World) -> None:
    with world.rt.uow() as uow:
        taken = uow.elders.get(world.elders["A"])
    assert taken is not None
    with pytest.raises(Conflict) as err:
        elders.register_elder(world.rt, operator(), ElderForm(
            institution_id=world.inst["B"], name="重复者", id_card_no=taken.id_card_no, region_code="440106"))
    assert err.value.code == "ELDER_ID_CARD_TAKEN"


def test_stale_versions_are_refused(world: World) -> None:
    elder_id = world.elders["A"]
    with world.rt.uow() as first, world.rt.uow() as second:
        a = first.elders.get(elder_id)
        b = second.elders.get(elder_id)
        assert a is not None and b is not None
        a.name, b.name = "甲", "乙"
        first.elders.save(a)
        first.commit()
        with pytest.raises(ConcurrentUpdate):
            second.elders.save(b)
    with pytest.raises(ConcurrentUpdate):
        elders.update_elder(world.rt, operator(), elder_id, ElderForm(name="丙"), expected_version=0)
    assert elders.get_elder(world.rt, operator(), elder_id).name == "甲"


def test_uncommitted_work_is_rolled_back(world: World) -> None:
    with world.rt.uow() as uow:
        e = uow.elders.get(world.elders["B"])
        assert e is not None
        e.name = "未提交"
        uow.elders.save(e)
    assert elders.get_elder(world.rt, operator(), world.elders["B"]).name == "老人B"


def test_audit_trail_records_who_what_and_masks_personal_data(world: World) -> None:
    elders.update_elder(world.rt, operator(), world.elders["A"], ElderForm(
        phone=phone(555), emergency_contacts=[EmergencyContactForm(name="陈志强", phone=phone(556), relation="儿子")]))
    page = audit.list_audit_events(world.rt, world.principal("auditor"), PageRequest(1, 100), aggregate="elder",
                                   aggregate_id=world.elders["A"])
    names = [e.name for e in page.items]
    assert names == ["elder.updated", "elder.registered"]
    update = page.items[0]
    assert update.actor_id == "test-operator"
    assert set(update.after or {}) == {"phone", "emergency_contacts"}
    assert (update.after or {})["phone"] == "138****0555"
    assert "13800000555" not in repr(update)
    registered = page.items[1]
    assert "*" in str((registered.after or {})["id_card_no"])


def test_personal_data_is_sealed_at_rest(sql_backend) -> None:
    world = build_world(sql_backend)
    assert world.rt.engine is not None
    with world.rt.uow() as uow:
        elder = uow.elders.get(world.elders["A"])
    assert elder is not None and elder.phone
    with world.rt.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM elders WHERE id = :id"), {"id": elder.id}).mappings().one()
    dump = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    assert elder.id_card_no.encode() not in dump
    assert elder.phone.encode() not in dump
    with world.rt.uow() as uow:  # and yet an exact lookup works, through the keyed fingerprint
        found = uow.elders.by_id_card(elder.id_card_no)
    assert found is not None and found.id == elder.id


def test_lockout_after_repeated_wrong_passwords(world: World, clock: FrozenClock) -> None:
    for attempt in range(4):
        with pytest.raises(AuthenticationFailed) as err:
            auth.login(world.rt, "staff_A1", "wrong-password-1")
        assert err.value.code == "AUTHENTICATION_FAILED"
        assert err.value.details == {"attempts_left": 4 - attempt}
    with pytest.raises(AuthenticationFailed) as err:
        auth.login(world.rt, "staff_A1", "wrong-password-1")
    assert err.value.code == "AUTH_ACCOUNT_LOCKED"
    with pytest.raises(AuthenticationFailed) as err:
        auth.login(world.rt, "staff_A1", PASSWORD)  # the right password no longer helps
    assert err.value.code == "AUTH_ACCOUNT_LOCKED"
    with world.rt.uow() as uow:
        account = uow.accounts.by_login("staff_A1")
        assert account is not None and account.status is AccountStatus.LOCKED
    clock.advance(minutes=15)
    assert auth.login(world.rt, "staff_A1", PASSWORD).account_id == world.accounts["staff_A1"]
    events = audit.list_audit_events(world.rt, world.principal("auditor"), PageRequest(1, 50), aggregate="account",
                                     aggregate_id=world.accounts["staff_A1"]).items
    assert [e.name for e in events][:2] == ["account.unlocked", "account.locked"]


def test_unknown_login_answers_like_a_wrong_password(world: World) -> None:
    with pytest.raises(AuthenticationFailed) as err:
        auth.login(world.rt, "nobody-here", "whatever-1")
    assert err.value.code == "AUTHENTICATION_FAILED"


def test_one_default_address_per_elder(world: World) -> None:
    """P-05: the first address is the default; making another default clears the first."""
    elder_id = world.elders["A"]
    fam = world.principal("family_F")
    form = AddressForm(region_code="440104001", detail="东风中路437号", contact_name="陈志强", contact_phone=phone(300))
    first = addresses.add_address(world.rt, fam, elder_id, form)
    second = addresses.add_address(world.rt, fam, elder_id, AddressForm(
        region_code="440104001", detail="北京路238号", contact_name="陈志强", contact_phone=phone(300), is_default=True))
    assert first.is_default and second.is_default
    listed = {a.id: a.is_default for a in addresses.list_addresses(world.rt, fam, elder_id)}
    assert listed == {first.id: False, second.id: True}
    addresses.remove_address(world.rt, fam, elder_id, second.id)
    assert [a.is_default for a in addresses.list_addresses(world.rt, fam, elder_id)] == [True]


def test_id_number_must_agree_with_gender_and_birth_date(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        elders.register_elder(world.rt, operator(), ElderForm(
            institution_id=world.inst["A"], name="周玉兰", id_card_no=id_card(771), gender="female",
            birth_date=None, region_code="440104"))
    # id_card(771): sequence digit 1 (odd) means male
    assert [e.field for e in err.value.errors] == ["gender"]
