"""Developer tools: the synthetic-certificate generator (`python -m tools.synth`)."""
