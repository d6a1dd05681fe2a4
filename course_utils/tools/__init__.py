"""Tools for the course itself: running the notebooks in order, stripping their outputs."""
