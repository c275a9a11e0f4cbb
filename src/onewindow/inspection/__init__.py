"""Inspections: the register of results every agency (and accredited third parties) records once."""
