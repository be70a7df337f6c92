package api

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limits of the token endpoint, per hub replica: an app needs one token per token lifetime
// (10 minutes by default), so these only stop a client or an address that hammers the
// endpoint (a retry loop gone wrong) from taking the replica's CPU. Every request counts,
// granted or refused. The client limit is kept per client id and remote address together:
// a request naming another app's client id from elsewhere cannot use up that app's bucket
// (guessing a 256-bit secret is hopeless at any rate, so nothing is gained by one bucket
// per id across addresses).
const (
	TokenRatePerClient  = 2   // requests per second for one client id from one address
	TokenBurstPerClient = 20  //
	TokenRatePerAddr    = 20  // requests per second from one remote address
	TokenBurstPerAddr   = 100 //
	tokenLimiterEntries = 10000
)

// tokenLimiter holds token buckets per client id and per remote address, the least recently
// used forgotten beyond tokenLimiterEntries each (a forgotten key starts with a full bucket).
type tokenLimiter struct {
	mu      sync.Mutex
	clients *lru.Cache[string, *rate.Limiter]
	addrs   *lru.Cache[string, *rate.Limiter]
	now     func() time.Time
}

func newTokenLimiter() *tokenLimiter {
	c, _ := lru.New[string, *rate.Limiter](tokenLimiterEntries)
	a, _ := lru.New[string, *rate.Limiter](tokenLimiterEntries)
	return &tokenLimiter{clients: c, addrs: a, now: time.Now}
}

// take takes one request from key's bucket in cache; when it is empty it returns how long
// until the next request would be allowed.
func (l *tokenLimiter) take(cache *lru.Cache[string, *rate.Limiter], key string, r rate.Limit, burst int) (time.Duration, bool) {
	l.mu.Lock()
	lim, ok := cache.Get(key)
	if !ok {
		lim = rate.NewLimiter(r, burst)
		cache.Add(key, lim)
	}
	l.mu.Unlock()
	now := l.now()
	if lim.AllowN(now, 1) {
		return 0, true
	}
	res := lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	return wait, false
}

// remoteHost is the request's remote address without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addr takes a request from the remote address's bucket.
func (l *tokenLimiter) addr(r *http.Request) (time.Duration, bool) {
	return l.take(l.addrs, remoteHost(r), TokenRatePerAddr, TokenBurstPerAddr)
}

// client takes a request from the bucket of the client id named in it, at this address.
func (l *tokenLimiter) client(r *http.Request, id string) (time.Duration, bool) {
	return l.take(l.clients, id+"\x00"+remoteHost(r), TokenRatePerClient, TokenBurstPerClient)
}

// writeTokenRateLimited answers 429 with Retry-After (whole seconds, at least 1) and a
// problem document.
func writeTokenRateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	WriteProblem(w, r, Problem{Type: "rate-limited", Status: http.StatusTooManyRequests,
		Title:  "Too many token requests / 令牌请求过于频繁",
		Detail: "Too many token requests for this client or from this address; retry after the time Retry-After gives. A token is valid for its expires_in: reuse it. 请复用令牌，稍后重试。"})
}
