"""Points (积分): activities, enrolments, points goods and exchanges, staff service points.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BALANCE_CHECK = 'ck_ledger_accounts_balance'


def upgrade() -> None:
    # The points fund (issuer) hands out points: like payment providers and the government, it may go negative.
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(BALANCE_CHECK, type_='check')
        batch_op.create_check_constraint(BALANCE_CHECK, "balance >= 0 OR owner IN ('provider', 'government', 'issuer')")

    op.create_table('points_activities',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('enrolled', sa.Integer(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('enrolled >= 0 AND enrolled <= capacity', name='ck_points_activities_seats'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_points_activities_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_activities'))
    )
    with op.batch_alter_table('points_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_activities_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_points_activities_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('points_enrolments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=36), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['points_activities.id'], name=op.f('fk_points_enrolments_activity_id_points_activities')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_points_enrolments_elder_id_elders')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_points_enrolments_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_enrolments'))
    )
    with op.batch_alter_table('points_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_enrolments_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_enrolments_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_enrolments_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('uq_points_enrolments_open', ['activity_id', 'elder_id'], unique=True, postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))

    op.create_table('points_goods',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('on_shelf', sa.Boolean(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('stock >= 0', name='ck_points_goods_stock'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_points_goods_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_goods'))
    )
    with op.batch_alter_table('points_goods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_goods_institution_id'), ['institution_id'], unique=False)

    op.create_table('points_exchanges',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('good_id', sa.String(length=36), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('elder_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_points_exchanges_elder_id_elders')),
    sa.ForeignKeyConstraint(['good_id'], ['points_goods.id'], name=op.f('fk_points_exchanges_good_id_points_goods')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_points_exchanges_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_exchanges'))
    )
    with op.batch_alter_table('points_exchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_exchanges_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index('ix_points_exchanges_good_elder', ['good_id', 'elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_exchanges_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_exchanges_status'), ['status'], unique=False)

    op.create_table('points_service_awards',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_points_service_awards_institution_id_institutions')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_points_service_awards_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_service_awards')),
    sa.UniqueConstraint('staff_id', 'period', name='uq_points_service_awards_staff_period')
    )
    with op.batch_alter_table('points_service_awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_service_awards_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_service_awards_period'), ['period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('points_service_awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_service_awards_period'))
        batch_op.drop_index(batch_op.f('ix_points_service_awards_institution_id'))

    op.drop_table('points_service_awards')
    with op.batch_alter_table('points_exchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_exchanges_status'))
        batch_op.drop_index(batch_op.f('ix_points_exchanges_institution_id'))
        batch_op.drop_index('ix_points_exchanges_good_elder')
        batch_op.drop_index(batch_op.f('ix_points_exchanges_elder_id'))

    op.drop_table('points_exchanges')
    with op.batch_alter_table('points_goods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_goods_institution_id'))

    op.drop_table('points_goods')
    with op.batch_alter_table('points_enrolments', schema=None) as batch_op:
        batch_op.drop_index('uq_points_enrolments_open', postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index(batch_op.f('ix_points_enrolments_institution_id'))
        batch_op.drop_index(batch_op.f('ix_points_enrolments_elder_id'))
        batch_op.drop_index(batch_op.f('ix_points_enrolments_activity_id'))

    op.drop_table('points_enrolments')
    with op.batch_alter_table('points_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_points_activities_status_starts_at')
        batch_op.drop_index(batch_op.f('ix_points_activities_institution_id'))

    op.drop_table('points_activities')
    # Points leave the books with their tables (the issuer's negative balance could not pass the old CHECK).
    op.execute("DELETE FROM ledger_entries WHERE account_key IN (SELECT key FROM ledger_accounts WHERE purse = 'points')")
    op.execute("DELETE FROM ledger_postings WHERE id NOT IN (SELECT posting_id FROM ledger_entries)")
    op.execute("DELETE FROM ledger_accounts WHERE purse = 'points'")
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(BALANCE_CHECK, type_='check')
        batch_op.create_check_constraint(BALANCE_CHECK, "balance >= 0 OR owner IN ('provider', 'government')")
