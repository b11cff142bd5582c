"""Use cases (应用服务): one module per context. Authorization and transactions live here."""
