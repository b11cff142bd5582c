"""Elderly-care vouchers (养老服务券, A-11, A-12 ▲, P-06, PAY ▲).

Glossary:
- procurement institution (政采机构): an institution the government allows to take vouchers (A-11);
- batch (券批次): one issue of vouchers by the government: face value, eligible service categories, validity,
  quota (how many may be granted) and how many one elder may hold;
- voucher (服务券): one batch's voucher granted (充值/兑换) to one elder; its balance is the ledger account
  voucher:<id>:voucher, funded from government:<batch id>:voucher;
- spend (券消费): the part of a mall order paid from one voucher: held while the cash part is pending, spent
  when the trade is paid (the institution is then owed it by the government), released if the trade closes,
  and refunded (to the voucher, or to the fund once the voucher has expired) when the order is refunded.
"""
