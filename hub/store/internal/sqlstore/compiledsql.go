package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"sanmian/hub/store"
)

// CompiledSQL implements store.CompiledSQLCache.
func (r reader) CompiledSQL(ctx context.Context, keys []string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	for chunk := range slices.Chunk(keys, 500) {
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT key, sql FROM compiled_sql WHERE key IN `+placeholders(len(chunk))), args...)
		if err != nil {
			return nil, wrap("read compiled SQL", err)
		}
		for rows.Next() {
			var k, s string
			if err := rows.Scan(&k, &s); err != nil {
				rows.Close()
				return nil, wrap("read compiled SQL", err)
			}
			out[k] = s
		}
		if err := rows.Close(); err != nil {
			return nil, wrap("read compiled SQL", err)
		}
		if err := rows.Err(); err != nil {
			return nil, wrap("read compiled SQL", err)
		}
	}
	return out, nil
}

// SaveCompiledSQL implements store.CompiledSQLCache.
func (db *DB) SaveCompiledSQL(ctx context.Context, sql map[string]string) error {
	keys := make([]string, 0, len(sql))
	for k, s := range sql {
		if k == "" || s == "" {
			return fmt.Errorf("%w: a compiled query needs its key and its SQL", store.ErrInvalid)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys) // one order of writes for every saver
	now := store.Now()
	return db.do(ctx, func(w *writer) error {
		for _, k := range keys {
			if _, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO compiled_sql (key, sql, saved_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET sql = excluded.sql, saved_at = excluded.saved_at`), k, sql[k], now); err != nil {
				return wrap("save compiled SQL", err)
			}
		}
		_, err := w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM compiled_sql WHERE key NOT IN
			(SELECT key FROM compiled_sql ORDER BY saved_at DESC, key DESC LIMIT ?)`), store.CompiledSQLKept)
		return wrap("prune compiled SQL", err)
	})
}
