"""Supplier relations (服务商) and order splits (分账): relations, splits and their shares; postings found by
kind and time for the money reports.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settlement_relations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('supplier_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['institutions.id'], name=op.f('fk_settlement_relations_client_id_institutions')),
    sa.ForeignKeyConstraint(['supplier_id'], ['institutions.id'], name=op.f('fk_settlement_relations_supplier_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_relations'))
    )
    with op.batch_alter_table('settlement_relations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_relations_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_relations_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_relations_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('settlement_splits',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sub_order_id', sa.String(length=36), nullable=False),
    sa.Column('sub_order_number', sa.String(length=20), nullable=False),
    sa.Column('trade_number', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('split_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_cash', sa.BigInteger(), nullable=False),
    sa.Column('held_voucher', sa.BigInteger(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_settlement_splits_institution_id_institutions')),
    sa.ForeignKeyConstraint(['sub_order_id'], ['mall_orders.id'], name=op.f('fk_settlement_splits_sub_order_id_mall_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_splits')),
    sa.UniqueConstraint('sub_order_id', name=op.f('uq_settlement_splits_sub_order_id'))
    )
    with op.batch_alter_table('settlement_splits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_splits_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_splits_split_at'), ['split_at'], unique=False)

    op.create_table('settlement_split_shares',
    sa.Column('split_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=16), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=True),
    sa.Column('relation_id', sa.String(length=36), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('cash', sa.BigInteger(), nullable=False),
    sa.Column('voucher', sa.BigInteger(), nullable=False),
    sa.Column('reversed_cash', sa.BigInteger(), nullable=False),
    sa.Column('reversed_voucher', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_settlement_split_shares_institution_id_institutions')),
    sa.ForeignKeyConstraint(['relation_id'], ['settlement_relations.id'], name=op.f('fk_settlement_split_shares_relation_id_settlement_relations')),
    sa.ForeignKeyConstraint(['split_id'], ['settlement_splits.id'], name=op.f('fk_settlement_split_shares_split_id_settlement_splits')),
    sa.PrimaryKeyConstraint('split_id', 'seq', name='pk_settlement_split_shares')
    )
    with op.batch_alter_table('settlement_split_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_split_shares_institution_id'), ['institution_id'], unique=False)

    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_postings_kind_at', ['kind', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_postings_kind_at')

    with op.batch_alter_table('settlement_split_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_split_shares_institution_id'))

    op.drop_table('settlement_split_shares')
    with op.batch_alter_table('settlement_splits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_splits_split_at'))
        batch_op.drop_index(batch_op.f('ix_settlement_splits_institution_id'))

    op.drop_table('settlement_splits')
    with op.batch_alter_table('settlement_relations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_relations_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_relations_status'))
        batch_op.drop_index(batch_op.f('ix_settlement_relations_client_id'))

    op.drop_table('settlement_relations')
