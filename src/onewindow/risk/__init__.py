"""Risk: which declarations customs should look at (布控), and why."""
