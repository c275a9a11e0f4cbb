"""Agencies as plug-ins: each decides which declarations concern it, and how it decides on them.

A new agency is a module with a subclass of ``Agency`` named in the ``onewindow.agencies`` entry
point group (see pyproject.toml); no other agency's code changes.
"""
