"""Shared facilities: opening hours, the scheduler's constraints, bookings moved by closures."""
