package app

import "github.com/google/uuid"

// NewID returns a time-ordered unique identifier (UUIDv7). IDs are generated
// here rather than by the database so the schema is the same on SQLite and
// Postgres and rows sort by creation time.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
