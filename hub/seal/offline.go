package seal

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"sanmian/hub/auth/jwk"
)

// VerifyOffline verifies a permit token with the key set read from
// jwksSource, a file path or an http(s) URL (the hub's
// /.well-known/jwks.json), at the current time. It backs `hub verify`;
// the exit code is the caller's business. Surrounding white space of the
// token is ignored. Errors: ErrJWKS when the key set cannot be read or
// parsed, and those of Verify.
func VerifyOffline(ctx context.Context, token, jwksSource string, opts ...VerifyOption) (Result, error) {
	keys, err := LoadJWKS(ctx, jwksSource)
	if err != nil {
		return Result{Status: StatusInvalid}, err
	}
	return Verify(strings.TrimSpace(token), keys, time.Now(), opts...)
}

// LoadJWKS reads and parses a key set from a file path or an http(s) URL.
func LoadJWKS(ctx context.Context, source string) (jwk.Set, error) {
	data, err := readSource(ctx, source, jwk.MaxSetSize)
	if err != nil {
		return jwk.Set{}, fmt.Errorf("%w: %w", ErrJWKS, err)
	}
	set, err := jwk.Parse(data)
	if err != nil {
		return jwk.Set{}, fmt.Errorf("%w: %w", ErrJWKS, err)
	}
	return set, nil
}

// LoadStatusListToken reads a status list token from a file path or an
// http(s) URL (typically the uri in a permit's status claim), for
// WithStatusListToken.
func LoadStatusListToken(ctx context.Context, source string) (string, error) {
	data, err := readSource(ctx, source, 4*MaxStatusListBits/8)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStatusList, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// readSource reads at most limit+1 bytes from a URL or a file.
func readSource(ctx context.Context, source string, limit int64) ([]byte, error) {
	if source == "" {
		return nil, fmt.Errorf("no source given")
	}
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
		if err != nil {
			return nil, err
		}
		client := &http.Client{Timeout: 15 * time.Second}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET: status %d", resp.StatusCode)
		}
		return io.ReadAll(io.LimitReader(resp.Body, limit+1))
	}
	f, err := os.Open(source)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}
