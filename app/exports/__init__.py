"""Exports of a workshop: the besluitenlijst page, files (CSV, XLSX, ICS, Markdown, PDF) and a JSON API."""
