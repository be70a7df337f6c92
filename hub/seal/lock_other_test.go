//go:build !unix

package seal

// lockFile is a no-op where flock is unavailable: FileKeyStore is then
// safe within one process only.
func lockFile(string, bool) (func(), error) { return func() {}, nil }
