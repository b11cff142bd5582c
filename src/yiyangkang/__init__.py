"""医养康 yiyangkang — domain library with thin delivery shells (see README)."""
