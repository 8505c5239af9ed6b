"""`facegraft swap`: one project folder holding every stage of a swap, each recorded and resumable."""
