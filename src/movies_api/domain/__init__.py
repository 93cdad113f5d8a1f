"""The movie and the title rules every layer agrees on; imports nothing outside the stdlib."""
