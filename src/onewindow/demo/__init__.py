"""Demo data: realistic organisations, officers, facilities and eight weeks of declarations for
Anhui's ports (``loader``), made from seeded sample data (``samples``, ``risk``)."""
