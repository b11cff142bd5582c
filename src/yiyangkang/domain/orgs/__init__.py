"""Organisations: administrative regions (行政区划), institutions (机构) and their staff (员工)."""
