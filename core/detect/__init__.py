"""Face detection, 68-point landmarks and identity embeddings: one small Protocol per stage
(`types.py`), backends registered by name in a `BackendRegistry` object (`registry.py`)."""
