"""Services hold the rules; they reach storage only through the ports in ``ports``."""
