"""The ``movies-api`` command line: the same services as the HTTP API."""
