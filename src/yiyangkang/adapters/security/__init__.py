"""Security adapters: argon2 password hashing and the AES-GCM personal-data vault."""
