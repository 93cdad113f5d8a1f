"""Poster images from the hosts OMDb names, fetched by the service for its own clients."""
