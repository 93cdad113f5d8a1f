"""The thin HTTP layer: routes parse and present; the services decide."""
