"""Demo data: realistic organisations, officers and declarations for Anhui's ports."""
