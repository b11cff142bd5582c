"""Money movements (资金): the ledger every payment, refund, voucher, subsidy, split share and point goes
through, and the arithmetic of splitting and refunding (PAY, A-09…A-12, M-07, P-06…P-10, S-10).

Glossary:
- account (账户): one purse of one owner — an elder's vouchers or points, an institution's receivable, the
  platform's fee, a payment provider's clearing account, the government's voucher fund;
- posting (记账凭证): one business event as legs over accounts that sum to zero per unit (fen or points),
  with a unique business reference so a replay is refused;
- balance (余额): the sum of an account's legs; purses of people and institutions never go below zero,
  sources (providers, government funds) may.
"""
