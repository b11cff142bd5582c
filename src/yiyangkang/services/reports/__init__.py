"""Report use cases (报表) over the money the platform moved (A-09, HB-30)."""
