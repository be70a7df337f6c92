package main

import (
	"context"
	"errors"
	"io"
)

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &exitError{Code: 1, Err: errors.New("not available yet")}
}
