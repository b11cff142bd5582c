"""Elderly-care vouchers (养老服务券): procurement institutions, batches, grants, spends.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
