"""Adapters: the ports implemented with real technology (SQLAlchemy, argon2, AES-GCM …) and fakes."""
