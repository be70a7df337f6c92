// Package migrations holds the store's schema migrations (goose SQL files), one directory per
// SQL dialect. Both directories describe the same schema with the same version numbers;
// they differ only where the dialects do (identity columns, types, sequences).
package migrations

import "embed"

// SQLite holds the SQLite migrations under sqlite/.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// Postgres holds the PostgreSQL migrations under postgres/.
//
//go:embed postgres/*.sql
var Postgres embed.FS
