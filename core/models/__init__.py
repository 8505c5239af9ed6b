"""Face-swap networks: typed configs, an architecture registry, and safetensors model files.

`facegraft.core.models.registry` lists architectures without building them; the layouts ("df",
"liae") register on import of `facegraft.core.models.architectures`.
"""
