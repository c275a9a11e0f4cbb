"""Declarations: the one harmonised data set a trader lodges, and the dossiers agencies work on."""
