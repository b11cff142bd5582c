"""Identity and access (身份与权限): accounts, roles, the access policy table, the principal."""
