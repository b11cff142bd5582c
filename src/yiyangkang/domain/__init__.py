"""Pure domain model: attrs classes and the standard library only. No I/O, no clock reads."""
