"""Monitoring tables (健康监测): devices, readings, rule state, alarms, their outbox, dead letters.

Aggregates (device models, devices, SIM cards, rules, overrides, alarms, duty settings, check-ups, call
requests) are documents beside their query columns, like the home-bed tables. The high-volume tables
(readings, latest values, liveness, message keys) are plain rows without foreign keys: ingestion has
already resolved the device and elder, and each insert should cost one index update, not three lookups."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, _created, _document, _owner, _version, metadata

mon_device_models = _document(
    "mon_device_models",
    Column("name", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False),
)

mon_devices = _document(
    "mon_devices",
    *_owner(elder=False),
    Column("serial", String(64), nullable=False, unique=True),
    Column("model_id", String(36), ForeignKey("mon_device_models.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    # Who uses it now; the full history is in `mon_device_bindings`.
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=True, index=True),
)

mon_device_bindings = Table(
    "mon_device_bindings",
    metadata,
    Column("device_id", String(36), ForeignKey("mon_devices.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=False, index=True),
    Column("start", UtcDateTime(), nullable=False),
    Column("end", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("device_id", "seq"),
)

mon_sim_cards = _document(
    "mon_sim_cards",
    *_owner(elder=False),
    Column("iccid", String(22), nullable=False, unique=True),
    # One card per device: a NULL (card on the shelf) never collides.
    Column("device_id", String(36), ForeignKey("mon_devices.id"), nullable=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("expires_on", Date, nullable=False, index=True),
)

mon_alarm_rules = _document(
    "mon_alarm_rules",
    Column("vital", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
)

mon_rule_overrides = _document(
    "mon_rule_overrides",
    *_owner(),
    Column("rule_id", String(36), ForeignKey("mon_alarm_rules.id"), nullable=False),
    UniqueConstraint("rule_id", "elder_id", name="uq_mon_rule_overrides_rule_elder"),
)

mon_rule_states = Table(
    "mon_rule_states",
    metadata,
    Column("rule_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("waiting", Boolean, nullable=False, index=True),
    _version(),
    Column("doc", JSON, nullable=False),
    PrimaryKeyConstraint("rule_id", "device_id"),
)

mon_readings = Table(
    "mon_readings",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("elder_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("vital", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("clamped", Boolean, nullable=False),
    Index("ix_mon_readings_elder_vital_at", "elder_id", "vital", "at"),
)

mon_latest = Table(
    "mon_latest",
    metadata,
    Column("elder_id", String(36), nullable=False),
    Column("vital", String(16), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("value", Float, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("elder_id", "vital", "device_id"),
)

mon_liveness = Table(
    "mon_liveness",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("last_data_at", UtcDateTime(), nullable=True),
    Column("last_seen_at", UtcDateTime(), nullable=True),
    Column("battery", Float, nullable=True),
)

mon_messages = Table(
    "mon_messages",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("device_id", String(36), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False, index=True),
)

mon_dead_letters = Table(
    "mon_dead_letters",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("received_at", UtcDateTime(), nullable=False, index=True),
    Column("channel", String(160), nullable=False),
    Column("codec", String(32), nullable=False),
    Column("serial", String(64), nullable=True, index=True),
    Column("reason", String(32), nullable=False, index=True),
    Column("message", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

mon_alarms = _document(
    "mon_alarms",
    Column("number", String(20), nullable=False, unique=True),
    *_owner(),
    Column("kind", String(16), nullable=False),
    Column("open_key", String(128), nullable=False),
    Column("severity_rank", Integer, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("device_id", String(36), nullable=True, index=True),
    Column("first_at", UtcDateTime(), nullable=False),
    # One open alarm per elder, kind and subject, whatever two devices or two workers race to create.
    Index("uq_mon_alarms_open_key", "open_key", unique=True,
          postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
)

mon_alarm_notices = Table(
    "mon_alarm_notices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("alarm_id", String(36), ForeignKey("mon_alarms.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("claimed_at", UtcDateTime(), nullable=True),
    _version(),
    Column("doc", LargeBinary, nullable=False),  # sealed: it holds names and phone numbers
    _created(),
)

mon_duty_settings = _document("mon_duty_settings")

mon_checkups = _document(
    "mon_checkups",
    *_owner(),
    Column("device_id", String(36), ForeignKey("mon_devices.id"), nullable=False),
    Column("taken_at", UtcDateTime(), nullable=False, index=True),
)

mon_call_requests = _document(
    "mon_call_requests",
    *_owner(),
    Column("alarm_id", String(36), ForeignKey("mon_alarms.id"), nullable=False, index=True),
)
