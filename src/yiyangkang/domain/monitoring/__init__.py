"""Health monitoring (健康监测): devices, their readings, alarm rules and alarms (M-08, M-12, D-01 … D-09)."""
