"""Conformance: ownit against the real tools whose behaviour it follows."""
