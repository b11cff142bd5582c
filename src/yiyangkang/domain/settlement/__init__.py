"""Settlement between institutions (结算, A-09, A-10): supplier relations (服务商关系) with agreed share rates,
the split of a completed order between its seller, its suppliers and the platform fee (订单分账) and its
proportional reversal on refund, and the rows of the money reports."""
