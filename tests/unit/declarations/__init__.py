"""The declaration: one data set, one dossier per concerned agency, one release; and its validation."""
