"""A local OMDb for offline demos and tests: ``app.create_app`` and ``app.run``."""
