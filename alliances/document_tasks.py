"""Celery tasks of the document pipeline (rendering reports to PDF)."""
