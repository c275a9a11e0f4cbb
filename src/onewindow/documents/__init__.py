"""Attached documents (随附单证): uploaded once, stored by content hash, referred to by declarations."""
