"""Infrastructure every domain uses: engine and sessions, settings and key files, the clock, error types, text checks, encryption of resident data, the audit log."""
