"""``python -m movies_api`` is ``movies-api``."""

from movies_api.cli.main import main

main()
