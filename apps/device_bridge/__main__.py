"""`python -m apps.device_bridge`: the same as `yyk bridge`."""

from apps.cli.monitoring import bridge

if __name__ == "__main__":
    bridge()
