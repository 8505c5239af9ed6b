"""Render-farm and distributed runs of any `facegraft` verb that takes `--frames`.

A job (`job.JobSpec`) is layers of one facegraft command each, split into chunks of frames,
with dependencies between layers (extract → merge → convert). Every engine runs the same
chunk runner (`task.run_chunk`, the `facegraft farm task` verb), which logs per chunk, writes a
machine-readable summary and exits non-zero on failure, so `status.job_status` reads any
engine's progress from disk. Engines: `deadline` (job files for the CommandLine plugin),
`cue` (an OpenCue outline via opencue-pyoutline) and `dask_engine` (dask.distributed).
"""
