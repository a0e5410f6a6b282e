package app

import (
	"net/http"
	"sync"

	"github.com/gregjones/httpcache"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// DefaultCacheBytes bounds the App's HTTP cache per installation.
const DefaultCacheBytes = 32 << 20

// maxCacheEntries bounds the number of cached answers besides their size;
// the byte budget is what normally evicts.
const maxCacheEntries = 1 << 16

// cachingTransport answers GETs from a cache that it revalidates with GitHub
// on every use: the request carries If-None-Match with the cached entity tag,
// and GitHub answers 304 Not Modified, which does not count against the rate
// limit, when nothing changed. Nothing is ever served without asking GitHub,
// so a decision never rests on an answer older than the request that made
// it. Writes pass through and drop the cached answer of their URL.
//
// It sits above the installation's token transport, so cached answers are
// keyed by URL alone, and one cache serves one installation only.
func cachingTransport(next http.RoundTripper, maxBytes int) http.RoundTripper {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return revalidate{next: &httpcache.Transport{Transport: next, Cache: newLRUCache(maxBytes), MarkCachedResponses: true}}
}

// revalidate asks the cache below to treat every cached answer as stale
// (Cache-Control: max-age=0), so that it always revalidates: GitHub allows
// keeping answers for 60 s, too long for a pull request's head or the rules
// on main.
type revalidate struct{ next http.RoundTripper }

func (r revalidate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return r.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Cache-Control", "max-age=0")
	return r.next.RoundTrip(req)
}

// lruCache is an httpcache.Cache bounded by the bytes it holds, evicting the
// least recently used answers first.
type lruCache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, []byte]
	bytes    int
	maxBytes int
}

func newLRUCache(maxBytes int) *lruCache {
	c := &lruCache{maxBytes: maxBytes}
	// NewLRU fails only for a size below 1.
	c.lru, _ = simplelru.NewLRU[string, []byte](maxCacheEntries, func(_ string, v []byte) { c.bytes -= len(v) })
	return c
}

func (c *lruCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

func (c *lruCache) Set(key string, v []byte) {
	if len(v) > c.maxBytes/4 {
		c.Delete(key) // one answer may not crowd out the others
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key)
	c.lru.Add(key, v)
	c.bytes += len(v)
	for c.bytes > c.maxBytes {
		c.lru.RemoveOldest()
	}
}

func (c *lruCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key)
}
