"""Family members (家属) linked to elders. A family account sees only its linked elders."""

from __future__ import annotations

from attrs import frozen

from yiyangkang.domain.elders.family import FamilyLink, FamilyMember
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.services.access import allows, elder_target, load_elder
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import FamilyLinkView


@frozen(kw_only=True)
class FamilyLinkForm:
    name: str | None = None
    phone: str | None = None
    relation: str | None = None


def list_family(rt: Runtime, principal: Principal, elder_id: str) -> list[FamilyLinkView]:
    with rt.uow() as uow:
        elder = load_elder(uow, principal, Operation.FAMILY_READ, elder_id)
        reveal = allows(principal, Operation.ELDER_READ_IDENTITY, elder_target(uow, elder))
        views = []
        for link in uow.family_links.for_elder(elder_id):
            member = uow.family_members.get(link.family_member_id)
            if member is not None:
                has_account = uow.accounts.of_person(family_member_id=member.id) is not None
                views.append(FamilyLinkView.of(link, member, has_account, reveal))
        return views


def link_family(rt: Runtime, principal: Principal, elder_id: str, form: FamilyLinkForm) -> FamilyLinkView:
    """Link a family member (found by phone, or registered now) to an elder."""
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.FAMILY_WRITE, elder_id)
        checks = Checks()
        name = checks.text("name", form.name, label="家属姓名", max_len=32)
        phone = checks.parse("phone", parse_mobile, form.phone or "")
        relation = checks.text("relation", form.relation, label="与老人关系", max_len=16)
        checks.done()
        assert name is not None
        assert phone is not None
        assert relation is not None
        now = rt.clock.now()
        member = uow.family_members.by_phone(phone)
        # A member registered through another elder keeps their name; this caller learns it only masked.
        known_before = member is not None
        if member is None:
            member = FamilyMember(id=rt.ids.new_id(), name=name, phone=phone, created_at=now)
            member.record_created(principal.actor, now, name="registered")
            uow.family_members.add(member)
        if uow.family_links.find(member.id, elder_id):
            raise Conflict("该家属已关联此老人", code="FAMILY_LINK_EXISTS")
        link = FamilyLink(id=rt.ids.new_id(), family_member_id=member.id, elder_id=elder_id, relation=relation,
                          created_at=now)
        link.record_created(principal.actor, now, name="linked")
        uow.family_links.add(link)
        uow.commit()
        has_account = uow.accounts.of_person(family_member_id=member.id) is not None
        return FamilyLinkView.of(link, member, has_account and not known_before, reveal=not known_before)


def unlink_family(rt: Runtime, principal: Principal, elder_id: str, link_id: str) -> None:
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.FAMILY_WRITE, elder_id)
        link = uow.family_links.get(link_id)
        if link is None or link.elder_id != elder_id:
            raise NotFound("家属关联", link_id)
        link.note("unlinked", principal.actor, rt.clock.now(), before=link.snapshot())
        uow.family_links.remove(link)
        uow.commit()
