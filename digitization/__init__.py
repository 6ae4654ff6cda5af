"""Use cases that clerks and verifiers drive; the eventsourcing Application is the service layer."""
