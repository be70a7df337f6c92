package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/store"
)

// reader implements store.Reader over a pool or a transaction.
type reader struct {
	q   queryer
	d   *Dialect
	key []byte
}

const (
	residentCols    = "id_number, name, sex, birth_date, hukou_type, village, household_id, relation, deceased, dibao, tekun, disability_category, disability_grade, veteran, land_mu, updated_seq, town, in_school, collective_member, homestead_m2, house_grade"
	residentNCols   = 21
	applicationCols = "id, item, applicant_id, village, status, form, decision, awaiting_level, awaiting_division, permit_id, created_by, created_at, updated_at, version, subject_key"
	decisionCols    = "decision_id, application_id, item, path, revision, input_digest, input, result, requested_by, at, outcome, seq"
	permitCols      = "id, application_id, token, kid, item, issuer, issued_at, expires_at, status, revoked_at, revocation_reason, status_list_index"
	auditCols       = "seq, at, actor_sub, actor_role, action, subject, item, purpose, application_id, details, prev_hash, hash"
	dataUseCols     = "id, subject_digest, sub, role, org, item, purpose, application_id, at"
	officeKeyCols   = "kid, office, algorithm, public_key, encrypted_private_key, created_at, not_after, status"
)

type scanner interface{ Scan(dest ...any) error }

// nullString binds "" as NULL (a NULL subject key never collides in a unique index).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return store.NormTime(t)
}

func fromNull(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// jsonText returns raw as the text stored in a JSON column, def when empty.
func jsonText(raw []byte, def string) (string, error) {
	if len(raw) == 0 {
		return def, nil
	}
	if !json.Valid(raw) {
		return "", fmt.Errorf("%w: malformed JSON", store.ErrInvalid)
	}
	return string(raw), nil
}

func limit(n, def, max int) int {
	if n <= 0 {
		return def
	}
	return min(n, max)
}

func scanResident(s scanner) (store.Resident, error) {
	var r store.Resident
	err := s.Scan(&r.IDNumber, &r.Name, &r.Sex, &r.BirthDate, &r.HukouType, &r.Village, &r.HouseholdID, &r.Relation,
		&r.Deceased, &r.Dibao, &r.Tekun, &r.DisabilityCategory, &r.DisabilityGrade, &r.Veteran, &r.LandMu, &r.UpdatedSeq,
		new(string), &r.InSchool, &r.CollectiveMember, &r.HomesteadM2, &r.HouseGrade)
	return r, wrap("scan resident", err)
}

// GetResident implements store.Reader.
func (r reader) GetResident(ctx context.Context, idNumber string) (store.Resident, error) {
	res, err := scanResident(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+residentCols+` FROM residents WHERE id_number = ?`), idNumber))
	if err != nil {
		return res, err
	}
	rs := []store.Resident{res}
	if err := r.loadEnrolments(ctx, rs); err != nil {
		return res, err
	}
	return rs[0], nil
}

func (r reader) loadEnrolments(ctx context.Context, rs []store.Resident) error {
	if len(rs) == 0 {
		return nil
	}
	idx := make(map[string]int, len(rs))
	args := make([]any, len(rs))
	for i, x := range rs {
		idx[x.IDNumber] = i
		args[i] = x.IDNumber
	}
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT id_number, item FROM resident_enrolments WHERE id_number IN `+placeholders(len(args))+` ORDER BY id_number, item`), args...)
	if err != nil {
		return wrap("read enrolments", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, item string
		if err := rows.Scan(&id, &item); err != nil {
			return wrap("read enrolments", err)
		}
		i := idx[id]
		rs[i].Enrolled = append(rs[i].Enrolled, item)
	}
	return wrap("read enrolments", rows.Err())
}

// digits reports whether s is a (possibly empty) string of ASCII digits: a division prefix
// that is safe inside LIKE.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ScanResidents implements store.Reader.
func (r reader) ScanResidents(ctx context.Context, q store.ResidentQuery) ([]store.Resident, string, error) {
	var where []string
	var args []any
	if q.VillagePrefix != "" {
		if !digits(q.VillagePrefix) {
			return nil, "", fmt.Errorf("%w: village prefix %q", store.ErrInvalid, q.VillagePrefix)
		}
		where, args = append(where, "residents.village LIKE ?"), append(args, q.VillagePrefix+"%")
	}
	if q.NotEnrolledIn != "" {
		where = append(where, "NOT EXISTS (SELECT 1 FROM resident_enrolments e WHERE e.id_number = residents.id_number AND e.item = ?)")
		args = append(args, q.NotEnrolledIn)
	}
	if q.Where != "" {
		where, args = append(where, "("+q.Where+")"), append(args, q.Args...)
	}
	if q.After != "" {
		where, args = append(where, "residents.id_number > ?"), append(args, q.After)
	}
	n := limit(q.Limit, 1000, 10000)
	sqlText := `SELECT ` + residentCols + ` FROM residents`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " ORDER BY residents.id_number LIMIT " + strconv.Itoa(n)
	rows, err := r.q.QueryContext(ctx, r.d.SQL(sqlText), args...)
	if err != nil {
		return nil, "", wrap("scan residents", err)
	}
	var out []store.Resident
	for rows.Next() {
		x, err := scanResident(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", wrap("scan residents", err)
	}
	if err := r.loadEnrolments(ctx, out); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) == n {
		next = out[n-1].IDNumber
	}
	return out, next, nil
}

// SyncCursor implements store.Reader.
func (r reader) SyncCursor(ctx context.Context, feed string) (string, error) {
	var c string
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT cursor FROM sync_cursors WHERE feed = ?`), feed).Scan(&c)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return c, wrap("read sync cursor", err)
}

func scanApplication(s scanner) (store.Application, error) {
	var a store.Application
	var form, dec []byte
	var status string
	var subject sql.NullString
	err := s.Scan(&a.ID, &a.Item, &a.ApplicantID, &a.Village, &status, &form, &dec, &a.AwaitingLevel, &a.AwaitingDivision,
		&a.PermitID, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt, &a.Version, &subject)
	a.Status, a.Form, a.Decision, a.SubjectKey = store.ApplicationStatus(status), form, dec, subject.String
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, wrap("read application", err)
}

// GetApplication implements store.Reader.
func (r reader) GetApplication(ctx context.Context, id string) (store.Application, error) {
	return scanApplication(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+applicationCols+` FROM applications WHERE id = ?`), id))
}

// GetHoldingApplication implements store.Reader.
func (r reader) GetHoldingApplication(ctx context.Context, item, subjectKey string) (store.Application, error) {
	if subjectKey == "" {
		return store.Application{}, fmt.Errorf("holding application: %w", store.ErrNotFound)
	}
	return scanApplication(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+applicationCols+` FROM applications WHERE item = ? AND subject_key = ?`),
		item, subjectKey))
}

// ListApplications implements store.Reader.
func (r reader) ListApplications(ctx context.Context, f store.ApplicationFilter, p store.Page) ([]store.Application, string, error) {
	var where []string
	var args []any
	if len(f.Status) > 0 {
		where = append(where, "status IN "+placeholders(len(f.Status)))
		for _, s := range f.Status {
			args = append(args, string(s))
		}
	}
	for _, c := range []struct{ col, v string }{{"item", f.Item}, {"applicant_id", f.ApplicantID}, {"awaiting_division", f.AwaitingDivision}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if f.DivisionPrefix != "" {
		if !digits(f.DivisionPrefix) {
			return nil, "", fmt.Errorf("%w: division prefix %q", store.ErrInvalid, f.DivisionPrefix)
		}
		where, args = append(where, "village LIKE ?"), append(args, f.DivisionPrefix+"%")
	}
	if len(f.Villages) > 0 {
		where = append(where, "village IN "+placeholders(len(f.Villages)))
		for _, v := range f.Villages {
			args = append(args, v)
		}
	}
	if p.After != "" {
		where, args = append(where, "id < ?"), append(args, p.After)
	}
	n := limit(p.Limit, 50, 1000)
	q := `SELECT ` + applicationCols + ` FROM applications`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + strconv.Itoa(n)
	out, err := collect(ctx, r, q, args, scanApplication)
	if err != nil || len(out) < n {
		return out, "", err
	}
	return out, out[n-1].ID, nil
}

// collect runs a query and scans every row with scan.
func collect[T any](ctx context.Context, r reader, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := r.q.QueryContext(ctx, r.d.SQL(q), args...)
	if err != nil {
		return nil, wrap("query", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, wrap("query", rows.Err())
}

// ListReviews implements store.Reader.
func (r reader) ListReviews(ctx context.Context, applicationID string) ([]store.Review, error) {
	return collect(ctx, r, `SELECT id, application_id, level, division, action, comment, reviewer, at FROM reviews WHERE application_id = ? ORDER BY id`,
		[]any{applicationID}, func(s scanner) (store.Review, error) {
			var v store.Review
			var action string
			err := s.Scan(&v.ID, &v.ApplicationID, &v.Level, &v.Division, &action, &v.Comment, &v.Reviewer, &v.At)
			v.Action, v.At = store.ReviewAction(action), v.At.UTC()
			return v, wrap("read review", err)
		})
}

// LatestConfirmation implements store.Reader.
func (r reader) LatestConfirmation(ctx context.Context, applicationID string) (store.Confirmation, error) {
	var c store.Confirmation
	var declined []byte
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT id, application_id, declined_fields, signature_digest, at FROM confirmations WHERE application_id = ? ORDER BY id DESC LIMIT 1`),
		applicationID).Scan(&c.ID, &c.ApplicationID, &declined, &c.SignatureDigest, &c.At)
	if err != nil {
		return c, wrap("read confirmation", err)
	}
	c.At = c.At.UTC()
	if err := json.Unmarshal(declined, &c.DeclinedFields); err != nil {
		return c, fmt.Errorf("store: read confirmation: %w", err)
	}
	return c, nil
}

// decisionRow is a decision with its insertion sequence (the paging cursor).
type decisionRow struct {
	store.Decision
	seq int64
}

func scanDecision(s scanner) (decisionRow, error) {
	var d decisionRow
	var in, res []byte
	err := s.Scan(&d.ID, &d.ApplicationID, &d.Item, &d.Path, &d.Revision, &d.InputDigest, &in, &res, &d.RequestedBy, &d.At, &d.Outcome, &d.seq)
	d.Input, d.Result, d.At = in, res, d.At.UTC()
	return d, wrap("read decision", err)
}

// GetDecision implements store.Reader.
func (r reader) GetDecision(ctx context.Context, id string) (store.Decision, error) {
	d, err := scanDecision(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+decisionCols+` FROM decisions WHERE decision_id = ?`), id))
	return d.Decision, err
}

// ListDecisions implements store.Reader.
func (r reader) ListDecisions(ctx context.Context, f store.DecisionFilter, p store.Page) ([]store.Decision, string, error) {
	q := `SELECT ` + decisionCols + ` FROM decisions WHERE 1 = 1`
	var args []any
	if f.ApplicationID != "" {
		q, args = q+" AND application_id = ?", append(args, f.ApplicationID)
	}
	if f.Item != "" {
		q, args = q+" AND item = ?", append(args, f.Item)
	}
	if f.Revision != "" {
		q, args = q+" AND revision = ?", append(args, f.Revision)
	}
	if f.Outcome != "" {
		q, args = q+" AND outcome = ?", append(args, f.Outcome)
	}
	if !f.From.IsZero() {
		q, args = q+" AND at >= ?", append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		q, args = q+" AND at < ?", append(args, f.To.UTC())
	}
	if f.DivisionPrefix != "" || len(f.Villages) > 0 {
		sub := " AND application_id IN (SELECT id FROM applications WHERE 1 = 1"
		if f.DivisionPrefix != "" {
			sub, args = sub+" AND village LIKE ?", append(args, f.DivisionPrefix+"%")
		}
		if len(f.Villages) > 0 {
			sub += " AND village IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(f.Villages)), ", ") + ")"
			for _, v := range f.Villages {
				args = append(args, v)
			}
		}
		q += sub + ")"
	}
	if p.After != "" {
		after, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w: cursor %q", store.ErrInvalid, p.After)
		}
		q, args = q+" AND seq < ?", append(args, after)
	}
	n := limit(p.Limit, 50, 1000)
	rows, err := collect(ctx, r, q+" ORDER BY seq DESC LIMIT "+strconv.Itoa(n), args, scanDecision)
	if err != nil {
		return nil, "", err
	}
	out := make([]store.Decision, len(rows))
	for i, d := range rows {
		out[i] = d.Decision
	}
	if len(rows) < n {
		return out, "", nil
	}
	return out, strconv.FormatInt(rows[n-1].seq, 10), nil
}

func scanPermit(s scanner) (store.Permit, error) {
	var p store.Permit
	var exp, rev sql.NullTime
	var status string
	err := s.Scan(&p.ID, &p.ApplicationID, &p.Token, &p.KID, &p.Item, &p.Issuer, &p.IssuedAt, &exp, &status, &rev, &p.RevocationReason, &p.StatusListIndex)
	p.Status, p.IssuedAt, p.ExpiresAt, p.RevokedAt = store.PermitStatus(status), p.IssuedAt.UTC(), fromNull(exp), fromNull(rev)
	return p, wrap("read permit", err)
}

// GetPermit implements store.Reader.
func (r reader) GetPermit(ctx context.Context, id string) (store.Permit, error) {
	return scanPermit(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+permitCols+` FROM permits WHERE id = ?`), id))
}

// GetPermitByApplication implements store.Reader.
func (r reader) GetPermitByApplication(ctx context.Context, applicationID string) (store.Permit, error) {
	return scanPermit(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+permitCols+` FROM permits WHERE application_id = ?`), applicationID))
}

// RevokedStatusIndexes implements store.Reader.
func (r reader) RevokedStatusIndexes(ctx context.Context) ([]int64, int64, error) {
	var max int64
	if err := r.q.QueryRowContext(ctx, r.d.MaxStatusIndex).Scan(&max); err != nil {
		return nil, 0, wrap("read status index", err)
	}
	idx, err := collect(ctx, r, `SELECT status_list_index FROM permits WHERE status = 'revoked' ORDER BY status_list_index`, nil,
		func(s scanner) (int64, error) {
			var i int64
			return i, wrap("read status index", s.Scan(&i))
		})
	return idx, max, err
}

// GetIdempotency implements store.Reader.
func (r reader) GetIdempotency(ctx context.Context, caller store.Caller, key string) (store.IdempotencyRecord, error) {
	var rec store.IdempotencyRecord
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT caller_iss, caller_sub, key, request_hash, completed, status, body, created_at
		FROM idempotency_keys WHERE caller_iss = ? AND caller_sub = ? AND key = ?`),
		caller.Issuer, caller.Subject, key).Scan(&rec.Caller.Issuer, &rec.Caller.Subject, &rec.Key, &rec.RequestHash, &rec.Completed, &rec.Status, &rec.Body, &rec.CreatedAt)
	rec.CreatedAt = rec.CreatedAt.UTC()
	return rec, wrap("read idempotency record", err)
}

func scanAudit(s scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var action string
	var details []byte
	err := s.Scan(&e.Seq, &e.At, &e.ActorSub, &e.ActorRole, &action, &e.Subject, &e.Item, &e.Purpose, &e.ApplicationID, &details, &e.PrevHash, &e.Hash)
	e.Action, e.Details, e.At = store.AuditAction(action), details, e.At.UTC()
	return e, wrap("read audit entry", err)
}

// ListAudit implements store.Reader.
func (r reader) ListAudit(ctx context.Context, afterSeq int64, n int) ([]store.AuditEntry, error) {
	return collect(ctx, r, `SELECT `+auditCols+` FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT `+strconv.Itoa(limit(n, 100, 10000)),
		[]any{afterSeq}, scanAudit)
}

func scanCheckpoint(s scanner) (store.Checkpoint, error) {
	var c store.Checkpoint
	err := s.Scan(&c.Seq, &c.HeadHash, &c.At, &c.KID, &c.Signature)
	c.At = c.At.UTC()
	return c, wrap("read checkpoint", err)
}

func (r reader) checkpoints(ctx context.Context) ([]store.Checkpoint, error) {
	return collect(ctx, r, `SELECT seq, head_hash, at, kid, signature FROM audit_checkpoints ORDER BY id`, nil, scanCheckpoint)
}

// LatestCheckpoint implements store.Reader.
func (r reader) LatestCheckpoint(ctx context.Context) (store.Checkpoint, error) {
	return scanCheckpoint(r.q.QueryRowContext(ctx, `SELECT seq, head_hash, at, kid, signature FROM audit_checkpoints ORDER BY id DESC LIMIT 1`))
}

// ListDataUse implements store.Reader.
func (r reader) ListDataUse(ctx context.Context, idNumber string, p store.Page) ([]store.DataUse, string, error) {
	q := `SELECT ` + dataUseCols + ` FROM data_use WHERE subject_digest = ?`
	args := []any{store.SubjectDigest(r.key, idNumber)}
	if p.After != "" {
		after, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w: cursor %q", store.ErrInvalid, p.After)
		}
		q, args = q+" AND id < ?", append(args, after)
	}
	n := limit(p.Limit, 50, 1000)
	out, err := collect(ctx, r, q+" ORDER BY id DESC LIMIT "+strconv.Itoa(n), args, func(s scanner) (store.DataUse, error) {
		var u store.DataUse
		err := s.Scan(&u.ID, &u.SubjectDigest, &u.Sub, &u.Role, &u.Org, &u.Item, &u.Purpose, &u.ApplicationID, &u.At)
		u.At = u.At.UTC()
		return u, wrap("read data use", err)
	})
	if err != nil || len(out) < n {
		return out, "", err
	}
	return out, strconv.FormatInt(out[n-1].ID, 10), nil
}

func scanOfficeKey(s scanner) (store.OfficeKey, error) {
	var k store.OfficeKey
	var na sql.NullTime
	var status string
	err := s.Scan(&k.KID, &k.Office, &k.Algorithm, &k.PublicKey, &k.EncryptedPrivateKey, &k.CreatedAt, &na, &status)
	k.Status, k.CreatedAt, k.NotAfter = store.KeyStatus(status), k.CreatedAt.UTC(), fromNull(na)
	return k, wrap("read office key", err)
}

// GetOfficeKey implements store.Reader.
func (r reader) GetOfficeKey(ctx context.Context, kid string) (store.OfficeKey, error) {
	return scanOfficeKey(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+officeKeyCols+` FROM office_keys WHERE kid = ?`), kid))
}

// ListOfficeKeys implements store.Reader.
func (r reader) ListOfficeKeys(ctx context.Context, office string) ([]store.OfficeKey, error) {
	q, args := `SELECT `+officeKeyCols+` FROM office_keys`, []any(nil)
	if office != "" {
		q, args = q+` WHERE office = ?`, append(args, office)
	}
	return collect(ctx, r, q+` ORDER BY created_at, kid`, args, scanOfficeKey)
}
