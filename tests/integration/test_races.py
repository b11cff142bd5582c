"""Parallel requests on the real databases: no double registration, no lost login failures."""

from __future__ import annotations

import pytest

from tests.conftest import operator
from tests.racing import race
from tests.world import World, build_world, id_card
from yiyangkang.domain.identity.accounts import AccountStatus
from yiyangkang.domain.kernel.errors import AuthenticationFailed, Conflict, DomainError
from yiyangkang.services import auth, elders
from yiyangkang.services.elders import ElderForm


@pytest.fixture
def world(sql_backend) -> World:
    return build_world(sql_backend)


def test_the_same_person_is_filed_once_under_parallel_registration(world: World) -> None:
    form = ElderForm(institution_id=world.inst["A"], name="何淑珍", id_card_no=id_card(321, "19400101"),
                     region_code="440104")
    results = race(8, lambda _i: elders.register_elder(world.rt, operator(), form))
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(made) == 1
    assert len(made) + len(refused) == 8
    with world.rt.uow() as uow:
        assert uow.elders.by_id_card(form.id_card_no or "") is not None


def test_parallel_wrong_passwords_are_all_counted(world: World) -> None:
    """Parallel guesses queue on the account row: each is counted, and the lock engages at the 5th."""
    results = race(8, lambda _i: auth.login(world.rt, "staff_A1", "wrong-password-9"))
    codes = sorted(r.code for r in results if isinstance(r, AuthenticationFailed))
    assert len(codes) == 8
    assert codes.count("AUTHENTICATION_FAILED") == 4
    assert codes.count("AUTH_ACCOUNT_LOCKED") == 4  # the 5th locks; later ones meet the lock
    with world.rt.uow() as uow:
        account = uow.accounts.by_login("staff_A1")
    assert account is not None
    assert account.status is AccountStatus.LOCKED
    assert account.failed_logins == 5


def test_parallel_first_addresses_leave_exactly_one_default(world: World) -> None:
    """P-05: two devices adding an elder's first address at once still give one default."""
    from yiyangkang.services import addresses
    from yiyangkang.services.addresses import AddressForm

    def add(i: int) -> object:
        return addresses.add_address(world.rt, operator(), world.elders["B"], AddressForm(
            region_code="440106", detail=f"五山路{i + 1}号", contact_name="何淑珍", contact_phone="13800000999"))

    results = race(4, add)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    with world.rt.uow() as uow:
        stored = uow.addresses.for_elder(world.elders["B"])
    assert len(stored) == len([r for r in results if not isinstance(r, Exception)])
    assert [a.is_default for a in stored].count(True) == 1
