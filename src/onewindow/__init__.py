"""OneWindow: a single window for a province's ports (国际贸易单一窗口).

A trader declares once; every border agency works on that one declaration under its own rules;
the trader gets one inspection and one release.
"""

__version__ = "0.1.0"
