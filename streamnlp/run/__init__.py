"""The plumbing under every layer: configs, the run folder, checkpoints, atomic writes, threads, errors."""
