"""Risk analysis: profiles, the learned score, and the engine that combines them."""
