package main

import (
	"context"
	"errors"
	"io"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &exitError{Code: 1, Err: errors.New("not available yet")}
}
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &exitError{Code: 1, Err: errors.New("not available yet")}
}
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &exitError{Code: 1, Err: errors.New("not available yet")}
}
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &exitError{Code: 1, Err: errors.New("not available yet")}
}
