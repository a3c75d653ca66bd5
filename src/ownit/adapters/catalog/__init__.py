"""Catalog files: YAML in (with line numbers), YAML out."""
