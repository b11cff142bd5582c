"""Points use cases (积分, M-07, P-07…P-10, S-10): activities and enrolments, goods and exchanges, the elder's
points ledger, staff service points."""
