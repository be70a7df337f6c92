package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"sanmian/hub/auth"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	"sanmian/hub/store/storetest"
)

type appView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	PermitID string `json:"permit_id"`
	Awaiting *struct {
		Level    string `json:"level"`
		Division string `json:"division"`
	} `json:"awaiting"`
	Form struct {
		Fields []struct {
			Name   string `json:"name"`
			Manual bool   `json:"manual"`
		} `json:"fields"`
	} `json:"form"`
}

// TestTwoHubsOnePermitPostgres runs two hub processes (this test binary re-executed as a hub,
// see TestMain: two OS processes, each with app.New, its own PostgreSQL connections and HTTP
// server, as two replicas behind a load balancer) on one fresh PostgreSQL schema, brings an
// application to its last review level, and sends the final approval to both hubs at the same
// moment, several times over: exactly one permit is issued, the other request gets 409, and
// the audit chain written by both verifies.
func TestTwoHubsOnePermitPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	schema := storetest.FreshSchema(t, dsn)
	createSchema(t, dsn, schema)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	testTwoHubsOnePermit(t, u.String(), func() checkStore { return storetest.OpenPostgresIn(t, dsn, schema) },
		`SELECT count(*), min(id) FROM permits WHERE application_id = $1`)
}

// TestTwoHubsOnePermitSQLite is the same race with two hub processes sharing one SQLite file.
func TestTwoHubsOnePermitSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	testTwoHubsOnePermit(t, path, func() checkStore {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, `SELECT count(*), min(id) FROM permits WHERE application_id = ?`)
}

// checkStore is the test's own handle on the hubs' database.
type checkStore interface {
	store.Store
	SQLDB() *sql.DB
}

func testTwoHubsOnePermit(t *testing.T, storeDSN string, open func() checkStore, countPermits string) {
	p := startPlatforms(t, envOptions{residents: 3000, faults: "none"})
	dir := t.TempDir()
	cfg, issuer := hubConfig(t, dir, p, storeDSN)
	urlA, stopA := startHubProcess(t, cfg, "hub-a")
	urlB, stopB := startHubProcess(t, cfg, "hub-b")
	srvA, srvB := struct{ URL string }{urlA}, struct{ URL string }{urlB}
	// The test's own connection to the shared database, for checking what the hubs wrote.
	pg := open()
	kinds := map[string]int{} // problem type of the losing approval

	const item = "homestead_application" // levels village, work_area, town; never instant
	rs := residentsByHousehold(p, 0, 8)
	for round, r := range rs {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			mint := func(role, jurisdiction string) string {
				tok, err := issuer.Mint(auth.Caller{Subject: role + "-" + jurisdiction, Role: role, Jurisdiction: jurisdiction}, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			counter := mint(auth.RoleCounter, r.Village)
			var app appView
			st := postJSON(t, http.MethodPost, srvA.URL+"/v1/applications", counter, fmt.Sprintf("create-%d", round),
				map[string]any{"item": item, "applicant": map[string]any{"id_number": r.ID}, "purpose": "homestead application at the counter"}, &app)
			if st != http.StatusCreated {
				t.Fatalf("create: %d %+v", st, app)
			}
			// Confirm (from hub B), declining one pre-filled field so that the application
			// goes to review even if the policy would allow instant approval.
			var declined []string
			notes := map[string]string{}
			for _, f := range app.Form.Fields {
				if !f.Manual {
					declined = append(declined, f.Name)
					notes[f.Name] = "applicant brought the paper record"
					break
				}
			}
			st = postJSON(t, http.MethodPost, srvB.URL+"/v1/applications/"+app.ID+"/confirm", counter, fmt.Sprintf("confirm-%d", round),
				map[string]any{"signature": "data:image/png;base64,iVBORw0KGgo=", "declined": declined, "notes": notes}, &app)
			if st != http.StatusOK || app.Status != "in_review" || app.Awaiting == nil {
				t.Fatalf("confirm: %d %+v", st, app)
			}
			// Approve every level but the last, alternating hubs.
			for lvl := 0; app.Awaiting != nil && app.Awaiting.Level != "town"; lvl++ {
				srv := []string{srvA.URL, srvB.URL}[lvl%2]
				st = postJSON(t, http.MethodPost, srv+"/v1/applications/"+app.ID+"/review", mint(auth.RoleReviewer, app.Awaiting.Division),
					fmt.Sprintf("review-%d-%d", round, lvl), map[string]any{"action": "approve"}, &app)
				if st != http.StatusOK {
					t.Fatalf("review %d: %d %+v", lvl, st, app)
				}
			}
			if app.Awaiting == nil || app.Status != "in_review" {
				t.Fatalf("not at the last level: %+v", app)
			}
			// The final approval, at both hubs at once, by two reviewers of the town office
			// (different callers, so idempotency keys cannot merge them).
			div := app.Awaiting.Division
			tokA, tokB := mint(auth.RoleReviewer, div), func() string {
				tok, err := issuer.Mint(auth.Caller{Subject: "second-reviewer-" + div, Role: auth.RoleReviewer, Jurisdiction: div}, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}()
			var wg sync.WaitGroup
			start := make(chan struct{})
			status := make([]int, 2)
			views := make([]appView, 2)
			problems := make([]struct {
				Type string `json:"type"`
			}, 2)
			for i, target := range []struct{ url, tok string }{{srvA.URL, tokA}, {srvB.URL, tokB}} {
				wg.Go(func() {
					<-start
					var b []byte
					var err error
					status[i], b, err = sendJSON(http.MethodPost, target.url+"/v1/applications/"+app.ID+"/review", target.tok,
						fmt.Sprintf("final-%d-%d", round, i), map[string]any{"action": "approve"})
					if err != nil {
						t.Error(err)
						return
					}
					if status[i] == http.StatusOK {
						err = json.Unmarshal(b, &views[i])
					} else {
						err = json.Unmarshal(b, &problems[i])
					}
					if err != nil {
						t.Errorf("%d %s: %v", status[i], b, err)
					}
				})
			}
			close(start)
			wg.Wait()
			got := slices.Clone(status)
			slices.Sort(got)
			if !slices.Equal(got, []int{http.StatusOK, http.StatusConflict}) {
				t.Fatalf("final approvals answered %v, want one 200 and one 409", status)
			}
			winner := views[slices.Index(status, http.StatusOK)]
			kinds[problems[slices.Index(status, http.StatusConflict)].Type]++
			if winner.Status != "approved" || winner.PermitID == "" {
				t.Fatalf("winner: %+v", winner)
			}
			// Exactly one permit in the database for the application, the winner's.
			var n int
			var permitID string
			db := pg.SQLDB()
			if err := db.QueryRowContext(t.Context(), countPermits, app.ID).Scan(&n, &permitID); err != nil {
				t.Fatal(err)
			}
			if n != 1 || permitID != winner.PermitID {
				t.Fatalf("%d permits (%s) for the application, want 1 (%s)", n, permitID, winner.PermitID)
			}
			var final appView
			if st := postJSON(t, http.MethodGet, srvB.URL+"/v1/applications/"+app.ID, counter, "", nil, &final); st != http.StatusOK ||
				final.Status != "approved" || final.PermitID != winner.PermitID {
				t.Fatalf("application after the race: %d %+v", st, final)
			}
		})
	}

	// The audit chain written by both hubs verifies, with a checkpoint from each.
	// Stopping a hub signs the chain's head (a checkpoint); then verify the whole chain.
	stopA()
	stopB()
	ctx := context.WithoutCancel(t.Context())
	if _, err := pg.LatestCheckpoint(ctx); err != nil {
		t.Fatalf("no checkpoint after the hubs stopped: %v", err)
	}
	pub, err := store.AuditPublicKeys(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := pg.VerifyAudit(ctx, pub)
	if err != nil || !rep.Intact {
		t.Fatalf("audit chain: %+v, %v", rep, err)
	}
	t.Logf("losing final approvals: %v; audit chain intact, %d entries", kinds, rep.Entries)
}

// createSchema creates schema (FreshSchema drops it at cleanup).
func createSchema(t *testing.T, dsn, schema string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
}
