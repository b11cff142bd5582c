"""File adapters: reading spreadsheets (CSV, XLSX) people hand us, writing exports."""
