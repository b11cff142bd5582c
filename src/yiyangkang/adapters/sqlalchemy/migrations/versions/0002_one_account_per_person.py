"""One login per person: accounts.staff_id, elder_id and family_member_id are unique.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = ("staff_id", "elder_id", "family_member_id")


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_unique_constraint(batch_op.f(f'uq_accounts_{column}'), [column])


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_constraint(batch_op.f(f'uq_accounts_{column}'), type_='unique')
