"""Delivery shells: the REST API, the `yyk` CLI (later: the dispatch console and the device bridge)."""
