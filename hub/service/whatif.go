package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// PurposeWhatIf is the purpose recorded in the data-use record of every resident a policy
// what-if shows (masked) to the auditor who ran it.
const PurposeWhatIf = "政策试算"

// MaxBundleBytes bounds an uploaded candidate bundle (a gzipped tarball).
const MaxBundleBytes = 16 << 20

// WhatIfRequest is one policy what-if: a candidate bundle (gzipped tarball bytes), the scan
// date (YYYY-MM-DD, default today in China Standard Time), an item ("" for every proactive
// item) and a division (the district, a town or a village; default the district).
type WhatIfRequest struct {
	Bundle   []byte
	At       string
	Item     string
	Division string
}

// WhatIfQuery is what the runner is asked: the pinned time and the scan's selection.
type WhatIfQuery struct {
	At       time.Time
	Item     string
	Division string // a division code prefix ("" for the district)
}

// WhatIfRunner loads candidate bundles for policy what-ifs (app: a separate policy engine
// under the live bundle's verification rules, never activated). A bundle that cannot be read,
// verified or compiled, or fails its own tests, is an error wrapping ErrBadBundle.
type WhatIfRunner interface {
	LoadCandidate(ctx context.Context, bundle []byte) (WhatIfCandidate, error)
}

// WhatIfCandidate is a loaded candidate bundle.
type WhatIfCandidate interface {
	// Revisions are the live and the candidate bundle's revisions.
	Revisions() (live, candidate string)
	// Run runs the district scan with the live policy and with the candidate on the synced
	// data and compares them; progress receives progress lines. An item the scan does not
	// know is an error wrapping ErrUnknownScanItem.
	Run(ctx context.Context, q WhatIfQuery, progress func(string)) (*WhatIfReport, error)
}

// Errors a WhatIfRunner wraps.
var (
	ErrBadBundle       = errors.New("service: candidate bundle refused")
	ErrUnknownScanItem = errors.New("service: not a proactive item of the scan")
)

// WhatIfReport is the difference between the live policy and a candidate over the synced
// district (see package hub/scan): totals, per item, per village and item, every change.
type WhatIfReport struct {
	At                string          `json:"at"`
	Division          string          `json:"division"`
	LiveRevision      string          `json:"live_revision"`
	CandidateRevision string          `json:"candidate_revision"`
	CandidateDigest   string          `json:"candidate_digest"` // sha256 of the uploaded bundle
	Residents         int             `json:"residents"`
	Gains             int             `json:"gains"`
	Losses            int             `json:"losses"`
	Cleared           int             `json:"cleared"`
	ElapsedMS         int64           `json:"elapsed_ms"`
	Items             []WhatIfItem    `json:"items"`
	Villages          []WhatIfVillage `json:"villages"`
	Changes           []WhatIfChange  `json:"changes"`
}

// WhatIfItem is one item's worklist and alert counts under both policies and its changes.
type WhatIfItem struct {
	Item                string `json:"item"`
	ItemName            string `json:"item_name"`
	LiveCandidates      int    `json:"live_candidates"`
	CandidateCandidates int    `json:"candidate_candidates"`
	LiveAlerts          int    `json:"live_alerts"`
	CandidateAlerts     int    `json:"candidate_alerts"`
	Gains               int    `json:"gains"`
	Losses              int    `json:"losses"`
	Cleared             int    `json:"cleared"`
}

// WhatIfVillage is one village's changes for one item.
type WhatIfVillage struct {
	Village     string `json:"village"`
	VillageName string `json:"village_name"`
	Item        string `json:"item"`
	Gains       int    `json:"gains"`
	Losses      int    `json:"losses"`
	Cleared     int    `json:"cleared"`
}

// WhatIfChange is one resident whose outcome for an item changes: "gain" (would join the
// worklist), "loss" (would leave it, or, enrolled, become a supervision alert) or "cleared"
// (enrolled, an alert under the live policy that the candidate clears); the reason codes that
// changed and the rule they cite. IDNumber is masked; FullID never leaves the service.
type WhatIfChange struct {
	Item        string   `json:"item"`
	Village     string   `json:"village"`
	VillageName string   `json:"village_name"`
	IDNumber    string   `json:"id_number"`
	Change      string   `json:"change"`
	Enrolled    bool     `json:"enrolled"`
	Reasons     []string `json:"reasons"`
	Rule        string   `json:"rule,omitempty"`
	FullID      string   `json:"-"`
}

// What-if job states.
const (
	WhatIfRunning = "running"
	WhatIfDone    = "done"
	WhatIfFailed  = "failed"
)

// WhatIfJob is one policy what-if run: started by StartWhatIf, read by WhatIfResult. The hub
// that runs it holds it in memory and saves it in the store when it starts, every
// whatIfHeartbeat while it runs and when it ends, so that its result outlives the process
// and any replica serves it (the store keeps the last store.WhatIfKept).
type WhatIfJob struct {
	ID                string        `json:"id"`
	Status            string        `json:"status"`
	Progress          string        `json:"progress"` // the latest progress line
	LiveRevision      string        `json:"live_revision"`
	CandidateRevision string        `json:"candidate_revision"`
	CandidateDigest   string        `json:"candidate_digest"`
	At                string        `json:"at"`
	Item              string        `json:"item,omitempty"`
	Division          string        `json:"division"`
	StartedAt         time.Time     `json:"started_at"`
	FinishedAt        *time.Time    `json:"finished_at,omitempty"`
	Error             string        `json:"error,omitempty"`
	Report            *WhatIfReport `json:"report,omitempty"`

	owner string // issuer and subject of the caller who started it
}

// whatIfJobs holds the jobs of this hub process.
type whatIfJobs struct {
	mu   sync.Mutex
	jobs map[string]*WhatIfJob
	ids  []string // oldest first
}

// maxWhatIfJobs is how many jobs (finished or not) a hub keeps.
const maxWhatIfJobs = 20

// StartWhatIf starts a policy what-if (policy.whatif: auditors and administrators): the
// candidate bundle is loaded now (a bundle the hub refuses is an *InvalidError on the field
// "bundle"), the two scans run in the background, one what-if at a time per hub (another
// while one runs is a *StateError). The start is audited with both revisions and the
// candidate's digest; when the run is done every resident the report names gets a data-use
// record.
func (h *Hub) StartWhatIf(ctx context.Context, c auth.Caller, req WhatIfRequest) (_ WhatIfJob, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if len(req.Bundle) == 0 {
		return WhatIfJob{}, &InvalidError{Field: "bundle", Detail: "a candidate bundle (gzipped tarball) is required"}
	}
	if len(req.Bundle) > MaxBundleBytes {
		return WhatIfJob{}, &InvalidError{Field: "bundle", Detail: fmt.Sprintf("larger than %d bytes", MaxBundleBytes)}
	}
	at := h.now().In(division.Zone)
	if req.At != "" {
		t, perr := time.ParseInLocation(time.DateOnly, req.At, division.Zone)
		if perr != nil {
			return WhatIfJob{}, &InvalidError{Field: "at", Detail: "want YYYY-MM-DD"}
		}
		at = t.Add(12 * time.Hour)
	}
	if req.Item != "" {
		if it, ok := h.policy.Item(req.Item); !ok || !it.Proactive {
			return WhatIfJob{}, &InvalidError{Field: "item", Detail: "not a proactive item code of the catalogue"}
		}
	}
	scope := req.Division
	if scope == "" {
		scope = division.DistrictCode
	}
	prefix := ""
	if scope != division.DistrictCode {
		d, ok := division.Lookup(scope)
		if !ok || (d.Level != division.LevelTown && d.Level != division.LevelVillage) {
			return WhatIfJob{}, &InvalidError{Field: "division", Detail: "not the district, a town or a village of the district"}
		}
		prefix = scope
		if d.Level == division.LevelTown {
			prefix = scope[:9]
		}
	}
	if _, err := h.authorize(ctx, c, "policy.whatif", Resource{Item: req.Item, Division: scope}, ""); err != nil {
		return WhatIfJob{}, err
	}
	if h.whatif == nil {
		return WhatIfJob{}, errors.New("service: policy what-if is not configured")
	}
	if h.whatIfRunning() {
		return WhatIfJob{}, &StateError{Detail: "another policy what-if is running on this hub; try again when it is done"}
	}
	cand, err := h.whatif.LoadCandidate(ctx, req.Bundle)
	if errors.Is(err, ErrBadBundle) {
		return WhatIfJob{}, &InvalidError{Field: "bundle", Detail: err.Error()}
	}
	if err != nil {
		return WhatIfJob{}, err
	}
	sum := sha256.Sum256(req.Bundle)
	live, candRev := cand.Revisions()
	job := &WhatIfJob{ID: store.NewID(), Status: WhatIfRunning, Progress: "", LiveRevision: live, CandidateRevision: candRev,
		CandidateDigest: "sha256:" + hex.EncodeToString(sum[:]), At: at.Format(time.DateOnly), Item: req.Item, Division: scope,
		StartedAt: h.now().UTC(), owner: whatIfOwner(c)}
	details := mustJSON(map[string]any{"operation": "whatif", "job": job.ID, "live_revision": live, "candidate_revision": candRev,
		"candidate_digest": job.CandidateDigest, "at": job.At, "item": req.Item, "division": scope})
	if err := h.store.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditPolicy,
		Item: req.Item, Details: details}); err != nil {
		return WhatIfJob{}, fmt.Errorf("service: audit what-if: %w", err)
	}
	if !h.addWhatIf(job) {
		return WhatIfJob{}, &StateError{Detail: "another policy what-if is running on this hub; try again when it is done"}
	}
	if err := h.saveWhatIf(ctx, job); err != nil {
		h.dropWhatIf(job.ID)
		return WhatIfJob{}, err
	}
	view := *job
	go h.runWhatIf(context.WithoutCancel(ctx), c, job, cand, WhatIfQuery{At: at, Item: req.Item, Division: prefix})
	return view, nil
}

// WhatIfResult returns a what-if job as it stands (policy.whatif), with its report once done.
// Only the caller who started it may read it; for anyone else it does not exist.
func (h *Hub) WhatIfResult(ctx context.Context, c auth.Caller, id string) (_ WhatIfJob, err error) {
	defer h.auditRefusal(ctx, c, &err)
	h.jobs.mu.Lock()
	j, ok := h.jobs.jobs[id]
	var view WhatIfJob
	if ok {
		view = *j
	}
	h.jobs.mu.Unlock()
	if !ok { // run by another process, or by this one before a restart
		var err error
		if view, ok, err = h.storedWhatIf(ctx, id); err != nil {
			return WhatIfJob{}, err
		}
	}
	res := Resource{Division: division.DistrictCode}
	if ok {
		res = Resource{Item: view.Item, Division: view.Division}
	}
	if _, err := h.authorize(ctx, c, "policy.whatif", res, ""); err != nil {
		return WhatIfJob{}, err
	}
	if !ok || view.owner != whatIfOwner(c) {
		return WhatIfJob{}, &NotFoundError{What: "what-if", ID: auditValue(id)}
	}
	return view, nil
}

// whatIfHeartbeat is how often a running what-if is saved (with its progress); a job the
// store holds as running that was not saved for whatIfStale was cut off by its hub stopping.
const (
	whatIfHeartbeat = 30 * time.Second
	whatIfStale     = 4 * whatIfHeartbeat
)

// whatIfOwner is who may read a what-if: the caller's issuer and subject.
func whatIfOwner(c auth.Caller) string { return string(mustJSON([]string{c.Issuer, c.Subject})) }

// saveWhatIf saves the job as it stands in the store.
func (h *Hub) saveWhatIf(ctx context.Context, job *WhatIfJob) error {
	h.jobs.mu.Lock()
	view := *job
	h.jobs.mu.Unlock()
	b, err := json.Marshal(view)
	if err != nil {
		return fmt.Errorf("service: save what-if: %w", err)
	}
	if err := h.store.SaveWhatIf(ctx, &store.WhatIfRecord{ID: view.ID, Owner: view.owner, Status: view.Status, Job: b}); err != nil {
		return fmt.Errorf("service: save what-if: %w", err)
	}
	return nil
}

// storedWhatIf reads a job from the store; ok is false when there is none. A job still
// running there that its hub has not saved for whatIfStale is reported failed.
func (h *Hub) storedWhatIf(ctx context.Context, id string) (WhatIfJob, bool, error) {
	rec, err := h.store.GetWhatIf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return WhatIfJob{}, false, nil
	}
	if err != nil {
		return WhatIfJob{}, false, fmt.Errorf("service: read what-if: %w", err)
	}
	var job WhatIfJob
	if err := json.Unmarshal(rec.Job, &job); err != nil {
		return WhatIfJob{}, false, fmt.Errorf("service: read what-if %s: %w", auditValue(id), err)
	}
	job.owner = rec.Owner
	if job.Status == WhatIfRunning && h.now().Sub(rec.Updated) > whatIfStale {
		job.Status, job.Error = WhatIfFailed, "the what-if was cut off: the hub running it stopped before it finished; start it again"
	}
	return job, true, nil
}

func (h *Hub) dropWhatIf(id string) {
	h.jobs.mu.Lock()
	defer h.jobs.mu.Unlock()
	delete(h.jobs.jobs, id)
	h.jobs.ids = slices.DeleteFunc(h.jobs.ids, func(x string) bool { return x == id })
}

func (h *Hub) whatIfRunning() bool {
	h.jobs.mu.Lock()
	defer h.jobs.mu.Unlock()
	for _, j := range h.jobs.jobs {
		if j.Status == WhatIfRunning {
			return true
		}
	}
	return false
}

// addWhatIf registers a new running job unless one is running; it drops the oldest finished
// jobs beyond maxWhatIfJobs.
func (h *Hub) addWhatIf(job *WhatIfJob) bool {
	h.jobs.mu.Lock()
	defer h.jobs.mu.Unlock()
	if h.jobs.jobs == nil {
		h.jobs.jobs = map[string]*WhatIfJob{}
	}
	for _, j := range h.jobs.jobs {
		if j.Status == WhatIfRunning {
			return false
		}
	}
	h.jobs.jobs[job.ID], h.jobs.ids = job, append(h.jobs.ids, job.ID)
	for len(h.jobs.ids) > maxWhatIfJobs {
		delete(h.jobs.jobs, h.jobs.ids[0])
		h.jobs.ids = h.jobs.ids[1:]
	}
	return true
}

func (h *Hub) runWhatIf(ctx context.Context, c auth.Caller, job *WhatIfJob, cand WhatIfCandidate, q WhatIfQuery) {
	set := func(f func(j *WhatIfJob)) {
		h.jobs.mu.Lock()
		defer h.jobs.mu.Unlock()
		f(job)
	}
	beat := time.NewTicker(whatIfHeartbeat)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-beat.C:
				if err := h.saveWhatIf(ctx, job); err != nil {
					h.log.WarnContext(ctx, "policy what-if not saved", "job", job.ID, "err", ident.RedactText(err.Error()))
				}
			}
		}
	}()
	rep, err := cand.Run(ctx, q, func(line string) { set(func(j *WhatIfJob) { j.Progress = line }) })
	if err == nil {
		err = h.finishWhatIf(ctx, c, job, rep)
	}
	beat.Stop()
	close(done)
	<-stopped // no heartbeat may save the running job over its end
	now := h.now().UTC()
	set(func(j *WhatIfJob) {
		j.FinishedAt = &now
		if err != nil {
			j.Status, j.Error = WhatIfFailed, "the what-if failed"
			if errors.Is(err, ErrUnknownScanItem) {
				j.Error = "the item is not a proactive item of the candidate's scan"
			}
			return
		}
		j.Status, j.Report = WhatIfDone, rep
	})
	if err != nil {
		h.log.ErrorContext(ctx, "policy what-if failed", "job", job.ID, "err", ident.RedactText(err.Error()))
	}
	if err := h.saveWhatIf(ctx, job); err != nil {
		h.log.ErrorContext(ctx, "policy what-if result not saved", "job", job.ID, "err", ident.RedactText(err.Error()))
	}
}

// finishWhatIf names the items and villages and records the data use of every resident named.
func (h *Hub) finishWhatIf(ctx context.Context, c auth.Caller, job *WhatIfJob, rep *WhatIfReport) error {
	rep.CandidateDigest, rep.Division = job.CandidateDigest, job.Division
	for k := range rep.Items {
		if it, ok := h.policy.Item(rep.Items[k].Item); ok {
			rep.Items[k].ItemName = it.NameZH
		}
	}
	for k := range rep.Villages {
		rep.Villages[k].VillageName = divisionName(rep.Villages[k].Village)
	}
	for k := range rep.Changes {
		rep.Changes[k].VillageName = divisionName(rep.Changes[k].Village)
	}
	err := h.store.Tx(ctx, func(tx store.Txn) error {
		for _, ch := range rep.Changes {
			if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: ch.FullID, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
				Item: ch.Item, Purpose: PurposeWhatIf}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("service: record what-if data use: %w", err)
	}
	return nil
}

func divisionName(code string) string {
	if d, ok := division.Lookup(code); ok {
		return d.Name
	}
	return ""
}
