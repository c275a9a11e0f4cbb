"""The agencies: which declarations concern each of them, and the rules each applies on its own."""
