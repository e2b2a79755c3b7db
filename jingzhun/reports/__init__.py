"""The standard statistical report tables (建档立卡统计报表) by area and year, as one XLSX workbook (issue 15)."""
