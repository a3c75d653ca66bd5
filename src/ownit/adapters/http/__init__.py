"""ownit."""
