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
    op.create_table('payment_notices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trade_number', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_notices'))
    )
    with op.batch_alter_table('payment_notices', schema=None) as batch_op:
        batch_op.create_index('ix_payment_notices_received', ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_notices_trade_number'), ['trade_number'], unique=False)

    op.create_table('payment_refunds',
    sa.Column('refund_number', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('trade_number', sa.String(length=40), nullable=False),
    sa.Column('refund_id', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('refund_number', name=op.f('pk_payment_refunds'))
    )
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refunds_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refunds_trade_number'), ['trade_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refunds_trade_number'))
        batch_op.drop_index(batch_op.f('ix_payment_refunds_state'))

    op.drop_table('payment_refunds')
    with op.batch_alter_table('payment_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_notices_trade_number'))
        batch_op.drop_index('ix_payment_notices_received')

    op.drop_table('payment_notices')
