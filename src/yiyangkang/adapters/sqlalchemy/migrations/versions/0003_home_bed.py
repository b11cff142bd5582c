"""Home bed (家庭病床): configuration, applications, contracts, assessments, orders, exceptions, renovation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 01:26:57.684362
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hb_renovation_items',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_renovation_items')),
    sa.UniqueConstraint('name', name=op.f('uq_hb_renovation_items_name'))
    )
    op.create_table('hb_scales',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_scales')),
    sa.UniqueConstraint('name', name=op.f('uq_hb_scales_name'))
    )
    op.create_table('hb_service_items',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_service_items')),
    sa.UniqueConstraint('name', name=op.f('uq_hb_service_items_name'))
    )
    op.create_table('hb_settings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_settings'))
    )
    op.create_table('sequences',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sequences'))
    )
    op.create_table('hb_subsidy_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_hb_subsidy_types_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_subsidy_types')),
    sa.UniqueConstraint('region_code', 'name', name='uq_hb_subsidy_types_region_name')
    )
    with op.batch_alter_table('hb_subsidy_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_subsidy_types_region_code'), ['region_code'], unique=False)

    op.create_table('hb_contracts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('elder_name', sa.String(length=64), nullable=False),
    sa.Column('elder_id_card_masked', sa.String(length=32), nullable=False),
    sa.Column('sign_date', sa.Date(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('subsidy_type_id', sa.String(length=36), nullable=True),
    sa.Column('renewed_by_id', sa.String(length=36), nullable=True),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_hb_contracts_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_hb_contracts_institution_id_institutions')),
    sa.ForeignKeyConstraint(['subsidy_type_id'], ['hb_subsidy_types.id'], name=op.f('fk_hb_contracts_subsidy_type_id_hb_subsidy_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_hb_contracts_number'))
    )
    with op.batch_alter_table('hb_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_contracts_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_contracts_expiry_date'), ['expiry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_contracts_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_contracts_status'), ['status'], unique=False)

    op.create_table('hb_applications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('elder_name', sa.String(length=64), nullable=False),
    sa.Column('id_card_hash', sa.String(length=64), nullable=False),
    sa.Column('applicant_account_id', sa.String(length=36), nullable=False),
    sa.Column('doc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_account_id'], ['accounts.id'], name=op.f('fk_hb_applications_applicant_account_id_accounts')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_hb_applications_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_hb_applications_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_applications')),
    sa.UniqueConstraint('number', name=op.f('uq_hb_applications_number'))
    )
    with op.batch_alter_table('hb_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_applications_applicant_account_id'), ['applicant_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_applications_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_applications_id_card_hash'), ['id_card_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_applications_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_applications_status'), ['status'], unique=False)
        batch_op.create_index('uq_hb_applications_open_id_card', ['id_card_hash'], unique=True, postgresql_where=sa.text("status IN ('submitted', 'approved')"), sqlite_where=sa.text("status IN ('submitted', 'approved')"))

    op.create_table('hb_assessments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=True),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['hb_contracts.id'], name=op.f('fk_hb_assessments_contract_id_hb_contracts')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_hb_assessments_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_hb_assessments_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_assessments'))
    )
    with op.batch_alter_table('hb_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_assessments_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_assessments_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_assessments_institution_id'), ['institution_id'], unique=False)

    op.create_table('hb_orders',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('subsidy_type_id', sa.String(length=36), nullable=True),
    sa.Column('service_item_id', sa.String(length=36), nullable=False),
    sa.Column('item_name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=True),
    sa.Column('supplementary', sa.Boolean(), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('self_pay_fen', sa.BigInteger(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['hb_contracts.id'], name=op.f('fk_hb_orders_contract_id_hb_contracts')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_hb_orders_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_hb_orders_institution_id_institutions')),
    sa.ForeignKeyConstraint(['service_item_id'], ['hb_service_items.id'], name=op.f('fk_hb_orders_service_item_id_hb_service_items')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_hb_orders_staff_id_staff')),
    sa.ForeignKeyConstraint(['subsidy_type_id'], ['hb_subsidy_types.id'], name=op.f('fk_hb_orders_subsidy_type_id_hb_subsidy_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_hb_orders_number'))
    )
    with op.batch_alter_table('hb_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_orders_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_orders_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_orders_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_orders_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index('ix_hb_orders_status_completed_at', ['status', 'completed_at'], unique=False)

    op.create_table('hb_renovation_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['hb_contracts.id'], name=op.f('fk_hb_renovation_tasks_contract_id_hb_contracts')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_hb_renovation_tasks_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_hb_renovation_tasks_institution_id_institutions')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_hb_renovation_tasks_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_renovation_tasks')),
    sa.UniqueConstraint('number', name=op.f('uq_hb_renovation_tasks_number'))
    )
    with op.batch_alter_table('hb_renovation_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_renovation_tasks_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_renovation_tasks_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_renovation_tasks_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_renovation_tasks_staff_id'), ['staff_id'], unique=False)

    op.create_table('hb_exceptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_hb_exceptions_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_hb_exceptions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['order_id'], ['hb_orders.id'], name=op.f('fk_hb_exceptions_order_id_hb_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hb_exceptions')),
    sa.UniqueConstraint('order_id', 'type', name='uq_hb_exceptions_order_type')
    )
    with op.batch_alter_table('hb_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hb_exceptions_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_exceptions_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hb_exceptions_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hb_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hb_exceptions_status'))
        batch_op.drop_index(batch_op.f('ix_hb_exceptions_institution_id'))
        batch_op.drop_index(batch_op.f('ix_hb_exceptions_elder_id'))

    op.drop_table('hb_exceptions')
    with op.batch_alter_table('hb_renovation_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hb_renovation_tasks_staff_id'))
        batch_op.drop_index(batch_op.f('ix_hb_renovation_tasks_institution_id'))
        batch_op.drop_index(batch_op.f('ix_hb_renovation_tasks_elder_id'))
        batch_op.drop_index(batch_op.f('ix_hb_renovation_tasks_contract_id'))

    op.drop_table('hb_renovation_tasks')
    with op.batch_alter_table('hb_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_hb_orders_status_completed_at')
        batch_op.drop_index(batch_op.f('ix_hb_orders_staff_id'))
        batch_op.drop_index(batch_op.f('ix_hb_orders_institution_id'))
        batch_op.drop_index(batch_op.f('ix_hb_orders_elder_id'))
        batch_op.drop_index(batch_op.f('ix_hb_orders_contract_id'))

    op.drop_table('hb_orders')
    with op.batch_alter_table('hb_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hb_assessments_institution_id'))
        batch_op.drop_index(batch_op.f('ix_hb_assessments_elder_id'))
        batch_op.drop_index(batch_op.f('ix_hb_assessments_contract_id'))

    op.drop_table('hb_assessments')
    with op.batch_alter_table('hb_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_hb_applications_open_id_card', postgresql_where=sa.text("status IN ('submitted', 'approved')"), sqlite_where=sa.text("status IN ('submitted', 'approved')"))
        batch_op.drop_index(batch_op.f('ix_hb_applications_status'))
        batch_op.drop_index(batch_op.f('ix_hb_applications_institution_id'))
        batch_op.drop_index(batch_op.f('ix_hb_applications_id_card_hash'))
        batch_op.drop_index(batch_op.f('ix_hb_applications_elder_id'))
        batch_op.drop_index(batch_op.f('ix_hb_applications_applicant_account_id'))

    op.drop_table('hb_applications')
    with op.batch_alter_table('hb_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hb_contracts_status'))
        batch_op.drop_index(batch_op.f('ix_hb_contracts_institution_id'))
        batch_op.drop_index(batch_op.f('ix_hb_contracts_expiry_date'))
        batch_op.drop_index(batch_op.f('ix_hb_contracts_elder_id'))

    op.drop_table('hb_contracts')
    with op.batch_alter_table('hb_subsidy_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hb_subsidy_types_region_code'))

    op.drop_table('hb_subsidy_types')
    op.drop_table('sequences')
    op.drop_table('hb_settings')
    op.drop_table('hb_service_items')
    op.drop_table('hb_scales')
    op.drop_table('hb_renovation_items')
