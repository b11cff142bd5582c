"""The shared kernel every bounded context builds on: money, errors, events, lifecycles, validation."""
