"""Backstage ``catalog-info.yaml`` documents read and mapped onto ``ownit/v1`` documents.

- :mod:`.entities` — entities read from positioned documents: names, references, fields;
- :mod:`.mapping` — :func:`convert`: entities to ``ownit/v1`` documents, with a note for
  everything that has no ownit equivalent.
"""

from ownit.domain.backstage.entities import Ref, parse_ref, slugify
from ownit.domain.backstage.mapping import Imported, convert

__all__ = ["Imported", "Ref", "convert", "parse_ref", "slugify"]
