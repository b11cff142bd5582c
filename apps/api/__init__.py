"""The Litestar REST API serving the elder and staff mini-programs and the admin back office."""
