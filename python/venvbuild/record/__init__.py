"""What a build is on paper: the artifact names, the metadata record and its schema, the search columns, versions."""
