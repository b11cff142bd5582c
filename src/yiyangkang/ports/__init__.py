"""Ports: the interfaces use cases need from the outside world (typing.Protocol only)."""
