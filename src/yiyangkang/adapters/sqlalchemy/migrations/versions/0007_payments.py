"""Payments (支付): notifications received (accepted and refused), refunds in flight.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
