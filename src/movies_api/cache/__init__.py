"""Response caching that is never stale after a write, on one instance or many."""
