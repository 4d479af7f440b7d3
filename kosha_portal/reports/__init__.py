"""Program reports (実績報告): the figures the funder asks for, by fiscal year.

Each domain app computes its own figures in ``<app>/reports.py`` (pure reads, aggregated in SQL
with a fixed number of queries); this package assembles them into tables and charts, serves the
staff page under the admin, and writes the XLSX/CSV exports and the annual PDF."""
