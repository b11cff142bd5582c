"""The device bridge (设备网关桥): MQTT in, readings and alarms out. See `bridge.py`."""
