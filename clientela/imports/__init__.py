"""Spreadsheet import and export (issue 5): files as people have them, read here first."""
