"""Movies API: a catalogue of movies filled from OMDb, served over REST."""

__version__ = "0.1.0"
