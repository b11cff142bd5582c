"""Settlement use cases (结算): supplier relations (A-10) and the split of completed orders (A-09)."""
