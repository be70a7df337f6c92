package permitverify

var CacheAge = cacheAge
