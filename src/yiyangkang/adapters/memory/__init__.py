"""In-memory fakes of the persistence ports, for unit tests: same behaviour, no database."""
