"""Exports of a workshop: the besluitenlijst page, files (CSV, XLSX, ICS, Markdown, PDF), a JSON API, Mijn afspraken."""
