"""The principal (当前用户): who is calling, resolved afresh for every request from the account."""

from __future__ import annotations

from attrs import field, frozen

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.kernel.events import Actor


@frozen
class Principal:
    account_id: str
    role: Role
    username: str
    institution_id: str | None = None
    institution_path: str | None = None  # "/root/.../own/" of institution_id
    staff_id: str | None = None
    family_member_id: str | None = None
    # The elders this principal acts for: the elder's own file, or the family's linked elders.
    elder_ids: frozenset[str] = field(factory=frozenset)

    @property
    def actor(self) -> Actor:
        return Actor(id=self.account_id, role=self.role.value)
