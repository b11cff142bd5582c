"""Use cases of elderly-care vouchers (养老服务券): the procurement list (A-11), batches and grants (A-12),
spending in mixed payments (PAY), consumption records (A-12) and the elder's own vouchers (P-06)."""
