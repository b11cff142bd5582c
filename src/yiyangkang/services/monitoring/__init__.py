"""Monitoring use cases (健康监测): devices, ingestion, rules, alarms and who is told."""
