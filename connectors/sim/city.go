package sim

// The city platform (市大数据平台): OAuth2 client credentials, REST by resource, camelCase
// JSON, Google-style error bodies. Wire format: API.md section 2.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"sanmian/connectors/sim/synth"
)

const (
	cityMaxBody   = 64 << 10
	cityMaxBatch  = 100
	cityMaxTokens = 100_000
)

type city struct {
	s            *Server
	data         *synth.District
	clientID     string
	clientSecret string
	ttl          time.Duration
	reference    time.Time

	mu     sync.Mutex
	tokens map[string]time.Time // access token → expiry
}

func newCity(data *synth.District, creds Credentials, ttl time.Duration, seed int64, faults FaultConfig, log *slog.Logger) *Server {
	c := &city{
		data:         data,
		clientID:     creds.CityClientID,
		clientSecret: creds.CityClientSecret,
		ttl:          ttl,
		reference:    data.Config.Reference,
		tokens:       make(map[string]time.Time),
	}
	c.s = newServer("city", seed, faults, cityFail, log)
	c.s.handle("POST /oauth2/token", "POST /oauth2/token", http.HandlerFunc(c.token))
	c.s.handle("GET /api/v2/insured-persons/{idNumber}", "GET /api/v2/insured-persons/{idNumber}", c.authed(c.get))
	c.s.handle("POST /api/v2/insured-persons:batchGet", "POST /api/v2/insured-persons:batchGet", c.authed(c.batchGet))
	c.registerFeed()
	c.s.handle("/", "other", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		cityError(w, http.StatusNotFound, "resource not found")
	}))
	return c.s
}

// cityStatus is the status word of a city error body.
var cityStatus = map[int]string{
	http.StatusBadRequest:            "INVALID_ARGUMENT",
	http.StatusUnauthorized:          "UNAUTHENTICATED",
	http.StatusNotFound:              "NOT_FOUND",
	http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
	http.StatusRequestEntityTooLarge: "PAYLOAD_TOO_LARGE",
	http.StatusTooManyRequests:       "RESOURCE_EXHAUSTED",
	http.StatusInternalServerError:   "INTERNAL",
	http.StatusBadGateway:            "BAD_GATEWAY",
	http.StatusServiceUnavailable:    "UNAVAILABLE",
}

type cityErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

func cityError(w http.ResponseWriter, status int, msg string) {
	var b cityErrorBody
	b.Error.Code = status
	b.Error.Status = cityStatus[status]
	if b.Error.Status == "" {
		b.Error.Status = "UNKNOWN"
	}
	b.Error.Message = msg
	writeJSON(w, status, b)
}

func cityFail(w http.ResponseWriter, status int, _ int) {
	msg := map[int]string{
		http.StatusTooManyRequests:     "quota exceeded, retry later",
		http.StatusInternalServerError: "internal error",
		http.StatusBadGateway:          "bad gateway",
		http.StatusServiceUnavailable:  "service unavailable",
	}[status]
	if msg == "" {
		msg = http.StatusText(status)
	}
	cityError(w, status, msg)
}

// oauthError writes an RFC 6749 section 5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="city"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (c *city) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, cityMaxBody)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "content type must be application/x-www-form-urlencoded")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			oauthError(w, http.StatusRequestEntityTooLarge, "invalid_request", "request body too large")
			return
		}
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable body")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication required")
		return
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(c.clientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(c.clientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	tok := c.issue(time.Now())
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int(math.Ceil(c.ttl.Seconds())),
		"scope":        form.Get("scope"),
	})
}

// issue mints a token valid until now + ttl, dropping expired tokens when the table is large.
func (c *city) issue(now time.Time) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) >= 1024 {
		for t, exp := range c.tokens {
			if !exp.After(now) {
				delete(c.tokens, t)
			}
		}
		for t := range c.tokens { // still full of live tokens: forget arbitrary ones
			if len(c.tokens) < cityMaxTokens {
				break
			}
			delete(c.tokens, t)
		}
	}
	c.tokens[tok] = now.Add(c.ttl)
	return tok
}

// authed refuses requests without a live bearer token.
func (c *city) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, tok, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="city"`)
			cityError(w, http.StatusUnauthorized, "bearer token required")
			return
		}
		c.mu.Lock()
		exp, ok := c.tokens[tok]
		c.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="city", error="invalid_token", error_description="unknown token"`)
			cityError(w, http.StatusUnauthorized, "invalid token")
			return
		}
		if !exp.After(time.Now()) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="city", error="invalid_token", error_description="token expired"`)
			cityError(w, http.StatusUnauthorized, "token expired")
			return
		}
		h(w, r)
	})
}

// insuredPerson is the city's resource.
type insuredPerson struct {
	IDNumber         string         `json:"idNumber"`
	Name             string         `json:"name"`
	Pension          cityPension    `json:"pension"`
	MedicalInsurance cityMedical    `json:"medicalInsurance"`
	Employment       cityEmployment `json:"employment"`
	UpdatedAt        string         `json:"updatedAt"`
}

type cityPension struct {
	Status         string  `json:"status"`
	EnrolledOn     *string `json:"enrolledOn"`
	ReceivingSince *string `json:"receivingSince"`
	MonthlyAmount  float64 `json:"monthlyAmount"`
}

type cityMedical struct {
	Status string `json:"status"`
	Year   *int   `json:"year"`
}

type cityEmployment struct {
	Status               string  `json:"status"`
	UnemployedSince      *string `json:"unemployedSince"`
	EmploymentDifficulty bool    `json:"employmentDifficulty"`
}

func datePtr(d synth.Date) *string {
	if d == 0 {
		return nil
	}
	s := d.String()
	return &s
}

// cityZone is the offset the city platform writes timestamps in.
var cityZone = time.FixedZone("CST", 8*3600)

func (c *city) person(p *synth.Person) insuredPerson {
	out := insuredPerson{IDNumber: p.ID, Name: p.Name, UpdatedAt: c.reference.In(cityZone).Format(time.RFC3339)}
	switch p.Pension {
	case synth.PensionEnrolled:
		out.Pension = cityPension{Status: "ENROLLED", EnrolledOn: datePtr(p.PensionSince)}
	case synth.PensionReceiving:
		out.Pension = cityPension{Status: "RECEIVING", ReceivingSince: datePtr(p.PensionSince), MonthlyAmount: float64(p.PensionMonthly)}
	case synth.PensionSuspended:
		out.Pension = cityPension{Status: "SUSPENDED", EnrolledOn: datePtr(p.PensionSince)}
	default:
		out.Pension = cityPension{Status: "NOT_ENROLLED"}
	}
	out.MedicalInsurance.Status = "NOT_INSURED"
	if p.Medical {
		out.MedicalInsurance.Status = "INSURED"
	}
	if p.MedicalYear != 0 {
		y := int(p.MedicalYear)
		out.MedicalInsurance.Year = &y
	}
	switch p.Employment {
	case synth.Employed:
		out.Employment.Status = "EMPLOYED"
	case synth.UnemployedRegistered:
		out.Employment.Status = "UNEMPLOYED"
		out.Employment.UnemployedSince = datePtr(p.UnemployedSince)
	default:
		out.Employment.Status = "NOT_IN_LABOUR_FORCE"
	}
	out.Employment.EmploymentDifficulty = p.EmploymentDifficulty
	return out
}

func (c *city) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("idNumber")
	c.s.stats.ids(1)
	if len(id) != 18 {
		cityError(w, http.StatusBadRequest, "idNumber must have 18 characters")
		return
	}
	p, _, ok := c.data.PersonByID(id)
	if !ok {
		cityError(w, http.StatusNotFound, "insured person not found")
		return
	}
	writeJSON(w, http.StatusOK, c.person(p))
}

func (c *city) batchGet(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cityMaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			cityError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		cityError(w, http.StatusBadRequest, "unreadable body")
		return
	}
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		cityError(w, http.StatusBadRequest, "body must be {\"ids\": [...]}")
		return
	}
	if len(req.IDs) == 0 || len(req.IDs) > cityMaxBatch {
		cityError(w, http.StatusBadRequest, "ids must hold 1 to 100 id numbers")
		return
	}
	c.s.stats.ids(len(req.IDs))
	resp := struct {
		Items    []insuredPerson `json:"items"`
		NotFound []string        `json:"notFound"`
	}{Items: []insuredPerson{}, NotFound: []string{}}
	for _, id := range dedupe(req.IDs) {
		if p, _, ok := c.data.PersonByID(id); ok {
			resp.Items = append(resp.Items, c.person(p))
		} else {
			resp.NotFound = append(resp.NotFound, id)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}
