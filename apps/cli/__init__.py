"""The `yyk` command line for operators: database, seed data, users, imports, the server."""
