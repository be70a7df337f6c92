package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"sanmian/hub/store"
)

// writer implements store.Txn inside one transaction.
type writer struct {
	reader
	ah *auditHead // the transaction's view of the audit chain head
}

// auditHead is the transaction's part of the audit chain. AppendAudit only checks an entry
// and queues it in memory; finishAudit, the transaction's last step before commit, writes the
// entries: with Dialect.ChainRound to the audit_queue table, without taking any lock (the
// transaction's owner chains them after the commit, see chain.go); otherwise it locks the
// chain head, chains and inserts them and advances the head, so the lock is held only for
// those statements and the commit, never across the transaction's other work.
type auditHead struct {
	pending []*store.AuditEntry
	queued  []queuedEntry // written to audit_queue, to chain after the commit
}

// finishAudit writes the entries AppendAudit queued; the transaction's owner calls it just
// before commit.
func (w *writer) finishAudit(ctx context.Context) error {
	if w.ah == nil || len(w.ah.pending) == 0 {
		return nil
	}
	if w.d.ChainRound != nil {
		return w.queueAudit(ctx)
	}
	seq, prev, err := w.head(ctx)
	if err != nil {
		return err
	}
	if err := w.chain(ctx, seq, prev, w.ah.pending, nil); err != nil {
		return err
	}
	w.ah.pending = nil
	return nil
}

// queueAudit writes the pending entries to audit_queue in one statement. The queue ids follow
// the order of the rows (an identity column), so the entries take the returned ids in
// ascending order.
func (w *writer) queueAudit(ctx context.Context) error {
	args := make([]any, 0, 9*len(w.ah.pending))
	rows := make([]string, 0, len(w.ah.pending))
	for _, e := range w.ah.pending {
		args = append(args, e.At, e.ActorSub, e.ActorRole, string(e.Action), e.Subject, e.Item, e.Purpose, e.ApplicationID, string(e.Details))
		rows = append(rows, placeholders(9))
	}
	ids, err := collect(ctx, w.reader, `INSERT INTO audit_queue (at, actor_sub, actor_role, action, subject, item, purpose, application_id, details)
		VALUES `+strings.Join(rows, ", ")+` RETURNING id`, args, func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
	if err != nil {
		return wrap("queue audit entries", err)
	}
	if len(ids) != len(w.ah.pending) {
		return fmt.Errorf("store: queue audit entries: %d ids for %d entries", len(ids), len(w.ah.pending))
	}
	slices.Sort(ids)
	for i, e := range w.ah.pending {
		w.ah.queued = append(w.ah.queued, queuedEntry{id: ids[i], e: e})
	}
	w.ah.pending = nil
	return nil
}

// chain appends entries to the chain after the head (seq, prev), which the transaction has
// locked: it fills their Seq, PrevHash and Hash, inserts them (with the audit_queue ids they
// came from, if any) and advances the head.
func (w *writer) chain(ctx context.Context, seq int64, prev string, entries []*store.AuditEntry, queueIDs []int64) error {
	for _, st := range chainStatements(w.d, seq, prev, entries, queueIDs) {
		if _, err := w.q.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return wrap("append audit", err)
		}
	}
	return nil
}

// Stmt is one SQL statement (in the dialect's placeholders) with its arguments.
type Stmt struct {
	SQL  string
	Args []any
}

// chainStatements fills the entries' Seq, PrevHash and Hash as the successors of the head
// (seq, prev) and returns the statements that insert them (with the audit_queue ids they came
// from, if any) and advance the head.
func chainStatements(d *Dialect, seq int64, prev string, entries []*store.AuditEntry, queueIDs []int64) []Stmt {
	var out []Stmt
	per := max(1, min(500, d.MaxParams/13))
	for start := 0; start < len(entries); start += per {
		batch := entries[start:min(len(entries), start+per)]
		args := make([]any, 0, 13*len(batch))
		rows := make([]string, 0, len(batch))
		for i, e := range batch {
			seq++
			e.Seq, e.PrevHash = seq, prev
			e.Hash = store.EntryHash(*e)
			prev = e.Hash
			var qid any
			if queueIDs != nil {
				qid = queueIDs[start+i]
			}
			args = append(args, e.Seq, e.At, e.ActorSub, e.ActorRole, string(e.Action), e.Subject, e.Item, e.Purpose,
				e.ApplicationID, string(e.Details), e.PrevHash, e.Hash, qid)
			rows = append(rows, placeholders(13))
		}
		out = append(out, Stmt{SQL: d.SQL(`INSERT INTO audit_entries (` + auditCols + `, queue_id) VALUES ` + strings.Join(rows, ", ")), Args: args})
	}
	return append(out, Stmt{SQL: d.SQL(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), Args: []any{seq, prev}})
}

// uniqueErr maps a unique-constraint violation to store.ErrConflict (or to dup when the
// violated constraint mentions column), and wraps other errors.
func (w *writer) uniqueErr(what string, err error, column string, dup error) error {
	if err == nil {
		return nil
	}
	if c, ok := w.d.UniqueViolation(err); ok {
		if dup != nil && strings.Contains(c, column) {
			return fmt.Errorf("%s: %w", what, dup)
		}
		return fmt.Errorf("%s: %w", what, store.ErrConflict)
	}
	return wrap(what, err)
}

// affected returns the rows affected by a statement.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateApplication implements store.Writer.
func (w *writer) CreateApplication(ctx context.Context, a *store.Application) error {
	if a.ID == "" {
		a.ID = store.NewID()
	}
	if a.Status == "" {
		a.Status = store.StatusDraft
	}
	if !a.Status.Valid() || a.Item == "" || a.ApplicantID == "" {
		return fmt.Errorf("%w: application needs item, applicant and a valid status", store.ErrInvalid)
	}
	form, err := jsonText(a.Form, "{}")
	if err != nil {
		return err
	}
	dec, err := jsonText(a.Decision, "{}")
	if err != nil {
		return err
	}
	now := store.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.CreatedAt, a.UpdatedAt, a.Version = store.NormTime(a.CreatedAt), now, 1
	args := []any{a.ID, a.Item, a.ApplicantID, a.Village, string(a.Status), form, dec, a.AwaitingLevel, a.AwaitingDivision,
		a.PermitID, a.CreatedBy, a.CreatedAt, a.UpdatedAt, a.Version, nullString(a.SubjectKey)}
	if a.SubjectKey == "" {
		_, err = w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO applications (`+applicationCols+`) VALUES `+placeholders(15)), args...)
		return w.uniqueErr("insert application", err, "", nil)
	}
	// ON CONFLICT on the hold waits for a concurrent holder of the same (item, subject key) to
	// commit or roll back (PostgreSQL; SQLite has one writer), so the read below sees it. An
	// id collision is not an arbiter here and still fails as a unique violation.
	for range 3 {
		n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO applications (`+applicationCols+`) VALUES `+placeholders(15)+
			` ON CONFLICT (item, subject_key) DO NOTHING`), args...))
		if err != nil {
			return w.uniqueErr("insert application", err, "", nil)
		}
		if n == 1 {
			return nil
		}
		holder, err := w.GetHoldingApplication(ctx, a.Item, a.SubjectKey)
		if errors.Is(err, store.ErrNotFound) {
			continue // released between the two statements: try again
		}
		if err != nil {
			return err
		}
		return &store.HeldError{Item: a.Item, ApplicationID: holder.ID, Status: holder.Status, PermitID: holder.PermitID}
	}
	return fmt.Errorf("insert application: the subject's hold keeps changing: %w", store.ErrConflict)
}

// UpdateApplication implements store.Writer.
func (w *writer) UpdateApplication(ctx context.Context, a *store.Application, expectedVersion int64) error {
	if !a.Status.Valid() {
		return fmt.Errorf("%w: status %q", store.ErrInvalid, a.Status)
	}
	form, err := jsonText(a.Form, "{}")
	if err != nil {
		return err
	}
	dec, err := jsonText(a.Decision, "{}")
	if err != nil {
		return err
	}
	now := store.Now()
	release := a.Status == store.StatusRejected
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE applications SET status = ?, form = ?, decision = ?, awaiting_level = ?,
		awaiting_division = ?, permit_id = ?, updated_at = ?, version = version + 1,
		subject_key = CASE WHEN ? THEN NULL ELSE subject_key END WHERE id = ? AND version = ?`),
		string(a.Status), form, dec, a.AwaitingLevel, a.AwaitingDivision, a.PermitID, now, release, a.ID, expectedVersion))
	if err != nil {
		return wrap("update application", err)
	}
	if n == 0 {
		var v int64
		if err := w.q.QueryRowContext(ctx, w.d.SQL(`SELECT version FROM applications WHERE id = ?`), a.ID).Scan(&v); err != nil {
			return wrap("update application", err)
		}
		return fmt.Errorf("update application %s: version %d, expected %d: %w", a.ID, v, expectedVersion, store.ErrConflict)
	}
	a.Version, a.UpdatedAt = expectedVersion+1, now
	if release {
		a.SubjectKey = ""
	}
	return nil
}

// AddReview implements store.Writer.
func (w *writer) AddReview(ctx context.Context, r *store.Review) error {
	switch r.Action {
	case store.ReviewApprove, store.ReviewReject, store.ReviewReturn:
	default:
		return fmt.Errorf("%w: review action %q", store.ErrInvalid, r.Action)
	}
	r.At = stamp(r.At)
	err := w.q.QueryRowContext(ctx, w.d.SQL(`INSERT INTO reviews (application_id, level, division, action, comment, reviewer, at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.ApplicationID, r.Level, r.Division, string(r.Action), r.Comment, r.Reviewer, r.At).Scan(&r.ID)
	return w.fkErr("insert review", err)
}

// fkErr wraps an insert error of a row that references an application.
func (w *writer) fkErr(what string, err error) error {
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "foreign key") {
		return fmt.Errorf("%s: application: %w", what, store.ErrNotFound)
	}
	return wrap(what, err)
}

// stamp returns t at stored precision, or now when t is zero.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return store.Now()
	}
	return store.NormTime(t)
}

// AddConfirmation implements store.Writer.
func (w *writer) AddConfirmation(ctx context.Context, c *store.Confirmation) error {
	declined := c.DeclinedFields
	if declined == nil {
		declined = []string{}
	}
	js, err := json.Marshal(declined)
	if err != nil {
		return fmt.Errorf("store: confirmation: %w", err)
	}
	c.At = stamp(c.At)
	err = w.q.QueryRowContext(ctx, w.d.SQL(`INSERT INTO confirmations (application_id, declined_fields, signature_digest, at)
		VALUES (?, ?, ?, ?) RETURNING id`), c.ApplicationID, string(js), c.SignatureDigest, c.At).Scan(&c.ID)
	return w.fkErr("insert confirmation", err)
}

// InsertDecision implements store.Writer.
func (w *writer) InsertDecision(ctx context.Context, d *store.Decision) error {
	if d.ID == "" {
		return fmt.Errorf("%w: decision id", store.ErrInvalid)
	}
	in, err := jsonText(d.Input, "{}")
	if err != nil {
		return err
	}
	res, err := jsonText(d.Result, "{}")
	if err != nil {
		return err
	}
	d.At, d.Outcome = stamp(d.At), decisionOutcome(d.Result)
	_, err = w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO decisions (decision_id, application_id, item, path, revision, input_digest, input, result, requested_by, at, outcome)
		VALUES `+placeholders(11)), d.ID, d.ApplicationID, d.Item, d.Path, d.Revision, d.InputDigest, in, res, d.RequestedBy, d.At, d.Outcome)
	return w.uniqueErr("insert decision", err, "", nil)
}

// AllocateStatusIndex implements store.Writer.
func (w *writer) AllocateStatusIndex(ctx context.Context) (int64, error) {
	var i int64
	err := w.q.QueryRowContext(ctx, w.d.NextStatusIndex).Scan(&i)
	return i, wrap("allocate status index", err)
}

// InsertPermit implements store.Writer.
func (w *writer) InsertPermit(ctx context.Context, p *store.Permit) error {
	if p.ID == "" || p.ApplicationID == "" || p.Token == "" {
		return fmt.Errorf("%w: permit needs id, application and token", store.ErrInvalid)
	}
	if p.StatusListIndex == 0 {
		i, err := w.AllocateStatusIndex(ctx)
		if err != nil {
			return err
		}
		p.StatusListIndex = i
	}
	p.Status, p.RevokedAt, p.RevocationReason = store.PermitActive, time.Time{}, ""
	p.IssuedAt, p.ExpiresAt = stamp(p.IssuedAt), store.NormTime(p.ExpiresAt)
	_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO permits (`+permitCols+`) VALUES `+placeholders(12)),
		p.ID, p.ApplicationID, p.Token, p.KID, p.Item, p.Issuer, p.IssuedAt, nullTime(p.ExpiresAt), string(p.Status),
		nil, "", p.StatusListIndex)
	if err != nil && !isUnique(w.d, err) {
		return w.fkErr("insert permit", err)
	}
	return w.uniqueErr("insert permit", err, "application_id", store.ErrDuplicatePermit)
}

func isUnique(d *Dialect, err error) bool {
	_, ok := d.UniqueViolation(err)
	return ok
}

// RevokePermit implements store.Writer.
func (w *writer) RevokePermit(ctx context.Context, id, reason string) error {
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE permits SET status = 'revoked', revoked_at = ?, revocation_reason = ?
		WHERE id = ? AND status = 'active'`), store.Now(), reason, id))
	if err != nil {
		return wrap("revoke permit", err)
	}
	if n == 0 {
		if _, err := w.GetPermit(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("revoke permit %s: %w", id, store.ErrPermitRevoked)
	}
	_, err = w.q.ExecContext(ctx, w.d.SQL(`UPDATE applications SET subject_key = NULL
		WHERE id = (SELECT application_id FROM permits WHERE id = ?)`), id)
	return wrap("release subject of revoked permit", err)
}

// ReserveIdempotency implements store.Writer.
func (w *writer) ReserveIdempotency(ctx context.Context, caller store.Caller, key, requestHash string) (*store.IdempotencyRecord, error) {
	if caller.Issuer == "" || caller.Subject == "" || key == "" || requestHash == "" {
		return nil, fmt.Errorf("%w: idempotency needs caller issuer and subject, key and request hash", store.ErrInvalid)
	}
	// ON CONFLICT DO NOTHING waits for a concurrent reservation of the same key to commit or
	// roll back, so the read below sees its outcome.
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO idempotency_keys (caller_iss, caller_sub, key, request_hash, completed, status, created_at)
		VALUES (?, ?, ?, ?, FALSE, 0, ?) ON CONFLICT (caller_iss, caller_sub, key) DO NOTHING`),
		caller.Issuer, caller.Subject, key, requestHash, store.Now()))
	if err != nil {
		return nil, wrap("reserve idempotency key", err)
	}
	if n == 1 {
		return nil, nil
	}
	rec, err := w.GetIdempotency(ctx, caller, key)
	switch {
	case err != nil:
		return nil, err
	case rec.RequestHash != requestHash:
		return nil, fmt.Errorf("idempotency key %q: %w", key, store.ErrIdempotencyMismatch)
	case !rec.Completed:
		return nil, fmt.Errorf("idempotency key %q: %w", key, store.ErrIdempotencyIncomplete)
	}
	return &rec, nil
}

// CompleteIdempotency implements store.Writer.
func (w *writer) CompleteIdempotency(ctx context.Context, caller store.Caller, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE idempotency_keys SET completed = TRUE, status = ?, body = ?
		WHERE caller_iss = ? AND caller_sub = ? AND key = ? AND completed = FALSE`), status, body, caller.Issuer, caller.Subject, key))
	if err != nil {
		return wrap("complete idempotency key", err)
	}
	if n == 0 {
		return fmt.Errorf("complete idempotency key %q: not reserved in this transaction: %w", key, store.ErrConflict)
	}
	return nil
}

// head reads and locks the audit chain head (until commit, on PostgreSQL).
func (w *writer) head(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := w.q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+w.d.ForUpdate).Scan(&seq, &hash)
	return seq, hash, wrap("lock audit head", err)
}

// AppendAudit implements store.Writer: it checks e and queues it for finishAudit.
func (w *writer) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.Action == "" {
		return fmt.Errorf("%w: audit action", store.ErrInvalid)
	}
	if looksLikeIDNumber(e.Subject) {
		return fmt.Errorf("%w: audit subject is a raw ID number (use a digest or a masked number)", store.ErrInvalid)
	}
	details := store.AuditDetails(e.Details)
	if !json.Valid(details) {
		return fmt.Errorf("%w: audit details are not JSON", store.ErrInvalid)
	}
	e.At, e.Details = stamp(e.At), details
	w.ah.pending = append(w.ah.pending, e)
	return nil
}

// RecordDataUse implements store.Writer.
func (w *writer) RecordDataUse(ctx context.Context, u *store.DataUse) error {
	if u.IDNumber != "" {
		u.SubjectDigest = store.SubjectDigest(w.key, u.IDNumber)
	}
	if u.SubjectDigest == "" {
		return fmt.Errorf("%w: data use needs a resident", store.ErrInvalid)
	}
	u.IDNumber, u.At = "", stamp(u.At)
	err := w.q.QueryRowContext(ctx, w.d.SQL(`INSERT INTO data_use (subject_digest, sub, role, org, item, purpose, application_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.SubjectDigest, u.Sub, u.Role, u.Org, u.Item, u.Purpose, u.ApplicationID, u.At).Scan(&u.ID)
	return wrap("insert data use", err)
}

// activeKeyErr maps a violation of the one-active-key-per-office index to
// store.ErrActiveKeyExists, other unique violations to store.ErrConflict.
func (w *writer) activeKeyErr(what string, err error) error {
	if c, ok := w.d.UniqueViolation(err); ok && (strings.Contains(c, "office_keys_one_active") || strings.Contains(c, "office_keys.office")) {
		return fmt.Errorf("%s: %w", what, store.ErrActiveKeyExists)
	}
	return w.uniqueErr(what, err, "", nil)
}

// officeKeyArgs checks k, fills its defaults and returns its column values.
func officeKeyArgs(k *store.OfficeKey) ([]any, error) {
	if k.KID == "" || len(k.PublicKey) == 0 {
		return nil, fmt.Errorf("%w: office key needs kid and public key", store.ErrInvalid)
	}
	if k.Status == "" {
		k.Status = store.KeyActive
	}
	k.CreatedAt, k.NotAfter = stamp(k.CreatedAt), store.NormTime(k.NotAfter)
	return []any{k.KID, k.Office, k.Algorithm, k.PublicKey, k.EncryptedPrivateKey, k.CreatedAt, nullTime(k.NotAfter), string(k.Status)}, nil
}

// PutOfficeKey implements store.Writer.
func (w *writer) PutOfficeKey(ctx context.Context, k *store.OfficeKey) error {
	args, err := officeKeyArgs(k)
	if err != nil {
		return err
	}
	_, err = w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO office_keys (`+officeKeyCols+`) VALUES `+placeholders(8)), args...)
	return w.activeKeyErr("insert office key", err)
}

// EnsureActiveOfficeKey implements store.Writer. The insert yields to the office's active key
// on the one-active-key index (waiting for a concurrent insert to commit or roll back), and
// the read that follows sees the key that won.
func (w *writer) EnsureActiveOfficeKey(ctx context.Context, k *store.OfficeKey) (store.OfficeKey, error) {
	k.Status = store.KeyActive
	args, err := officeKeyArgs(k)
	if err != nil {
		return store.OfficeKey{}, err
	}
	for range 3 {
		n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO office_keys (`+officeKeyCols+`) VALUES `+placeholders(8)+`
			ON CONFLICT (office) WHERE status = 'active' DO NOTHING`), args...))
		if err != nil {
			return store.OfficeKey{}, w.activeKeyErr("insert office key", err)
		}
		if n == 1 {
			return *k, nil
		}
		cur, err := scanOfficeKey(w.q.QueryRowContext(ctx, w.d.SQL(`SELECT `+officeKeyCols+` FROM office_keys
			WHERE office = ? AND status = 'active'`), k.Office))
		if errors.Is(err, store.ErrNotFound) {
			continue // retired since the insert yielded to it: try again
		}
		return cur, err
	}
	return store.OfficeKey{}, fmt.Errorf("office key for %s: the active key keeps changing: %w", k.Office, store.ErrConflict)
}

// SetOfficeKeyStatus implements store.Writer.
func (w *writer) SetOfficeKeyStatus(ctx context.Context, kid string, status store.KeyStatus, notAfter time.Time) error {
	if status != store.KeyActive && status != store.KeyRetired && status != store.KeyRevoked {
		return fmt.Errorf("%w: key status %q", store.ErrInvalid, status)
	}
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE office_keys SET status = ?, not_after = ? WHERE kid = ?`),
		string(status), nullTime(store.NormTime(notAfter)), kid))
	if err != nil {
		return w.activeKeyErr("update office key", err)
	}
	if n == 0 {
		return fmt.Errorf("office key %s: %w", kid, store.ErrNotFound)
	}
	return nil
}

// looksLikeIDNumber reports whether s has the shape of an unmasked 18-character ID number.
func looksLikeIDNumber(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	c := s[17]
	return c >= '0' && c <= '9' || c == 'X' || c == 'x'
}

// decisionOutcome is a decision's outcome from its result's "eligible" (true, false, or null
// or absent: undetermined).
func decisionOutcome(result []byte) string {
	var r struct {
		Eligible *bool `json:"eligible"`
	}
	if json.Unmarshal(result, &r) != nil || r.Eligible == nil {
		return store.OutcomeUndetermined
	}
	if *r.Eligible {
		return store.OutcomeEligible
	}
	return store.OutcomeIneligible
}
