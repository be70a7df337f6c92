package policy

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// flatCache is a topdown.VirtualCache (OPA's cache of rule values within one evaluation) kept
// as a short list per frame instead of OPA's trie of hash maps. A decision caches a dozen or
// two rule values (age, household, any_stale, the item's fail/pass sets, ...); a linear scan
// over that many references is cheaper than building the trie, which allocated about a
// tenth of a decision's objects. Frames are pushed and popped around `with` modifiers, as
// in OPA's implementation. One evaluation at a time: taken from and returned to a pool.
type flatCache struct {
	frames [][]cacheEntry
}

type cacheEntry struct {
	ref       ast.Ref
	value     *ast.Term
	undefined bool
}

var _ topdown.VirtualCache = (*flatCache)(nil)

var flatCaches = sync.Pool{New: func() any { return &flatCache{frames: make([][]cacheEntry, 1, 4)} }}

func getFlatCache() *flatCache { return flatCaches.Get().(*flatCache) }

// release clears the cache (dropping every reference into the evaluation's values) and
// returns it to the pool.
func (c *flatCache) release() {
	for i := range c.frames {
		clear(c.frames[i])
		c.frames[i] = c.frames[i][:0]
	}
	c.frames = c.frames[:1]
	flatCaches.Put(c)
}

// Push implements topdown.VirtualCache.
func (c *flatCache) Push() {
	n := len(c.frames)
	if n < cap(c.frames) {
		c.frames = c.frames[:n+1]
		c.frames[n] = c.frames[n][:0]
		return
	}
	c.frames = append(c.frames, nil)
}

// Pop implements topdown.VirtualCache.
func (c *flatCache) Pop() {
	n := len(c.frames) - 1
	clear(c.frames[n])
	c.frames[n] = c.frames[n][:0]
	c.frames = c.frames[:n]
}

// Get implements topdown.VirtualCache: (value, false) when cached, (nil, true) when cached as
// undefined, (nil, false) when not cached.
func (c *flatCache) Get(ref ast.Ref) (*ast.Term, bool) {
	top := c.frames[len(c.frames)-1]
	for i := range top {
		if top[i].ref.Equal(ref) {
			if top[i].undefined {
				return nil, true
			}
			return top[i].value, false
		}
	}
	return nil, false
}

// Put implements topdown.VirtualCache; a nil value records an undefined result.
func (c *flatCache) Put(ref ast.Ref, value *ast.Term) {
	n := len(c.frames) - 1
	top := c.frames[n]
	i := 0
	for i < len(top) && !top[i].ref.Equal(ref) {
		i++
	}
	if i == len(top) {
		// The caller may reuse the slice behind ref; the terms themselves are immutable.
		top = append(top, cacheEntry{ref: append(ast.Ref(nil), ref...)})
		c.frames[n] = top
	}
	// As OPA's cache: a value replaces the value, undefined once recorded stays.
	if value != nil {
		top[i].value = value
	} else {
		top[i].undefined = true
	}
}

// Keys implements topdown.VirtualCache: the references with a value in the active frame.
func (c *flatCache) Keys() []ast.Ref {
	top := c.frames[len(c.frames)-1]
	keys := make([]ast.Ref, 0, len(top))
	for _, e := range top {
		if e.value != nil {
			keys = append(keys, e.ref)
		}
	}
	return keys
}
