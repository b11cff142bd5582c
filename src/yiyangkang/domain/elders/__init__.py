"""Elders' files (老年人档案), their addresses and the family members linked to them (家属)."""
